"""The write journal: every HCP write from every channel, exactly once.

A write is recorded (keyed by its idempotency key) and leased to its owner before it is
sent. While the owner's lease is live nobody else sends it: a second caller of the same key
waits for the result and gets the same answer. Only a write whose lease expired (its owner
died or was cancelled mid-send) is taken over, and then HCP is asked first whether it landed
(`recover`) before anything is sent again. Transient failures go to the outbox; a 429 is
waited out once when the wait fits the caller's silence budget.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import hcp
from hcp._retry import parse_retry_after
from voice_agent.operations.errors import (
    IN_FLIGHT,
    REFUSED,
    HcpBusyError,
    OperationError,
    StaleTurnError,
    WriteQueuedError,
)
from voice_agent.outbox import Outbox, RetryHcpWrite
from voice_agent.storage.base import HcpWrite, Store

log = logging.getLogger(__name__)

Result = tuple[str, dict[str, Any]]
Send = Callable[[], Awaitable[Result]]
Recover = Callable[[], Awaitable[Result | None]]
WRITE_LEASE_SECONDS = 30.0
WAIT_SECONDS = 5.0  # longest wait for another owner's write in flight before saying so
POLL_SECONDS = 0.05


def utcnow() -> datetime:
    """Wall-clock UTC (leases always use real time, whatever the business clock says)."""
    return datetime.now(UTC)


def retry_after_seconds(exc: BaseException) -> float | None:
    """The Retry-After of an HCP error response, in seconds, if it carried one."""
    headers = getattr(exc, "headers", None)
    if headers is None:
        return None
    return parse_retry_after(headers.get("retry-after"))


@dataclass
class WriteJournal:
    """Records, leases, sends and finishes HCP writes for one owner (a turn, a worker).

    Attributes:
        store: Where writes, outbox items and office notices are recorded.
        conversation_id: The conversation the writes belong to, if any.
        owner: This turn's (or worker's) id; each write gets its own lease under it.
        still_current: Fencing: False once another turn owns the conversation (no write then).
        busy_wait: Longest 429 wait within the caller's silence budget (0: never wait).
        lease_seconds: How long a write's owner keeps it without finishing.
        wait_seconds: Longest wait for another owner's write in flight.
        sleep: Injectable for tests.
    """

    store: Store
    conversation_id: str | None
    owner: str = field(default_factory=lambda: uuid.uuid4().hex)
    still_current: Callable[[], Awaitable[bool]] | None = None
    busy_wait: float = 0.0
    lease_seconds: float = WRITE_LEASE_SECONDS
    wait_seconds: float = WAIT_SECONDS
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    on_queued: Callable[[str, str], Awaitable[None]] | None = None

    async def write(
        self,
        operation: str,
        key: str,
        request: dict[str, Any],
        send: Send,
        *,
        recover: Recover | None = None,
    ) -> Result:
        """Send one HCP write at most once; safe to call again (or concurrently) with `key`.

        Returns:
            The HCP id and response of the (possibly earlier) successful write.

        Raises:
            WriteQueuedError: HCP failed transiently (HcpBusyError for 429); queued.
            StaleTurnError: The turn lost the conversation; nothing was sent.
            OperationError: HCP refused it, or another owner is still sending it.
        """
        if self.still_current is not None and not await self.still_current():
            raise StaleTurnError()
        mine = f"{self.owner}:{uuid.uuid4().hex[:8]}"
        write, new = await self.store.begin_hcp_write(
            self.conversation_id, operation, key, request, owner=mine, lease_until=self._lease()
        )
        taken_over = False
        if not new:
            settled = await self._settle(write, mine)
            if isinstance(settled, tuple):
                return settled
            write, taken_over = settled, True
        return await self._send(write, operation, request, send, recover, taken_over)

    async def _settle(self, write: HcpWrite, mine: str) -> Result | HcpWrite:
        """An existing write: its result, or the write leased to us (after its owner let go)."""
        deadline = asyncio.get_running_loop().time() + self.wait_seconds
        current: HcpWrite | None = write
        while True:
            if current is None:
                raise OperationError(REFUSED)
            if current.status == "done" and current.hcp_id:
                return current.hcp_id, dict(current.response or {})
            if current.status == "queued":
                raise WriteQueuedError()
            if not current.leased(utcnow()):
                claimed = await self.store.claim_hcp_write(
                    current.id, mine, now=utcnow(), lease_until=self._lease()
                )
                if claimed is not None:
                    return claimed
            elif asyncio.get_running_loop().time() > deadline:
                raise OperationError(IN_FLIGHT)
            await self.sleep(POLL_SECONDS)
            current = await self.store.get_hcp_write(current.idempotency_key)

    async def _send(
        self,
        write: HcpWrite,
        operation: str,
        request: dict[str, Any],
        send: Send,
        recover: Recover | None,
        taken_over: bool,
    ) -> Result:
        try:
            found = await recover() if (taken_over and recover is not None) else None
            result = found if found is not None else await self._send_once(send)
        except OperationError as exc:
            await self.store.finish_hcp_write(write.id, status="failed", error=str(exc))
            raise
        except hcp.HcpError as exc:
            landed = await _quietly(recover)
            if landed is not None:
                await self._done(write, landed)
                return landed
            if exc.retryable:
                await self._queue(write, operation, request, exc)
                busy = isinstance(exc, hcp.HcpRateLimitError)
                raise (HcpBusyError() if busy else WriteQueuedError()) from exc
            await self.store.finish_hcp_write(write.id, status="failed", error=str(exc)[:500])
            log.warning("HCP refused %s: %s", operation, exc)
            raise OperationError(REFUSED) from exc
        await self._done(write, result)
        return result

    async def _send_once(self, send: Send) -> Result:
        """`send()`; a 429 whose Retry-After fits the silence budget is waited out once."""
        try:
            return await send()
        except hcp.HcpRateLimitError as exc:
            wait = retry_after_seconds(exc)
            if wait is None or wait > self.busy_wait:
                raise
            await self.sleep(wait)
            return await send()

    async def _done(self, write: HcpWrite, result: Result) -> None:
        await self.store.finish_hcp_write(
            write.id, status="done", hcp_id=result[0], response=result[1]
        )

    async def _queue(
        self, write: HcpWrite, operation: str, request: dict[str, Any], exc: hcp.HcpError
    ) -> None:
        await self.store.finish_hcp_write(write.id, status="queued", error=str(exc)[:500])
        wait = retry_after_seconds(exc)
        due = utcnow() + timedelta(seconds=wait) if wait else None
        await Outbox(self.store).put(
            RetryHcpWrite(
                operation=operation,
                request=request,
                write_id=write.id,
                conversation_id=self.conversation_id,
            ),
            idempotency_key=f"hcp_write:{write.idempotency_key}",
            due_at=due,
        )
        if self.on_queued is not None:
            await self.on_queued(operation, write.idempotency_key)

    def _lease(self) -> datetime:
        return utcnow() + timedelta(seconds=self.lease_seconds)


async def _quietly(recover: Recover | None) -> Result | None:
    """Whether a failed-looking write landed after all (e.g. a timeout after HCP created it)."""
    if recover is None:
        return None
    try:
        return await recover()
    except hcp.HcpError:
        return None
