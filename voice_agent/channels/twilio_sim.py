"""A simulated Twilio voice client: drives the voice webhooks the way Twilio does.

It signs every request like Twilio (the public URL plus the POST parameters), parses the
TwiML answers, follows `<Redirect>`s, and remembers the current `<Gather>` action so the
next utterance goes where the server asked. Tests and `bench/calls.py` use it.
"""

from __future__ import annotations

import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx
from twilio.request_validator import RequestValidator

VOICE_PATH = "/twilio/voice"
STATUS_PATH = "/twilio/voice/status"
MAX_REDIRECTS = 10


def new_call_sid() -> str:
    """A random, well-formed CallSid."""
    return "CA" + uuid.uuid4().hex


@dataclass(frozen=True)
class Exchange:
    """One webhook request and its answer."""

    url: str
    status: int
    body: str
    seconds: float

    @property
    def root(self) -> ET.Element | None:
        """The parsed TwiML, or None when the answer is not XML."""
        try:
            return ET.fromstring(self.body)
        except ET.ParseError:
            return None


@dataclass
class Reply:
    """What the caller experienced after one utterance, across any redirects."""

    exchanges: list[Exchange] = field(default_factory=list)
    said: list[str] = field(default_factory=list)
    gather: dict[str, str] | None = None
    dial: str | None = None
    dial_attributes: dict[str, str] | None = None
    hung_up: bool = False

    @property
    def text(self) -> str:
        """Everything spoken, joined."""
        return " ".join(self.said)

    @property
    def status(self) -> int:
        """HTTP status of the last exchange."""
        return self.exchanges[-1].status


class SimulatedCall:
    """One phone call as Twilio would drive it against a server at `client.base_url`."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        auth_token: str,
        public_base_url: str,
        caller: str = "+12125550100",
        to: str = "+12125550199",
        call_sid: str | None = None,
        speak: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.client = client
        self.validator = RequestValidator(auth_token)
        self.public_base_url = public_base_url.rstrip("/")
        self.call_sid = call_sid or new_call_sid()
        self.caller = caller
        self.to = to
        self.speak = speak
        self.action: str | None = None  # absolute public URL of the current Gather action
        self.last: Reply | None = None

    def base_params(self, status: str = "in-progress") -> dict[str, str]:
        """The parameters Twilio sends with every voice webhook of this call."""
        return {
            "CallSid": self.call_sid,
            "AccountSid": "AC" + "0" * 32,
            "From": self.caller,
            "To": self.to,
            "CallStatus": status,
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
        }

    def public(self, url: str) -> str:
        """`url` (absolute or relative) resolved against the public base URL."""
        return urljoin(self.public_base_url + VOICE_PATH, url)

    async def post(
        self, url: str, params: dict[str, str], *, signature: str | None = None
    ) -> Exchange:
        """POST `params` to `url` signed as Twilio would (or with the given `signature`)."""
        public = self.public(url)
        parts = urlsplit(public)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        sig = self.validator.compute_signature(public, params) if signature is None else signature
        started = time.perf_counter()
        response = await self.client.post(
            target, data=params, headers={"X-Twilio-Signature": sig} if sig else {}
        )
        return Exchange(public, response.status_code, response.text, time.perf_counter() - started)

    async def start(self) -> Reply:
        """The incoming-call webhook."""
        return await self._follow(VOICE_PATH, self.base_params("ringing"))

    async def say(self, text: str, confidence: float = 0.92) -> Reply:
        """Speak `text` into the current `<Gather>`."""
        extra = {"SpeechResult": text, "Confidence": f"{confidence:.2f}"} if text else {}
        return await self._follow(self._need_action(), {**self.base_params(), **extra})

    async def press(self, digits: str) -> Reply:
        """Press keys during the current `<Gather>`."""
        return await self._follow(self._need_action(), {**self.base_params(), "Digits": digits})

    async def silence(self) -> Reply:
        """Say nothing: Twilio calls the action with no result (actionOnEmptyResult)."""
        return await self._follow(self._need_action(), self.base_params())

    async def dial_ended(self, dial_status: str) -> Reply:
        """The `<Dial action>` callback after a transfer attempt."""
        if self.last is None or not self.last.dial_attributes:
            raise AssertionError("the last answer did not <Dial>")
        action = self.last.dial_attributes["action"]
        return await self._follow(action, {**self.base_params(), "DialCallStatus": dial_status})

    async def hang_up(self, duration: int = 60, status: str = "completed") -> Exchange:
        """The status callback Twilio sends when the call ends."""
        params = {**self.base_params(status), "CallDuration": str(duration)}
        return await self.post(STATUS_PATH, params)

    async def follow(self, url: str, params: dict[str, str]) -> Reply:
        """POST `params` to `url` (signed) and follow the TwiML answer like Twilio."""
        return await self._follow(url, params)

    def _need_action(self) -> str:
        if self.action is None:
            raise AssertionError("no <Gather> is listening")
        return self.action

    async def _follow(self, url: str, params: dict[str, str]) -> Reply:
        reply = Reply()
        self.action = None
        spoken = 0
        for _ in range(MAX_REDIRECTS):
            exchange = await self.post(url, params)
            reply.exchanges.append(exchange)
            root = exchange.root
            if exchange.status != 200 or root is None:
                break
            redirect = self._read(root, reply)
            if redirect is None:
                break
            if self.speak is not None:
                await self.speak(" ".join(reply.said[spoken:]))
            spoken = len(reply.said)
            url, params = redirect, self.base_params()
        self.last = reply
        return reply

    def _read(self, root: ET.Element, reply: Reply) -> str | None:
        """Collect what `root` says and does; return a redirect URL to follow, if any."""
        for verb in root:
            if verb.tag == "Say":
                reply.said.append((verb.text or "").strip())
            elif verb.tag == "Gather":
                reply.said.extend((say.text or "").strip() for say in verb.iter("Say"))
                reply.gather = dict(verb.attrib)
                self.action = self.public(verb.attrib["action"])
                return None  # Twilio listens here; later verbs run only if Gather falls through
            elif verb.tag == "Dial":
                number = verb.find("Number")
                reply.dial = (number.text or "").strip() if number is not None else verb.text
                reply.dial_attributes = dict(verb.attrib)
                return None
            elif verb.tag == "Hangup":
                reply.hung_up = True
                return None
            elif verb.tag == "Redirect":
                return self.public((verb.text or "").strip())
        return None
