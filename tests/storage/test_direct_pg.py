"""PostgreSQL's one-statement writes and point reads straight on asyncpg (`direct_pg`): the
same rows as SQLAlchemy's path, its errors as `StorageError`, broken connections dropped."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from voice_agent.errors import StorageError
from voice_agent.storage.base import Conversation, NewConversation, NewTurn
from voice_agent.storage.sql import SqlStore, open_store
from voice_agent.storage.sql.core import conversations
from voice_agent.storage.sql.direct_pg import NOT_PREPARED, DirectPg

from .conftest import pg_url

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pg(pg_schema: str) -> AsyncIterator[SqlStore]:
    store = open_store(pg_url(), schema=pg_schema)
    yield store
    await store.close()


@pytest.fixture
def direct_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What each statement run straight on asyncpg did (`execute`, `fetchrow`)."""
    ran: list[str] = []
    real = DirectPg._run

    async def run(self: DirectPg, method: str, stmt: Any, params: Any) -> Any:
        answer = await real(self, method, stmt, params)
        if answer is not NOT_PREPARED:
            ran.append(method)
        return answer

    monkeypatch.setattr(DirectPg, "_run", run)
    return ran


async def test_a_call_s_other_writes_are_one_statement_each_on_asyncpg(
    pg: SqlStore, direct_runs: list[str]
) -> None:
    conv, created = await pg.create_conversation(NewConversation("voice", "CA-ONE", "+15555550100"))
    again, created_again = await pg.create_conversation(
        NewConversation("voice", "CA-ONE", "+15555550100")
    )
    assert (created, created_again, again) == (True, False, conv)
    assert direct_runs == ["fetchrow", "fetchrow", "fetchrow"]  # insert; insert, read
    direct_runs.clear()
    later = datetime(2030, 1, 1, tzinfo=UTC)
    assert await pg.acquire_lease(f"turn:{conv.id}", "w1", now=datetime.now(UTC), until=later)
    direct_runs.clear()
    version = await pg.finish_turn(
        conv.id, NewTurn(1, "agent", "Hi"), {"stage": "greeted"}, expected_version=conv.version,
        fields={"hcp_customer_id": "cus_1"}, release=(f"turn:{conv.id}", "w1"),
    )  # fmt: skip
    assert version == conv.version + 1
    await pg.update_conversation(conv.id, status="completed", duration_seconds=42)
    assert await pg.enqueue("summary", {"conversation_id": conv.id}, idempotency_key="s:1")
    assert not await pg.enqueue("summary", {"conversation_id": conv.id}, idempotency_key="s:1")
    assert direct_runs == ["fetchrow", "execute", "execute", "execute"]
    got = await pg.get_conversation(conv.id)
    assert got is not None and got.version == version and got.state == {"stage": "greeted"}
    assert (got.hcp_customer_id, got.status, got.duration_seconds) == ("cus_1", "completed", 42)
    assert await pg.lease_owner(f"turn:{conv.id}", now=datetime.now(UTC)) is None
    assert [t.text for t in await pg.list_turns(conv.id)] == ["Hi"]
    [item] = await pg.list_outbox()
    assert (item.kind, item.payload, item.status) == (
        "summary",
        {"conversation_id": conv.id},
        "pending",
    )


async def test_a_call_s_hot_statements_run_on_asyncpg_and_read_back_as_sqlalchemy_s(
    pg: SqlStore, direct_runs: list[str]
) -> None:
    conv, _ = await pg.create_conversation(NewConversation("voice", "CA-DPG", "+15555550100"))
    state = {"stage": "booking", "name": "Zoë", "ok": True, "n": None, "slots": [1, 2]}
    await pg.finish_turn(
        conv.id, NewTurn(1, "agent", "Hi"), state, expected_version=conv.version,
        fields={"outcome": "booked", "ended_at": datetime(2026, 12, 6, 15, 30, tzinfo=UTC)},
    )  # fmt: skip
    direct_runs.clear()
    assert await pg.add_turn(conv.id, 2, "caller", "Sí, gracias", {"confidence": 0.9})
    assert not await pg.add_turn(conv.id, 2, "caller", "again")  # ON CONFLICT DO NOTHING
    assert await pg.record_webhook_event("twilio", "CA-DPG:2", "turn", {"SpeechResult": "sí"})
    await pg.mark_webhook_processed("twilio", "CA-DPG:2")
    tool = await pg.add_tool_call(conv.id, 2, "book_job", {"w": "8-10"}, {"job": "j1"}, None, 3.5)
    got = await pg.get_conversation(conv.id)
    found = await pg.find_conversation("voice", "CA-DPG")
    assert len(direct_runs) == 7  # every one of them on the driver
    assert await pg.get_conversation("no-such-id") is None
    async with pg._tx(read_only=True) as conn:
        through_sqlalchemy = (
            await conn.execute(select(conversations).where(conversations.c.id == conv.id))
        ).one()
    assert got == found == Conversation(**through_sqlalchemy._asdict())
    assert got is not None and got.state == state and got.outcome == "booked"
    assert got.ended_at == datetime(2026, 12, 6, 15, 30, tzinfo=UTC)
    turns = await pg.list_turns(conv.id)
    assert [(t.seq, t.text, t.meta) for t in turns][-1] == (2, "Sí, gracias", {"confidence": 0.9})
    assert turns[-1].created_at.tzinfo is not None
    assert await pg.list_tool_calls(conv.id) == [tool]
    event = await pg.get_webhook_event("twilio", "CA-DPG:2")
    assert event is not None and event.processed_at is not None
    assert event.payload == {"SpeechResult": "sí"}


async def test_a_refused_statement_is_a_storage_error_and_the_connection_stays(
    pg: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    used = _record_drivers(monkeypatch)
    with pytest.raises(StorageError, match="IntegrityError"):  # the foreign key
        await pg.add_turn("no-such-conversation", 1, "caller", "x")
    with pytest.raises(StorageError, match="no twilio webhook event"):
        await pg.mark_webhook_processed("twilio", "never-recorded")
    assert not used[0].is_closed()
    conv, _ = await pg.create_conversation(NewConversation("voice", "CA-DPG2", "+1555"))
    assert await pg.add_turn(conv.id, 1, "caller", "fine")
    assert used[-1] is used[0]  # the same pooled connection, reused


async def test_a_connection_that_breaks_under_a_statement_is_dropped(
    pg: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    conv, _ = await pg.create_conversation(NewConversation("voice", "CA-DPG3", "+1555"))
    used = _record_drivers(monkeypatch, fail=ConnectionResetError("connection reset by peer"))
    with pytest.raises(StorageError, match="unreachable"):
        await pg.add_turn(conv.id, 1, "caller", "lost")
    assert used[0].is_closed()  # terminated, not handed out again
    monkeypatch.undo()
    assert await pg.add_turn(conv.id, 1, "caller", "still here")


async def test_a_statement_cancelled_mid_way_drops_its_connection(
    pg: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    conv, _ = await pg.create_conversation(NewConversation("voice", "CA-DPG4", "+1555"))
    entered = asyncio.Event()
    used = _record_drivers(monkeypatch, hang=entered)
    write = asyncio.create_task(pg.add_turn(conv.id, 1, "caller", "hello"))
    await entered.wait()
    write.cancel()
    with pytest.raises(asyncio.CancelledError):
        await write
    assert used[0].is_closed()  # its state is unknown: never pooled again
    monkeypatch.undo()
    assert await pg.add_turn(conv.id, 1, "caller", "hello")


def _record_drivers(
    monkeypatch: pytest.MonkeyPatch,
    *,
    fail: Exception | None = None,
    hang: asyncio.Event | None = None,
) -> list[Any]:
    """The asyncpg connections the direct path ran on; optionally failing, or hanging once
    `hang` is set."""
    import asyncpg

    used: list[Any] = []
    real = asyncpg.Connection.execute

    async def execute(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        used.append(self)
        if fail is not None:
            raise fail
        if hang is not None:
            hang.set()
            await asyncio.Event().wait()
        return await real(self, query, *args, **kwargs)

    monkeypatch.setattr(asyncpg.Connection, "execute", execute)
    return used
