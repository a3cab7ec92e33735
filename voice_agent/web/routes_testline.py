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
from voice_agent.phones import e164
from voice_agent.storage.base import NewConversation
from voice_agent.web.engines import apply_profile, dry_run_engine, sandbox_engine
from voice_agent.web.guard import app_settings, app_store, page
from voice_agent.web.overrides import effective_settings
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


@guarded.get("/test-line")
async def test_line_page(request: Request) -> Response:
    """The test line page (chat, speech in/out, live tool calls) and the phone test setup."""
    effective = await effective_settings(app_settings(request), app_store(request))
    return page(
        request,
        "test_line.html",
        {
            "components": effective.components(),
            "test_numbers": effective.test_numbers,
            "twilio_number": effective.twilio_phone_number,
            "dry_run_available": effective.hcp_api_key is not None
            or await app_store(request).get_credential("hcp") is not None,
        },
    )


@guarded.post("/api/test-line/start")
async def start(request: Request, body: StartRequest) -> Response:
    """Start a conversation as `caller`; answers the greeting and the conversation id."""
    caller = _e164(body.caller, app_settings(request).phone_region)
    dry = body.mode == "dry-run"
    engine = await (dry_run_engine(request) if dry else sandbox_engine(request))
    await apply_profile(request)
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
async def say(request: Request, conversation_id: str, body: SayRequest) -> Response:
    """Run one caller turn; streams `{"type": ...}` NDJSON lines, ending with `done`."""
    conversation = await app_store(request).get_conversation(conversation_id)
    if conversation is None or conversation.channel != "web":
        raise HTTPException(status_code=404, detail="no such test-line conversation")
    dry = conversation.external_id.startswith(DRY_RUN_EXTERNAL)
    engine = await (dry_run_engine(request) if dry else sandbox_engine(request))
    events = engine.respond(conversation_id, body.text, turn_key=None)
    return StreamingResponse(
        _stream(events),
        media_type="application/x-ndjson",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
