"""Store fixtures: every contract test runs on SQLite and on PostgreSQL.

PostgreSQL comes from TEST_DATABASE_URL (default: the local trust-auth `test` database).
An unreachable database fails the PostgreSQL tests; it never skips them. Each session
migrates a throwaway schema and drops it at the end; each test starts from empty tables.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from voice_agent.storage.migrate import upgrade
from voice_agent.storage.sql import SqlStore, open_store
from voice_agent.storage.tables import Base

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

StoreFactory = Callable[[], SqlStore]


def pg_url() -> str:
    """The PostgreSQL test database URL (async driver)."""
    return os.environ.get("TEST_DATABASE_URL", DEFAULT_PG_URL)


def _raw_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _pg_exec(sql: str) -> None:
    conn = await asyncpg.connect(_raw_dsn(pg_url()), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test gets a copy (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    asyncio.run(upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str]:
    """A fresh, migrated PostgreSQL schema for this session, dropped afterwards."""
    schema = f"va_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_pg_exec(f'CREATE SCHEMA "{schema}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        pytest.fail(
            f"PostgreSQL test database {make_url(pg_url()).render_as_string()} is unreachable "
            f"({exc!r}); start it or set TEST_DATABASE_URL"
        )
    try:
        asyncio.run(upgrade(pg_url(), schema=schema))
        yield schema
    finally:
        asyncio.run(_pg_exec(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(params=BACKENDS)
def store_factory(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> StoreFactory:
    """Opens stores (separate engines) on one empty, migrated database of the backend."""
    if request.param == "sqlite":
        path = tmp_path / "store.db"
        shutil.copy(sqlite_template, path)
        return lambda: open_store(f"sqlite+aiosqlite:///{path}")
    schema = request.getfixturevalue("pg_schema")
    names = ", ".join(f'"{schema}"."{t.name}"' for t in Base.metadata.sorted_tables)
    asyncio.run(_pg_exec(f"TRUNCATE {names} CASCADE"))
    return lambda: open_store(pg_url(), schema=schema)


@pytest.fixture
async def store(store_factory: StoreFactory) -> AsyncIterator[SqlStore]:
    """An empty store on each backend."""
    opened = store_factory()
    yield opened
    await opened.close()


@pytest.fixture(params=BACKENDS)
def empty_database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[str, str | None]]:
    """(url, schema) of an empty database on each backend: nothing migrated yet."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'new-dir' / 'fresh.db'}", None
        return
    request.getfixturevalue("pg_schema")  # fails loudly if PostgreSQL is unreachable
    schema = f"va_empty_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_exec(f'CREATE SCHEMA "{schema}"'))
    try:
        yield pg_url(), schema
    finally:
        asyncio.run(_pg_exec(f'DROP SCHEMA "{schema}" CASCADE'))
