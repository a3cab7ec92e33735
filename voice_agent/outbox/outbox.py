"""`Outbox.put`: the only way a job gets into the outbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Protocol

from voice_agent.outbox.jobs import Job


class OutboxRows(Protocol):
    """The storage the outbox writes to (one row per idempotency key)."""

    async def enqueue(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        idempotency_key: str,
        due_at: datetime | None = None,
    ) -> bool: ...


class Outbox:
    """Queues typed jobs; the dispatcher hands each to the handler of its kind."""

    def __init__(self, rows: OutboxRows) -> None:
        self._rows = rows

    async def put(
        self, job: Job, *, idempotency_key: str | None = None, due_at: datetime | None = None
    ) -> bool:
        """Queue `job` once per `idempotency_key` (default: a new key, so always queued),
        due at `due_at` (default: now); False when the key was already queued."""
        key = idempotency_key or f"{job.kind}:{uuid.uuid4().hex}"
        return await self._rows.enqueue(
            job.kind, job.to_payload(), idempotency_key=key, due_at=due_at
        )
