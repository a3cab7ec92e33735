"""What the engine needs of its tools: a `Toolbox`, the `ToolContext` it hands them, the outcome.

The engine defines this seam and the tools implement it (`voice_agent.tools.ToolRegistry`); the
application wiring hands the engine its toolbox, so the engine never imports the tools. Tools
are thin adapters over `voice_agent.operations`: `ctx.operations` is the conversation's handle
on the domain layer (and its write journal); `hcp_write` and `notify_office` are shortcuts to it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import hcp
from voice_agent.engine.messages import ToolSchema
from voice_agent.engine.session import Session
from voice_agent.operations import Operations, ReferenceCache
from voice_agent.operations.journal import Recover, Result
from voice_agent.settings import Settings
from voice_agent.storage.base import Conversation, Store

ToolResult = str | dict[str, Any]


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
        operations: The domain operations for this turn (writes go through its journal).
        control: Control events (transfer, end) raised by tools this round.
    """

    hcp: hcp.HcpClient
    store: Store
    settings: Settings
    session: Session
    conversation: Conversation
    now: Callable[[], datetime]
    cache: ReferenceCache
    operations: Operations
    control: list[dict[str, Any]] = field(default_factory=list)

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


@dataclass(frozen=True)
class ToolOutcome:
    """What running a tool produced: a JSON-safe result or an error sentence."""

    name: str
    arguments: dict[str, Any]
    result: ToolResult | None
    error: str | None
    duration_ms: float

    def for_model(self) -> str:
        """The tool message content the model sees."""
        if self.error is not None:
            return json.dumps({"error": self.error})
        if isinstance(self.result, str):
            return self.result
        return json.dumps(self.result, default=str)


class RunnableTool(Protocol):
    """One tool as the engine runs it."""

    @property
    def writes(self) -> bool:
        """Whether it has side effects (the engine runs these one at a time per turn)."""
        ...

    async def run(self, ctx: ToolContext, raw_arguments: str) -> ToolOutcome:
        """Validate the model's raw JSON arguments, call the tool, never raise."""
        ...


class Toolbox(Protocol):
    """The tools the engine may offer the model, by name."""

    def get(self, name: str) -> RunnableTool | None:
        """The tool called `name`, if any."""
        ...

    def schemas(self, names: Iterable[str] | None = None) -> list[ToolSchema]:
        """Schemas of the named tools (all when `names` is None)."""
        ...
