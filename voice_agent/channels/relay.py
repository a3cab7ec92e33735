"""Phone calls over Twilio ConversationRelay: the WebSocket and the `<Connect action>` callback.

Routes:
    WS   /twilio/relay             the relay session (signed upgrade, see `verify_upgrade`)
    POST /twilio/voice/relay-done  `<Connect action>`: the session ended (signed form)

`POST /twilio/voice` answers `<Connect><ConversationRelay>` when `VOICE_TRANSPORT=relay`
(see `VoiceChannel.incoming`). The greeting is spoken by Twilio from the TwiML; the socket
carries the turns (`relay_session`). When the session ends, the action callback dials a
person only if our `end` message asked for it, says goodbye after an `end`, and rescues a
dropped socket by continuing the same conversation from storage over `<Gather>`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from fastapi import APIRouter, Response, WebSocket
from starlette.websockets import WebSocketDisconnect

from voice_agent import phones
from voice_agent.channels import twiml
from voice_agent.channels.relay_session import (
    ENDED,
    HANDOFF,
    RelayTurns,
    key_text,
    prompt_text,
)
from voice_agent.channels.twilio_auth import (
    SIGNATURE_HEADER,
    TwilioForm,
    public_url,
    signature_ok,
)
from voice_agent.channels.voice import (
    CALL_OVER,
    CALL_SID,
    CONNECTING,
    DIAL_PATH,
    TURN_PATH,
    UNKNOWN_CALLER,
    VoiceChannel,
    call_sid_of,
    lang_query,
    url,
)
from voice_agent.deps import MaybeRuntimeDep, SettingsDep, VoiceDep
from voice_agent.engine.i18n import t
from voice_agent.engine.session import Session
from voice_agent.settings import Settings
from voice_agent.speech import for_speech
from voice_agent.storage.base import Conversation, NewConversation

log = logging.getLogger(__name__)

RELAY_PATH = "/twilio/relay"
RELAY_DONE_PATH = "/twilio/voice/relay-done"
POLICY_VIOLATION = 1008
INTERNAL_ERROR = 1011
MAX_MESSAGE_CHARS = 16_000
SETTLE_SECONDS = 8.0  # the rescue waits this long for a turn still running on this worker
CUT_OFF = "Sorry, we got cut off for a moment."

router = APIRouter(tags=["twilio conversationrelay"])


def relay_url(base: str) -> str:
    """The public `wss://` URL of the relay socket, from the public `https://` base URL."""
    return ws_scheme(base.rstrip("/") + RELAY_PATH)


def public_ws_url(websocket: WebSocket, settings: Settings) -> str:
    """The URL Twilio opened: `twilio_auth.public_url`, as `wss://` (`ws://` for http)."""
    return ws_scheme(public_url(websocket, settings))


def ws_scheme(url: str) -> str:
    """`url` with `http` as `ws` and `https` as `wss` (`ws` and `wss` stay)."""
    scheme, sep, rest = url.partition("://")
    return {"http": "ws", "https": "wss"}.get(scheme, scheme) + sep + rest


def verify_upgrade(websocket: WebSocket, settings: Settings) -> str | None:
    """Why the upgrade must be refused (no token, no or bad signature), or None if signed."""
    if settings.twilio_auth_token is None:
        return "TWILIO_AUTH_TOKEN not set"
    signature = websocket.headers.get(SIGNATURE_HEADER)
    if not signature:
        return "missing signature"
    token = settings.twilio_auth_token.get_secret_value()
    if not signature_ok(token, public_ws_url(websocket, settings), {}, signature):
        return "signature mismatch"
    return None


@router.websocket(RELAY_PATH)
async def relay_socket(
    websocket: WebSocket, settings: SettingsDep, running: MaybeRuntimeDep
) -> None:
    """One ConversationRelay session; refused before `accept` unless Twilio signed it."""
    refused = verify_upgrade(websocket, settings)
    voice = running.voice if running is not None else None
    if refused is not None or voice is None:
        client = websocket.client.host if websocket.client else "?"
        log.warning("security: refused relay upgrade reason=%s client=%s", refused, client)
        await websocket.close(code=POLICY_VIOLATION)
        return
    await websocket.accept()
    await RelaySocket(voice, websocket).run()


class RelaySocket:
    """Reads Twilio's messages from one accepted socket and feeds the session's turns."""

    def __init__(self, voice: VoiceChannel, websocket: WebSocket) -> None:
        self.voice = voice
        self.websocket = websocket
        self.turns: RelayTurns | None = None
        self.closed = False
        self._send_lock = asyncio.Lock()

    async def send(self, message: dict[str, Any]) -> None:
        """Send one message; a closed socket drops it (the turn still finishes and saves)."""
        if self.closed:
            return
        try:
            async with self._send_lock:
                await self.websocket.send_text(json.dumps(message))
        except (WebSocketDisconnect, RuntimeError, OSError):
            self.closed = True

    async def run(self) -> None:
        """Read until Twilio closes; on our own failure close with 1011 (the action rescues)."""
        try:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is None:
                    log.warning("relay: binary message ignored")
                    continue
                await self.handle(text)
        except WebSocketDisconnect:
            pass
        except Exception:
            log.exception("relay session failed; closing so the action callback rescues it")
            with contextlib.suppress(Exception):
                await self.websocket.close(code=INTERNAL_ERROR)
        finally:
            self.closed = True
            await self._after_close()

    async def _after_close(self) -> None:
        turns = self.turns
        if turns is None:
            return
        sid = turns.conversation.external_id
        settle = asyncio.ensure_future(turns.drain())  # the running turn lands in storage
        self.voice.relays[sid] = settle

        def settled(future: asyncio.Future[None]) -> None:
            self.voice.relays.pop(sid, None)
            if future.cancelled():  # shutdown: stop the worker too
                turns.cancel()

        settle.add_done_callback(settled)

    async def handle(self, raw: str) -> None:
        """One message from Twilio (unknown types and malformed JSON are logged and skipped)."""
        try:
            message = json.loads(raw[:MAX_MESSAGE_CHARS])
        except json.JSONDecodeError:
            log.warning("relay: unreadable message ignored")
            return
        if not isinstance(message, dict):
            return
        kind = message.get("type")
        if kind == "setup":
            await self._setup(message)
            return
        turns = self.turns
        if kind == "error":
            description = str(message.get("description"))[:200]
            log.warning("relay: Twilio reported an error: %s", description)
        elif turns is None:
            log.warning("relay: %s before setup ignored", kind)
        elif kind == "prompt":
            text = prompt_text(message)
            if text:
                turns.prompt(text)
        elif kind == "dtmf":
            text = key_text(
                str(message.get("digit", "")),
                first_turn=turns.count == 0,
                spanish=self.voice.settings.spanish_enabled and turns.language == "en",
            )
            if text:
                turns.prompt(text)
        elif kind == "interrupt":
            turns.interrupt(str(message.get("utteranceUntilInterrupt") or ""))
        else:
            log.debug("relay: message type %r ignored", kind)

    async def _setup(self, message: dict[str, Any]) -> None:
        if self.turns is not None:
            return
        sid = str(message.get("callSid", ""))
        if not CALL_SID.match(sid):
            log.warning("relay: setup without a valid callSid")
            await self.send({"type": "end", "handoffData": json.dumps({"reasonCode": "error"})})
            return
        conversation = await self._conversation(sid, message)
        engine = self.voice.test_engine if conversation.test_mode else self.voice.engine
        if conversation.status != "active":
            await self.send({"type": "end", "handoffData": json.dumps({"reasonCode": ENDED})})
            return
        self.turns = RelayTurns(
            engine,  # type: ignore[arg-type]
            conversation,
            self.send,
            session_id=str(message.get("sessionId", ""))[:64] or "session",
            language=conversation.language or "en",
            speech_languages={
                "en": self.voice.settings.voice_language,
                "es": self.voice.settings.voice_language_es,
            },
            reports=self.voice.relay_reports,
            load=lambda: self.voice.store.get_conversation(conversation.id),
        )
        log.info("relay session for call %s", sid)

    async def _conversation(self, sid: str, message: dict[str, Any]) -> Conversation:
        """The call's conversation (made by the incoming webhook), or a fresh one."""
        found = await self.voice.find_call(sid)
        if found is not None:
            return found
        region = self.voice.settings.phone_region
        caller = phones.e164_or_unknown(str(message.get("from", "")), region)
        to = phones.e164_or_unknown(str(message.get("to", "")), region)
        log.warning("relay call %s from %s was not answered by us first", sid, phones.mask(caller))
        new = NewConversation(
            channel="voice",
            external_id=sid,
            caller=caller,
            business_number=None if to == UNKNOWN_CALLER else to,
            test_mode=bool({caller, to} & set(self.voice.settings.test_numbers)),
        )
        engine = self.voice.test_engine if new.test_mode else self.voice.engine
        return (await engine.start(new)).conversation


# --- the <Connect action> callback -------------------------------------------------------------


def _handoff(params: dict[str, str]) -> dict[str, Any]:
    try:
        data = json.loads(params.get("HandoffData") or "{}")
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


async def relay_done(voice: VoiceChannel, params: dict[str, str]) -> str:
    """After the session: a person (only when asked), goodbye, nothing, or the rescue."""
    sid = call_sid_of(params)
    status = params.get("SessionStatus", "")
    handoff = _handoff(params)
    lang = "es" if handoff.get("lang") == "es" else "en"
    style = voice.style_for(lang)
    say = for_speech(str(handoff.get("say") or ""))
    reason = handoff.get("reasonCode")
    allowed = {n for n in (voice.settings.office_number, voice.settings.on_call_number) if n}
    if reason == HANDOFF and handoff.get("number") in allowed:
        return twiml.transfer(
            say or t(CONNECTING, lang),
            number=str(handoff["number"]),
            caller_id=voice.caller_id(params),
            action=url(DIAL_PATH, seq=1, **lang_query(lang)),
            style=style,
            record=voice.settings.call_recording,
            recording_callback=voice.recording_callback(),
        )
    if reason in (HANDOFF, ENDED):  # a handoff to an unknown number is never dialled
        return twiml.goodbye(say or t(CALL_OVER, lang), style=style)
    if status == "completed":  # the caller hung up
        return twiml.empty()
    log.warning(
        "relay call %s ended %s (error %s): continuing over Gather",
        sid,
        status or "?",
        params.get("ErrorCode", "-"),
    )
    return await rescue(voice, sid)


async def rescue(voice: VoiceChannel, sid: str) -> str:
    """Continue a call whose socket dropped, from storage, over `<Gather>`."""
    settling = voice.relays.get(sid)
    if settling is not None:
        try:
            await asyncio.wait_for(asyncio.shield(settling), SETTLE_SECONDS)
        except TimeoutError:
            log.warning("relay call %s: turn still running at the rescue", sid)
    conversation = await voice.store.find_conversation("voice", sid)
    if conversation is None:
        return twiml.goodbye(CALL_OVER, style=voice.style)
    lang = conversation.language if conversation.language in ("en", "es") else "en"
    style = voice.style_for(lang)
    if conversation.status != "active":
        return twiml.goodbye(t(CALL_OVER, lang), style=style)
    session = Session.load(conversation.state)
    last = next(
        (
            m.get("content") or ""
            for m in reversed(session.history)
            if m.get("role") == "assistant" and (m.get("content") or "").strip()
        ),
        "",
    )
    text = t(CUT_OFF, lang) + (" " + for_speech(last) if last else "")
    action = url(TURN_PATH, seq=session.seq + 1, **lang_query(lang))
    return twiml.ask(text, action=action, style=style)


@router.post(RELAY_DONE_PATH)
async def relay_action(params: TwilioForm, voice: VoiceDep) -> Response:
    """`<Connect action>`: the relay session is over (signed form)."""
    return Response(content=await relay_done(voice, params), media_type="application/xml")
