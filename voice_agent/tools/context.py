"""What every tool receives: the HCP client, the store, settings, the session and a clock.

Tools are thin adapters over `voice_agent.operations`: `ctx.ops` is the conversation's handle
on the domain layer (and its write journal); `hcp_write` and `notify_office` are kept as
shortcuts to it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import hcp
from voice_agent.engine.session import Session
from voice_agent.operations import Operations, ReferenceCache, WriteQueuedError
from voice_agent.operations.journal import Recover, Result
from voice_agent.settings import Settings
from voice_agent.storage.base import Conversation, Store

__all__ = ["ReferenceCache", "ToolContext", "WriteQueuedError"]


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
        ops: The domain operations for this turn (writes go through its journal).
        control: Control events (transfer, end) raised by tools this round.
    """

    hcp: hcp.HcpClient
    store: Store
    settings: Settings
    session: Session
    conversation: Conversation
    now: Callable[[], datetime]
    cache: ReferenceCache
    ops: Operations | None = None
    control: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.ops is None:
            self.ops = Operations.build(
                hcp_client=self.hcp,
                store=self.store,
                settings=self.settings,
                conversation_id=self.conversation.id,
                caller=self.session.caller,
                cache=self.cache,
                now=self.now,
            )

    @property
    def operations(self) -> Operations:
        """The domain operations (always set after construction)."""
        assert self.ops is not None
        return self.ops

    async def hcp_write(
        self,
        operation: str,
        key: str,
        request: dict[str, Any],
        send: Callable[[], Awaitable[Result]],
        *,
        recover: Recover | None = None,
    ) -> Result:
        """One HCP write through the conversation's journal (see `WriteJournal.write`)."""
        return await self.operations.write(operation, key, request, send, recover=recover)

    async def notify_office(self, text: str, *, key: str) -> bool:
        """Queue a notification for the office (sent by the outbox dispatcher)."""
        return await self.operations.notify_office(text, key=key)
