"""SMS records and webhook deliveries on SQL."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import Update, bindparam, select, update

from voice_agent.errors import StorageError
from voice_agent.storage.base import JSON, Message, WebhookEvent
from voice_agent.storage.sql.core import (
    SqlCore,
    messages,
    new_id,
    param,
    utc_now,
    webhook_events,
)
from voice_agent.storage.sql.prepared import prepared


class SqlMessages(SqlCore):
    """The `Messages` aggregate."""

    async def record_message(
        self,
        *,
        direction: Literal["in", "out"],
        from_number: str,
        to_number: str,
        body: str,
        status: str,
        provider_id: str | None = None,
        conversation_id: str | None = None,
    ) -> tuple[Message, bool]:
        values: dict[str, Any] = {
            "id": new_id(),
            "conversation_id": conversation_id,
            "direction": direction,
            "provider_id": provider_id,
            "from_number": from_number,
            "to_number": to_number,
            "body": body,
            "status": status,
            "created_at": utc_now(),
        }
        if provider_id is None:
            plain = messages.insert().values(values)
            await self._write(lambda conn: conn.execute(plain))
            return Message(**values), True
        row, created = await self._insert_or_get(messages, values, ["provider_id"])
        return Message(**row), created

    async def update_message_status(self, provider_id: str, status: str) -> bool:
        stmt = (
            update(messages)
            .where(messages.c.provider_id == provider_id)
            .values(status=status)
            .returning(messages.c.id)
        )
        return await self._write(lambda conn: conn.execute(stmt).first() is not None)

    async def list_messages(self, conversation_id: str) -> list[Message]:
        c = messages.c
        query = select(messages).where(c.conversation_id == conversation_id)
        async with self._tx(read_only=True) as conn:
            rows = (await conn.execute(query.order_by(c.created_at, c.id))).all()
        return [Message(**r._asdict()) for r in rows]


class SqlWebhookEvents(SqlCore):
    """The `WebhookEvents` aggregate."""

    async def record_webhook_event(
        self, provider: str, event_id: str, kind: str, payload: JSON
    ) -> bool:
        values: dict[str, Any] = {
            "provider": provider,
            "event_id": event_id,
            "kind": kind,
            "payload": payload,
            "received_at": utc_now(),
        }
        return await self._change(
            self._insert_ignore(webhook_events, ["provider", "event_id"]), values
        )

    async def mark_webhook_processed(
        self, provider: str, event_id: str, error: str | None = None
    ) -> None:
        values = {
            "event_provider": provider,
            "event_key": event_id,
            "at": utc_now(),
            "failure": error,
        }
        if not await self._change(_mark_processed(), values):
            raise StorageError(f"no {provider} webhook event {event_id}")

    async def list_unprocessed_webhooks(self, provider: str) -> list[WebhookEvent]:
        c = webhook_events.c
        query = (
            select(webhook_events)
            .where(c.provider == provider, c.processed_at.is_(None))
            .order_by(c.received_at, c.event_id)
        )
        async with self._tx(read_only=True) as conn:
            rows = (await conn.execute(query)).all()
        return [WebhookEvent(**r._asdict()) for r in rows]

    async def get_webhook_event(self, provider: str, event_id: str) -> WebhookEvent | None:
        c = webhook_events.c
        query = select(webhook_events).where(c.provider == provider, c.event_id == event_id)
        row = await self._read(lambda conn: conn.execute(query).first())
        return None if row is None else WebhookEvent(**row._asdict())


@prepared
def _mark_processed() -> Update:
    """Mark a webhook event processed (built once, executed with its values; see `core`)."""
    c = webhook_events.c
    return (
        update(webhook_events)
        .where(c.provider == bindparam("event_provider"), c.event_id == bindparam("event_key"))
        .values(
            processed_at=param(webhook_events, "processed_at", "at"),
            error=param(webhook_events, "error", "failure"),
        )
    )
