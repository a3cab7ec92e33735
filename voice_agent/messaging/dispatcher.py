"""The outbox dispatcher: claims due items and runs the handler registered for their job type.

Each item's stored payload is parsed into its typed job (`voice_agent.outbox.jobs`) before
its handler runs; a payload that does not fit its kind is given up at once with the
validation error on the row (nothing crashes, the row stays visible).

Several workers may run it at once: `Store.claim_due` leases each item to one worker, and a
worker that dies mid-item simply lets its lease expire so another worker picks the item up.
Handlers signal the outcome by returning (done), raising `RetryLater`, or raising `GiveUp`;
any other exception is retried with backoff until `max_attempts`, then given up.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from voice_agent.errors import AgentError
from voice_agent.outbox.jobs import Job, JobError
from voice_agent.storage.base import OutboxItem, Store

log = logging.getLogger(__name__)

J = TypeVar("J", bound=Job)
Handler = Callable[[J, OutboxItem, datetime], Awaitable[None]]
Clock = Callable[[], datetime]

BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
MAX_ATTEMPTS = 10
LEASE_SECONDS = 120
BATCH = 20
MAX_BATCHES = 50
UNKNOWN_KIND_DELAY = timedelta(minutes=5)


class RetryLater(AgentError):
    """Try this item again: at `at` (a deferral, not counted as a failure) or after backoff.

    `not_before` (a provider's Retry-After) is a floor under the backoff: the item is never
    tried earlier, and the rest of this run's items of the same kind wait for it too, so a
    throttled provider is not hit again by every queued item at once.
    """

    def __init__(
        self, reason: str, *, at: datetime | None = None, not_before: datetime | None = None
    ) -> None:
        super().__init__(reason)
        self.at = at
        self.not_before = not_before


class GiveUp(AgentError):
    """Stop trying this item; the reason is recorded on it."""


def backoff_delay(attempts: int, *, jitter: float = 1.0) -> timedelta:
    """Exponential backoff (30 s, 60 s, 120 s, … capped at one hour) times `jitter`."""
    exponent = max(attempts - 1, 0)
    delay: timedelta = min(BASE_DELAY * (2 ** min(exponent, 16)), MAX_DELAY)
    return delay * jitter


def default_jitter() -> float:
    """A factor in [0.8, 1.2] so retries from many items do not arrive together."""
    return random.uniform(0.8, 1.2)


@dataclass
class DispatchReport:
    """What one `run_once` did."""

    done: int = 0
    retried: int = 0
    given_up: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        """Items claimed in this run."""
        return self.done + self.retried + self.given_up + self.skipped


class OutboxDispatcher:
    """Runs due outbox items through handlers registered per kind."""

    def __init__(
        self,
        store: Store,
        *,
        worker: str,
        clock: Clock | None = None,
        lease_seconds: int = LEASE_SECONDS,
        max_attempts: int = MAX_ATTEMPTS,
        jitter: Callable[[], float] = default_jitter,
    ) -> None:
        self._store = store
        self.worker = worker
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lease = lease_seconds
        self._max_attempts = max_attempts
        self._jitter = jitter
        self._handlers: dict[str, tuple[type[Job], Handler[Any]]] = {}
        self._paused: dict[str, datetime] = {}  # kind -> the provider asked us to wait until

    @property
    def kinds(self) -> frozenset[str]:
        """The kinds this dispatcher handles."""
        return frozenset(self._handlers)

    def register(self, job_type: type[J], handler: Handler[J]) -> None:
        """Handle items of `job_type`'s kind with `handler(job, item, now)`."""
        self._handlers[job_type.kind] = (job_type, handler)

    async def run_once(self, now: datetime | None = None) -> DispatchReport:
        """Claim and run every item due at `now` (default: the clock), batch by batch."""
        report = DispatchReport()
        for _ in range(MAX_BATCHES):
            at = now or self._clock()
            items = await self._store.claim_due(
                at, worker=self.worker, limit=BATCH, lease_seconds=self._lease
            )
            if not items:
                break
            for item in items:
                await self._run(item, at, report)
        return report

    async def _run(self, item: OutboxItem, now: datetime, report: DispatchReport) -> None:
        route = self._handlers.get(item.kind)
        if route is None:
            # Not ours (another component's kind): put it back for whoever handles it.
            await self._store.retry_later(
                item.id, f"no handler for {item.kind!r} here", now + UNKNOWN_KIND_DELAY
            )
            report.skipped += 1
            return
        paused = self._paused.get(item.kind)
        if paused is not None and paused > now:  # throttled: wait with the others, no request
            await self._store.retry_later(item.id, "provider asked us to wait", paused)
            report.retried += 1
            return
        job_type, handler = route
        try:
            job = job_type.from_payload(item.payload)
        except JobError as exc:  # a row that fits no handler: keep it, failed, with the reason
            await self._store.give_up(item.id, str(exc)[:500])
            report.given_up += 1
            log.error("outbox %s %s: %s", item.kind, item.id, exc)
            return
        try:
            await handler(job, item, now)
        except RetryLater as exc:
            if exc.at is not None:  # a deliberate deferral (quiet hours, not due yet): no limit
                await self._store.retry_later(item.id, str(exc), exc.at)
                report.retried += 1
                return
            when = now + backoff_delay(item.attempts, jitter=self._jitter())
            if exc.not_before is not None:
                when = max(when, exc.not_before)
                self._paused[item.kind] = max(exc.not_before, self._paused.get(item.kind, now))
            await self._retry_or_give_up(item, str(exc), when, report)
        except GiveUp as exc:
            await self._store.give_up(item.id, str(exc))
            report.given_up += 1
            log.warning("outbox %s %s given up: %s", item.kind, item.id, exc)
        except Exception as exc:
            log.exception("outbox %s %s failed", item.kind, item.id)
            when = now + backoff_delay(item.attempts, jitter=self._jitter())
            reason = f"{type(exc).__name__}: {exc}"[:500]
            report.errors.append(reason)
            await self._retry_or_give_up(item, reason, when, report)
        else:
            await self._store.complete(item.id)
            report.done += 1

    async def _retry_or_give_up(
        self, item: OutboxItem, reason: str, when: datetime, report: DispatchReport
    ) -> None:
        if item.attempts >= self._max_attempts:
            await self._store.give_up(item.id, f"{reason} (after {item.attempts} attempts)")
            report.given_up += 1
            log.warning(
                "outbox %s %s given up after %d attempts", item.kind, item.id, item.attempts
            )
            return
        await self._store.retry_later(item.id, reason, when)
        report.retried += 1
