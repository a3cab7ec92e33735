"""Migration 0005 moves every prefixed settings row into its table and back, on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from alembic import command
from sqlalchemy import select
from sqlalchemy.engine import Connection

from voice_agent.storage.base import DashboardUser, DigestMark, OptOut, SmsThread
from voice_agent.storage.engine import create_engine
from voice_agent.storage.migrate import alembic_config, head_revision, upgrade
from voice_agent.storage.sql import open_store
from voice_agent.storage.sql.core import settings_table

Database = tuple[str, str | None]
T0 = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
T1 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
THREAD = {
    "last_at": T1.isoformat(),
    "last_inbound_at": T0.isoformat(),
    "texted_at": T1.isoformat(),
    "context_at": T1.isoformat(),
    "conversation_id": "c0ffee",
    "context": {"kind": "estimate", "estimate_id": "est_1", "options": [1, 2]},
}
USERS = {"maria": {"salt": "00ff", "hash": "abcd"}, "tom": {"salt": "11ee", "hash": "dcba"}}
RUN_OLD = {"id": "aaaa1111", "status": "finished", "started_at": T0.isoformat(), "results": []}
RUN_NEW = {"id": "bbbb2222", "status": "running", "started_at": T1.isoformat(), "results": [{}]}
REAL_SETTINGS: dict[str, Any] = {
    "business_name": "Acme Plumbing",
    "test_numbers": ["+15125550100"],
    "call_recording": True,
}
# Every kind of record the old code kept in the settings table, in the format it wrote.
RECORDS: dict[str, Any] = {
    "optout:+15125550142": {"opted_out": True, "source": "sms", "at": T0.isoformat()},
    "optout:+15125550143": {"opted_out": False, "source": "start", "at": T1.isoformat()},
    "sms-thread:+15125550142": THREAD,
    "web.users": USERS,
    "web.install_secret": "s3cret-install-value",
    "hcp-own-write:job_123": T0.isoformat(),
    "job-texted-schedule:job_123": T1.isoformat(),
    "digest-done:daily:2026-03-01": {"at": T0.isoformat(), "queued": ["sms"], "skipped": None},
    "digest-done:weekly:2026-02-22": {"at": T1.isoformat(), "queued": [], "skipped": "no dest"},
    "scenarios:owner": {"leak": "name: Leak\n", "no-heat": "name: No heat\n"},
    "scenario-run:aaaa1111": RUN_OLD,
    "scenario-run:bbbb2222": RUN_NEW,
    "scenarios:last-run": "bbbb2222",
    # many rows of one kind: the deletes are batched
    **{
        f"optout:+1512555{n:04d}": {"opted_out": True, "source": "sms", "at": T0.isoformat()}
        for n in range(1000, 1600)
    },
}

# Records the migration cannot read stay in the settings table rather than be lost.
UNREADABLE: dict[str, Any] = {
    "hcp-own-write:job_bad": "not a time",
    "digest-done:daily:not-a-date": {"at": T0.isoformat(), "queued": [], "skipped": None},
}


async def _in_transaction(database: Database, work: Any) -> Any:
    url, schema = database
    engine = create_engine(url, schema=schema)
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(work)
    finally:
        await engine.dispose()


def _seed(conn: Connection) -> None:
    seeded = {**REAL_SETTINGS, **RECORDS, **UNREADABLE}
    rows = [{"key": k, "value": v, "updated_at": T0} for k, v in seeded.items()]
    conn.execute(settings_table.insert(), rows)


def _settings(conn: Connection) -> dict[str, Any]:
    query = select(settings_table.c.key, settings_table.c.value)
    return {row.key: row.value for row in conn.execute(query)}


def _downgrade_to_0004(url: str) -> Any:
    def work(conn: Connection) -> None:
        config = alembic_config(url)
        config.attributes["connection"] = conn
        command.downgrade(config, "0004")

    return work


async def test_records_move_out_of_settings_and_back(empty_database: Database) -> None:
    url, schema = empty_database
    assert (await upgrade(url, schema=schema, revision="0004")).current == "0004"
    await _in_transaction(empty_database, _seed)

    status = await upgrade(url, schema=schema)
    assert (status.before, status.current) == ("0004", head_revision())
    assert await _in_transaction(empty_database, _settings) == {**REAL_SETTINGS, **UNREADABLE}

    store = open_store(url, schema=schema)
    try:
        assert await store.own_write_at("job_bad") is None
        assert await store.get_opt_out("+15125550142") == OptOut("+15125550142", True, "sms", T0)
        assert await store.get_opt_out("+15125550143") == OptOut("+15125550143", False, "start", T1)
        for n in range(1000, 1600):
            assert await store.get_opt_out(f"+1512555{n:04d}") is not None
        assert await store.get_sms_thread("+15125550142") == SmsThread(
            "+15125550142", "c0ffee", T1, T0, T1, THREAD["context"], T1
        )
        assert await store.list_users() == [
            DashboardUser("maria", "00ff", "abcd"),
            DashboardUser("tom", "11ee", "dcba"),
        ]
        assert await store.install_secret("session", "other") == "s3cret-install-value"
        assert await store.own_write_at("job_123") == T0
        assert await store.texted_schedule("job_123") == T1
        assert await store.get_digest_mark("daily", date(2026, 3, 1)) == DigestMark(
            "daily", date(2026, 3, 1), T0, ("sms",), None
        )
        assert await store.get_digest_mark("weekly", date(2026, 2, 22)) == DigestMark(
            "weekly", date(2026, 2, 22), T1, (), "no dest"
        )
        assert await store.owner_scenario_texts() == RECORDS["scenarios:owner"]
        run = await store.get_scenario_run("aaaa1111")
        assert run is not None and (run.progress, run.started_at) == (RUN_OLD, T0)
        assert await store.last_scenario_run() == "bbbb2222"
    finally:
        await store.close()

    await _in_transaction(empty_database, _downgrade_to_0004(url))
    assert await _in_transaction(empty_database, _settings) == {
        **REAL_SETTINGS,
        **RECORDS,
        **UNREADABLE,
    }


async def test_upgrading_an_empty_settings_table_moves_nothing(empty_database: Database) -> None:
    url, schema = empty_database
    await upgrade(url, schema=schema, revision="0004")
    await upgrade(url, schema=schema)
    await _in_transaction(empty_database, _downgrade_to_0004(url))
    assert await _in_transaction(empty_database, _settings) == {}
