"""`Operations`: the dependencies every HCP business operation shares, for one caller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hcp import HcpClient
from voice_agent.operations.cache import ReferenceCache
from voice_agent.operations.journal import Recover, Result, Send, WriteJournal, utcnow
from voice_agent.outbox import NotifyOffice, Outbox
from voice_agent.settings import Settings
from voice_agent.storage.base import Store


@dataclass
class Operations:
    """One caller's (or one worker's) handle on the domain operations.

    Build one per turn (voice, test line, SMS agent) or per task (SMS replies, follow-ups).
    Every write it makes goes through `journal`, so it is recorded before it is sent and
    sent at most once per idempotency key, whichever channel asks.

    Attributes:
        hcp: The HCP client (bound to the caller's short timeouts on a call).
        store: Journal, outbox, leases.
        settings: Business profile (lead source, tag, office number, time zone).
        journal: The write journal for this owner.
        cache: Reference data shared across conversations (employees, job types, ...).
        conversation_id: The conversation the work belongs to, if any.
        caller: The caller's number (E.164), for office notices and texts.
        now: The business clock (aware UTC).
    """

    hcp: HcpClient
    store: Store
    settings: Settings
    journal: WriteJournal
    cache: ReferenceCache = field(default_factory=ReferenceCache)
    conversation_id: str | None = None
    caller: str = ""
    now: Callable[[], datetime] = utcnow

    @classmethod
    def build(
        cls,
        *,
        hcp_client: HcpClient,
        store: Store,
        settings: Settings,
        conversation_id: str | None = None,
        caller: str = "",
        cache: ReferenceCache | None = None,
        now: Callable[[], datetime] = utcnow,
        owner: str | None = None,
        still_current: Callable[[], Awaitable[bool]] | None = None,
        busy_wait: float = 0.0,
    ) -> Operations:
        """Operations with their own journal (the usual way to make one)."""
        journal = WriteJournal(
            store, conversation_id, still_current=still_current, busy_wait=busy_wait
        )
        if owner is not None:
            journal.owner = owner
        ops = cls(
            hcp=hcp_client,
            store=store,
            settings=settings,
            journal=journal,
            cache=cache or ReferenceCache(),
            conversation_id=conversation_id,
            caller=caller,
            now=now,
        )
        journal.on_queued = ops._queued
        return ops

    async def write(
        self,
        operation: str,
        key: str,
        request: dict[str, Any],
        send: Send,
        *,
        recover: Recover | None = None,
    ) -> Result:
        """One HCP write through the journal (see `WriteJournal.write`)."""
        return await self.journal.write(operation, key, request, send, recover=recover)

    async def notify_office(self, text: str, *, key: str, per_conversation: bool = True) -> bool:
        """Queue one notice for the office (once per `key`, within this conversation unless
        `per_conversation` is False); False if it was queued before."""
        scope = (self.conversation_id if per_conversation else None) or "system"
        return await Outbox(self.store).put(
            NotifyOffice(text=text, conversation_id=self.conversation_id, caller=self.caller),
            idempotency_key=f"notify_office:{scope}:{key}",
        )

    async def _queued(self, operation: str, key: str) -> None:
        await self.notify_office(
            f"{operation} could not reach Housecall Pro and is queued for retry.",
            key=f"queued:{key}",
        )
