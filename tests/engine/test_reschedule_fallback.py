"""Rescheduling when HCP refuses `PUT /jobs/{id}/schedule` (the spec lists it for application
keys/OAuth only): the appointment is moved instead, or the office gets the request; never a
new job."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest

import hcp
from hcp.sandbox import SandboxState
from hcp.sandbox.testing import SANDBOX_BASE_URL, FakeClock
from tests.engine.conftest import CountingTransport, EngineFactory
from tests.engine.fakes import ScriptedChatModel, call, say, talk, tool_results
from tests.engine.test_exactly_once import _leave_one_technician_free, james_upcoming_job
from voice_agent.engine.dialogue import DialogueEngine
from voice_agent.settings import Settings
from voice_agent.storage.base import NewConversation
from voice_agent.storage.sql import SqlStore
from voice_agent.tools import default_registry

JAMES = "+12175550100"


class Refusing(httpx.AsyncBaseTransport):
    """Answers 403 (as HCP does for a company key) to requests matching `refuse`."""

    def __init__(self, inner: httpx.AsyncBaseTransport, refuse: list[tuple[str, str]]) -> None:
        self.inner = inner
        self.refuse = refuse
        self.refused: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        for method, pattern in self.refuse:
            if request.method == method and re.search(pattern, request.url.path):
                self.refused.append(f"{request.method} {request.url.path}")
                return httpx.Response(403, json={"message": "Forbidden"})
        return await self.inner.handle_async_request(request)


@pytest.fixture
async def refusing_client(
    transport: CountingTransport,
) -> AsyncIterator[tuple[hcp.HcpClient, Refusing]]:
    refusing = Refusing(transport, [("PUT", r"^/jobs/[^/]+/schedule$")])
    client = hcp.HcpClient(
        "sandbox",
        base_url=SANDBOX_BASE_URL,
        allowed_domains=("sandbox.hcp.test",),
        transport=refusing,
        max_retries=0,
    )
    yield client, refusing
    await client.aclose()


async def _reschedule(
    client: hcp.HcpClient, store: SqlStore, business: Settings, clock: FakeClock, job_id: str
) -> tuple[DialogueEngine, str, dict[str, object], dict[str, object]]:
    model = ScriptedChatModel()
    engine = DialogueEngine(
        store=store,
        hcp_client=client,
        model=model,
        settings=business,
        tools=default_registry(),
        clock=clock,
    )
    started = await engine.start(
        NewConversation(channel="voice", external_id="CA-mv", caller=JAMES)
    )
    conv = started.conversation.id
    model.add(
        call("verify_caller", {"street_address": "6420 Oak Street"}),
        call("check_availability"),
        say("When would you like it?"),
    )
    await talk(engine, conv, "I need to move my visit. 6420 Oak Street")
    stored = await store.get_conversation(conv)
    assert stored is not None
    window = stored.state["windows"][0]
    model.add(call("propose_reschedule", {"job_id": job_id, "window_id": "w1"}), say("Move it?"))
    await talk(engine, conv, "the first one")
    model.add(call("reschedule_appointment"), say("Done."))
    _, events = await talk(engine, conv, "yes")
    outcome = tool_results(events)["reschedule_appointment"]
    assert outcome.error is None, outcome.error
    assert isinstance(outcome.result, dict)
    return engine, conv, window, outcome.result


async def test_a_refused_schedule_update_moves_the_appointment_instead(
    refusing_client: tuple[hcp.HcpClient, Refusing],
    hcp_client: hcp.HcpClient,
    sandbox_state: SandboxState,
    store: SqlStore,
    business: Settings,
    clock: FakeClock,
) -> None:
    client, refusing = refusing_client
    job_id = await james_upcoming_job(sandbox_state, hcp_client)
    jobs_before = len(sandbox_state.all("jobs"))

    _, _, window, result = await _reschedule(client, store, business, clock, job_id)

    assert refusing.refused == [f"PUT /jobs/{job_id}/schedule"]
    assert result["rescheduled"] is True
    job = sandbox_state.get("jobs", job_id)
    assert job is not None
    [appointment] = job["appointments"]
    moved_to = datetime.fromisoformat(appointment["start_time"].replace("Z", "+00:00"))
    assert moved_to == datetime.fromisoformat(str(window["start"]))
    assert len(sandbox_state.all("jobs")) == jobs_before


async def test_when_the_appointment_is_refused_too_the_office_gets_the_request(
    refusing_client: tuple[hcp.HcpClient, Refusing],
    hcp_client: hcp.HcpClient,
    sandbox_state: SandboxState,
    store: SqlStore,
    business: Settings,
    clock: FakeClock,
) -> None:
    client, refusing = refusing_client
    refusing.refuse.append(("PUT", r"^/jobs/[^/]+/appointments/"))
    job_id = await james_upcoming_job(sandbox_state, hcp_client)
    job = sandbox_state.get("jobs", job_id)
    assert job is not None
    start_before = job["appointments"][0]["start_time"]
    notes_before = len(job["notes"])
    jobs_before = len(sandbox_state.all("jobs"))

    _, conv, _, result = await _reschedule(client, store, business, clock, job_id)

    assert result["rescheduled"] is False and result["requested"] is True
    assert "office" in str(result["say"])
    job = sandbox_state.get("jobs", job_id)
    assert job is not None
    assert job["appointments"][0]["start_time"] == start_before
    assert len(job["notes"]) == notes_before + 1
    assert "move this visit" in job["notes"][-1]["content"]
    notices = [i for i in await store.list_outbox() if i.kind == "notify_office"]
    assert len(notices) == 1 and job_id in str(notices[0].payload["text"])
    assert len(sandbox_state.all("jobs")) == jobs_before
    stored = await store.get_conversation(conv)
    assert stored is not None and stored.outcome == "reschedule_requested"


async def test_a_visit_is_not_moved_into_a_full_window(
    make_engine: EngineFactory,
    hcp_client: hcp.HcpClient,
    sandbox_state: SandboxState,
    store: SqlStore,
) -> None:
    job_id = await james_upcoming_job(sandbox_state, hcp_client)
    start_before = sandbox_state.get("jobs", job_id)["appointments"][0]["start_time"]  # type: ignore[index]
    model = ScriptedChatModel()
    engine = make_engine(model)
    conv = (
        await engine.start(NewConversation(channel="voice", external_id="CA-full", caller=JAMES))
    ).conversation.id
    model.add(
        call("verify_caller", {"street_address": "6420 Oak Street"}),
        call("check_availability"),
        say("When?"),
    )
    await talk(engine, conv, "I need to move my visit. 6420 Oak Street")
    stored = await store.get_conversation(conv)
    assert stored is not None
    window = stored.state["windows"][0]
    start, end = datetime.fromisoformat(window["start"]), datetime.fromisoformat(window["end"])
    free = await _leave_one_technician_free(sandbox_state, hcp_client, start, end)
    other = next(
        c
        for c in sandbox_state.all("customers")
        if c["id"] != sandbox_state.get("jobs", job_id)["customer_id"]
    )  # type: ignore[index]
    await hcp_client.jobs.create(
        {
            "customer_id": other["id"],
            "address_id": other["addresses"][0]["id"],
            "schedule": {"scheduled_start": start, "scheduled_end": end},
            "assigned_employee_ids": [free],
        }
    )
    model.add(call("propose_reschedule", {"job_id": job_id, "window_id": "w1"}), say("Move?"))
    await talk(engine, conv, "the first one")
    model.add(call("reschedule_appointment"), say("Sorry."))
    _, events = await talk(engine, conv, "yes")

    result = tool_results(events)["reschedule_appointment"].result
    assert isinstance(result, dict) and result["rescheduled"] is False
    assert result["taken"] == window["spoken"] and result["other_windows"]
    job = sandbox_state.get("jobs", job_id)
    assert job is not None and job["appointments"][0]["start_time"] == start_before
