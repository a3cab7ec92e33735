"""`SqlStore`: the `Store` contract on SQLAlchemy Core, for SQLite and PostgreSQL.

Idempotent writes use INSERT … ON CONFLICT DO NOTHING on the unique natural keys (never
check-then-insert), so concurrent deliveries of the same event write exactly once.
`claim_due` leases outbox rows with one UPDATE whose candidates are chosen with
`FOR UPDATE SKIP LOCKED` on PostgreSQL; on SQLite the UPDATE runs under the database's
single write lock and re-checks the due/lease guard, so no two workers get one item.

Every write is one synchronous function of a `Connection` run in one transaction by
`_write`: on PostgreSQL (and in-memory SQLite) through the async engine's `run_sync`; on a
SQLite file on this process's single writer thread, so a write holds SQLite's one write
lock only for SQLite's own work instead of across several hand-offs to the event loop.
Reads stay on the async engine (WAL readers never wait for the writer).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar, cast

from sqlalchemy import Connection, Row, Table, and_, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.expression import Executable

from voice_agent.errors import StorageError
from voice_agent.storage import tables as t
from voice_agent.storage.base import (
    JSON,
    RECORD_KEY_MARK,
    Channel,
    Conversation,
    CredentialRecord,
    HcpWrite,
    Message,
    NewConversation,
    NewTurn,
    OutboxItem,
    Recording,
    StaleStateError,
    Store,
    ToolCallRecord,
    Turn,
    WebhookEvent,
)
from voice_agent.storage.engine import READ_ONLY, create_engine, sqlite_writer_engine
from voice_agent.storage.migrate import SchemaStatus, upgrade_engine

conversations = cast(Table, t.ConversationRow.__table__)
turns = cast(Table, t.TurnRow.__table__)
tool_calls = cast(Table, t.ToolCallRow.__table__)
hcp_writes = cast(Table, t.HcpWriteRow.__table__)
outbox = cast(Table, t.OutboxRow.__table__)
messages = cast(Table, t.MessageRow.__table__)
webhook_events = cast(Table, t.WebhookEventRow.__table__)
credentials = cast(Table, t.CredentialRow.__table__)
settings_table = cast(Table, t.SettingRow.__table__)
recordings = cast(Table, t.RecordingRow.__table__)
attempts_table = cast(Table, t.AttemptRow.__table__)

CONVERSATION_FIELDS = frozenset(
    {"status", "outcome", "hcp_customer_id", "language", "ended_at", "duration_seconds"}
)


T = TypeVar("T")


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return uuid.uuid4().hex


class SqlStore(Store):
    """The product's storage on one async SQLAlchemy engine (see `open_store`)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name
        # An in-memory SQLite database is one shared connection: one transaction at a time.
        self._serial = asyncio.Lock() if isinstance(engine.pool, StaticPool) else None
        # A SQLite file: this process's writes run one after another on one thread (other
        # processes still queue on SQLite's busy timeout, in that thread, not the event loop).
        self._writer = sqlite_writer_engine(engine)
        self._writer_thread = (
            ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer") if self._writer else None
        )

    @property
    def engine(self) -> AsyncEngine:
        """The underlying engine (for health checks and tests)."""
        return self._engine

    @asynccontextmanager
    async def _tx(self, *, read_only: bool = False) -> AsyncIterator[AsyncConnection]:
        """An async transaction; on SQLite read-only ones start DEFERRED and never wait."""
        try:
            async with self._serial or nullcontext():
                async with self._engine.connect() as conn:
                    if read_only:
                        await conn.execution_options(**{READ_ONLY: True})
                    async with conn.begin():
                        yield conn
        except DBAPIError as exc:
            raise _storage_error(exc) from exc
        except OSError as exc:
            raise StorageError(f"database unreachable: {exc}") from exc

    async def _write(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in one write transaction and return its result.

        On the SQLite writer thread a write that has started finishes even if the caller
        is cancelled meanwhile (it cannot be interrupted half-way); one still queued is
        dropped, as a cancelled async transaction would be.
        """
        if self._writer_thread is None:
            async with self._tx() as conn:
                return await conn.run_sync(work)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer_thread, self._write_now, work)

    def _write_now(self, work: Callable[[Connection], T]) -> T:
        """The writer thread's transaction (`BEGIN IMMEDIATE` … `COMMIT`)."""
        assert self._writer is not None
        try:
            with self._writer.begin() as conn:
                return work(conn)
        except DBAPIError as exc:
            raise _storage_error(exc) from exc
        except OSError as exc:
            raise StorageError(f"database unreachable: {exc}") from exc

    def _insert_ignore(self, table: Table, values: dict[str, Any], keys: list[str]) -> Insert:
        if self._dialect == "postgresql":
            return pg_insert(table).values(values).on_conflict_do_nothing(index_elements=keys)
        return sqlite_insert(table).values(values).on_conflict_do_nothing(index_elements=keys)

    async def _insert_or_get(
        self, table: Table, values: dict[str, Any], keys: list[str]
    ) -> tuple[Row[Any], bool]:
        """Insert `values` unless a row with the same `keys` exists: the row, and if it is new."""
        stmt = self._insert_ignore(table, values, keys).returning(*table.c)
        existing = select(table).where(*(table.c[k] == values[k] for k in keys))

        def work(conn: Connection) -> tuple[Row[Any], bool]:
            row = conn.execute(stmt).first()
            if row is None:  # it exists: read the stored one
                return conn.execute(existing).one(), False
            return row, True

        return await self._write(work)

    def _upsert(self, table: Table, values: dict[str, Any], keys: list[str]) -> Insert:
        changes = {k: v for k, v in values.items() if k not in keys}
        if self._dialect == "postgresql":
            pg = pg_insert(table).values(values)
            return pg.on_conflict_do_update(index_elements=keys, set_=changes)
        lite = sqlite_insert(table).values(values)
        return lite.on_conflict_do_update(index_elements=keys, set_=changes)

    async def migrate(self) -> SchemaStatus:
        """Apply the migrations on this store's own engine (handy for in-memory SQLite)."""
        return await upgrade_engine(self._engine)

    async def ping(self) -> None:
        """Raise `StorageError` unless the database answers."""
        async with self._tx(read_only=True) as conn:
            await conn.execute(select(1))

    # conversations

    async def create_conversation(self, new: NewConversation) -> tuple[Conversation, bool]:
        now = _now()
        values: dict[str, Any] = {
            "id": _new_id(),
            "channel": new.channel,
            "external_id": new.external_id,
            "caller": new.caller,
            "business_number": new.business_number,
            "test_mode": new.test_mode,
            "language": new.language,
            "status": "active",
            "state": {},
            "version": 1,
            "started_at": now,
            "updated_at": now,
        }
        row, created = await self._insert_or_get(conversations, values, ["channel", "external_id"])
        return _conversation(row), created

    async def get_conversation(self, conversation_id: str) -> Conversation | None:
        async with self._tx(read_only=True) as conn:
            query = select(conversations).where(conversations.c.id == conversation_id)
            row = (await conn.execute(query)).first()
        return None if row is None else _conversation(row)

    async def find_conversation(self, channel: Channel, external_id: str) -> Conversation | None:
        async with self._tx(read_only=True) as conn:
            query = select(conversations).where(
                conversations.c.channel == channel, conversations.c.external_id == external_id
            )
            row = (await conn.execute(query)).first()
        return None if row is None else _conversation(row)

    async def save_state(self, conversation_id: str, state: JSON, *, expected_version: int) -> int:
        def work(conn: Connection) -> int:
            version = _save_state(conn, conversation_id, state, expected_version)
            if version is None:
                raise _stale(conn, conversation_id, expected_version)
            return version

        return await self._write(work)

    async def finish_turn(
        self,
        conversation_id: str,
        turn: NewTurn,
        state: JSON,
        *,
        expected_version: int,
        fields: JSON | None = None,
    ) -> int | None:
        fields = dict(fields or {})
        unknown = set(fields) - CONVERSATION_FIELDS
        if unknown:
            raise ValueError(f"cannot update conversation fields {sorted(unknown)}")
        insert_turn = self._turn_insert(conversation_id, turn)

        def work(conn: Connection) -> int | None:
            conn.execute(insert_turn)
            version = _save_state(conn, conversation_id, state, expected_version, fields)
            if version is None:
                stale = _stale(conn, conversation_id, expected_version)
                if not isinstance(stale, StaleStateError):
                    raise stale
            return version  # None: the turn stays recorded; the other writer's state wins

        return await self._write(work)

    async def update_conversation(self, conversation_id: str, **fields: Any) -> None:
        unknown = set(fields) - CONVERSATION_FIELDS
        if unknown:
            raise ValueError(f"cannot update conversation fields {sorted(unknown)}")
        await self._update_one(
            conversations, conversation_id, {**fields, "updated_at": _now()}, "conversation"
        )

    async def list_conversations(
        self, *, limit: int = 50, offset: int = 0, channel: Channel | None = None
    ) -> list[Conversation]:
        c = conversations.c
        query = select(conversations).order_by(c.started_at.desc(), c.id.desc())
        if channel is not None:
            query = query.where(c.channel == channel)
        async with self._tx(read_only=True) as conn:
            rows = (await conn.execute(query.limit(limit).offset(offset))).all()
        return [_conversation(r) for r in rows]

    # turns and tool calls

    async def add_turn(
        self, conversation_id: str, seq: int, role: str, text: str, meta: JSON | None = None
    ) -> bool:
        stmt = self._turn_insert(conversation_id, NewTurn(seq, role, text, meta or {}))
        return await self._write(lambda conn: _changed(conn, stmt))

    def _turn_insert(self, conversation_id: str, turn: NewTurn) -> Insert:
        values: dict[str, Any] = {
            "conversation_id": conversation_id,
            "seq": turn.seq,
            "role": turn.role,
            "text": turn.text,
            "meta": turn.meta or {},
            "created_at": _now(),
        }
        return self._insert_ignore(turns, values, ["conversation_id", "seq", "role"])

    async def update_turn(self, conversation_id: str, seq: int, role: str, *, text: str) -> bool:
        c = turns.c
        stmt = (
            update(turns)
            .where(c.conversation_id == conversation_id, c.seq == seq, c.role == role)
            .values(text=text)
        )
        return await self._write(lambda conn: _changed(conn, stmt))

    async def list_turns(self, conversation_id: str) -> list[Turn]:
        query = (
            select(turns)
            .where(turns.c.conversation_id == conversation_id)
            .order_by(turns.c.seq, turns.c.id)
        )
        async with self._tx(read_only=True) as conn:
            rows = (await conn.execute(query)).all()
        return [
            Turn(
                conversation_id=r.conversation_id,
                seq=r.seq,
                role=r.role,
                text=r.text,
                meta=r.meta,
                created_at=r.created_at,
            )
            for r in rows
        ]

    async def add_tool_call(
        self,
        conversation_id: str,
        turn_seq: int,
        name: str,
        arguments: JSON,
        result: Any,
        error: str | None,
        duration_ms: float,
    ) -> ToolCallRecord:
        record = ToolCallRecord(
            id=_new_id(),
            conversation_id=conversation_id,
            turn_seq=turn_seq,
            name=name,
            arguments=arguments,
            result=result,
            error=error,
            duration_ms=duration_ms,
            created_at=_now(),
        )
        stmt = tool_calls.insert().values(**record.__dict__)
        await self._write(lambda conn: conn.execute(stmt))
        return record

    async def list_tool_calls(self, conversation_id: str) -> list[ToolCallRecord]:
        c = tool_calls.c
        query = (
            select(tool_calls)
            .where(c.conversation_id == conversation_id)
            .order_by(c.created_at, c.turn_seq)
        )
        async with self._tx(read_only=True) as conn:
            rows = (await conn.execute(query)).all()
        return [ToolCallRecord(**r._asdict()) for r in rows]

    # HCP writes

    async def begin_hcp_write(
        self, conversation_id: str | None, operation: str, idempotency_key: str, request: JSON
    ) -> tuple[HcpWrite, bool]:
        now = _now()
        values: dict[str, Any] = {
            "id": _new_id(),
            "conversation_id": conversation_id,
            "operation": operation,
            "idempotency_key": idempotency_key,
            "request": request,
            "status": "pending",
            "created_at": now,
            "updated_at": now,
        }
        row, created = await self._insert_or_get(hcp_writes, values, ["idempotency_key"])
        return HcpWrite(**row._asdict()), created

    async def finish_hcp_write(
        self,
        write_id: str,
        *,
        status: str,
        hcp_id: str | None = None,
        response: JSON | None = None,
        error: str | None = None,
    ) -> None:
        values: dict[str, Any] = {
            "status": status,
            "hcp_id": hcp_id,
            "response": response,
            "error": error,
            "updated_at": _now(),
        }
        await self._update_one(hcp_writes, write_id, values, "HCP write")

    async def list_hcp_writes(self, conversation_id: str) -> list[HcpWrite]:
        c = hcp_writes.c
        query = select(hcp_writes).where(c.conversation_id == conversation_id)
        async with self._tx(read_only=True) as conn:
            rows = (await conn.execute(query.order_by(c.created_at, c.id))).all()
        return [HcpWrite(**r._asdict()) for r in rows]

    # outbox

    async def enqueue(
        self, kind: str, payload: JSON, *, idempotency_key: str, due_at: datetime | None = None
    ) -> bool:
        now = _now()
        values: dict[str, Any] = {
            "id": _new_id(),
            "kind": kind,
            "idempotency_key": idempotency_key,
            "payload": payload,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": due_at or now,
            "created_at": now,
        }
        stmt = self._insert_ignore(outbox, values, ["idempotency_key"])
        return await self._write(lambda conn: _changed(conn, stmt))

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

    # messages

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
            "id": _new_id(),
            "conversation_id": conversation_id,
            "direction": direction,
            "provider_id": provider_id,
            "from_number": from_number,
            "to_number": to_number,
            "body": body,
            "status": status,
            "created_at": _now(),
        }
        if provider_id is None:
            plain = messages.insert().values(values)
            await self._write(lambda conn: conn.execute(plain))
            return Message(**values), True
        row, created = await self._insert_or_get(messages, values, ["provider_id"])
        return Message(**row._asdict()), created

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

    # webhook events

    async def record_webhook_event(
        self, provider: str, event_id: str, kind: str, payload: JSON
    ) -> bool:
        values: dict[str, Any] = {
            "provider": provider,
            "event_id": event_id,
            "kind": kind,
            "payload": payload,
            "received_at": _now(),
        }
        stmt = self._insert_ignore(webhook_events, values, ["provider", "event_id"])
        return await self._write(lambda conn: _changed(conn, stmt))

    async def mark_webhook_processed(
        self, provider: str, event_id: str, error: str | None = None
    ) -> None:
        c = webhook_events.c
        stmt = (
            update(webhook_events)
            .where(c.provider == provider, c.event_id == event_id)
            .values(processed_at=_now(), error=error)
        )
        if not await self._write(lambda conn: _changed(conn, stmt)):
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
        async with self._tx(read_only=True) as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else WebhookEvent(**row._asdict())

    # credentials

    async def put_credential(self, record: CredentialRecord) -> None:
        await self.put_credentials([record])

    async def put_credentials(self, records: Sequence[CredentialRecord]) -> None:
        """Insert or replace several credentials in one transaction (all or none)."""
        stmts = [self._upsert(credentials, _credential_values(r), ["id"]) for r in records]

        def work(conn: Connection) -> None:
            for stmt in stmts:
                conn.execute(stmt)

        await self._write(work)

    async def get_credential(self, service: str) -> CredentialRecord | None:
        query = select(credentials).where(credentials.c.service == service)
        async with self._tx(read_only=True) as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _credential(row)

    async def list_credentials(self) -> list[CredentialRecord]:
        query = select(credentials).order_by(credentials.c.service)
        async with self._tx(read_only=True) as conn:
            rows = (await conn.execute(query)).all()
        return [_credential(r) for r in rows]

    async def delete_credential(self, credential_id: str) -> bool:
        stmt = (
            delete(credentials).where(credentials.c.id == credential_id).returning(credentials.c.id)
        )
        return await self._write(lambda conn: conn.execute(stmt).first() is not None)

    async def touch_credential(self, credential_id: str, used_at: datetime) -> None:
        await self._update_one(credentials, credential_id, {"used_at": used_at}, "credential")

    # settings

    async def get_setting(self, key: str) -> Any | None:
        query = select(settings_table.c.value).where(settings_table.c.key == key)
        async with self._tx(read_only=True) as conn:
            return (await conn.execute(query)).scalar_one_or_none()

    async def set_setting(self, key: str, value: Any) -> None:
        stmt = self._upsert(
            settings_table, {"key": key, "value": value, "updated_at": _now()}, ["key"]
        )
        await self._write(lambda conn: conn.execute(stmt))

    async def all_settings(self) -> JSON:
        query = select(settings_table.c.key, settings_table.c.value).where(
            settings_table.c.key.not_like(f"%{RECORD_KEY_MARK}%")
        )
        async with self._tx(read_only=True) as conn:
            rows = (await conn.execute(query.order_by(settings_table.c.key))).all()
        return {r.key: r.value for r in rows}

    # failed attempts

    async def add_attempt(
        self, scope: str, key: str, at: datetime, *, keep_after: datetime
    ) -> None:
        table = attempts_table
        prune = delete(table).where(and_(table.c.scope == scope, table.c.at < keep_after))
        insert = table.insert().values(scope=scope, key=key, at=at)

        def work(conn: Connection) -> None:
            conn.execute(prune)
            conn.execute(insert)

        await self._write(work)

    async def list_attempts(self, scope: str, key: str, since: datetime) -> list[datetime]:
        table = attempts_table
        query = (
            select(table.c.at)
            .where(and_(table.c.scope == scope, table.c.key == key, table.c.at >= since))
            .order_by(table.c.at)
        )
        async with self._tx(read_only=True) as conn:
            return list((await conn.execute(query)).scalars())

    async def clear_attempts(self, scope: str, key: str) -> None:
        table = attempts_table
        stmt = delete(table).where(and_(table.c.scope == scope, table.c.key == key))
        await self._write(lambda conn: conn.execute(stmt))

    async def close(self) -> None:
        if self._writer_thread is not None and self._writer is not None:
            await asyncio.to_thread(self._writer_thread.shutdown)  # queued writes finish
            self._writer.dispose()
        await self._engine.dispose()

    async def _update_one(self, table: Table, row_id: str, values: JSON, what: str) -> None:
        stmt = update(table).where(table.c.id == row_id).values(values)
        if not await self._write(lambda conn: _changed(conn, stmt)):
            raise StorageError(f"no {what} {row_id}")

    # time ranges

    async def list_conversations_between(
        self, start: datetime, end: datetime
    ) -> list[Conversation]:
        rows = await self._rows_between(conversations, "started_at", start, end)
        return [_conversation(r) for r in rows]

    async def list_hcp_writes_between(self, start: datetime, end: datetime) -> list[HcpWrite]:
        rows = await self._rows_between(hcp_writes, "updated_at", start, end)
        return [HcpWrite(**r._asdict()) for r in rows]

    async def list_outbox_between(
        self, start: datetime, end: datetime, *, status: str | None = None
    ) -> list[OutboxItem]:
        where = () if status is None else (outbox.c.status == status,)
        rows = await self._rows_between(outbox, "next_attempt_at", start, end, *where)
        return [OutboxItem(**r._asdict()) for r in rows]

    async def list_messages_between(
        self, start: datetime, end: datetime, *, direction: Literal["in", "out"] | None = None
    ) -> list[Message]:
        where = () if direction is None else (messages.c.direction == direction,)
        rows = await self._rows_between(messages, "created_at", start, end, *where)
        return [Message(**r._asdict()) for r in rows]

    # call recordings

    async def record_recording(self, recording: Recording) -> bool:
        values = {f: getattr(recording, f) for f in recordings.c.keys()}
        changes = {"status": recording.status, "duration_seconds": recording.duration_seconds}
        insert = self._insert_ignore(recordings, values, ["sid"])
        refresh = (
            update(recordings)
            .where(recordings.c.sid == recording.sid, recordings.c.status != "deleted")
            .values(changes)
        )

        def work(conn: Connection) -> bool:
            if _changed(conn, insert):
                return True
            conn.execute(refresh)
            return False

        return await self._write(work)

    async def list_recordings(self, conversation_id: str) -> list[Recording]:
        query = (
            select(recordings)
            .where(recordings.c.conversation_id == conversation_id)
            .order_by(recordings.c.created_at, recordings.c.sid)
        )
        async with self._tx(read_only=True) as conn:
            rows = (await conn.execute(query)).all()
        return [Recording(**r._asdict()) for r in rows]

    async def get_recording(self, sid: str) -> Recording | None:
        async with self._tx(read_only=True) as conn:
            row = (await conn.execute(select(recordings).where(recordings.c.sid == sid))).first()
        return None if row is None else Recording(**row._asdict())

    async def recordings_before(self, cutoff: datetime, *, limit: int = 100) -> list[Recording]:
        query = (
            select(recordings)
            .where(recordings.c.created_at < cutoff, recordings.c.deleted_at.is_(None))
            .order_by(recordings.c.created_at, recordings.c.sid)
            .limit(limit)
        )
        async with self._tx(read_only=True) as conn:
            rows = (await conn.execute(query)).all()
        return [Recording(**r._asdict()) for r in rows]

    async def mark_recording_deleted(self, sid: str, at: datetime) -> None:
        stmt = (
            update(recordings)
            .where(recordings.c.sid == sid)
            .values(status="deleted", deleted_at=at, media_url="")
        )
        await self._write(lambda conn: _changed(conn, stmt))

    async def _rows_between(
        self, table: Table, column: str, start: datetime, end: datetime, *where: Any
    ) -> Sequence[Row[Any]]:
        """Rows of `table` whose `column` is in [start, end), oldest first."""
        at = table.c[column]
        query = select(table).where(at >= start, at < end, *where).order_by(at, table.c.id)
        async with self._tx(read_only=True) as conn:
            return (await conn.execute(query)).all()


def _changed(conn: Connection, stmt: Executable) -> bool:
    """Run a one-row INSERT/UPDATE; True if it changed a row (its row count, no RETURNING)."""
    return conn.execute(stmt).rowcount > 0


def _save_state(
    conn: Connection,
    conversation_id: str,
    state: JSON,
    expected_version: int,
    fields: JSON | None = None,
) -> int | None:
    """Bump the version if it is `expected_version`, setting `state` and any `fields`."""
    c = conversations.c
    values = {**(fields or {}), "state": state, "version": c.version + 1, "updated_at": _now()}
    stmt = (
        update(conversations)
        .where(c.id == conversation_id, c.version == expected_version)
        .values(values)
        .returning(c.version)
    )
    version = conn.execute(stmt).scalar_one_or_none()
    return None if version is None else int(version)


def _stale(conn: Connection, conversation_id: str, expected_version: int) -> Exception:
    c = conversations.c
    current = conn.execute(select(c.version).where(c.id == conversation_id)).scalar_one_or_none()
    if current is None:
        return StorageError(f"no conversation {conversation_id}")
    return StaleStateError(
        f"conversation {conversation_id} is at version {current}, not {expected_version}"
    )


def _storage_error(exc: DBAPIError) -> StorageError:
    return StorageError(f"database error: {type(exc.orig).__name__}: {exc.orig}")


def _conversation(row: Row[Any]) -> Conversation:
    return Conversation(**row._asdict())


def _credential(row: Row[Any]) -> CredentialRecord:
    values = row._asdict()
    values["allowed_domains"] = tuple(values["allowed_domains"])
    values["ciphertext"] = bytes(values["ciphertext"])
    values["nonce"] = bytes(values["nonce"])
    return CredentialRecord(**values)


def _credential_values(record: CredentialRecord) -> dict[str, Any]:
    values = dict(record.__dict__)
    values["allowed_domains"] = list(record.allowed_domains)
    return values


def open_store(database_url: str, *, schema: str | None = None) -> SqlStore:
    """A `SqlStore` for `database_url` (run `upgrade` first to create the tables).

    `schema` sets the PostgreSQL search path (tests use a throwaway schema).
    """
    return SqlStore(create_engine(database_url, schema=schema))
