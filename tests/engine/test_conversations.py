"""DESIGN.md §4 conversations end to end: scripted model, real engine, SqlStore and sandbox."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from hcp.sandbox import SandboxState
from hcp.sandbox.testing import FakeClock
from tests.engine.conftest import OFFICE, ON_CALL, EngineFactory
from tests.engine.fakes import ScriptedChatModel, call, say, talk, tool_results
from voice_agent.engine.dialogue import DialogueEngine
from voice_agent.engine.events import EndConversation, ToolStarted, Transfer
from voice_agent.settings import Settings
from voice_agent.storage.base import NewConversation
from voice_agent.storage.sql import SqlStore

JAMES = "+12175550100"  # seeded: James Smith, 6420 Oak St, Springfield
NEW_CALLER = "+15551230001"


def customers_with_phone(state: SandboxState, digits: str) -> list[dict[str, Any]]:
    return [c for c in state.all("customers") if c.get("mobile_number") == digits]


def job_type_id(state: SandboxState, name: str) -> str:
    return next(jt["id"] for jt in state.all("job_types") if jt["name"] == name)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def open_call(engine: DialogueEngine, caller: str, external_id: str = "CA-1") -> str:
    new = NewConversation(channel="voice", external_id=external_id, caller=caller)
    return (await engine.start(new)).conversation.id


async def offered(store: SqlStore, conv: str) -> list[dict[str, Any]]:
    stored = await store.get_conversation(conv)
    assert stored is not None
    return list(stored.state["windows"])


@pytest.fixture
def phone_source(business: Settings) -> Settings:
    """Bookings tagged with a lead source the demo company has."""
    return business.model_copy(update={"booking_lead_source": "Phone call"})


async def book_as_known_caller(
    engine: DialogueEngine, model: ScriptedChatModel, store: SqlStore, conv: str
) -> tuple[str, dict[str, Any]]:
    model.add(call("record_problem", {"problem": "AC blowing warm air"}), say("Your address?"))
    await talk(engine, conv, "Hi, my AC is blowing warm air")
    model.add(
        call("verify_caller", {"street_address": "6420 Oak Street"}),
        call("check_availability"),
        say("I have a few times. Which works?"),
    )
    _, events = await talk(engine, conv, "6420 Oak Street")
    assert 2 <= len(tool_results(events)["check_availability"].result["windows"]) <= 3
    window = (await offered(store, conv))[0]
    model.add(call("propose_booking", {"window_id": "w1"}), say("Shall I book it?"))
    _, events = await talk(engine, conv, "the first one")
    assert "AC repair" in tool_results(events)["propose_booking"].result["read_back"]
    model.add(call("book_job"), say("You're all set."))
    _, events = await talk(engine, conv, "yes")
    booked = tool_results(events)["book_job"]
    assert booked.error is None, booked.error
    return str(booked.result["job_id"]), window


async def test_known_caller_books_a_job(
    make_engine: EngineFactory, sandbox_state: SandboxState, store: SqlStore, phone_source: Settings
) -> None:
    model = ScriptedChatModel()
    engine = make_engine(model, settings=phone_source)
    customers_before = len(sandbox_state.all("customers"))
    started = await engine.start(NewConversation(channel="voice", external_id="CA-k", caller=JAMES))
    assert started.greeting.startswith("Hi James")
    conv = started.conversation.id

    job_id, window = await book_as_known_caller(engine, model, store, conv)

    job = sandbox_state.get("jobs", job_id)
    assert job is not None
    james = customers_with_phone(sandbox_state, "2175550100")[0]
    assert job["customer_id"] == james["id"]
    assert job["address_id"] == james["addresses"][0]["id"]
    assert job["job_type_id"] == job_type_id(sandbox_state, "AC repair")
    assert job["lead_source"] == "Phone call"
    assert "voice-agent" in job["tags"]
    assert "AC blowing warm air" in job["notes"][0]["content"]
    assert utc(job["appointments"][0]["start_time"]) == datetime.fromisoformat(window["start"])
    assert utc(job["appointments"][0]["end_time"]) == datetime.fromisoformat(window["end"])
    assert job["arrival_window"] == 120
    assert len(sandbox_state.all("customers")) == customers_before
    stored = await store.get_conversation(conv)
    assert stored is not None and stored.outcome == "booked"
    assert stored.hcp_customer_id == james["id"]
    writes = await store.list_hcp_writes(conv)
    assert [(w.operation, w.status, w.hcp_id) for w in writes] == [("create_job", "done", job_id)]
    names = [t.name for t in await store.list_tool_calls(conv)]
    assert names.count("book_job") == 1
    roles = [(t.seq, t.role) for t in await store.list_turns(conv)]
    assert roles[0] == (0, "agent") and (4, "caller") in roles and (4, "agent") in roles


async def test_new_caller_becomes_one_customer_and_books(
    make_engine: EngineFactory, sandbox_state: SandboxState, store: SqlStore, phone_source: Settings
) -> None:
    model = ScriptedChatModel()
    engine = make_engine(model, settings=phone_source)
    started = await engine.start(
        NewConversation(channel="voice", external_id="CA-n", caller=NEW_CALLER)
    )
    assert started.greeting.startswith("Hi there")
    conv = started.conversation.id
    model.add(call("record_problem", {"problem": "kitchen drain clogged"}), say("Your name?"))
    await talk(engine, conv, "My kitchen drain is clogged")
    details = {
        "first_name": "Jane",
        "last_name": "Doe",
        "street": "12 Birch Drive",
        "city": "Chatham",
        "state": "IL",
        "zip": "62629",
    }
    model.add(call("find_or_create_customer", details), call("check_availability"), say("Times?"))
    _, events = await talk(engine, conv, "Jane Doe, 12 Birch Drive in Chatham")
    assert tool_results(events)["find_or_create_customer"].result["created"] is True
    model.add(call("propose_booking", {"window_id": "w2"}), say("Shall I book it?"))
    await talk(engine, conv, "the second one")
    model.add(call("book_job"), say("Done."))
    _, events = await talk(engine, conv, "yes please")
    job = sandbox_state.get("jobs", tool_results(events)["book_job"].result["job_id"])
    assert job is not None

    jane = customers_with_phone(sandbox_state, "5551230001")
    assert len(jane) == 1
    assert (jane[0]["first_name"], jane[0]["last_name"]) == ("Jane", "Doe")
    assert jane[0]["addresses"][0]["street"] == "12 Birch Drive"
    assert job["customer_id"] == jane[0]["id"]
    assert job["job_type_id"] == job_type_id(sandbox_state, "Drain cleaning")

    # Jane calls again from another phone and gives the same name and address: no duplicate.
    model.add(call("find_or_create_customer", details), say("Found you."))
    conv2 = await open_call(engine, "+15551239999", "CA-n2")
    _, events = await talk(engine, conv2, "It's Jane Doe at 12 Birch Drive")
    assert "created" not in tool_results(events)["find_or_create_customer"].result
    assert len([c for c in sandbox_state.all("customers") if c["last_name"] == "Doe"]) == 1


async def test_appointment_reschedule_and_cancel_request(
    make_engine: EngineFactory, sandbox_state: SandboxState, store: SqlStore, phone_source: Settings
) -> None:
    model = ScriptedChatModel()
    engine = make_engine(model, settings=phone_source)
    conv = await open_call(engine, JAMES, "CA-a")
    job_id, _ = await book_as_known_caller(engine, model, store, conv)

    conv2 = await open_call(engine, JAMES, "CA-a2")
    model.add(
        call("verify_caller", {"street_address": "6420 Oak Street"}),
        call("list_my_appointments"),
        say("Your tech comes tomorrow."),
    )
    _, events = await talk(engine, conv2, "When is my tech coming? I'm James Smith.")
    appointments = tool_results(events)["list_my_appointments"].result["appointments"]
    assert [a["job_id"] for a in appointments] == [job_id]
    assert appointments[0]["when"].startswith("between 8 and 10")

    model.add(call("check_availability", {"preferred_time": "Saturday"}), say("Saturday works?"))
    await talk(engine, conv2, "Can we move it to Saturday?")
    new_window = (await offered(store, conv2))[0]
    model.add(call("propose_reschedule", {"job_id": job_id, "window_id": "w1"}), say("Move it?"))
    await talk(engine, conv2, "Yes Saturday")
    model.add(call("reschedule_appointment"), say("Moved."))
    _, events = await talk(engine, conv2, "yes")
    assert tool_results(events)["reschedule_appointment"].error is None
    job = sandbox_state.get("jobs", job_id)
    assert job is not None
    assert utc(job["appointments"][0]["start_time"]) == datetime.fromisoformat(new_window["start"])
    assert datetime.fromisoformat(new_window["start"]).astimezone(phone_source.zone).weekday() == 5

    model.add(
        call("propose_cancellation", {"job_id": job_id, "reason": "going away"}), say("Cancel?")
    )
    await talk(engine, conv2, "Actually please cancel it")
    model.add(call("request_cancellation"), say("Sent to the office."))
    _, events = await talk(engine, conv2, "yes")
    assert tool_results(events)["request_cancellation"].error is None
    job = sandbox_state.get("jobs", job_id)
    assert job is not None
    assert any("cancel" in n["content"].lower() for n in job["notes"])
    notices = [o for o in await store.list_outbox() if o.kind == "notify_office"]
    assert any(job_id in o.payload["text"] for o in notices)


async def test_estimate_then_approval_becomes_a_scheduled_job(
    make_engine: EngineFactory, sandbox_state: SandboxState, store: SqlStore, phone_source: Settings
) -> None:
    model = ScriptedChatModel()
    engine = make_engine(model, settings=phone_source)
    conv = await open_call(engine, JAMES, "CA-e")
    model.add(
        call("verify_caller", {"street_address": "6420 Oak St"}),
        call("record_problem", {"problem": "need a new water heater"}),
        call("create_estimate", {"description": "water heater replacement"}),
        say("I've texted you the estimate."),
    )
    _, events = await talk(engine, conv, "I'd like a quote for replacing my water heater")
    estimate = tool_results(events)["create_estimate"]
    assert estimate.error is None, estimate.error
    assert estimate.result["items"][0]["name"] == "Water heater replacement (50 gal)"
    assert estimate.result["items"][0]["price"] == "$1,899"
    texts = [o for o in await store.list_outbox() if o.kind == "sms"]
    assert texts and texts[0].payload["to"] == JAMES and "$1,899" in texts[0].payload["body"]

    model.add(call("list_my_estimates"), call("check_availability"), say("Which option and time?"))
    _, events = await talk(engine, conv, "I want to approve it and get it scheduled")
    ours = [
        e
        for e in tool_results(events)["list_my_estimates"].result["estimates"]
        if e["estimate_number"] == estimate.result["estimate_number"]
    ]
    option_id = ours[0]["options"][0]["option_id"]
    window = (await offered(store, conv))[0]
    model.add(
        call("propose_estimate_approval", {"option_id": option_id, "window_id": "w1"}),
        say("Approve?"),
    )
    await talk(engine, conv, "the first time")
    model.add(call("approve_estimate_option"), say("Approved and scheduled."))
    _, events = await talk(engine, conv, "yes")
    approved = tool_results(events)["approve_estimate_option"]
    assert approved.error is None, approved.error
    job = sandbox_state.get("jobs", approved.result["job_id"])
    assert job is not None and job["appointments"]
    assert utc(job["appointments"][0]["start_time"]) == datetime.fromisoformat(window["start"])
    option = next(
        o for e in sandbox_state.all("estimates") for o in e["options"] if o["id"] == option_id
    )
    assert option["approval_status"] == "pro approved"


async def test_invoice_balance_and_payment_link(
    make_engine: EngineFactory, sandbox_state: SandboxState, store: SqlStore, clock: FakeClock
) -> None:
    owing = _customer_with_open_invoice(sandbox_state)
    phone = "+1" + owing["mobile_number"]
    model = ScriptedChatModel()
    engine = make_engine(model)
    conv = await open_call(engine, phone, "CA-i")
    model.add(
        call("verify_caller", {"street_address": owing["addresses"][0]["street"]}),
        call("my_invoices"),
        say("You owe some money."),
    )
    _, events = await talk(engine, conv, "How much do I owe?")
    invoices = tool_results(events)["my_invoices"].result
    assert invoices["open_invoices"]
    assert invoices["balance"].startswith("$")
    assert invoices["overdue_count"] == sum(1 for i in invoices["open_invoices"] if i["overdue"])
    model.add(call("send_payment_link"), say("Texted."))
    await talk(engine, conv, "Can you text me a link to pay?")
    texts = [o for o in await store.list_outbox() if o.kind == "sms"]
    assert len(texts) == 1
    assert texts[0].payload["to"] == phone
    assert "https://pay.example.com/brightoak" in texts[0].payload["body"]


def _customer_with_open_invoice(state: SandboxState) -> dict[str, Any]:
    for invoice in state.all("invoices"):
        if invoice.get("status") == "open":
            job = state.get("jobs", invoice["job_id"])
            assert job is not None
            customer = state.get("customers", job["customer_id"])
            assert customer is not None
            others = [
                c for c in state.all("customers") if c["mobile_number"] == customer["mobile_number"]
            ]
            if len(others) == 1:
                return customer
    raise AssertionError("the demo company has no open invoice")


@pytest.mark.parametrize(
    ("said", "kind"),
    [
        ("I smell gas in the kitchen", "gas"),
        ("the CO detector is going off", "carbon_monoxide"),
        ("there are sparks coming out of the outlet", "electrical_fire"),
    ],
)
async def test_emergency_gives_safety_line_then_transfers_without_the_model(
    make_engine: EngineFactory, store: SqlStore, said: str, kind: str
) -> None:
    model = ScriptedChatModel()  # no steps: the model must not run
    engine = make_engine(model)
    conv = await open_call(engine, NEW_CALLER, f"CA-{kind}")
    reply, events = await talk(engine, conv, said)
    transfer = [e for e in events if isinstance(e, Transfer)]
    assert transfer == [Transfer(ON_CALL, f"emergency:{kind}")]
    from voice_agent.engine.intents import SAFETY_INSTRUCTIONS

    assert reply.startswith(SAFETY_INSTRUCTIONS[kind])  # type: ignore[index]
    assert model.requests == []
    stored = await store.get_conversation(conv)
    assert stored is not None and stored.outcome == "emergency"


async def test_person_in_hours_transfers_to_office(make_engine: EngineFactory) -> None:
    engine = make_engine(ScriptedChatModel())
    conv = await open_call(engine, NEW_CALLER, "CA-h1")
    _, events = await talk(engine, conv, "Can I talk to a real person?")
    assert [e for e in events if isinstance(e, Transfer)] == [
        Transfer(OFFICE, "caller asked for a person")
    ]


async def test_person_after_hours_takes_a_message(
    make_engine: EngineFactory, clock: FakeClock, sandbox_state: SandboxState, store: SqlStore
) -> None:
    clock.advance(hours=10)  # 19:00 in Chicago: closed
    model = ScriptedChatModel()
    engine = make_engine(model)
    conv = await open_call(engine, NEW_CALLER, "CA-h2")
    reply, events = await talk(engine, conv, "I want to speak to an operator")
    assert not [e for e in events if isinstance(e, Transfer)]
    assert "closed" in reply and "message" in reply
    model.add(
        call("take_message", {"message": "Please call me about my furnace", "name": "Pat Lee"}),
        say("I've passed that on."),
    )
    await talk(engine, conv, "Please call me about my furnace. This is Pat Lee.")
    _, tools = model.requests[-2]  # the turn's first request: only the closing tools
    assert "book_job" not in tools and "take_message" in tools
    leads = sandbox_state.all("leads")
    assert len(leads) == 1
    notices = [o for o in await store.list_outbox() if o.kind == "notify_office"]
    assert any("furnace" in o.payload["text"] for o in notices)


async def test_take_a_message_creates_a_lead_and_notifies_the_office(
    make_engine: EngineFactory, sandbox_state: SandboxState, store: SqlStore
) -> None:
    model = ScriptedChatModel()
    engine = make_engine(model)
    conv = await open_call(engine, JAMES, "CA-m")
    model.add(
        call("take_message", {"message": "Question about a warranty on my furnace"}),
        call("end_call", {"reason": "message taken"}),
    )
    reply, events = await talk(engine, conv, "Can you take a message about my warranty?")
    assert isinstance(events[-1], EndConversation)
    assert "Goodbye" in reply
    leads = sandbox_state.all("leads")
    assert len(leads) == 1
    james = customers_with_phone(sandbox_state, "2175550100")[0]
    assert leads[0].get("customer_id", leads[0].get("customer", {}).get("id")) == james["id"]
    assert [o.kind for o in await store.list_outbox()] == ["notify_office"]
    stored = await store.get_conversation(conv)
    assert stored is not None and stored.outcome == "message" and stored.status == "completed"
    assert any(isinstance(e, ToolStarted) and e.name == "take_message" for e in events)
    _ = timedelta
