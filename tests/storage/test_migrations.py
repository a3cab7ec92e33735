"""Migrations: they build exactly the schema the models describe, on both backends."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from voice_agent.errors import StorageError
from voice_agent.storage.base import NewConversation
from voice_agent.storage.engine import create_engine
from voice_agent.storage.migrate import alembic_config, head_revision, schema_status, upgrade
from voice_agent.storage.sql import open_store
from voice_agent.storage.tables import Base

Database = tuple[str, str | None]


async def _run(database: Database, fn: Any) -> Any:
    url, schema = database
    engine = create_engine(url, schema=schema)
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(fn)
    finally:
        await engine.dispose()


def _diffs(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_upgrade_creates_every_table_then_is_a_no_op(empty_database: Database) -> None:
    url, schema = empty_database
    before = await schema_status(url, schema=schema)
    assert before.current is None and not before.up_to_date

    first = await upgrade(url, schema=schema)
    assert (first.before, first.current) == (None, head_revision())
    again = await upgrade(url, schema=schema)
    assert (again.before, again.current) == (head_revision(), head_revision())
    assert (await schema_status(url, schema=schema)).up_to_date

    tables = await _run(empty_database, lambda c: set(inspect(c).get_table_names()))
    assert set(Base.metadata.tables) | {"alembic_version"} == tables


async def test_migrated_schema_matches_the_models(empty_database: Database) -> None:
    url, schema = empty_database
    await upgrade(url, schema=schema)
    assert await _run(empty_database, _diffs) == []


async def test_downgrade_to_base_and_back(empty_database: Database) -> None:
    url, schema = empty_database
    await upgrade(url, schema=schema)

    def downgrade(connection: Connection) -> list[str]:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
        return [t for t in inspect(connection).get_table_names() if t != "alembic_version"]

    assert await _run(empty_database, downgrade) == []
    assert (await upgrade(url, schema=schema)).current == head_revision()


async def test_upgrade_creates_the_sqlite_data_directory(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "voice-agent.db"
    await upgrade(f"sqlite:///{path}")
    assert path.is_file()


async def test_unsupported_or_unreachable_databases_raise_storage_error() -> None:
    with pytest.raises(StorageError, match="unsupported DATABASE_URL"):
        await upgrade("mysql://root@127.0.0.1/test")
    with pytest.raises(StorageError, match="cannot migrate"):
        await upgrade("postgresql+asyncpg://postgres:not-a-password@127.0.0.1:1/test")


async def test_in_memory_sqlite_store_migrates_itself_and_serialises() -> None:
    store = open_store("sqlite+aiosqlite:///:memory:")
    try:
        assert (await store.migrate()).current == head_revision()
        results = await asyncio.gather(
            *(
                store.create_conversation(NewConversation("voice", f"CA{i % 3}", "+15555550100"))
                for i in range(9)
            )
        )
        assert sum(created for _, created in results) == 3
    finally:
        await store.close()
