"""Prepared statements on the SQLite writer: SQLAlchemy's SQL and conversions, the driver's
execution, and SQLAlchemy's own path for everything else."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, insert, select
from sqlalchemy.exc import IntegrityError

from voice_agent.errors import StorageError
from voice_agent.storage.base import Conversation, NewConversation, NewTurn
from voice_agent.storage.sql import SqlStore, open_store
from voice_agent.storage.sql import prepared as prepared_module
from voice_agent.storage.sql.core import conversations, turns
from voice_agent.storage.sql.prepared import changed, prepared


@pytest.fixture
async def lite(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[SqlStore]:
    path = tmp_path / "prepared.db"
    shutil.copy(sqlite_template, path)
    store = open_store(f"sqlite+aiosqlite:///{path}")
    yield store
    await store.close()


@pytest.fixture
def driver_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL each prepared statement ran straight on the driver."""
    ran: list[str] = []
    real = prepared_module._Plan.values

    def values(plan: Any, params: Any) -> list[Any]:
        ran.append(plan.sql)
        return real(plan, params)

    monkeypatch.setattr(prepared_module._Plan, "values", values)
    return ran


async def test_a_turn_s_writes_run_on_the_driver_and_read_back_typed(
    lite: SqlStore, driver_runs: list[str]
) -> None:
    conv, _ = await lite.create_conversation(NewConversation("voice", "CA-P", "+15555550100"))
    before = len(driver_runs)
    state = {"stage": "booking", "slots": [1, 2], "name": "Zoë"}
    version = await lite.finish_turn(
        conv.id, NewTurn(1, "agent", "Hello", {"filler": True}), state,
        expected_version=conv.version, fields={"outcome": "booked"},
    )  # fmt: skip
    assert len(driver_runs) - before == 2  # the turn's insert and the state's update
    assert version == conv.version + 1
    stored = await lite.get_conversation(conv.id)
    assert stored is not None
    assert stored.state == state and stored.outcome == "booked" and stored.version == version
    assert stored.updated_at.tzinfo is not None  # the datetime conversion is SQLAlchemy's
    (turn,) = await lite.list_turns(conv.id)
    assert (turn.text, turn.meta) == ("Hello", {"filler": True})
    assert isinstance(turn.created_at, datetime) and turn.created_at.tzinfo is not None
    assert abs(turn.created_at - datetime.now(UTC)).total_seconds() < 60


async def test_a_call_s_reads_run_on_the_driver_and_equal_sqlalchemy_s(
    lite: SqlStore, driver_runs: list[str]
) -> None:
    conv, _ = await lite.create_conversation(NewConversation("voice", "CA-R", "+15555550100"))
    state = {"stage": "booking", "name": "Zoë", "ok": True, "n": None}
    await lite.finish_turn(
        conv.id, NewTurn(1, "agent", "Hi"), state, expected_version=conv.version,
        fields={"outcome": "booked", "ended_at": datetime(2026, 12, 6, 15, 30, tzinfo=UTC)},
    )  # fmt: skip
    before = len(driver_runs)
    got = await lite.get_conversation(conv.id)
    found = await lite.find_conversation("voice", "CA-R")
    assert len(driver_runs) - before == 2  # both reads went straight to the driver
    assert await lite.get_conversation("no-such-id") is None
    assert await lite.find_conversation("sms", "CA-R") is None
    query = select(conversations).where(conversations.c.id == conv.id)
    through_sqlalchemy = await lite._read(lambda conn: conn.execute(query).one())
    assert got == found == Conversation(**through_sqlalchemy._asdict())
    assert got is not None and got.state == state and got.test_mode is False
    assert got.ended_at == datetime(2026, 12, 6, 15, 30, tzinfo=UTC)


async def test_a_tool_call_is_recorded_on_the_driver(
    lite: SqlStore, driver_runs: list[str]
) -> None:
    conv, _ = await lite.create_conversation(NewConversation("voice", "CA-T", "+15555550100"))
    before = len(driver_runs)
    record = await lite.add_tool_call(
        conv.id, 2, "book_job", {"window": "8-10"}, {"job": "job_1"}, None, 12.5
    )
    assert len(driver_runs) - before == 1
    assert await lite.list_tool_calls(conv.id) == [record]


async def test_a_stale_version_and_a_duplicate_take_the_same_paths(
    lite: SqlStore, driver_runs: list[str]
) -> None:
    conv, _ = await lite.create_conversation(NewConversation("voice", "CA-S", "+15555550100"))
    assert await lite.add_turn(conv.id, 1, "caller", "first")
    assert not await lite.add_turn(conv.id, 1, "caller", "again")  # ON CONFLICT DO NOTHING
    stale = await lite.finish_turn(
        conv.id, NewTurn(2, "agent", "x"), {"a": 1}, expected_version=conv.version + 3
    )
    assert stale is None and driver_runs


async def test_driver_errors_are_sqlalchemy_errors_and_storage_errors(lite: SqlStore) -> None:
    stmt = _plain_turn_insert()
    row = {"conversation_id": "no-such-conversation", "seq": 1, "role": "caller",
           "text": "x", "meta": {}, "created_at": datetime.now(UTC)}  # fmt: skip

    def work(conn: Connection) -> bool:
        return changed(conn, stmt, row)

    with pytest.raises(StorageError, match="IntegrityError"):  # the foreign key
        await lite._write(work)
    with pytest.raises(IntegrityError):
        await lite._group.run(work)  # type: ignore[union-attr]


async def test_statements_sqlalchemy_must_run_take_its_path(
    lite: SqlStore, driver_runs: list[str]
) -> None:
    await lite._write(lambda conn: _probe.create(conn))
    stmt = _probe_insert()

    def work(conn: Connection) -> bool:  # `note` comes from the column's Python default
        return changed(conn, stmt, {"id": 1})

    assert await lite._write(work)
    assert driver_runs == []
    rows = await lite._read(lambda conn: conn.execute(select(_probe)).all())
    assert [tuple(r) for r in rows] == [(1, "from the default")]
    not_prepared = insert(_probe)
    assert await lite._write(lambda conn: changed(conn, not_prepared, {"id": 2, "note": "x"}))
    assert driver_runs == []


async def test_other_drivers_use_sqlalchemy(driver_runs: list[str]) -> None:
    store = open_store("sqlite+aiosqlite:///:memory:")  # aiosqlite, no writer thread
    try:
        await store.migrate()
        conv, _ = await store.create_conversation(NewConversation("voice", "CA-M", "+1555"))
        version = await store.finish_turn(
            conv.id, NewTurn(1, "agent", "Hi"), {"k": 1}, expected_version=conv.version
        )
        assert version == conv.version + 1 and driver_runs == []
        stored = await store.get_conversation(conv.id)
        assert stored is not None and stored.state == {"k": 1}
    finally:
        await store.close()


@prepared
def _plain_turn_insert() -> Any:
    return insert(turns)


_probe = Table(
    "prepared_probe",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("note", String, default=lambda: "from the default"),
)


@prepared
def _probe_insert() -> Any:
    return insert(_probe)
