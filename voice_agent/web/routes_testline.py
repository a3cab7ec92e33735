"""The browser test line: talk to the agent as a chosen caller ID, in test mode.

`POST /api/test-line/start` starts a conversation on channel "web" (always test mode);
`POST /api/test-line/{id}/say` runs one turn and streams the engine's events as NDJSON
lines, so the page shows tool calls as they happen.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Any, Literal

from fastapi import HTTPException, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from voice_agent.deps import RuntimeDep, SettingsDep, StoreDep
from voice_agent.engine.dialogue import DialogueEngine
from voice_agent.engine.events import (
    EndConversation,
    Event,
    FallbackTaken,
    LanguageIs,
    TextDelta,
    ToolFinished,
    ToolStarted,
    Transfer,
)
from voice_agent.errors import ConfigError
from voice_agent.phones import e164
from voice_agent.runtime import Runtime
from voice_agent.storage.base import NewConversation
from voice_agent.web.guard import page
from voice_agent.web.routes_auth import guarded

log = logging.getLogger(__name__)

MAX_UTTERANCE = 2000
SANDBOX_EXTERNAL = "web-"  # test-line conversations' external ids say which engine runs them
DRY_RUN_EXTERNAL = "web-dry-"
_EVENT_TYPES: dict[type[Any], str] = {
    TextDelta: "text",
    ToolStarted: "tool_started",
    ToolFinished: "tool_finished",
    Transfer: "transfer",
    EndConversation: "end",
    FallbackTaken: "fallback",
    LanguageIs: "language",
}


class StartRequest(BaseModel):
    """Start a test-line conversation."""

    caller: str = Field(max_length=40)
    mode: Literal["sandbox", "dry-run"] = "sandbox"


class SayRequest(BaseModel):
    """One caller utterance."""

    text: str = Field(min_length=1, max_length=MAX_UTTERANCE)


def event_json(event: Event) -> dict[str, Any]:
    """One engine event as a JSON object with a `type`."""
    return {"type": _EVENT_TYPES[type(event)], **asdict(event)}


def _e164(raw: str, region: str) -> str:
    number = e164(raw, region)
    if number is None:
        raise HTTPException(status_code=422, detail="Enter a valid phone number as the caller ID.")
    return number


async def _engine(runtime: Runtime, dry: bool) -> DialogueEngine:
    """The dry-run engine (409 without an HCP key) or the sandbox one."""
    try:
        return await runtime.engine("dry_run" if dry else "test_line")
    except ConfigError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None


@guarded.get("/test-line")
async def test_line_page(request: Request, runtime: RuntimeDep) -> Response:
    """The test line page (chat, speech in/out, live tool calls) and the phone test setup."""
    effective = await runtime.settings.reload()
    return page(
        request,
        "test_line.html",
        {
            "components": effective.components(),
            "test_numbers": effective.test_numbers,
            "twilio_number": effective.twilio_phone_number,
            "dry_run_available": effective.hcp_api_key is not None
            or await runtime.store.get_credential("hcp") is not None,
        },
    )


@guarded.post("/api/test-line/start")
async def start(body: StartRequest, runtime: RuntimeDep, settings: SettingsDep) -> Response:
    """Start a conversation as `caller`; answers the greeting and the conversation id.

    The saved profile is reloaded first, so a worker that has not seen a save yet catches
    up before its next test conversation.
    """
    caller = _e164(body.caller, settings.phone_region)
    dry = body.mode == "dry-run"
    engine = await _engine(runtime, dry)
    await runtime.settings.reload()
    prefix = DRY_RUN_EXTERNAL if dry else SANDBOX_EXTERNAL
    new = NewConversation(
        channel="web", external_id=f"{prefix}{uuid.uuid4().hex}", caller=caller, test_mode=True
    )
    result = await engine.start(new)
    conversation = result.conversation
    log.info("test line: conversation %s started (mode=%s)", conversation.id, body.mode)
    return JSONResponse(
        {"conversation_id": conversation.id, "greeting": result.greeting, "mode": body.mode}
    )


async def _stream(events: AsyncIterator[Event]) -> AsyncIterator[bytes]:
    try:
        async for event in events:
            yield (json.dumps(event_json(event), default=str) + "\n").encode()
    except Exception:  # the page must learn the turn failed, not hang
        log.exception("test line: turn failed")
        failed = {"type": "error", "text": "The turn failed; see the logs."}
        yield (json.dumps(failed) + "\n").encode()
    yield b'{"type": "done"}\n'


@guarded.post("/api/test-line/{conversation_id}/say")
async def say(
    conversation_id: str, body: SayRequest, runtime: RuntimeDep, store: StoreDep
) -> Response:
    """Run one caller turn; streams `{"type": ...}` NDJSON lines, ending with `done`."""
    conversation = await store.get_conversation(conversation_id)
    if conversation is None or conversation.channel != "web":
        raise HTTPException(status_code=404, detail="no such test-line conversation")
    dry = conversation.external_id.startswith(DRY_RUN_EXTERNAL)
    engine = await _engine(runtime, dry)
    events = engine.respond(conversation_id, body.text, turn_key=None)
    return StreamingResponse(
        _stream(events),
        media_type="application/x-ndjson",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
