"""The SQLite store's writer thread: one write transaction at a time, off the event loop."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

from voice_agent.errors import StorageError
from voice_agent.storage.base import NewConversation, NewTurn, StaleStateError
from voice_agent.storage.sql import SqlStore, open_store
from voice_agent.storage.sql.inline import CHECKPOINT_EVERY

CALLER = "+15555550100"


@pytest.fixture
def lite_path(tmp_path: Path, sqlite_template: Path) -> Path:
    path = tmp_path / "writer.db"
    shutil.copy(sqlite_template, path)
    return path


@pytest.fixture
async def lite(lite_path: Path) -> AsyncIterator[SqlStore]:
    store = open_store(f"sqlite+aiosqlite:///{lite_path}")
    yield store
    await store.close()


def _new(external_id: str) -> NewConversation:
    return NewConversation(channel="voice", external_id=external_id, caller=CALLER)


async def test_failed_writes_roll_back_and_the_writer_carries_on(lite: SqlStore) -> None:
    conv, _ = await lite.create_conversation(_new("CA-1"))
    with pytest.raises(StaleStateError):
        await lite.save_state(conv.id, {"x": 1}, expected_version=conv.version + 5)
    with pytest.raises(StorageError):
        await lite.finish_turn("missing", NewTurn(1, "agent", "x"), {}, expected_version=1)

    def half_done(conn: Connection) -> None:
        conn.execute(
            text("UPDATE conversations SET outcome = 'half' WHERE id = :id"), {"id": conv.id}
        )
        raise ValueError("body failed")

    with pytest.raises(ValueError):
        await lite._write(half_done)
    stored = await lite.get_conversation(conv.id)
    assert stored is not None and stored.outcome is None and stored.state == {}
    assert await lite.add_turn(conv.id, 1, "caller", "still writable")


async def test_a_write_runs_at_once_when_the_database_is_free_else_on_the_writer_thread(
    lite: SqlStore, lite_path: Path
) -> None:
    here = threading.current_thread().name
    names = await asyncio.gather(
        *(lite._write(lambda _conn: threading.current_thread().name) for _ in range(5))
    )
    assert set(names) == {here}  # no hand-off: the database was free each time
    other = sqlite3.connect(lite_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        waiting = asyncio.create_task(lite._write(lambda _c: threading.current_thread().name))
        await asyncio.sleep(0.05)
        assert not waiting.done()
    finally:
        other.execute("COMMIT")
        other.close()
    name = await waiting
    assert name.startswith("sqlite-writer") and name != here


async def test_one_write_in_so_many_takes_the_writer_thread_which_checkpoints(
    lite: SqlStore,
) -> None:
    conv, _ = await lite.create_conversation(_new("CA-CP"))
    assert lite._group is not None and lite._inline is not None
    before = lite._group.groups
    for seq in range(2 * CHECKPOINT_EVERY):
        await lite.add_turn(conv.id, seq, "caller", "x")
    assert lite._group.groups - before == 2
    inline = lite._inline._local.writer.connection.dbapi_connection
    assert inline.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    assert inline.execute("PRAGMA busy_timeout").fetchone() == (0,)
    threaded = lite._group._conn
    assert threaded is not None  # the pool's connections still wait for the lock
    pooled = threaded.connection.dbapi_connection
    assert pooled is not None and pooled.execute("PRAGMA busy_timeout").fetchone() == (15000,)
    assert pooled.execute("PRAGMA wal_autocheckpoint").fetchone() == (1000,)


async def test_hot_reads_run_on_one_reader_thread_and_never_wait_for_a_writer(
    lite: SqlStore, lite_path: Path
) -> None:
    conv, _ = await lite.create_conversation(_new("CA-R"))
    names = await asyncio.gather(
        *(lite._read(lambda _conn: threading.current_thread().name) for _ in range(5))
    )
    assert set(names) == {threading.current_thread().name}  # right here: no hand-off
    other = sqlite3.connect(lite_path, isolation_level=None)  # a writer mid-transaction
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE conversations SET outcome = 'uncommitted' WHERE id = ?", (conv.id,))
    try:
        by_id = await asyncio.wait_for(lite.get_conversation(conv.id), 2)
        by_sid = await asyncio.wait_for(lite.find_conversation("voice", "CA-R"), 2)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert by_id == by_sid and by_id is not None and by_id.outcome is None


async def test_another_process_holding_the_lock_does_not_stall_the_event_loop(
    lite: SqlStore, lite_path: Path
) -> None:
    conv, _ = await lite.create_conversation(_new("CA-2"))
    other = sqlite3.connect(lite_path, isolation_level=None)  # e.g. the follow-up worker
    other.execute("BEGIN IMMEDIATE")
    try:
        write = asyncio.create_task(lite.add_turn(conv.id, 1, "caller", "waiting for the lock"))
        ticks = 0
        for _ in range(20):  # the loop keeps serving while the write waits in its thread
            await asyncio.sleep(0.01)
            ticks += 1
        assert ticks == 20 and not write.done()
    finally:
        other.execute("COMMIT")
        other.close()
    assert await write
    assert [t.text for t in await lite.list_turns(conv.id)] == ["waiting for the lock"]


async def test_a_started_write_lands_even_if_its_caller_is_cancelled(lite: SqlStore) -> None:
    conv, _ = await lite.create_conversation(_new("CA-3"))
    turn = NewTurn(1, "caller", "said before hanging up")
    started, release = threading.Event(), threading.Event()

    def slow_insert(conn: Connection) -> None:
        started.set()
        release.wait(5)  # the caller gives up meanwhile
        lite._insert_turn(conn, conv.id, turn)

    assert lite._group is not None  # the writer thread (a locked database's writes)
    task = asyncio.create_task(lite._group.run(slow_insert))
    assert await asyncio.to_thread(started.wait, 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    release.set()
    await lite.close()  # waits for the write in progress
    reopened = open_store(str(lite.engine.url))
    try:
        assert [t.text for t in await reopened.list_turns(conv.id)] == ["said before hanging up"]
    finally:
        await reopened.close()


async def test_concurrent_writers_all_land(lite: SqlStore) -> None:
    conv, _ = await lite.create_conversation(_new("CA-4"))
    done = await asyncio.gather(
        *(lite.add_turn(conv.id, seq, "caller", f"line {seq}") for seq in range(40))
    )
    assert all(done)
    assert [t.seq for t in await lite.list_turns(conv.id)] == list(range(40))


async def _hold_the_writer(lite: SqlStore) -> tuple[asyncio.Task[None], threading.Event]:
    """A write that keeps the writer thread busy until the returned event is set."""
    started, release = threading.Event(), threading.Event()

    def busy(conn: Connection) -> None:  # holds SQLite's write lock: other writes queue
        started.set()
        release.wait(5)

    assert lite._group is not None
    task = asyncio.create_task(lite._group.run(busy))
    assert await asyncio.to_thread(started.wait, 5)
    return task, release


async def test_writes_queued_meanwhile_commit_together(lite: SqlStore) -> None:
    conv, _ = await lite.create_conversation(_new("CA-G"))
    assert lite._group is not None
    holder, release = await _hold_the_writer(lite)
    before = lite._group.groups
    writes = [
        asyncio.create_task(lite.add_turn(conv.id, seq, "caller", f"line {seq}"))
        for seq in range(10)
    ]
    await asyncio.sleep(0.05)  # all ten are queued behind the busy write
    release.set()
    await holder
    assert all(await asyncio.gather(*writes))
    assert lite._group.groups - before == 2  # the busy write, then the ten in one commit
    assert [t.seq for t in await lite.list_turns(conv.id)] == list(range(10))


async def test_a_failing_write_in_a_group_fails_alone(lite: SqlStore) -> None:
    conv, _ = await lite.create_conversation(_new("CA-F"))
    holder, release = await _hold_the_writer(lite)

    def half_done(conn: Connection) -> None:
        conn.execute(
            text("UPDATE conversations SET outcome = 'half' WHERE id = :id"), {"id": conv.id}
        )
        raise ValueError("body failed")

    first = asyncio.create_task(lite.add_turn(conv.id, 1, "caller", "before"))
    failing = asyncio.create_task(lite._write(half_done))
    stale = asyncio.create_task(lite.save_state(conv.id, {"x": 1}, expected_version=99))
    last = asyncio.create_task(lite.add_turn(conv.id, 2, "caller", "after"))
    await asyncio.sleep(0.05)
    release.set()
    await holder
    assert await first and await last
    with pytest.raises(ValueError):
        await failing
    with pytest.raises(StaleStateError):
        await stale
    stored = await lite.get_conversation(conv.id)
    assert stored is not None and stored.outcome is None and stored.state == {}
    assert [t.text for t in await lite.list_turns(conv.id)] == ["before", "after"]


async def test_a_queued_write_whose_caller_gave_up_is_dropped(lite: SqlStore) -> None:
    conv, _ = await lite.create_conversation(_new("CA-C"))
    holder, release = await _hold_the_writer(lite)
    dropped = asyncio.create_task(lite.add_turn(conv.id, 1, "caller", "never written"))
    kept = asyncio.create_task(lite.add_turn(conv.id, 2, "caller", "written"))
    await asyncio.sleep(0.05)
    dropped.cancel()
    release.set()
    await holder
    assert await kept
    assert [t.text for t in await lite.list_turns(conv.id)] == ["written"]


async def test_close_lets_the_queued_writes_finish(lite_path: Path) -> None:
    store = open_store(f"sqlite+aiosqlite:///{lite_path}")
    conv, _ = await store.create_conversation(_new("CA-Z"))
    holder, release = await _hold_the_writer(store)
    writes = [
        asyncio.create_task(store.add_turn(conv.id, seq, "caller", f"line {seq}"))
        for seq in range(5)
    ]
    await asyncio.sleep(0.05)
    closing = asyncio.create_task(store.close())
    release.set()
    await holder
    await closing
    assert all(await asyncio.gather(*writes))
    reopened = open_store(str(store.engine.url))
    try:
        assert len(await reopened.list_turns(conv.id)) == 5
    finally:
        await reopened.close()


async def test_a_group_wakes_the_event_loop_once(
    lite: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    conv, _ = await lite.create_conversation(_new("CA-W"))
    holder, release = await _hold_the_writer(lite)
    loop = asyncio.get_running_loop()
    wakeups: list[str] = []
    real = loop.call_soon_threadsafe

    def counted(callback: Any, *args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name.startswith("sqlite-writer"):
            wakeups.append(getattr(callback, "__name__", "?"))
        return real(callback, *args, **kwargs)

    monkeypatch.setattr(loop, "call_soon_threadsafe", counted)
    writes = [
        asyncio.create_task(lite.add_turn(conv.id, seq, "caller", f"line {seq}"))
        for seq in range(10)
    ]
    await asyncio.sleep(0.05)
    release.set()
    await holder
    assert all(await asyncio.gather(*writes))
    assert len(wakeups) == 2  # the busy write's, then one for the ten


async def test_the_writer_keeps_its_connection_and_replaces_a_broken_one(
    lite: SqlStore,
) -> None:
    conv, _ = await lite.create_conversation(_new("CA-K"))
    assert lite._group is not None
    await lite._group.run(
        lambda conn: lite._insert_turn(conn, conv.id, NewTurn(1, "caller", "one"))
    )
    first = lite._group._conn
    await lite._group.run(lambda _conn: None)
    assert lite._group._conn is first is not None  # not checked out again per write

    def breaks(conn: Connection) -> None:
        conn.invalidate()  # what SQLAlchemy does when the driver reports a lost connection
        raise sqlite3.OperationalError("disk I/O error")

    with pytest.raises(sqlite3.OperationalError):
        await lite._group.run(breaks)
    await lite._group.run(
        lambda conn: lite._insert_turn(conn, conv.id, NewTurn(2, "caller", "two"))
    )
    assert lite._group._conn is not None and lite._group._conn is not first
    assert [t.text for t in await lite.list_turns(conv.id)] == ["one", "two"]


async def test_a_read_sqlite_finds_busy_is_retried_on_the_reader_thread(
    lite: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    conv, _ = await lite.create_conversation(_new("CA-B"))
    assert lite._inline is not None

    class Busy:  # a connection whose BEGIN meets SQLITE_BUSY
        def begin(self) -> None:
            error = sqlite3.OperationalError("database is locked")
            error.sqlite_errorcode = sqlite3.SQLITE_BUSY  # type: ignore[attr-defined]
            raise OperationalError("BEGIN DEFERRED", (), error)

    monkeypatch.setattr(lite._inline, "_connection", lambda _role: Busy())
    name = await lite._read(lambda _conn: threading.current_thread().name)
    assert name.startswith("sqlite-reader")
    stored = await lite.get_conversation(conv.id)
    assert stored is not None and stored.id == conv.id
