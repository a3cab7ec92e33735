"""Helpers for tests: what the store holds (without a method for it in `Store`), queueing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from voice_agent.outbox import Outbox, SendSms
from voice_agent.storage import SqlStore
from voice_agent.storage.base import Message, OutboxItem
from voice_agent.storage.sql import messages


async def all_messages(store: SqlStore) -> list[Message]:
    """Every SMS record, oldest first."""
    async with store.engine.connect() as conn:
        rows = (await conn.execute(select(messages).order_by(messages.c.created_at))).all()
    return [Message(**r._asdict()) for r in rows]


async def queue_sms(store: SqlStore, *, to: str, body: str, key: str, due_at: datetime) -> bool:
    """Queue one text through the outbox; False when `key` was already queued."""
    return await Outbox(store).put(SendSms(to=to, body=body), idempotency_key=key, due_at=due_at)


async def outbox_item(store: SqlStore, key: str) -> OutboxItem:
    """The outbox item with this idempotency key."""
    (item,) = [i for i in await store.list_outbox() if i.idempotency_key == key]
    return item


async def outbox_by_kind(store: SqlStore, kind: str) -> list[OutboxItem]:
    """Outbox items of one kind, oldest first."""
    return [i for i in await store.list_outbox() if i.kind == kind]
