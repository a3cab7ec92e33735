"""The SQLite store's in-process writer lock: held from BEGIN to COMMIT, always released."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from voice_agent.errors import StorageError
from voice_agent.storage.base import NewConversation, NewTurn, StaleStateError
from voice_agent.storage.sql import SqlStore, open_store

CALLER = "+15555550100"


@pytest.fixture
def lite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "lock.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def lite(lite_url: str) -> AsyncIterator[SqlStore]:
    store = open_store(lite_url)
    yield store
    await store.close()


def _new(external_id: str) -> NewConversation:
    return NewConversation(channel="voice", external_id=external_id, caller=CALLER)


async def test_failed_writes_release_the_lock(lite: SqlStore) -> None:
    conv, _ = await lite.create_conversation(_new("CA-1"))
    assert lite._writer is not None
    with pytest.raises(StaleStateError):
        await lite.save_state(conv.id, {}, expected_version=conv.version + 5)
    with pytest.raises(StorageError):
        await lite.finish_turn("missing", NewTurn(1, "agent", "x"), {}, expected_version=1)
    with pytest.raises(ValueError):
        async with lite._tx():
            raise ValueError("body failed")
    assert not lite._writer.locked()
    assert await lite.add_turn(conv.id, 1, "caller", "still writable")


async def test_the_lock_is_free_once_committed_and_released_on_cancel(lite: SqlStore) -> None:
    assert lite._writer is not None
    async with lite._tx():
        assert lite._writer.locked()
    assert not lite._writer.locked()

    entered = asyncio.Event()

    async def stuck() -> None:
        async with lite._tx():
            entered.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(stuck())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not lite._writer.locked()


async def test_concurrent_writers_all_land(lite: SqlStore) -> None:
    conv, _ = await lite.create_conversation(_new("CA-2"))
    done = await asyncio.gather(
        *(lite.add_turn(conv.id, seq, "caller", f"line {seq}") for seq in range(40))
    )
    assert all(done)
    assert [t.seq for t in await lite.list_turns(conv.id)] == list(range(40))
