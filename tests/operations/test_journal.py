"""The write journal on its own: one send per key, owners and leases, fencing, queueing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

import hcp
from voice_agent.operations import StaleTurnError, WriteJournal, WriteQueuedError
from voice_agent.operations.errors import HcpBusyError, OperationError
from voice_agent.storage.sql import SqlStore

Result = tuple[str, dict[str, Any]]


class Sender:
    """A send that counts its calls and can be held open (a write in flight)."""

    def __init__(self) -> None:
        self.calls = 0
        self.started = asyncio.Event()
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self) -> Result:
        self.calls += 1
        self.started.set()
        await self.gate.wait()
        return f"job_{self.calls}", {"n": self.calls}


async def test_a_second_writer_waits_for_the_owner_and_gets_its_result(store: SqlStore) -> None:
    send = Sender()
    send.gate.clear()
    first = WriteJournal(store, None, owner="turn-a")
    second = WriteJournal(store, None, owner="turn-b")
    running = asyncio.create_task(first.write("create_job", "k1", {}, send))
    await send.started.wait()
    waiting = asyncio.create_task(second.write("create_job", "k1", {}, send))
    await asyncio.sleep(0.1)
    assert not waiting.done()  # the owner is alive: nobody resends
    send.gate.set()
    assert await running == await waiting == ("job_1", {"n": 1})
    assert send.calls == 1


async def test_an_expired_lease_is_reconciled_before_anything_is_sent(store: SqlStore) -> None:
    now = datetime.now(UTC)
    await store.begin_hcp_write(  # a worker died after sending: its lease ran out
        None, "create_job", "k2", {}, owner="dead", lease_until=now - timedelta(seconds=1)
    )
    send = Sender()

    async def recover() -> Result | None:
        return "job_landed", {"landed": True}

    result = await WriteJournal(store, None).write("create_job", "k2", {}, send, recover=recover)

    assert result == ("job_landed", {"landed": True}) and send.calls == 0
    write = await store.get_hcp_write("k2")
    assert write is not None and (write.status, write.hcp_id) == ("done", "job_landed")


async def test_a_stale_turn_writes_nothing(store: SqlStore) -> None:
    send = Sender()

    async def not_current() -> bool:
        return False

    journal = WriteJournal(store, None, still_current=not_current)
    with pytest.raises(StaleTurnError):
        await journal.write("create_customer", "k3", {}, send)
    assert send.calls == 0 and await store.get_hcp_write("k3") is None


def _throttled(retry_after: str) -> hcp.HcpRateLimitError:
    return hcp.HcpRateLimitError(
        "Too Many Requests",
        method="POST",
        path="/jobs",
        status_code=429,
        headers=httpx.Headers({"Retry-After": retry_after}),
    )


async def test_a_429_beyond_the_budget_is_queued_after_retry_after(store: SqlStore) -> None:
    async def send() -> Result:
        raise _throttled("120")

    journal = WriteJournal(store, None, busy_wait=3.0)
    asked = datetime.now(UTC)
    with pytest.raises(HcpBusyError):
        await journal.write("create_job", "k4", {"x": 1}, send)
    [item] = await store.list_outbox()
    assert item.kind == "hcp_write" and item.next_attempt_at >= asked + timedelta(seconds=120)
    write = await store.get_hcp_write("k4")
    assert write is not None and write.status == "queued"
    with pytest.raises(WriteQueuedError):  # asked again: still the queued one, no new send
        await journal.write("create_job", "k4", {"x": 1}, send)


async def test_a_refusal_is_recorded_and_said(store: SqlStore) -> None:
    async def send() -> Result:
        raise hcp.HcpBadRequestError("nope", method="POST", path="/jobs", status_code=400)

    with pytest.raises(OperationError, match="refused"):
        await WriteJournal(store, None).write("create_job", "k5", {}, send)
    write = await store.get_hcp_write("k5")
    assert write is not None and write.status == "failed"
