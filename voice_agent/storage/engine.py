"""Async engines for SQLite (aiosqlite) and PostgreSQL (asyncpg), configured for the store."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from voice_agent.errors import StorageError
from voice_agent.settings import normalise_database_url

SQLITE_BUSY_TIMEOUT_MS = 15_000
SUPPORTED = ("sqlite+aiosqlite", "postgresql+asyncpg")
READ_ONLY = "voice_agent_read_only"  # connection execution option: begin a read transaction
PG_POOL_SIZE = 20  # connections kept per worker: a few hundred calls keep ~10 busy at peaks
PG_POOL_OVERFLOW = 20


def parse_url(database_url: str) -> URL:
    """The URL with its async driver, or `StorageError` for an unsupported database."""
    url = make_url(normalise_database_url(database_url))
    if url.drivername not in SUPPORTED:
        raise StorageError(
            f"unsupported DATABASE_URL scheme {url.drivername!r}; "
            "use sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db"
        )
    return url


def describe_url(database_url: str) -> str:
    """The URL for messages, without its password."""
    return parse_url(database_url).render_as_string(hide_password=True)


def _is_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or "mode=memory" in str(url)


def create_engine(database_url: str, *, schema: str | None = None) -> AsyncEngine:
    """Create the engine for `database_url`.

    SQLite: the data directory is created if missing; each connection uses WAL, a busy
    timeout and foreign keys, and every writing transaction starts with `BEGIN IMMEDIATE` so
    two writers queue on the busy timeout instead of failing on a lock upgrade (reads, marked
    with the `READ_ONLY` execution option, begin DEFERRED and never wait). An in-memory
    database shares one connection (fine for single-task tests, not for concurrency).

    PostgreSQL: `schema`, if given, becomes the connection's `search_path` (tests use a
    fresh schema per session).
    """
    url = parse_url(database_url)
    kwargs: dict[str, Any] = {"hide_parameters": True}
    if url.get_backend_name() == "sqlite":
        if _is_memory(url):
            kwargs["poolclass"] = StaticPool
        elif url.database and not url.database.startswith("file:"):
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **kwargs)
        _configure_sqlite(engine.sync_engine)
        return engine
    if schema:
        kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
    engine = create_async_engine(
        url, pool_size=PG_POOL_SIZE, max_overflow=PG_POOL_OVERFLOW, **kwargs
    )
    event.listen(engine.sync_engine, "checkout", _replace_closed)
    return engine


def _replace_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Pool checkout: a connection the server closed (a restart) is replaced, not handed out.

    asyncpg notices the server's goodbye on its own, so this is a flag read, not the round trip
    of `pool_pre_ping` (which, on a busy event loop, cost every store operation a wait). A
    connection cut without a goodbye still fails its first statement; the pool then drops all
    its connections.
    """
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("connection closed by the server")


def sqlite_writer_engine(engine: AsyncEngine) -> Engine | None:
    """A synchronous engine on the same SQLite file, for the store's writer and reader threads.

    None for PostgreSQL and for in-memory SQLite (one shared connection, see above).
    """
    url = engine.url
    if url.get_backend_name() != "sqlite" or _is_memory(url):
        return None
    writer = create_sync_engine(url.set(drivername="sqlite"), hide_parameters=True)
    _configure_sqlite(writer)
    return writer


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        for pragma in (
            "PRAGMA journal_mode=WAL",
            f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
            "PRAGMA foreign_keys=ON",
            "PRAGMA synchronous=NORMAL",
        ):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        begin = "BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE"
        driver = conn.connection.dbapi_connection
        if not isinstance(driver, sqlite3.Connection):  # aiosqlite: through SQLAlchemy
            conn.exec_driver_sql(begin)
            return
        try:  # straight to the driver: SQLAlchemy's execution costs more than BEGIN itself
            driver.execute(begin)
        except sqlite3.Error as exc:
            raise DBAPIError.instance(begin, (), exc, sqlite3.Error) from exc
