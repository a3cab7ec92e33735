"""The outbox queue on SQL (leased with one UPDATE; see `SqlOutbox.claim_due`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update

from voice_agent.storage.base import JSON, OutboxItem
from voice_agent.storage.sql.core import SqlCore, new_id, outbox, utc_now


class SqlOutbox(SqlCore):
    """The `OutboxQueue` aggregate."""

    async def enqueue(
        self, kind: str, payload: JSON, *, idempotency_key: str, due_at: datetime | None = None
    ) -> bool:
        now = utc_now()
        values: dict[str, Any] = {
            "id": new_id(),
            "kind": kind,
            "idempotency_key": idempotency_key,
            "payload": payload,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": due_at or now,
            "created_at": now,
        }
        stmt = self._insert_ignore(outbox, ["idempotency_key"])
        return await self._change(stmt, values)

    async def claim_due(
        self, now: datetime, *, worker: str, limit: int = 10, lease_seconds: int = 60
    ) -> list[OutboxItem]:
        """Lease up to `limit` due items to `worker`; each claim counts as one attempt."""
        c = outbox.c
        due = or_(
            and_(c.status == "pending", c.next_attempt_at <= now),
            and_(c.status == "claimed", c.claimed_until <= now),
        )
        candidates = select(c.id).where(due).order_by(c.next_attempt_at, c.id).limit(limit)
        if self._dialect == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        stmt = (
            update(outbox)
            .where(c.id.in_(candidates.scalar_subquery()), due)
            .values(
                status="claimed",
                claimed_by=worker,
                claimed_until=now + timedelta(seconds=lease_seconds),
                attempts=c.attempts + 1,
            )
            .returning(*outbox.c)
        )
        rows = await self._write(lambda conn: conn.execute(stmt).all())
        items = [OutboxItem(**r._asdict()) for r in rows]
        return sorted(items, key=lambda item: (item.next_attempt_at, item.id))

    async def complete(self, item_id: str) -> None:
        values = {"status": "done", "claimed_until": None, "last_error": None}
        await self._update_one(outbox, item_id, values, "outbox item")

    async def retry_later(self, item_id: str, error: str, next_attempt_at: datetime) -> None:
        values: dict[str, Any] = {
            "status": "pending",
            "last_error": error,
            "next_attempt_at": next_attempt_at,
            "claimed_by": None,
            "claimed_until": None,
        }
        await self._update_one(outbox, item_id, values, "outbox item")

    async def give_up(self, item_id: str, error: str) -> None:
        values = {"status": "failed", "last_error": error, "claimed_until": None}
        await self._update_one(outbox, item_id, values, "outbox item")

    async def list_outbox(self, *, status: str | None = None) -> list[OutboxItem]:
        query = select(outbox).order_by(outbox.c.created_at, outbox.c.id)
        if status is not None:
            query = query.where(outbox.c.status == status)
        async with self._tx(read_only=True) as conn:
            rows = (await conn.execute(query)).all()
        return [OutboxItem(**r._asdict()) for r in rows]
