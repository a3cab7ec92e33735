"""Exactly once: parallel tool calls, a confirmed action consumed once, racing callers.

Real engine, SqlStore and sandbox; the model is scripted by the caller's last line.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import hcp
from hcp.sandbox import SandboxState
from tests.engine.conftest import EngineFactory
from tests.engine.fakes import ScriptedChatModel, call, calls, say, talk, tool_results
from voice_agent.engine.dialogue import DialogueEngine
from voice_agent.engine.messages import ChatMessage, Completion, ToolSchema
from voice_agent.storage.base import NewConversation
from voice_agent.storage.sql import SqlStore

JAMES = "+12175550100"  # seeded: James Smith, 6420 Oak St, Springfield


async def open_call(engine: DialogueEngine, external_id: str, caller: str = JAMES) -> str:
    new = NewConversation(channel="voice", external_id=external_id, caller=caller)
    return (await engine.start(new)).conversation.id


async def at_the_yes(engine: DialogueEngine, model: ScriptedChatModel, conv: str) -> None:
    """A verified caller has heard the read-back of the first window."""
    model.add(
        calls(
            ("record_problem", {"problem": "AC blowing warm air"}),
            ("verify_caller", {"street_address": "6420 Oak Street"}),
        ),
        call("check_availability"),
        say("I have a few times."),
    )
    await talk(engine, conv, "My AC is blowing warm air, I'm at 6420 Oak Street")
    model.add(call("propose_booking", {"window_id": "w1"}), say("Shall I book that?"))
    await talk(engine, conv, "the first one")


def jobs_at(state: SandboxState, start: str) -> list[dict[str, Any]]:
    return [
        j
        for j in state.all("jobs")
        if any(
            datetime.fromisoformat(a["start_time"].replace("Z", "+00:00"))
            == datetime.fromisoformat(start)
            for a in j.get("appointments", [])
        )
    ]


async def test_three_parallel_book_calls_make_one_job_with_identical_answers(
    make_engine: EngineFactory, sandbox_state: SandboxState, store: SqlStore
) -> None:
    model = ScriptedChatModel()
    engine = make_engine(model)
    conv = await open_call(engine, "CA-3book")
    await at_the_yes(engine, model, conv)
    jobs_before = len(sandbox_state.all("jobs"))

    model.add(calls(("book_job", {}), ("book_job", {}), ("book_job", {})), say("Booked."))
    _, events = await talk(engine, conv, "yes")

    results = [e for e in events if getattr(e, "name", None) == "book_job" and hasattr(e, "error")]
    assert len(results) == 3
    assert all(r.error is None for r in results), [r.error for r in results]  # type: ignore[attr-defined]
    answers = {json.dumps(r.result, sort_keys=True) for r in results}  # type: ignore[attr-defined]
    assert len(answers) == 1
    assert len(sandbox_state.all("jobs")) == jobs_before + 1
    writes = [w for w in await store.list_hcp_writes(conv) if w.operation == "create_job"]
    assert [w.status for w in writes] == ["done"]


async def test_three_parallel_cancel_calls_leave_one_note_and_one_notice(
    make_engine: EngineFactory,
    sandbox_state: SandboxState,
    store: SqlStore,
    hcp_client: hcp.HcpClient,
) -> None:
    job_id = await james_upcoming_job(sandbox_state, hcp_client)
    model = ScriptedChatModel()
    engine = make_engine(model)
    conv = await open_call(engine, "CA-3cancel")
    model.add(
        call("verify_caller", {"street_address": "6420 Oak Street"}),
        call("list_my_appointments"),
        say("You have a visit."),
    )
    _, events = await talk(engine, conv, "When is my visit? I'm at 6420 Oak Street")
    appointments = tool_results(events)["list_my_appointments"].result["appointments"]
    assert [a["job_id"] for a in appointments] == [job_id]
    model.add(
        call("propose_cancellation", {"job_id": job_id, "reason": "moving away"}),
        say("Shall I send that?"),
    )
    await talk(engine, conv, "please cancel it")
    notes_before = len(sandbox_state.get("jobs", job_id)["notes"])  # type: ignore[index]

    model.add(
        calls(
            ("request_cancellation", {}), ("request_cancellation", {}), ("request_cancellation", {})
        ),
        say("Sent."),
    )
    _, events = await talk(engine, conv, "yes")

    errors = [
        e.error
        for e in events
        if getattr(e, "name", None) == "request_cancellation" and hasattr(e, "error")
    ]  # type: ignore[attr-defined]
    assert errors == [None, None, None]
    notes = sandbox_state.get("jobs", job_id)["notes"]  # type: ignore[index]
    assert len(notes) == notes_before + 1
    notices = [
        i
        for i in await store.list_outbox()
        if i.kind == "notify_office" and job_id in i.payload["text"]
    ]
    assert len(notices) == 1


async def james_upcoming_job(state: SandboxState, client: hcp.HcpClient) -> str:
    """A visit for James next week (created straight in HCP), with a technician."""
    james = next(c for c in state.all("customers") if c.get("mobile_number") == "2175550100")
    windows = await client.schedule.booking_windows(show_for_days=7, service_duration=120)
    window = windows[-1]
    job = await client.jobs.create(
        {
            "customer_id": james["id"],
            "address_id": james["addresses"][0]["id"],
            "schedule": {"scheduled_start": window.start_time, "scheduled_end": window.end_time},
            "assigned_employee_ids": [state.all("employees")[0]["id"]],
        }
    )
    return job.id


class ByLine:
    """A model that answers each caller line with a fixed step, then says "ok" after tools."""

    name = "by-line"

    def __init__(self, steps: dict[str, Completion]) -> None:
        self.steps = steps

    async def complete(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSchema], *, timeout: float
    ) -> Completion:
        last = messages[-1]
        if last.role == "user":
            return self.steps[last.content or ""]
        since = messages[max(i for i, m in enumerate(messages) if m.role == "user") + 1 :]
        results = [m.content or "" for m in since if m.role == "tool"]
        if any('"verified": true' in r for r in results) and not any(
            '"windows"' in r for r in results
        ):
            return call("check_availability")
        return say("ok")


async def test_five_callers_racing_for_one_window_make_one_job(
    make_engine: EngineFactory,
    sandbox_state: SandboxState,
    store: SqlStore,
    hcp_client: hcp.HcpClient,
) -> None:
    model = ByLine(
        {
            "hi": calls(
                ("record_problem", {"problem": "AC blowing warm air"}),
                ("verify_caller", {"street_address": "6420 Oak Street"}),
            ),
            "the first one": call("propose_booking", {"window_id": "w1"}),
            "yes": call("book_job"),
        }
    )
    engine = make_engine(model)
    convs = [await open_call(engine, f"CA-race-{i}") for i in range(5)]
    for conv in convs:
        await talk(engine, conv, "hi")
    stored = await store.get_conversation(convs[0])
    assert stored is not None
    window = stored.state["windows"][0]
    start, end = datetime.fromisoformat(window["start"]), datetime.fromisoformat(window["end"])
    await _leave_one_technician_free(sandbox_state, hcp_client, start, end)
    for conv in convs:
        await talk(engine, conv, "the first one")
    before = len(jobs_at(sandbox_state, window["start"]))

    outcomes = await asyncio.gather(*(talk(engine, conv, "yes") for conv in convs))

    results = [tool_results(events)["book_job"] for _, events in outcomes]
    assert [r.error for r in results] == [None] * 5
    booked = [r.result for r in results if r.result["booked"]]  # type: ignore[index]
    others = [r.result for r in results if not r.result["booked"]]  # type: ignore[index]
    assert len(booked) == 1 and len(others) == 4
    assert all(o["other_windows"] and o["taken"] == window["spoken"] for o in others)  # type: ignore[index]
    assert len(jobs_at(sandbox_state, window["start"])) == before + 1


async def _leave_one_technician_free(
    state: SandboxState, client: hcp.HcpClient, start: datetime, end: datetime
) -> str:
    """Book every bookable technician but one in [start, end) (other customers' jobs)."""
    techs = [
        e["id"]
        for e in state.all("employees")
        if e["permissions"].get("can_be_booked_online") is True
    ]
    busy = {
        emp
        for job in state.all("jobs")
        for a in job.get("appointments", [])
        if datetime.fromisoformat(a["start_time"].replace("Z", "+00:00")) < end
        and start < datetime.fromisoformat(a["end_time"].replace("Z", "+00:00"))
        for emp in a["dispatched_employees_ids"]
    }
    free = [t for t in techs if t not in busy]
    other = next(c for c in state.all("customers") if c.get("mobile_number") != "2175550100")
    for tech in free[1:]:
        await client.jobs.create(
            {
                "customer_id": other["id"],
                "address_id": other["addresses"][0]["id"],
                "schedule": {"scheduled_start": start, "scheduled_end": end},
                "assigned_employee_ids": [tech],
            }
        )
    return free[0]
