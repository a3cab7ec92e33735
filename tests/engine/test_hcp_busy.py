"""HCP busy (429): one short wait in the call, then the truth and the outbox, which never
tries earlier than Retry-After and does not hit a throttled HCP with every queued item."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import hcp
from hcp.sandbox import FaultRule, Faults, SandboxState
from tests.engine.conftest import EngineFactory
from tests.engine.fakes import talk
from tests.engine.test_engine import open_call
from voice_agent.messaging.dispatcher import OutboxDispatcher
from voice_agent.messaging.hcp_writes import HcpWriteReplayer
from voice_agent.settings import Settings
from voice_agent.storage.sql import SqlStore

LINES = ("my AC is broken", "6420 Oak Street", "the first one")


async def _up_to_yes(make_engine: EngineFactory) -> tuple[object, str]:
    engine = make_engine()
    conv = await open_call(engine)
    for said in LINES:
        await talk(engine, conv, said)
    return engine, conv


def _dispatcher(
    store: SqlStore, client: hcp.HcpClient, settings: Settings | None = None
) -> OutboxDispatcher:
    dispatcher = OutboxDispatcher(store, worker="test", jitter=lambda: 1.0)
    replayer = HcpWriteReplayer(store, client, settings=settings) if settings else None
    (replayer or HcpWriteReplayer(store, client)).register(dispatcher)
    return dispatcher


async def test_a_short_retry_after_is_waited_out_once_in_the_call(
    make_engine: EngineFactory, faults: Faults, sandbox_state: SandboxState
) -> None:
    engine, conv = await _up_to_yes(make_engine)
    jobs_before = len(sandbox_state.all("jobs"))
    faults.replace([FaultRule("rate_limit", path="^/jobs$", method="POST", retry_after=1, times=1)])

    reply, _ = await talk(engine, conv, "yes")  # type: ignore[arg-type]

    assert "booked" in reply.lower()
    assert len(sandbox_state.all("jobs")) == jobs_before + 1


async def test_a_long_retry_after_is_told_truthfully_and_queued_no_earlier(
    make_engine: EngineFactory,
    faults: Faults,
    store: SqlStore,
    sandbox_state: SandboxState,
    hcp_client: hcp.HcpClient,
    business: Settings,
) -> None:
    engine, conv = await _up_to_yes(make_engine)
    jobs_before = len(sandbox_state.all("jobs"))
    faults.replace([FaultRule("rate_limit", path="^/jobs$", method="POST", retry_after=120)])
    asked = datetime.now(UTC)

    reply, _ = await talk(engine, conv, "yes")  # type: ignore[arg-type]

    assert "busy" in reply.lower() and "text" in reply.lower()
    assert "booked" not in reply.lower().replace("not booked", "")
    [item] = [i for i in await store.list_outbox() if i.kind == "hcp_write"]
    assert item.next_attempt_at >= asked + timedelta(seconds=120)
    dispatcher = _dispatcher(store, hcp_client, business)
    hits = faults.hits
    report = await dispatcher.run_once(asked + timedelta(seconds=60))
    assert report.done == report.retried == 0 and faults.hits == hits  # not before Retry-After
    faults.replace([])
    await dispatcher.run_once(asked + timedelta(seconds=125))
    assert len(sandbox_state.all("jobs")) == jobs_before + 1
    [write] = [w for w in await store.list_hcp_writes(conv) if w.operation == "create_job"]
    assert write.status == "done"
    job = sandbox_state.get("jobs", str(write.hcp_id))
    assert job is not None and job["assigned_employee_ids"]  # a technician, as in the call


async def test_the_outbox_waits_at_least_retry_after_and_holds_the_other_items(
    make_engine: EngineFactory, faults: Faults, store: SqlStore, hcp_client: hcp.HcpClient
) -> None:
    for n in range(2):  # two bookings queued while HCP was down
        engine = make_engine()
        conv = await open_call(engine, external_id=f"CA-busy-{n}")
        faults.replace([])
        for said in LINES:
            await talk(engine, conv, said)
        faults.replace([FaultRule("server_error", path="^/jobs$", method="POST")])
        reply, _ = await talk(engine, conv, "yes")
        assert "office will confirm" in reply
    faults.replace([FaultRule("rate_limit", path="^/jobs$", method="POST", retry_after=120)])
    hits_before = faults.hits
    now = datetime.now(UTC) + timedelta(minutes=5)

    report = await _dispatcher(store, hcp_client).run_once(now)

    assert report.retried == 2
    assert faults.hits - hits_before == 1  # the second item did not hit the throttled HCP
    items = [i for i in await store.list_outbox() if i.kind == "hcp_write"]
    assert len(items) == 2
    assert all(i.next_attempt_at >= now + timedelta(seconds=120) for i in items)


async def test_a_throttled_availability_check_is_told_as_busy(
    make_engine: EngineFactory, faults: Faults
) -> None:
    engine = make_engine()
    conv = await open_call(engine, external_id="CA-busy-read")
    await talk(engine, conv, LINES[0])
    faults.replace([FaultRule("rate_limit", path="booking_windows", retry_after=120)])

    reply, _ = await talk(engine, conv, LINES[1])

    assert "busy" in reply.lower() and "open time" not in reply.lower()
