"""Guided intake over signed Twilio webhooks (issue 17): reschedule, cancel, balance, estimate,
Thursday 2 to 4 and a Spanish new caller, each checked against what the HCP sandbox holds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import hcp
from voice_agent.channels.twilio_sim import SimulatedCall
from voice_agent.services import build_sandbox_client
from voice_agent.settings import Settings
from voice_agent.storage import SqlStore

from .conftest import PUBLIC, TOKEN, serving, voice_settings

pytestmark = pytest.mark.usefixtures("settings")

JAMES = "+12175550100"  # seeded: James Smith, 6420 Oak St, Springfield; one open invoice
HINT = "press 1 for yes"
ZONE = ZoneInfo("America/Chicago")


@pytest.fixture
def guided_settings(settings: Settings) -> Settings:
    """Voice settings with a pay link and a lead source the demo company knows."""
    return voice_settings(
        settings.data_dir,
        pay_url="https://pay.example.com/brightoak",
        booking_lead_source="Phone call",
    )


@asynccontextmanager
async def sandbox(settings: Settings) -> AsyncIterator[hcp.HcpClient]:
    client, state = build_sandbox_client(settings)
    try:
        yield client
    finally:
        await client.aclose()
        state.close()


async def james_visit(settings: Settings) -> tuple[str, str]:
    """A visit for James next Monday morning; (job id, customer id)."""
    async with sandbox(settings) as client:
        [customer] = await client.customers.find_by_phone(JAMES)
        today = datetime.now(ZONE).date()
        monday = today + timedelta(days=(7 - today.weekday()) or 7)
        start = datetime(monday.year, monday.month, monday.day, 8, tzinfo=ZONE).astimezone(UTC)
        job = await client.jobs.create(
            {
                "customer_id": customer.id,
                "address_id": customer.addresses[0].id,
                "schedule": {
                    "scheduled_start": start.isoformat(),
                    "scheduled_end": (start + timedelta(hours=2)).isoformat(),
                },
                "notes": "AC repair",
            }
        )
        return job.id, customer.id


async def jobs_of(settings: Settings, customer_id: str) -> list[Any]:
    async with sandbox(settings) as client:
        return list((await client.jobs.list(customer_id=customer_id)).items)


def first_start(jobs: list[Any], job_id: str) -> datetime:
    return local_start(next(j for j in jobs if j.id == job_id))


def local_start(job: Any) -> datetime:
    assert job.schedule and job.schedule.scheduled_start
    start: datetime = job.schedule.scheduled_start
    return start.astimezone(ZONE)


async def test_reschedule_over_the_phone_moves_the_visit(
    guided_settings: Settings, store: SqlStore
) -> None:
    job_id, customer_id = await james_visit(guided_settings)
    before = await jobs_of(guided_settings, customer_id)
    async with serving(guided_settings, store) as client:
        sim = SimulatedCall(client, auth_token=TOKEN, public_base_url=PUBLIC, caller=JAMES)
        await sim.start()
        asked = await sim.say("I need to reschedule my AC appointment")
        assert "street address on your account" in asked.said[-1]
        assert HINT not in asked.said[-1]
        offered = await sim.say("six four two zero Oak Street")
        assert "I can move it to" in offered.said[-1]
        read_back = await sim.say("the last one")
        assert "move your appointment" in read_back.said[-1] and HINT in read_back.said[-1]
        moved = await sim.press("1")
        assert "your appointment is now" in moved.said[-1]
        await sim.hang_up()
    after = await jobs_of(guided_settings, customer_id)
    assert len(after) == len(before)  # moved, not a second job
    [job] = [j for j in after if j.id == job_id]
    assert local_start(job) != first_start(before, job_id)


async def test_cancel_over_the_phone_leaves_a_request_for_the_office(
    guided_settings: Settings, store: SqlStore
) -> None:
    job_id, customer_id = await james_visit(guided_settings)
    before = await jobs_of(guided_settings, customer_id)
    async with serving(guided_settings, store) as client:
        sim = SimulatedCall(client, auth_token=TOKEN, public_base_url=PUBLIC, caller=JAMES)
        await sim.start()
        await sim.say("um I need to cancel my appointment")
        read_back = await sim.say("6420 Oak Street")
        assert "cancel the appointment" in read_back.said[-1] and "I have" not in read_back.text
        sent = await sim.say("yes please")
        assert "cancellation request" in sent.said[-1]
        done = await sim.say("Nope, that's it.")
        assert done.hung_up
    after = await jobs_of(guided_settings, customer_id)
    assert len(after) == len(before)
    [job] = [j for j in after if j.id == job_id]
    assert local_start(job).hour == 8  # still booked: the office confirms cancellations
    async with sandbox(guided_settings) as client:
        notes = (await client.jobs.get(job_id)).model_dump().get("notes") or []
    assert any("cancel" in str(n).lower() for n in notes)


async def test_balance_over_the_phone_texts_a_pay_link(
    guided_settings: Settings, store: SqlStore
) -> None:
    async with serving(guided_settings, store) as client:
        sim = SimulatedCall(client, auth_token=TOKEN, public_base_url=PUBLIC, caller=JAMES)
        await sim.start()
        await sim.say("how much do I owe")
        balance = await sim.say("6420 Oak Street")
        assert "Your balance is $129" in balance.said[-1] and HINT in balance.said[-1]
        sent = await sim.say("yeah")
        assert "texted you a payment link" in sent.said[-1]
        done = await sim.say("No, that's everything. Thanks.")
        assert done.hung_up
    [conversation] = await store.list_conversations()
    sms = [o for o in await store.list_outbox() if o.kind == "sms"]
    assert any("pay.example.com" in o.payload["body"] for o in sms)
    assert conversation.hcp_customer_id
    jobs = await jobs_of(guided_settings, conversation.hcp_customer_id)
    assert all(local_start(j) < datetime.now(ZONE) for j in jobs if j.schedule)  # none booked


async def test_estimate_request_over_the_phone(guided_settings: Settings, store: SqlStore) -> None:
    async with serving(guided_settings, store) as client:
        sim = SimulatedCall(client, auth_token=TOKEN, public_base_url=PUBLIC, caller="+12125550161")
        await sim.start()
        asked_name = await sim.say("can I get a quote for a new water heater")
        assert "name" in asked_name.said[-1] and HINT not in asked_name.said[-1]
        await sim.say("Ana Gómez")
        estimate = await sim.say("seventy seven Cedar Lane Chatham six two six two nine")
        assert "estimate of $" in estimate.said[-1]
    [conversation] = await store.list_conversations()
    assert conversation.hcp_customer_id
    async with sandbox(guided_settings) as hcp_client:
        estimates = await hcp_client.estimates.list(customer_id=conversation.hcp_customer_id)
        customer = await hcp_client.customers.get(conversation.hcp_customer_id)
    assert len(estimates.items) == 1
    assert (customer.first_name, customer.last_name) == ("Ana", "Gómez")
    assert await jobs_of(guided_settings, conversation.hcp_customer_id) == []


async def test_thursday_two_to_four_over_the_phone(
    guided_settings: Settings, store: SqlStore
) -> None:
    async with serving(guided_settings, store) as client:
        sim = SimulatedCall(client, auth_token=TOKEN, public_base_url=PUBLIC, caller="+12125550162")
        await sim.start()
        asked_name = await sim.say("my AC is blowing warm air")
        assert HINT not in asked_name.said[-1]
        await sim.say("Jane Tester")
        await sim.say("1400 Oak Street Springfield 62704")
        offered = await sim.say("anything Thursday afternoon")
        assert "between 2 and 4" in offered.said[-1]  # Thursday's ("this afternoon" on one)
        read_back = await sim.say("the 2 to 4 one")
        assert "between 2 and 4" in read_back.said[-1]
        assert "1400 Oak Street, Springfield" in read_back.said[-1]
        assert "6 2 7 0 4" not in read_back.said[-1]
        booked = await sim.say("yes")
        assert "You're booked" in booked.said[-1]
    [conversation] = await store.list_conversations()
    assert conversation.hcp_customer_id
    [job] = await jobs_of(guided_settings, conversation.hcp_customer_id)
    start = local_start(job)
    assert (start.strftime("%A"), start.hour) == ("Thursday", 14)
    async with sandbox(guided_settings) as hcp_client:
        customer = await hcp_client.customers.get(conversation.hcp_customer_id)
    [address] = customer.addresses
    assert (address.street, address.city, address.zip) == (
        "1400 Oak Street",
        "Springfield",
        "62704",
    )


async def test_spanish_new_caller_over_the_phone(
    guided_settings: Settings, store: SqlStore
) -> None:
    async with serving(guided_settings, store) as client:
        sim = SimulatedCall(client, auth_token=TOKEN, public_base_url=PUBLIC, caller="+12125550163")
        await sim.start()
        asked_name = await sim.say("hola mi calentador de agua no funciona")
        assert "nombre y apellido" in asked_name.said[-1]
        assert "oprimir 1" not in asked_name.said[-1]
        await sim.say("Me llamo José Ramírez")
        offered = await sim.say(
            "mil cuatrocientos Oak Street Springfield seis dos siete cero cuatro"
        )
        assert offered.said[-1].startswith("Tengo ")
        read_back = await sim.say("la segunda")
        assert "¿Se lo reservo?" in read_back.said[-1] and "oprimir 1" in read_back.said[-1]
        booked = await sim.say("sí claro")
        assert "queda reservado" in booked.said[-1]
        done = await sim.say("no, eso es todo, gracias")
        assert done.hung_up
    [conversation] = await store.list_conversations()
    assert conversation.hcp_customer_id and conversation.outcome == "booked"
    async with sandbox(guided_settings) as hcp_client:
        customer = await hcp_client.customers.get(conversation.hcp_customer_id)
    assert (customer.first_name, customer.last_name) == ("José", "Ramírez")
    assert customer.addresses[0].zip == "62704"
    [job] = await jobs_of(guided_settings, conversation.hcp_customer_id)
    assert job.schedule is not None


@pytest.mark.parametrize(
    ("text", "lang", "hinted"),
    [
        ("Can I have your first and last name, please?", "en", False),
        ("For your security, can you tell me the street address on your account?", "en", False),
        ("Sorry, what was your first and last name?", "en", False),
        ("¿Me da su nombre y apellido, por favor?", "es", False),
        (
            "Just to confirm: AC repair at 12 Elm Street, arriving tomorrow. Shall I book that?",
            "en",
            True,
        ),
        ("Is there anything else I can help with?", "en", True),
        ("Sorry, I missed that. Was it a yes or a no?", "en", True),
        ("Para confirmar: visita el lunes. ¿Se lo reservo?", "es", True),
    ],
)
def test_keypad_hint_only_on_yes_no_questions(text: str, lang: str, hinted: bool) -> None:
    from voice_agent.channels.voice_hints import asks_yes_no

    assert asks_yes_no(text, lang) is hinted


async def test_a_card_number_said_on_a_call_is_masked_and_steered_to_the_pay_link(
    guided_settings: Settings, store: SqlStore
) -> None:
    """The channel masks first; the engine must still see that card data was said."""
    async with serving(guided_settings, store) as client:
        sim = SimulatedCall(client, auth_token=TOKEN, public_base_url=PUBLIC, caller=JAMES)
        await sim.start()
        reply = await sim.say("my card number is 4111 1111 1111 1111 expiry 12 29 cvv 123")
        assert "can't take card details over the phone" in reply.said[-1]
        assert "4111" not in reply.text
        await sim.hang_up()
    [conversation] = await store.list_conversations()
    turns = await store.list_turns(conversation.id)
    assert not any("4111" in turn.text or "123" in turn.text for turn in turns)
