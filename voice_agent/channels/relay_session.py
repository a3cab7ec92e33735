"""One ConversationRelay WebSocket session: Twilio's messages in, the engine's speech out.

Twilio does speech recognition and synthesis; we get the caller's final words (`prompt`
with `last: true`), keys (`dtmf`) and barge-ins (`interrupt`), and send `text` tokens as
the model streams them (untrimmed, `last: true` at the end of the reply), `language` when
the caller switches, and `end` with `handoffData` for transfers and goodbyes (the lines
that go with those are spoken by the `<Connect action>` TwiML so `end` cannot cut them off).

Turns run one at a time in a worker task while the socket keeps being read, so an
`interrupt` reaches the running turn at once: the model stream is cancelled, but a tool
call already running (an HCP write) is let finish and its result recorded; then the
engine keeps only what the caller heard (`DialogueEngine.heard`). A socket that drops
leaves the running turn to finish; the action callback continues the call from storage.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from voice_agent.channels.voice import KEYS, SPANISH_CHOICE, SPANISH_KEY, bounded_speech
from voice_agent.channels.voice_turns import TURN_LIMIT_SECONDS
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
from voice_agent.engine.i18n import t, t_all
from voice_agent.speech import FILLERS, pick
from voice_agent.storage.base import Conversation

log = logging.getLogger(__name__)

ENGINE_TROUBLE = "I'm sorry, something went wrong on my end. Could you tell me that once more?"
DUPLICATE_SECONDS = 2.0  # the same words again this soon after the turn began: one delivery
HANDOFF = "live-agent-handoff"
ENDED = "end"
_MARKUP = str.maketrans("", "", "*#`_")

Send = Callable[[dict[str, Any]], Awaitable[None]]


class RelayEngine(Protocol):
    """The engine methods a relay session uses."""

    def respond(
        self,
        conversation_id: str,
        user_text: str,
        *,
        turn_key: str | None = None,
        on_token: Callable[[str], Awaitable[None]] | None = None,
        known: Conversation | None = None,
        on_saved: Callable[[Conversation], None] | None = None,
    ) -> Any: ...

    async def heard(
        self,
        conversation_id: str,
        heard: str,
        *,
        known: Conversation | None = None,
        on_saved: Callable[[Conversation], None] | None = None,
    ) -> bool: ...


@dataclass
class TurnReport:
    """Timing of one relay turn, for logs and the benchmark."""

    key: str
    received: float
    first_text: float | None = None
    filler: float | None = None
    tools: int = 0
    interrupted: bool = False


def prompt_text(message: dict[str, Any]) -> str | None:
    """The caller's final words in a `prompt`, bounded; None for partial or empty ones."""
    if message.get("last") is False:
        return None
    return bounded_speech(str(message.get("voicePrompt") or "")) or None


def key_text(digit: str, *, first_turn: bool, spanish: bool) -> str | None:
    """What a key means: 1 yes, 2 no (or Spanish at the greeting), 0 a person, else the digit."""
    digit = digit.strip()[:1]
    if not digit:
        return None
    if digit == SPANISH_KEY and first_turn and spanish:
        return SPANISH_CHOICE
    return KEYS.get(digit, digit if digit.isdigit() else None)


class RelayTurns:
    """Runs the turns of one relay session against the engine, in order, with barge-in."""

    def __init__(
        self,
        engine: RelayEngine,
        conversation: Conversation,
        send: Send,
        *,
        session_id: str,
        language: str = "en",
        speech_languages: dict[str, str] | None = None,
        reports: list[TurnReport] | None = None,
        load: Callable[[], Awaitable[Conversation | None]] | None = None,
    ) -> None:
        self.engine = engine
        self.conversation = conversation
        self.send = send
        self.session_id = session_id
        self.language = language
        self.speech_languages = speech_languages or {"en": "en-US", "es": "es-US"}
        self.reports = reports
        self.count = 0
        self._queue: asyncio.Queue[tuple[str, str, float]] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._turn: asyncio.Task[None] | None = None
        self._stopping = False
        self._tools_running = 0
        self._last_prompt: tuple[str, float] | None = None
        self._heard_next: str | None = None  # an interrupt of the running turn
        self.ended = False
        # The conversation as stored, so a turn starts without a storage read: this session
        # is its only writer meanwhile, and the engine hands back what it saved. Unknown (a
        # save lost to another writer, a failure): read again while the caller talks.
        self._load = load
        self._ahead: asyncio.Future[Conversation | None] | None = None
        self._current: Conversation | None = None
        if load is not None and conversation.state.get("greeting"):  # the start has landed
            self._current = conversation

    # -- input -------------------------------------------------------------------------------

    def prompt(self, text: str) -> bool:
        """Queue a caller utterance; False when it repeats the one just taken (a duplicate)."""
        now = time.monotonic()
        norm = text.lower()
        last = self._last_prompt
        if last is not None and last[0] == norm and now - last[1] < DUPLICATE_SECONDS:
            log.info("relay %s: duplicate prompt ignored", self.conversation.external_id)
            return False
        self._last_prompt = (norm, now)
        self._submit("prompt", text, now)
        return True

    def interrupt(self, heard: str) -> None:
        """The caller talked over us after hearing `heard`: stop the turn, then cut the reply.

        The cut applies to the reply being spoken: right after the running turn, ahead of
        any prompt queued behind it.
        """
        heard = " ".join(heard.split())
        if self._turn is not None and not self._turn.done():
            self._heard_next = heard
            self._stop()
        else:
            self._submit("heard", heard, time.monotonic())

    def _submit(self, kind: str, value: str, at: float) -> None:
        self._queue.put_nowait((kind, value, at))
        if self._worker is None:
            self._worker = asyncio.create_task(
                self._work(), name=f"relay {self.conversation.external_id}"
            )

    def _stop(self) -> None:
        """Stop the running turn: cancel the model now, or right after running tools finish."""
        turn = self._turn
        if turn is None or turn.done():
            return
        self._stopping = True
        if self._tools_running == 0:
            turn.cancel()

    async def drain(self) -> None:
        """The socket closed: let every queued turn finish and land, then stop the worker."""
        self._load = None  # no more turns will come: nothing to read ahead
        if self._worker is not None:
            await self._queue.join()
            self._worker.cancel()

    def cancel(self) -> None:
        """Stop the worker and its turn (shutdown; a started write lands or is reconciled)."""
        for task in (self._worker, self._turn):
            if task is not None:
                task.cancel()

    # -- the worker --------------------------------------------------------------------------

    async def _work(self) -> None:
        while True:
            kind, value, at = await self._queue.get()
            try:
                if self.ended:
                    continue
                if kind == "prompt":
                    self._turn = asyncio.create_task(self._run(value, at))
                    with contextlib.suppress(asyncio.CancelledError):
                        await asyncio.shield(self._turn)
                    self._turn, self._stopping = None, False
                    heard, self._heard_next = self._heard_next, None
                    if heard is not None:
                        await self._cut(heard)
                else:
                    await self._cut(value)
            except Exception:
                log.exception("relay %s: %s failed", self.conversation.external_id, kind)
                self._current = None
            finally:
                self._read_ahead()
                self._queue.task_done()

    async def _cut(self, heard: str) -> None:
        await self.engine.heard(
            self.conversation.id, heard, known=self._current, on_saved=self._saved
        )

    def _saved(self, conversation: Conversation) -> None:
        if self._load is not None:
            self._current = conversation

    def _read_ahead(self) -> None:
        if self._current is None and self._load is not None and not self.ended:
            self._ahead = asyncio.ensure_future(self._load())

    async def _known(self) -> Conversation | None:
        """The conversation as stored: kept, else read ahead (else the engine reads it)."""
        current, self._current = self._current, None
        if current is not None:
            return current
        ahead, self._ahead = self._ahead, None
        if ahead is None:
            return None
        try:
            return await ahead
        except Exception:
            log.warning("relay %s: read-ahead failed", self.conversation.external_id)
            return None

    async def _run(self, text: str, received: float) -> None:
        self.count += 1
        key = f"{self.conversation.external_id}:relay:{self.session_id}:{self.count}"
        report = TurnReport(key, received)
        speech = _Speech(self, report)
        events = self.engine.respond(
            self.conversation.id,
            text,
            turn_key=key,
            on_token=speech.token,
            known=await self._known(),
            on_saved=self._saved,
        )
        try:
            async with asyncio.timeout(TURN_LIMIT_SECONDS), contextlib.aclosing(events):
                async for event in events:
                    await speech.event(event)
                    if self._stopping and self._tools_running == 0:
                        break
        except asyncio.CancelledError:
            report.interrupted = True
            raise
        except Exception as exc:  # never silence: apologise and listen again
            kind = "took too long" if isinstance(exc, TimeoutError) else "failed"
            log.exception("relay turn %s %s", key, kind)
            speech.held = [t(ENGINE_TROUBLE, self.language)]
            speech.transfer = speech.end = None
        finally:
            self._tools_running = 0
            if self.reports is not None:
                self.reports.append(report)
        if self._stopping:
            report.interrupted = True
            return
        await speech.finish()

    async def language_to(self, lang: str) -> None:
        """Switch Twilio's recognition and voice to `lang` (`en` or `es`)."""
        if lang == self.language or lang not in self.speech_languages:
            return
        self.language = lang
        code = self.speech_languages[lang]
        await self.send({"type": "language", "ttsLanguage": code, "transcriptionLanguage": code})


class _Speech:
    """Renders one turn's events as relay messages."""

    def __init__(self, turns: RelayTurns, report: TurnReport) -> None:
        self.turns = turns
        self.report = report
        self.sent = False  # a token of the reply went out
        self.held: list[str] = []  # fixed lines waiting for the end of the turn
        self.transfer: Transfer | None = None
        self.end: EndConversation | None = None
        self.language: str | None = None

    async def token(self, token: str) -> None:
        """A streamed model token: out at once, untrimmed."""
        if self.turns._stopping:
            return
        token = token.translate(_MARKUP)
        if token:
            await self._text(token)

    async def _text(self, token: str, *, last: bool = False) -> None:
        if self.report.first_text is None:
            self.report.first_text = time.monotonic()
        self.sent = True
        await self.turns.send({"type": "text", "token": token, "last": last})

    async def event(self, event: Event) -> None:
        turns = self.turns
        if isinstance(event, TextDelta):
            if not event.streamed and event.text.strip():
                self.held.append(event.text.strip())
        elif isinstance(event, ToolStarted):
            turns._tools_running += 1
            self.report.tools += 1
            await self._flush()
            if not self.sent and self.report.filler is None:
                self.report.filler = time.monotonic()
                line = pick(t_all(FILLERS, turns.language), self.report.key)
                await self._text(line, last=True)
                self.sent = False  # the reply itself is still to come
        elif isinstance(event, ToolFinished):
            turns._tools_running = max(0, turns._tools_running - 1)
        elif isinstance(event, Transfer):
            self.transfer = event
        elif isinstance(event, EndConversation):
            self.end = event
        elif isinstance(event, LanguageIs):
            self.language = event.language
        elif isinstance(event, FallbackTaken):
            log.warning("relay %s: guided intake took over", turns.conversation.external_id)

    async def _flush(self) -> None:
        if self.held:
            lead = " " if self.sent else ""
            await self._text(lead + " ".join(self.held))
            self.held = []

    async def finish(self) -> None:
        """End of the turn: language first, then the held lines, `last`, and any handoff."""
        turns = self.turns
        if self.language is not None:
            await turns.language_to(self.language)
        if self.transfer is not None or self.end is not None:
            await self._close_reply()
            data: dict[str, Any]
            if self.transfer is not None:
                data = {
                    "reasonCode": HANDOFF,
                    "reason": self.transfer.reason,
                    "number": self.transfer.number,
                }
            else:
                assert self.end is not None
                data = {"reasonCode": ENDED, "reason": self.end.reason}
            data["say"] = " ".join(self.held)
            data["lang"] = turns.language
            turns.ended = True
            await turns.send({"type": "end", "handoffData": json.dumps(data)})
            return
        await self._flush()
        await self._close_reply()

    async def _close_reply(self) -> None:
        if self.sent:
            await self.turns.send({"type": "text", "token": "", "last": True})
            self.sent = False
