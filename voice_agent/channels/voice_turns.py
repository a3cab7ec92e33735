"""Running one caller turn through the engine in the background, so Twilio never waits long.

A turn is keyed by CallSid + the turn number carried (signed) in the Gather action URL. Every
request for a turn (the Gather action, a `<Redirect>` continuation, a duplicate delivery)
waits only a short budget on one local task per key, so no storage round trip ever sits
between the caller and the filler. The first delivery's task claims the key in storage
(`record_webhook_event`, unique per key) and runs the engine turn; a task that finds the key
claimed elsewhere (another delivery, another worker) follows the claim until it is finished,
then takes the engine's replay of the stored reply (a repeated `turn_key` runs no tool
again). A claim left unfinished past `stale_after` (its worker died) is re-run from the
stored caller text with the same key.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from voice_agent.engine.events import (
    EndConversation,
    Event,
    FallbackTaken,
    LanguageIs,
    ToolStarted,
    Transfer,
    collect,
)
from voice_agent.storage.base import Conversation, NewConversation, Store

log = logging.getLogger(__name__)

PROVIDER = "twilio"
TURN_EVENT = "voice.turn"
TURN_LIMIT_SECONDS = 15.0  # hard stop for one engine turn (the engine's own bound is 12 s)
STALE_AFTER_SECONDS = 16.0  # an unfinished claim this old belongs to a dead worker
SHUTDOWN_GRACE_SECONDS = 5.0  # on shutdown, running turns get this long to finish
POLL_SECONDS = 0.1  # how often a follower re-reads a claim held elsewhere
RETAIN_SECONDS = 120.0  # finished local results kept for continuations and duplicates
PRUNE_STEPS = 8  # at most this many old turns dropped per new one (they start one by one)


_waits: ContextVar[list[float] | None] = ContextVar("voice_engine_waits", default=None)


@contextmanager
def engine_wait_meter() -> Iterator[list[float]]:
    """Collect the seconds the current request spends waiting on the engine (benchmarks).

    Server overhead of a webhook = its wall time minus the sum of these waits.
    """
    waits: list[float] = []
    token = _waits.set(waits)
    try:
        yield waits
    finally:
        _waits.reset(token)


def note_engine_wait(seconds: float) -> None:
    """Add `seconds` of waiting on the engine to the current request's meter, if any."""
    waits = _waits.get()
    if waits is not None:
        waits.append(seconds)


class StartResultLike(Protocol):
    """What `DialogueEngine.start` returns."""

    @property
    def greeting(self) -> str: ...

    @property
    def conversation(self) -> Conversation: ...


class VoiceEngine(Protocol):
    """The two engine methods the voice channel uses."""

    async def start(self, new: NewConversation) -> StartResultLike: ...

    def respond(
        self, conversation_id: str, user_text: str, *, turn_key: str | None = None
    ) -> AsyncIterator[Event]: ...


@dataclass(frozen=True)
class TurnOutcome:
    """What one engine turn produced, reduced to what the phone line needs."""

    text: str
    transfer_to: str | None = None
    transfer_reason: str | None = None
    end_reason: str | None = None
    fallback: bool = False
    tools: tuple[str, ...] = ()
    failed: bool = False
    language: str | None = None  # the caller's language after the turn, if known


async def run_turn(events: AsyncIterator[Event]) -> TurnOutcome:
    """Drain a turn's events into a `TurnOutcome`."""
    text, seen = await collect(events)
    transfer = next((e for e in seen if isinstance(e, Transfer)), None)
    end = next((e for e in seen if isinstance(e, EndConversation)), None)
    language = next((e for e in reversed(seen) if isinstance(e, LanguageIs)), None)
    return TurnOutcome(
        text=text,
        transfer_to=transfer.number if transfer else None,
        transfer_reason=transfer.reason if transfer else None,
        end_reason=end.reason if end else None,
        fallback=any(isinstance(e, FallbackTaken) for e in seen),
        tools=tuple(e.name for e in seen if isinstance(e, ToolStarted)),
        language=language.language if language else None,
    )


@dataclass
class _Running:
    task: asyncio.Task[TurnOutcome]
    finished_at: float | None = None


class TurnRunner:
    """Starts engine turns once per key and hands their outcome to whoever asks."""

    def __init__(
        self,
        engine: VoiceEngine,
        store: Store,
        *,
        turn_limit: float | None = None,
        stale_after: float | None = None,
    ) -> None:
        self._engine = engine
        self._store = store
        self._turn_limit = TURN_LIMIT_SECONDS if turn_limit is None else turn_limit
        self._stale_after = STALE_AFTER_SECONDS if stale_after is None else stale_after
        self._running: dict[str, _Running] = {}
        self._latest: dict[str, asyncio.Task[TurnOutcome]] = {}  # conversation -> last turn

    def submit(self, conversation_id: str, key: str, text: str, meta: dict[str, str]) -> None:
        """Start turn `key` (claim, then run) unless this process already has a task for it.

        A turn submitted while the conversation's previous turn still runs is kept and runs
        after it (its own time limit starts then), so the caller's words are never dropped.
        """
        if key not in self._running:
            payload = {"conversation_id": conversation_id, "text": text, **meta}
            previous = self._latest.get(conversation_id)
            work = self._claim_and_run(conversation_id, key, text, payload, previous)
            task = self._latest[conversation_id] = self._start(key, work).task
            task.add_done_callback(lambda _: self._forget_latest(conversation_id, task))

    async def outcome(self, conversation_id: str, key: str, timeout: float) -> TurnOutcome | None:
        """The turn's outcome, waiting at most `timeout` seconds; None if not ready yet.

        Without a local task (a continuation on another worker, or after a restart) one is
        started that follows the stored claim.
        """
        running = self._running.get(key)
        if running is None:
            running = self._start(key, self._follow(conversation_id, key))
        waited = time.monotonic()
        try:
            return await asyncio.wait_for(asyncio.shield(running.task), timeout)
        except TimeoutError:
            return None
        finally:
            note_engine_wait(time.monotonic() - waited)

    def task(self, key: str) -> asyncio.Task[TurnOutcome] | None:
        """The task running turn `key` in this process, if any."""
        running = self._running.get(key)
        return running.task if running else None

    async def aclose(self) -> None:
        """Shutdown: let running turns finish briefly, then cancel (another worker re-runs them)."""
        tasks = [r.task for r in self._running.values() if not r.task.done()]
        if tasks:
            await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE_SECONDS)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._running.clear()

    def _start(self, key: str, work: Coroutine[Any, Any, TurnOutcome]) -> _Running:
        self._prune()
        task = asyncio.create_task(work, name=f"voice-turn {key}")
        running = _Running(task)
        self._running[key] = running
        task.add_done_callback(lambda _: setattr(running, "finished_at", time.monotonic()))
        return running

    async def _claim_and_run(
        self,
        conversation_id: str,
        key: str,
        text: str,
        payload: dict[str, str],
        previous: asyncio.Task[TurnOutcome] | None = None,
    ) -> TurnOutcome:
        try:
            claimed = await self._store.record_webhook_event(PROVIDER, key, TURN_EVENT, payload)
        except Exception:
            log.exception("could not claim voice turn %s", key)
            return TurnOutcome(text="", failed=True)
        if claimed:
            if previous is not None and not previous.done():
                await asyncio.wait([previous], timeout=self._turn_limit)
            return await self._run(conversation_id, key, text)
        return await self._follow(conversation_id, key)

    async def _follow(self, conversation_id: str, key: str) -> TurnOutcome:
        """Wait for a claim held elsewhere to finish, then replay it (or re-run it if stale)."""
        while True:
            try:
                pending = await self._pending_claim(key)
            except Exception:
                log.exception("could not read voice turn %s", key)
                return TurnOutcome(text="", failed=True)
            if pending is None:  # finished elsewhere (or never claimed): the engine replays
                return await self._run(conversation_id, key, "")
            if self._is_stale(pending[1]):
                log.warning("voice turn %s abandoned by its worker; running it again", key)
                return await self._run(conversation_id, key, pending[0])
            await asyncio.sleep(POLL_SECONDS)

    async def _run(self, conversation_id: str, key: str, text: str) -> TurnOutcome:
        error: str | None = None
        try:
            async with asyncio.timeout(self._turn_limit):
                result = await run_turn(self._engine.respond(conversation_id, text, turn_key=key))
        except TimeoutError:
            log.error("voice turn %s exceeded %.0f s", key, self._turn_limit)
            error, result = "timeout", TurnOutcome(text="", failed=True)
        except Exception:
            log.exception("voice turn %s failed", key)
            error, result = "engine error", TurnOutcome(text="", failed=True)
        try:
            await self._store.mark_webhook_processed(PROVIDER, key, error)
        except Exception:
            log.exception("could not mark voice turn %s processed", key)
        return result

    async def _pending_claim(self, key: str) -> tuple[str, datetime] | None:
        """(caller text, received_at) of an unfinished claim for `key`, else None."""
        event = await self._store.get_webhook_event(PROVIDER, key)
        if event is None or event.processed_at is not None:
            return None
        return str(event.payload.get("text", "")), event.received_at

    def _is_stale(self, received_at: datetime) -> bool:
        if received_at.tzinfo is None:
            received_at = received_at.replace(tzinfo=UTC)
        return datetime.now(UTC) - received_at > timedelta(seconds=self._stale_after)

    def _forget_latest(self, conversation_id: str, task: asyncio.Task[TurnOutcome]) -> None:
        if self._latest.get(conversation_id) is task:
            del self._latest[conversation_id]

    def _prune(self) -> None:
        """Drop turns finished over `RETAIN_SECONDS` ago, oldest started first, stopping at
        the first one still kept (a few steps per start, not a walk over every turn)."""
        cutoff = time.monotonic() - RETAIN_SECONDS
        for key, running in list(itertools.islice(self._running.items(), PRUNE_STEPS)):
            if running.finished_at is None or running.finished_at >= cutoff:
                break
            del self._running[key]
