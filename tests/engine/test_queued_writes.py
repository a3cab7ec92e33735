"""A booking that HCP could not take during the call is written once HCP is back, exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import hcp
from hcp.sandbox import FaultRule, Faults, SandboxState
from tests.engine.conftest import EngineFactory
from tests.engine.fakes import talk
from tests.engine.test_engine import open_call
from voice_agent.messaging.dispatcher import OutboxDispatcher
from voice_agent.messaging.hcp_writes import HcpWriteReplayer
from voice_agent.storage.sql import SqlStore


async def _queue_a_booking(
    make_engine: EngineFactory, faults: Faults, store: SqlStore, rule: FaultRule
) -> str:
    engine = make_engine()
    conv = await open_call(engine)
    for said in ("my AC is broken", "6420 Oak Street", "the first one"):
        await talk(engine, conv, said)
    faults.replace([rule])
    reply, _ = await talk(engine, conv, "yes")
    assert "office will confirm" in reply
    return conv


def _dispatcher(store: SqlStore, client: hcp.HcpClient) -> OutboxDispatcher:
    dispatcher = OutboxDispatcher(store, worker="test", jitter=lambda: 1.0)
    HcpWriteReplayer(store, client).register(dispatcher)
    return dispatcher


def _later() -> datetime:
    return datetime.now(UTC) + timedelta(minutes=1)


async def test_queued_booking_is_created_once_when_hcp_is_back(
    make_engine: EngineFactory,
    faults: Faults,
    store: SqlStore,
    sandbox_state: SandboxState,
    hcp_client: hcp.HcpClient,
) -> None:
    rule = FaultRule("server_error", path="^/jobs$", method="POST")
    conv = await _queue_a_booking(make_engine, faults, store, rule)
    jobs_before = len(sandbox_state.all("jobs"))
    dispatcher = _dispatcher(store, hcp_client)

    report = await dispatcher.run_once(_later())  # HCP still failing: retried later
    assert report.retried >= 1 and len(sandbox_state.all("jobs")) == jobs_before

    faults.replace([])
    await dispatcher.run_once(_later() + timedelta(hours=2))
    await dispatcher.run_once(_later() + timedelta(hours=4))
    assert len(sandbox_state.all("jobs")) == jobs_before + 1
    [write] = await store.list_hcp_writes(conv)
    assert (write.operation, write.status) == ("create_job", "done") and write.hcp_id
    job = sandbox_state.get("jobs", write.hcp_id)
    assert job is not None and "voice-agent" in job["tags"]


async def test_a_write_that_landed_despite_the_error_is_not_repeated(
    make_engine: EngineFactory,
    faults: Faults,
    store: SqlStore,
    sandbox_state: SandboxState,
    hcp_client: hcp.HcpClient,
) -> None:
    conv = await _queue_a_booking(
        make_engine, faults, store, FaultRule("server_error", path="^/jobs$", method="POST")
    )
    [write] = await store.list_hcp_writes(conv)
    faults.replace([])
    landed = {k: v for k, v in write.request.items() if k != "lead_source"}
    await hcp_client.jobs.create(landed)  # as if HCP had committed the first attempt
    jobs_before = len(sandbox_state.all("jobs"))
    await _dispatcher(store, hcp_client).run_once(_later())
    assert len(sandbox_state.all("jobs")) == jobs_before
    [write] = await store.list_hcp_writes(conv)
    assert write.status == "done"


async def test_a_refused_write_is_handed_to_the_office(
    make_engine: EngineFactory,
    faults: Faults,
    store: SqlStore,
    sandbox_state: SandboxState,
    hcp_client: hcp.HcpClient,
) -> None:
    conv = await _queue_a_booking(
        make_engine, faults, store, FaultRule("server_error", path="^/jobs$", method="POST")
    )
    [write] = await store.list_hcp_writes(conv)
    faults.replace([])
    start = datetime.fromisoformat(write.request["schedule"]["scheduled_start"])
    schedule = {
        **write.request["schedule"],
        "scheduled_start": (start + timedelta(days=1)).isoformat(),
        "scheduled_end": (start + timedelta(days=1, hours=2)).isoformat(),
    }
    # A different visit whose address no longer exists: HCP refuses it (404).
    request = {**write.request, "address_id": "adr_gone", "schedule": schedule}
    await store.enqueue(
        "hcp_write",
        {"write_id": write.id, "operation": "create_job", "request": request},
        idempotency_key="refused",
    )
    jobs_before = len(sandbox_state.all("jobs"))
    await _dispatcher(store, hcp_client).run_once(_later())
    notes = [o for o in await store.list_outbox() if o.kind == "notify_office"]
    assert any("by hand" in str(o.payload.get("text")) for o in notes)
    assert len(sandbox_state.all("jobs")) == jobs_before + 1  # only the original booking
    refused = [o for o in await store.list_outbox() if o.idempotency_key == "refused"]
    assert [o.status for o in refused] == ["failed"]
