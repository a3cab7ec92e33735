"""The record aggregates that left the settings table: one contract, on every backend."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from voice_agent.storage.base import DashboardUser, DigestMark, OptOut, ScenarioRun, SmsThread
from voice_agent.storage.sql import SqlStore

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NUMBER = "+15125550142"


async def test_opt_outs(store: SqlStore) -> None:
    assert await store.get_opt_out(NUMBER) is None
    await store.put_opt_out(OptOut(NUMBER, True, "sms", T0))
    await store.put_opt_out(OptOut(NUMBER, False, "start", T0 + timedelta(minutes=1)))
    assert await store.get_opt_out(NUMBER) == OptOut(
        NUMBER, False, "start", T0 + timedelta(minutes=1)
    )
    assert await store.all_settings() == {}


async def test_sms_threads_update_only_the_given_fields(store: SqlStore) -> None:
    assert await store.get_sms_thread(NUMBER) == SmsThread(NUMBER)
    await store.update_sms_thread(NUMBER, last_at=T0, conversation_id="c1", texted_at=T0)
    await store.update_sms_thread(NUMBER, context={"kind": "estimate"}, context_at=T0)
    assert await store.get_sms_thread(NUMBER) == SmsThread(
        NUMBER, "c1", T0, None, T0, {"kind": "estimate"}, T0
    )
    await store.update_sms_thread(NUMBER, context={}, context_at=None)
    assert await store.get_sms_thread(NUMBER) == SmsThread(NUMBER, "c1", T0, None, T0)
    with pytest.raises(ValueError, match="body"):
        await store.update_sms_thread(NUMBER, body="no such field")


async def test_dashboard_users(store: SqlStore) -> None:
    await store.put_user(DashboardUser("tom", "aa", "bb"))
    await store.put_user(DashboardUser("maria", "cc", "dd"))
    await store.put_user(DashboardUser("tom", "ee", "ff"))  # a password reset
    assert await store.list_users() == [
        DashboardUser("maria", "cc", "dd"),
        DashboardUser("tom", "ee", "ff"),
    ]
    assert await store.delete_user("tom")
    assert not await store.delete_user("tom")
    assert [u.name for u in await store.list_users()] == ["maria"]


async def test_the_first_install_secret_wins(store: SqlStore) -> None:
    assert await store.install_secret("session", "first") == "first"
    assert await store.install_secret("session", "second") == "first"
    assert await store.install_secret("other", "x") == "x"


async def test_own_writes_and_texted_schedules(store: SqlStore) -> None:
    assert await store.own_write_at("job_1") is None
    assert await store.texted_schedule("job_1") is None
    await store.mark_own_write("job_1", T0)
    await store.mark_own_write("job_1", T0 + timedelta(seconds=5))
    chicago = datetime(2026, 3, 3, 8, 0, tzinfo=timezone(timedelta(hours=-6)))
    await store.remember_texted_schedule("job_1", chicago)
    assert await store.own_write_at("job_1") == T0 + timedelta(seconds=5)
    assert await store.texted_schedule("job_1") == chicago  # the same instant, in UTC
    assert await store.texted_schedule("job_2") is None


async def test_digest_marks(store: SqlStore) -> None:
    day = date(2026, 3, 1)
    assert await store.get_digest_mark("daily", day) is None
    await store.put_digest_mark(DigestMark("daily", day, T0, ("sms", "email")))
    await store.put_digest_mark(DigestMark("weekly", day, T0, (), "nothing to say"))
    assert await store.get_digest_mark("daily", day) == DigestMark(
        "daily", day, T0, ("sms", "email")
    )
    assert await store.get_digest_mark("weekly", day) == DigestMark(
        "weekly", day, T0, (), "nothing to say"
    )
    assert await store.get_digest_mark("daily", date(2026, 3, 2)) is None


async def test_scenario_records(store: SqlStore) -> None:
    await store.put_owner_scenario("leak", "name: Leak\n")
    await store.put_owner_scenario("leak", "name: Leak v2\n")
    await store.put_owner_scenario("heat", "name: Heat\n")
    assert await store.owner_scenario_texts() == {"heat": "name: Heat\n", "leak": "name: Leak v2\n"}
    assert await store.delete_owner_scenario("heat")
    assert not await store.delete_owner_scenario("heat")

    assert await store.last_scenario_run() is None
    await store.put_scenario_run(ScenarioRun("old", {"status": "finished"}, T0))
    await store.put_scenario_run(ScenarioRun("new", {"status": "queued"}, T0 + timedelta(hours=1)))
    later = T0 + timedelta(days=1)  # a progress update keeps the start time
    await store.put_scenario_run(ScenarioRun("old", {"status": "failed"}, later))
    assert await store.get_scenario_run("old") == ScenarioRun("old", {"status": "failed"}, T0)
    assert await store.get_scenario_run("missing") is None
    assert await store.last_scenario_run() == "new"
