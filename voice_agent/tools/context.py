"""What every tool receives: the HCP client, the store, settings, the session and a clock.

Also the two helpers tools share: `hcp_write` (record an HCP write before sending it, replay a
finished one, queue a failed one in the outbox and tell the office) and `notify_office`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import hcp
from voice_agent.engine.session import Session
from voice_agent.settings import Settings
from voice_agent.storage.base import Conversation, Store
from voice_agent.tools.registry import ToolError

log = logging.getLogger(__name__)
T = TypeVar("T")
REFERENCE_TTL_SECONDS = 300.0
QUEUED_SENTENCE = (
    "The system didn't answer in time, so the request is saved and the office will confirm "
    "by text. Tell the caller that honestly; do not say it is booked."
)


class WriteQueuedError(ToolError):
    """An HCP write failed transiently and was queued in the outbox for a retry."""

    def __init__(self, message: str = QUEUED_SENTENCE) -> None:
        super().__init__(message)


class ReferenceCache:
    """Reference data (job types, price list, company) shared by all conversations, with a TTL."""

    def __init__(self, ttl: float = REFERENCE_TTL_SECONDS) -> None:
        self.ttl = ttl
        self._items: dict[str, tuple[float, Any]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, key: str, load: Callable[[], Awaitable[T]]) -> T:
        """The cached value for `key`, loading it when missing or stale."""
        hit = self._items.get(key)
        if hit is not None and time.monotonic() - hit[0] < self.ttl:
            return hit[1]  # type: ignore[no-any-return]
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            hit = self._items.get(key)
            if hit is not None and time.monotonic() - hit[0] < self.ttl:
                return hit[1]  # type: ignore[no-any-return]
            value = await load()
            self._items[key] = (time.monotonic(), value)
            return value


@dataclass
class ToolContext:
    """Injected into every tool; the model never sees it.

    Attributes:
        hcp: The HCP client, already bound to the turn's short per-call timeout.
        store: Where writes, outbox items and notifications are recorded.
        settings: Business profile and limits.
        session: The conversation's server-side session (identity, slots, pending action).
        conversation: The stored conversation record.
        now: The clock (UTC, aware).
        cache: Shared reference-data cache.
        control: Control events (transfer, end) raised by tools this round.
    """

    hcp: hcp.HcpClient
    store: Store
    settings: Settings
    session: Session
    conversation: Conversation
    now: Callable[[], datetime]
    cache: ReferenceCache
    control: list[dict[str, Any]] = field(default_factory=list)

    async def hcp_write(
        self,
        operation: str,
        key: str,
        request: dict[str, Any],
        send: Callable[[], Awaitable[tuple[str, dict[str, Any]]]],
        *,
        recover: Callable[[], Awaitable[tuple[str, dict[str, Any]] | None]] | None = None,
    ) -> tuple[str, dict[str, Any]]:
        """Record, send and finish one HCP write; safe to call again with the same `key`.

        A write left "pending" by an interrupted attempt is first looked for in HCP with
        `recover`, so a retry never creates a second record.

        Returns:
            The HCP id and response of the (possibly earlier) successful write.

        Raises:
            WriteQueuedError: HCP failed transiently; the write is in the outbox.
            ToolError: HCP refused the write.
        """
        write, new = await self.store.begin_hcp_write(self.conversation.id, operation, key, request)
        if not new and write.status == "done" and write.hcp_id:
            return write.hcp_id, dict(write.response or {})
        if not new and write.status == "queued":
            raise WriteQueuedError()
        try:
            found = await recover() if (not new and recover is not None) else None
            hcp_id, response = found if found is not None else await send()
        except ToolError as exc:
            await self.store.finish_hcp_write(write.id, status="failed", error=str(exc))
            raise
        except hcp.HcpError as exc:
            landed = await self._recover(recover)
            if landed is not None:
                await self.store.finish_hcp_write(
                    write.id, status="done", hcp_id=landed[0], response=landed[1]
                )
                return landed
            if exc.retryable:
                await self.store.finish_hcp_write(write.id, status="queued", error=str(exc))
                await self.store.enqueue(
                    "hcp_write",
                    {
                        "write_id": write.id,
                        "operation": operation,
                        "request": request,
                        "conversation_id": self.conversation.id,
                    },
                    idempotency_key=f"hcp_write:{key}",
                )
                await self.notify_office(
                    f"{operation} could not reach Housecall Pro and is queued for retry.",
                    key=f"queued:{key}",
                )
                raise WriteQueuedError() from exc
            await self.store.finish_hcp_write(write.id, status="failed", error=str(exc))
            log.warning("HCP refused %s: %s", operation, exc)
            raise ToolError("The system refused that request. Offer to take a message.") from exc
        await self.store.finish_hcp_write(write.id, status="done", hcp_id=hcp_id, response=response)
        return hcp_id, response

    @staticmethod
    async def _recover(
        recover: Callable[[], Awaitable[tuple[str, dict[str, Any]] | None]] | None,
    ) -> tuple[str, dict[str, Any]] | None:
        """Whether a failed-looking write landed after all (e.g. a timeout after HCP created it)."""
        if recover is None:
            return None
        try:
            return await recover()
        except hcp.HcpError:
            return None

    async def notify_office(self, text: str, *, key: str) -> bool:
        """Queue a notification for the office (sent by the outbox dispatcher)."""
        return await self.store.enqueue(
            "notify_office",
            {
                "conversation_id": self.conversation.id,
                "caller": self.session.caller,
                "text": text,
                "to": self.settings.office_number,
            },
            idempotency_key=f"notify_office:{self.conversation.id}:{key}",
        )
