"""A ConversationRelay client that drives our server the way Twilio does (tests, benchmarks).

`RelayCall` answers the call through the signed incoming webhook, reads the
`<Connect><ConversationRelay>` TwiML, opens the WebSocket with `X-Twilio-Signature`
computed over the public `wss://` URL (empty params), sends `setup`, then `prompt`,
`dtmf` and `interrupt` messages and collects our `text`, `language` and `end` messages.
When the session is over it posts the `<Connect action>` callback like Twilio
(`SessionStatus`, `HandoffData`, `ErrorCode`) and follows the TwiML it gets back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect

from voice_agent.channels.twilio_sim import Reply, SimulatedCall
from voice_agent.speech import FILLERS

WAIT_SECONDS = 30.0  # a reply that takes longer is a hang: fail instead of waiting forever
_FILLER_LINES = frozenset(line.strip() for line in FILLERS)


@dataclass
class Utterance:
    """One reply as streamed: its tokens (untrimmed) and whether it ended with `last`."""

    tokens: list[str] = field(default_factory=list)
    last: bool = False

    @property
    def text(self) -> str:
        """The tokens joined as sent."""
        return "".join(self.tokens).strip()


@dataclass
class RelayReply:
    """What the caller heard after one prompt: fillers, the reply, any language or end."""

    utterances: list[Utterance] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    end: dict[str, Any] | None = None  # the parsed handoffData of an `end`
    first_text_seconds: float | None = None  # from our prompt to the first `text`
    reply_seconds: float | None = None  # from our prompt to the first non-filler `text`

    @property
    def text(self) -> str:
        """Everything but fillers, joined."""
        return " ".join(u.text for u in self.utterances if u.text not in _FILLER_LINES)

    @property
    def fillers(self) -> list[str]:
        """The filler lines heard."""
        return [u.text for u in self.utterances if u.text in _FILLER_LINES]

    @property
    def languages(self) -> list[dict[str, Any]]:
        """The `language` messages received."""
        return [m for m in self.messages if m.get("type") == "language"]


class RelayCall:
    """One phone call over ConversationRelay against the server at `ws_base`.

    `webhooks` (a `SimulatedCall` on the same CallSid) signs and posts the HTTP webhooks;
    after a rescue the call goes on over its `<Gather>`.
    """

    def __init__(self, webhooks: SimulatedCall, *, ws_base: str) -> None:
        self.webhooks = webhooks
        self.call_sid = webhooks.call_sid
        self.caller = webhooks.caller
        self.to = webhooks.to
        self.ws_base = ws_base.rstrip("/")
        self.relay: dict[str, str] = {}
        self.action_url: str | None = None
        self.socket: ClientConnection | None = None
        self.session_id = "VX" + uuid.uuid4().hex
        self._partial: Utterance | None = None

    # -- answering ----------------------------------------------------------------------------

    async def answer(self) -> dict[str, str]:
        """The incoming webhook: the `<ConversationRelay>` attributes our server answered."""
        hooks = self.webhooks
        exchange = await hooks.post("/twilio/voice", hooks.base_params("ringing"))
        if exchange.status != 200:
            raise AssertionError(f"incoming webhook answered HTTP {exchange.status}")
        root = ET.fromstring(exchange.body)
        connect_node = root.find("Connect")
        node = connect_node.find("ConversationRelay") if connect_node is not None else None
        if connect_node is None or node is None:
            raise AssertionError(f"not a ConversationRelay answer: {exchange.body[:200]}")
        self.action_url = hooks.public(connect_node.attrib["action"])
        self.relay = dict(node.attrib)
        return self.relay

    def signature(self, url: str) -> str:
        """`X-Twilio-Signature` of a WebSocket upgrade: the URL with empty params."""
        return str(self.webhooks.validator.compute_signature(url, {}))

    def local_ws_url(self, public: str) -> str:
        """The public `wss://` URL mapped onto the local server (same path and query)."""
        parts = urlsplit(public)
        local = urlsplit(self.ws_base)
        return urlunsplit((local.scheme, local.netloc, parts.path, parts.query, ""))

    async def open(self, *, signature: str | None = None, setup: bool = True) -> None:
        """Open the socket as Twilio (signed unless `signature` is given) and send `setup`."""
        public = self.relay["url"]
        sig = self.signature(public) if signature is None else signature
        headers = {"X-Twilio-Signature": sig} if sig else {}
        self.socket = await connect(
            self.local_ws_url(public), additional_headers=headers, open_timeout=WAIT_SECONDS
        )
        if setup:
            await self.send(self.setup_message())

    def setup_message(self) -> dict[str, Any]:
        """The `setup` message Twilio sends first."""
        return {
            "type": "setup",
            "sessionId": self.session_id,
            "accountSid": "AC" + "0" * 32,
            "parentCallSid": "",
            "callSid": self.call_sid,
            "from": self.caller,
            "to": self.to,
            "forwardedFrom": "",
            "callType": "PSTN",
            "callerName": "",
            "direction": "inbound",
            "callStatus": "RINGING",
            "customParameters": {},
        }

    async def send(self, message: dict[str, Any]) -> None:
        """Send one message as Twilio."""
        assert self.socket is not None, "open() first"
        await self.socket.send(json.dumps(message))

    # -- talking ------------------------------------------------------------------------------

    async def say(self, text: str, *, lang: str = "en-US") -> RelayReply:
        """A final `prompt`; the reply (after any fillers), or the `end`."""
        await self.send({"type": "prompt", "voicePrompt": text, "lang": lang, "last": True})
        return await self.reply()

    async def press(self, digit: str) -> RelayReply:
        """A key press (`dtmf`); the reply."""
        await self.send({"type": "dtmf", "digit": digit})
        return await self.reply()

    async def interrupt(self, heard: str, ms: float = 900.0) -> None:
        """Talk over our speech after hearing `heard`."""
        await self.send(
            {
                "type": "interrupt",
                "utteranceUntilInterrupt": heard,
                "durationUntilInterruptMs": str(ms),
            }
        )

    async def reply(self, *, started: float | None = None) -> RelayReply:
        """Read messages until a non-filler utterance ends with `last: true`, or an `end`."""
        started = time.perf_counter() if started is None else started
        reply = RelayReply()
        while True:
            message = await self.receive()
            reply.messages.append(message)
            kind = message.get("type")
            if kind == "end":
                reply.end = json.loads(message.get("handoffData") or "{}")
                return reply
            if kind != "text":
                continue
            now = time.perf_counter() - started
            if reply.first_text_seconds is None:
                reply.first_text_seconds = now
            if self._partial is None:
                self._partial = Utterance()
                reply.utterances.append(self._partial)
            if message.get("token"):
                self._partial.tokens.append(str(message["token"]))
            utterance = self._partial
            if utterance.text and utterance.text not in _FILLER_LINES:
                reply.reply_seconds = reply.reply_seconds or now
            if message.get("last"):
                utterance.last = True
                self._partial = None
                if utterance.text not in _FILLER_LINES:
                    return reply

    async def hear_words(self, count: int) -> str:
        """Read the reply being streamed (fillers skipped) until `count` words were heard."""
        tokens: list[str] = []
        while len("".join(tokens).split()) < count:
            message = await self.receive()
            if message.get("type") != "text":
                continue
            tokens.append(str(message.get("token") or ""))
            if message.get("last"):
                if "".join(tokens).strip() in _FILLER_LINES:
                    tokens = []
                else:
                    break
        return "".join(tokens).strip()

    async def receive(self) -> dict[str, Any]:
        """The next message from our server."""
        assert self.socket is not None, "open() first"
        raw = await asyncio.wait_for(self.socket.recv(), WAIT_SECONDS)
        data: dict[str, Any] = json.loads(raw)
        return data

    async def close(self) -> None:
        """Drop the socket (a hang-up, or a network failure)."""
        if self.socket is not None:
            await self.socket.close()
            self.socket = None

    async def session_over(
        self, status: str, handoff: dict[str, Any] | None = None, *, error: str = ""
    ) -> Reply:
        """The `<Connect action>` callback Twilio posts after the session; follows its TwiML."""
        assert self.action_url is not None, "answer() first"
        params = {
            **self.webhooks.base_params(),
            "SessionId": self.session_id,
            "SessionStatus": status,
            "SessionDuration": "42",
        }
        if handoff is not None:
            params["HandoffData"] = json.dumps(handoff)
        if error:
            params["ErrorCode"] = error
            params["ErrorMessage"] = "WebSocket ended"
        return await self.webhooks.follow(self.action_url, params)


@contextlib.asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    """Serve `app` with uvicorn on a free loopback port in this event loop; yield its base URL.

    Real HTTP and WebSocket traffic (the `websockets` protocol), lifespan included.
    """
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, lifespan="on", ws="websockets-sansio", log_level="warning", ws_ping_interval=None
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("uvicorn stopped during start-up")
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()
