"""Read-side helpers for tests: what the store holds, without a method for it in `Store`."""

from __future__ import annotations

from sqlalchemy import select

from voice_agent.storage import SqlStore
from voice_agent.storage.base import Message, OutboxItem
from voice_agent.storage.sql import messages


async def all_messages(store: SqlStore) -> list[Message]:
    """Every SMS record, oldest first."""
    async with store.engine.connect() as conn:
        rows = (await conn.execute(select(messages).order_by(messages.c.created_at))).all()
    return [Message(**r._asdict()) for r in rows]


async def outbox_item(store: SqlStore, key: str) -> OutboxItem:
    """The outbox item with this idempotency key."""
    (item,) = [i for i in await store.list_outbox() if i.idempotency_key == key]
    return item


async def outbox_by_kind(store: SqlStore, kind: str) -> list[OutboxItem]:
    """Outbox items of one kind, oldest first."""
    return [i for i in await store.list_outbox() if i.kind == kind]
