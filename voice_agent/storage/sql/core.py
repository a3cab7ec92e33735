"""`SqlCore`: the engine, transactions and statement helpers every SQL aggregate uses.

Idempotent writes use INSERT … ON CONFLICT DO NOTHING on the unique natural keys (never
check-then-insert), so concurrent deliveries of the same event write exactly once.
`claim_due` leases outbox rows with one UPDATE whose candidates are chosen with
`FOR UPDATE SKIP LOCKED` on PostgreSQL; on SQLite the UPDATE runs under the database's
single write lock and re-checks the due/lease guard, so no two workers get one item.

Every write is one synchronous function of a `Connection` run in one transaction by
`_write`: on PostgreSQL (and in-memory SQLite) through the async engine's `run_sync`. On a
SQLite file it runs right on the calling thread when the database is free (`inline`: no
hand-off, which cost more CPU than the write), and otherwise on this process's single writer
thread (`GroupWriter`, which waits for the lock there, not on the event loop, and commits the
writes queued meanwhile together). The hot point reads of a call (its conversation, a
turn's claim) run the same way (`_read`): here, or on a reader thread when SQLite is busy;
the other reads stay on the async engine (WAL readers never wait for the writer). On
PostgreSQL, one-statement writes and point reads (`_change`, `_row`) run
straight on asyncpg in autocommit (`direct_pg`).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Row, Select, Table, Update, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.expression import Executable

from voice_agent.errors import StorageError
from voice_agent.storage import tables as t
from voice_agent.storage.base import JSON
from voice_agent.storage.engine import READ_ONLY, sqlite_writer_engine
from voice_agent.storage.migrate import SchemaStatus, upgrade_engine
from voice_agent.storage.sql.direct_pg import NOT_PREPARED, DirectPg
from voice_agent.storage.sql.inline import BUSY, InlineSqlite
from voice_agent.storage.sql.prepared import changed, prepared, row
from voice_agent.storage.sql.writer import GroupWriter

conversations = cast(Table, t.ConversationRow.__table__)
turns = cast(Table, t.TurnRow.__table__)
tool_calls = cast(Table, t.ToolCallRow.__table__)
hcp_writes = cast(Table, t.HcpWriteRow.__table__)
outbox = cast(Table, t.OutboxRow.__table__)
messages = cast(Table, t.MessageRow.__table__)
webhook_events = cast(Table, t.WebhookEventRow.__table__)
credentials = cast(Table, t.CredentialRow.__table__)
settings_table = cast(Table, t.SettingRow.__table__)
leases = cast(Table, t.LeaseRow.__table__)
recordings = cast(Table, t.RecordingRow.__table__)
attempts_table = cast(Table, t.AttemptRow.__table__)
opt_outs = cast(Table, t.OptOutRow.__table__)
sms_threads = cast(Table, t.SmsThreadRow.__table__)
dashboard_users = cast(Table, t.DashboardUserRow.__table__)
install_secrets = cast(Table, t.InstallSecretRow.__table__)
own_writes = cast(Table, t.OwnWriteRow.__table__)
texted_schedules = cast(Table, t.TextedScheduleRow.__table__)
digest_marks = cast(Table, t.DigestMarkRow.__table__)
owner_scenarios = cast(Table, t.OwnerScenarioRow.__table__)
scenario_runs = cast(Table, t.ScenarioRunRow.__table__)

T = TypeVar("T")

SQLITE_READERS = 1  # reader threads of a SQLite file


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class SqlCore:
    """One async SQLAlchemy engine with the transaction helpers (see `SqlStore`)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name
        self._postgres = self._dialect == "postgresql"
        # An in-memory SQLite database is one shared connection: one transaction at a time.
        self._serial = asyncio.Lock() if isinstance(engine.pool, StaticPool) else None
        # A SQLite file: this process's writes run one after another on one thread (other
        # processes still queue on SQLite's busy timeout, in that thread, not the event loop).
        self._writer = sqlite_writer_engine(engine)
        self._group = GroupWriter(self._writer) if self._writer else None
        # Hot reads of a SQLite file run whole on a reader thread: one hand-off per read
        # instead of one per driver call through aiosqlite (about 2x less CPU). One thread:
        # a point read takes ~0.1 ms, and more threads only contend with the loop for the GIL.
        self._readers = (
            ThreadPoolExecutor(SQLITE_READERS, thread_name_prefix="sqlite-reader")
            if self._writer
            else None
        )
        # ... and first of all on the calling thread, when the database is free (see `inline`)
        self._inline = InlineSqlite(self._writer) if self._writer else None
        # PostgreSQL: one-statement writes and point reads straight on asyncpg (`direct_pg`)
        asyncpg = self._postgres and engine.dialect.driver == "asyncpg"
        self._direct = DirectPg(engine) if asyncpg else None

    @property
    def engine(self) -> AsyncEngine:
        """The underlying engine (for health checks and tests)."""
        return self._engine

    @asynccontextmanager
    async def _tx(self, *, read_only: bool = False) -> AsyncIterator[AsyncConnection]:
        """An async transaction. Read-only ones (one statement) start DEFERRED on SQLite, so
        they never wait, and run in autocommit on PostgreSQL, saving BEGIN and COMMIT."""
        with storage_errors():
            async with self._serial or nullcontext():
                async with self._engine.connect() as conn:
                    if read_only:
                        autocommit = {"isolation_level": "AUTOCOMMIT"} if self._postgres else {}
                        await conn.execution_options(**{READ_ONLY: True}, **autocommit)
                    async with conn.begin():
                        yield conn

    async def _write(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in one write transaction and return its result.

        A write that has started finishes even if the caller is cancelled meanwhile (it
        cannot be interrupted half-way); one still queued for the SQLite writer thread is
        dropped, as a cancelled async transaction would be.
        """
        if self._group is None:
            async with self._tx() as conn:
                return await conn.run_sync(work)
        with storage_errors():
            if self._inline is not None:  # right here when the database is free
                result = self._inline.write(work)
                if result is not BUSY:
                    await asyncio.sleep(0)  # let the other ready tasks in, as a hand-off would
                    return cast(T, result)
            # `BEGIN IMMEDIATE` … `COMMIT` on the writer thread, shared with the writes
            # queued meanwhile
            return await self._group.run(work)

    async def _change(self, stmt: Executable, params: Mapping[str, Any]) -> bool:
        """Run one INSERT/UPDATE/DELETE of one row as its own transaction; True if it changed
        a row (see `prepared.changed`)."""
        if self._direct is not None:
            with storage_errors():
                done = await self._direct.changed(stmt, params)
            if done is not NOT_PREPARED:
                return bool(done)
        return await self._write(lambda conn: changed(conn, stmt, params))

    async def _row(
        self, stmt: Executable, params: Mapping[str, Any], *, write: bool = False
    ) -> dict[str, Any] | None:
        """Run a query, or with `write` one write with RETURNING as its own transaction: the
        first row by column key, or None (see `prepared.row`)."""
        if self._direct is not None:
            with storage_errors():
                found = await self._direct.row(stmt, params)
            if found is not NOT_PREPARED:
                return cast(dict[str, Any] | None, found)

        def work(conn: Connection) -> dict[str, Any] | None:
            return row(conn, stmt, params)

        return await (self._write(work) if write else self._read(work))

    async def _read(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in one read-only transaction and return its result."""
        if self._readers is None:
            async with self._tx(read_only=True) as conn:
                return await conn.run_sync(work)
        if self._inline is not None:  # right here, unless SQLite is busy
            with storage_errors():
                result = self._inline.read(work)
            if result is not BUSY:
                await asyncio.sleep(0)
                return cast(T, result)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self._read_now, work)

    def _read_now(self, work: Callable[[Connection], T]) -> T:
        """A reader thread's transaction (`BEGIN DEFERRED`: it never waits for the writer);
        taken only when SQLite was busy for the inline read."""
        assert self._writer is not None
        with storage_errors(), self._writer.connect() as conn:
            conn.execution_options(**{READ_ONLY: True})
            with conn.begin():
                return work(conn)

    def _insert_ignore(self, table: Table, keys: list[str], *, returning: bool = False) -> Insert:
        """INSERT … ON CONFLICT (`keys`) DO NOTHING; executed with the row's values."""
        return _insert_ignore(self._dialect, table, tuple(keys), returning)

    async def _insert_or_get(
        self, table: Table, values: dict[str, Any], keys: list[str]
    ) -> tuple[dict[str, Any], bool]:
        """Insert `values` unless a row with the same `keys` exists: the row by column key,
        and if it is new. Two statements: the row cannot go away once it exists."""
        insert = self._insert_ignore(table, keys, returning=True)
        found = await self._row(insert, values, write=True)
        if found is not None:
            return found, True
        found = await self._row(_select_by(table, tuple(keys)), {k: values[k] for k in keys})
        if found is None:
            raise StorageError(f"no {table.name} row with {', '.join(keys)} after a conflict")
        return found, False

    def _upsert(
        self, table: Table, values: dict[str, Any], keys: list[str], *, only: Iterable[str] = ()
    ) -> Insert:
        """Insert `values`, or update the existing row's other columns (or just `only`)."""
        changed = set(only) or set(values) - set(keys)
        changes = {k: v for k, v in values.items() if k in changed}
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

    async def close(self) -> None:
        if self._readers is not None:
            await asyncio.to_thread(self._readers.shutdown)
        if self._inline is not None:
            self._inline.close()
        if self._group is not None and self._writer is not None:
            await asyncio.to_thread(self._group.close)  # queued writes finish
            self._writer.dispose()
        await self._engine.dispose()

    async def _update_one(self, table: Table, row_id: str, values: JSON, what: str) -> None:
        params = {f"new_{k}": v for k, v in values.items()} | {"row_id": row_id}
        if not await self._change(_update_by_id(table, tuple(sorted(values))), params):
            raise StorageError(f"no {what} {row_id}")

    async def _rows_between(
        self, table: Table, column: str, start: datetime, end: datetime, *where: Any
    ) -> Sequence[Row[Any]]:
        """Rows of `table` whose `column` is in [start, end), oldest first."""
        at = table.c[column]
        query = select(table).where(at >= start, at < end, *where).order_by(at, table.c.id)
        async with self._tx(read_only=True) as conn:
            return (await conn.execute(query)).all()


# The statements of a caller turn are built once and executed with their values: building
# and cache-keying a statement costs more CPU than SQLite takes to run it (see `prepared`).


@prepared
def _insert_ignore(dialect: str, table: Table, keys: tuple[str, ...], returning: bool) -> Insert:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(table).on_conflict_do_nothing(index_elements=list(keys))
    return stmt.returning(*table.c) if returning else stmt


@prepared
def _select_by(table: Table, keys: tuple[str, ...]) -> Select[Any]:
    return select(table).where(*(table.c[k] == bindparam(k) for k in keys))


@prepared
def _update_by_id(table: Table, columns: tuple[str, ...]) -> Update:
    """Set `columns` (parameters `new_<column>`) of the row whose id is `row_id`."""
    values = {c: param(table, c, f"new_{c}") for c in columns}
    return update(table).where(table.c.id == bindparam("row_id")).values(values)


def param(table: Table, column: str, name: str | None = None) -> Any:
    """A bound parameter named `name` (default: the column) with the column's type."""
    return bindparam(name or column, type_=table.c[column].type)


@contextlib.contextmanager
def storage_errors() -> Iterator[None]:
    """Database failures inside as `StorageError`: what the driver said, or unreachable."""
    try:
        yield
    except DBAPIError as exc:
        raise storage_error(exc) from exc
    except OSError as exc:
        raise StorageError(f"database unreachable: {exc}") from exc


def storage_error(exc: DBAPIError) -> StorageError:
    return StorageError(f"database error: {type(exc.orig).__name__}: {exc.orig}")
