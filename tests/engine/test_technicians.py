"""Bookings name a technician, so a booked window stops being offered (live HCP computes
windows from each technician's open time and assigns nobody by itself; so does the sandbox)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

import hcp
from hcp import Job, JobCreate, JobScheduleCreate
from hcp.sandbox import FaultRule, Faults, SandboxState
from tests.engine.conftest import CountingTransport, EngineFactory
from tests.engine.fakes import ScriptedChatModel, call, calls, say, talk, tool_results
from tests.engine.test_exactly_once import _leave_one_technician_free, at_the_yes, open_call
from voice_agent.engine.dialogue import DialogueEngine
from voice_agent.engine.events import ToolFinished
from voice_agent.engine.messages import Completion
from voice_agent.followups.gateway import ClientGateway
from voice_agent.operations import BookingRequest, OperationError, Operations, book
from voice_agent.operations import booking as booking_ops
from voice_agent.settings import Settings
from voice_agent.storage.sql import SqlStore


async def _window(store: SqlStore, conv: str) -> dict[str, str]:
    stored = await store.get_conversation(conv)
    assert stored is not None
    return dict(stored.state["windows"][0])


async def _offered(client: hcp.HcpClient, engine: DialogueEngine, start: str) -> bool:
    day = datetime.fromisoformat(start).astimezone(engine.settings.zone).date()
    windows = await client.schedule.booking_windows(
        start_date=day, show_for_days=1, service_duration=120
    )
    return any(w.start_time == datetime.fromisoformat(start) for w in windows)


async def test_a_booked_window_is_no_longer_offered(
    make_engine: EngineFactory,
    sandbox_state: SandboxState,
    store: SqlStore,
    hcp_client: hcp.HcpClient,
) -> None:
    model = ScriptedChatModel()
    engine = make_engine(model)
    conv = await open_call(engine, "CA-tech")
    await at_the_yes(engine, model, conv)
    window = await _window(store, conv)
    start, end = datetime.fromisoformat(window["start"]), datetime.fromisoformat(window["end"])
    free = await _leave_one_technician_free(sandbox_state, hcp_client, start, end)
    assert await _offered(hcp_client, engine, window["start"])

    model.add(*_book())
    _, events = await talk(engine, conv, "yes")

    booked = tool_results(events)["book_job"].result
    assert isinstance(booked, dict) and booked["booked"] is True
    assert not await _offered(hcp_client, engine, window["start"])  # the old code: still offered
    job = sandbox_state.get("jobs", str(booked["job_id"]))
    assert job is not None and job["assigned_employee_ids"] == [free]


async def test_an_unassigned_job_in_the_window_counts_at_the_recheck(
    make_engine: EngineFactory,
    sandbox_state: SandboxState,
    store: SqlStore,
    hcp_client: hcp.HcpClient,
) -> None:
    model = ScriptedChatModel()
    engine = make_engine(model)
    conv = await open_call(engine, "CA-unassigned")
    await at_the_yes(engine, model, conv)
    window = await _window(store, conv)
    start, end = datetime.fromisoformat(window["start"]), datetime.fromisoformat(window["end"])
    await _leave_one_technician_free(sandbox_state, hcp_client, start, end)
    other = next(
        c for c in sandbox_state.all("customers") if c.get("mobile_number") != "2175550100"
    )
    await hcp_client.jobs.create(  # the office booked someone there without a technician yet
        {
            "customer_id": other["id"],
            "address_id": other["addresses"][0]["id"],
            "schedule": {"scheduled_start": start, "scheduled_end": end},
        }
    )
    jobs_before = len(sandbox_state.all("jobs"))

    model.add(calls(("book_job", {}), ("book_job", {}), ("book_job", {})), say("Sorry."))
    _, events = await talk(engine, conv, "yes")

    answers = [e.result for e in events if isinstance(e, ToolFinished)]
    assert len(answers) == 3 and answers[0] == answers[1] == answers[2]  # one answer, consumed once
    result = answers[0]
    assert isinstance(result, dict) and result["booked"] is False
    assert result["taken"] == window["spoken"] and result["other_windows"]
    assert len(sandbox_state.all("jobs")) == jobs_before


def _book() -> list[Completion]:
    return [call("book_job"), say("Done.")]


async def test_a_booking_takes_at_most_five_hcp_requests(
    make_engine: EngineFactory, transport: CountingTransport
) -> None:
    """Caller lookup, verification, availability, the technician re-check and the job; the
    reference data (job types, employees) is cached across calls."""
    model = ScriptedChatModel()
    engine = make_engine(model)
    warm = await open_call(engine, "CA-warm")  # a first call fills the reference cache
    await at_the_yes(engine, model, warm)
    model.add(*_book())
    await talk(engine, warm, "yes")
    before = len(transport.requests)

    conv = await open_call(engine, "CA-count")
    await at_the_yes(engine, model, conv)
    model.add(*_book())
    await talk(engine, conv, "yes")

    requests = transport.requests[before:]
    assert len(requests) <= 5, requests


async def test_guided_intake_offers_the_other_windows_when_one_is_taken(
    make_engine: EngineFactory,
    sandbox_state: SandboxState,
    store: SqlStore,
    hcp_client: hcp.HcpClient,
) -> None:
    engine = make_engine()  # guided intake
    conv = await open_call(engine, "CA-guided-taken")
    for line in ("my AC is broken", "6420 Oak Street", "the first one"):
        await talk(engine, conv, line)
    stored = await store.get_conversation(conv)
    assert stored is not None
    first, *others = stored.state["windows"]
    start, end = datetime.fromisoformat(first["start"]), datetime.fromisoformat(first["end"])
    free = await _leave_one_technician_free(sandbox_state, hcp_client, start, end)
    other = next(
        c for c in sandbox_state.all("customers") if c.get("mobile_number") != "2175550100"
    )
    await hcp_client.jobs.create(  # another caller took the last technician meanwhile
        {
            "customer_id": other["id"],
            "address_id": other["addresses"][0]["id"],
            "schedule": {"scheduled_start": start, "scheduled_end": end},
            "assigned_employee_ids": [free],
        }
    )

    reply, _ = await talk(engine, conv, "yes")

    assert "just taken" in reply and all(w["spoken"] in reply for w in others)
    reply, _ = await talk(engine, conv, "the first one")  # of the remaining ones
    assert others[0]["spoken"] in reply
    reply, _ = await talk(engine, conv, "yes")
    assert "booked" in reply.lower()


async def test_a_texted_booking_and_a_phone_booking_never_share_the_last_technician(
    sandbox_state: SandboxState,
    store: SqlStore,
    hcp_client: hcp.HcpClient,
    business: Settings,
    faults: Faults,
) -> None:
    [first, *_] = await hcp_client.schedule.booking_windows(
        start_date=datetime.now(business.zone).date(), show_for_days=7, service_duration=120
    )
    start, end = first.start_time, first.end_time
    free = await _leave_one_technician_free(sandbox_state, hcp_client, start, end)
    texter, caller = [c for c in sandbox_state.all("customers") if c.get("addresses")][:2]
    by_text = ClientGateway(hcp_client, store).create_job(
        JobCreate(
            customer_id=texter["id"],
            address_id=texter["addresses"][0]["id"],
            schedule=JobScheduleCreate(scheduled_start=start, scheduled_end=end),
        )
    )
    ops = Operations.build(hcp_client=hcp_client, store=store, settings=business)
    by_phone = book(
        ops,
        BookingRequest(
            key="CA-race:book",
            customer_id=caller["id"],
            address_id=caller["addresses"][0]["id"],
            start=start.astimezone(business.zone),  # the same instant, written another way
            end=end.astimezone(business.zone),
            notes="Booked by phone agent.",
        ),
    )
    # creating a job takes a moment, as on live HCP: the other booking checks meanwhile
    faults.replace([FaultRule("latency", path="^/jobs$", method="POST", seconds=0.05)])

    async def texted_a_moment_later() -> Job:
        await asyncio.sleep(0.01)
        return await by_text

    outcomes = await asyncio.gather(by_phone, texted_a_moment_later(), return_exceptions=True)
    # the loser (usually the texted one) hears "just taken" and is offered other times; the
    # old gateway checked outside the window's lease and got HCP's refusal instead
    assert sorted(type(o).__name__ for o in outcomes) in (
        ["Booking", "SlotTakenError"],
        ["Job", "SlotTakenError"],
    ), outcomes
    in_window = [
        j
        for j in sandbox_state.all("jobs")
        for a in j.get("appointments", [])
        if free in a["dispatched_employees_ids"]
        and datetime.fromisoformat(a["start_time"].replace("Z", "+00:00")) == start
    ]
    assert len(in_window) == 1


async def test_one_window_is_one_lease_however_its_start_is_written(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(booking_ops, "WINDOW_WAIT_SECONDS", 0.05)
    start = datetime(2026, 12, 7, 14, tzinfo=UTC)
    async with booking_ops.window_lease(store, start):
        with pytest.raises(OperationError):  # the old name held the zone: a second lease
            async with booking_ops.window_lease(
                store, start.astimezone(ZoneInfo("America/Chicago"))
            ):
                pass
    async with booking_ops.window_lease(store, start.astimezone(ZoneInfo("America/Chicago"))):
        pass  # let go: free again
