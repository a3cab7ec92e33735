"""The `Store` time-range queries (owner digest), run against SQLite and PostgreSQL.

Every range is [start, end): a row stamped exactly at `end` belongs to the next range.
Rows are re-stamped with known times through the table, since the store stamps `now`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, update

from voice_agent.storage.base import NewConversation
from voice_agent.storage.sql import SqlStore, conversations, hcp_writes, messages

START = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
END = START + timedelta(days=1)
CHICAGO = ZoneInfo("America/Chicago")


async def _stamp(store: SqlStore, table: Table, row_id: str, **values: Any) -> None:
    async with store.engine.begin() as conn:
        await conn.execute(update(table).where(table.c.id == row_id).values(**values))


async def _conversation(store: SqlStore, external_id: str, started_at: datetime) -> str:
    new = NewConversation(channel="voice", external_id=external_id, caller="+15555550100")
    conversation, _ = await store.create_conversation(new)
    await _stamp(store, conversations, conversation.id, started_at=started_at)
    return conversation.id


async def test_conversations_between_is_half_open_and_oldest_first(store: SqlStore) -> None:
    before = await _conversation(store, "CA-before", START - timedelta(microseconds=1))
    at_start = await _conversation(store, "CA-start", START)
    later = await _conversation(store, "CA-later", END - timedelta(microseconds=1))
    inside = await _conversation(store, "CA-inside", START + timedelta(hours=5))
    at_end = await _conversation(store, "CA-end", END)

    found = await store.list_conversations_between(START, END)

    assert [c.id for c in found] == [at_start, inside, later]
    assert found[0].started_at == START
    next_day = await store.list_conversations_between(END, END + timedelta(days=1))
    assert [c.id for c in next_day] == [at_end]
    assert before not in {c.id for c in found}


async def test_ranges_take_aware_times_in_any_zone(store: SqlStore) -> None:
    inside = await _conversation(store, "CA-1", datetime(2026, 12, 1, 23, 30, tzinfo=UTC))
    # 18:00 Chicago on Dec 1 is 00:00 UTC on Dec 2.
    local_start = datetime(2026, 11, 30, 18, 0, tzinfo=CHICAGO)
    local_end = datetime(2026, 12, 1, 18, 0, tzinfo=CHICAGO)
    assert [c.id for c in await store.list_conversations_between(local_start, local_end)] == [
        inside
    ]
    assert await store.list_conversations_between(local_end, local_end + timedelta(hours=1)) == []


async def test_hcp_writes_between_uses_the_last_update(store: SqlStore) -> None:
    conversation = await _conversation(store, "CA-1", START)
    old, _ = await store.begin_hcp_write(conversation, "create_job", "k-old", {})
    failed, _ = await store.begin_hcp_write(conversation, "create_job", "k-failed", {})
    await store.finish_hcp_write(failed.id, status="failed", error="HCP said 422")
    await _stamp(store, hcp_writes, old.id, created_at=START, updated_at=START - timedelta(hours=1))
    # Created the day before, failed inside the range: it belongs to the range.
    await _stamp(
        store,
        hcp_writes,
        failed.id,
        created_at=START - timedelta(days=1),
        updated_at=START + timedelta(hours=2),
    )

    found = await store.list_hcp_writes_between(START, END)

    assert [(w.id, w.status, w.error) for w in found] == [(failed.id, "failed", "HCP said 422")]


async def test_outbox_between_filters_by_due_time_and_status(store: SqlStore) -> None:
    await store.enqueue("sms", {"n": 1}, idempotency_key="a", due_at=START + timedelta(hours=1))
    await store.enqueue("sms", {"n": 2}, idempotency_key="b", due_at=START + timedelta(hours=2))
    await store.enqueue("email", {"n": 3}, idempotency_key="c", due_at=END)
    (first,) = await store.claim_due(START + timedelta(hours=1), worker="w")
    await store.give_up(first.id, "recipient refused")

    everything = await store.list_outbox_between(START, END)
    given_up = await store.list_outbox_between(START, END, status="failed")

    assert [i.idempotency_key for i in everything] == ["a", "b"]
    assert [(i.idempotency_key, i.last_error) for i in given_up] == [("a", "recipient refused")]
    tomorrow = await store.list_outbox_between(END, END + timedelta(days=1))
    assert [i.idempotency_key for i in tomorrow] == ["c"]


async def test_messages_between_filters_by_direction(store: SqlStore) -> None:
    sent, _ = await store.record_message(
        direction="out", from_number="+1500", to_number="+1555", body="hi", status="undelivered"
    )
    got, _ = await store.record_message(
        direction="in", from_number="+1555", to_number="+1500", body="yo", status="received"
    )
    late, _ = await store.record_message(
        direction="out", from_number="+1500", to_number="+1555", body="later", status="sent"
    )
    await _stamp(store, messages, sent.id, created_at=START + timedelta(hours=1))
    await _stamp(store, messages, got.id, created_at=START + timedelta(hours=2))
    await _stamp(store, messages, late.id, created_at=END)

    assert [m.id for m in await store.list_messages_between(START, END)] == [sent.id, got.id]
    outgoing = await store.list_messages_between(START, END, direction="out")
    assert [(m.id, m.status) for m in outgoing] == [(sent.id, "undelivered")]
    assert [m.id for m in await store.list_messages_between(START, END, direction="in")] == [got.id]
