"""Spanish callers over signed Twilio webhooks: detection, Spanish TwiML, a booking, the SMS."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest

from voice_agent.channels.twilio_sim import Reply, SimulatedCall
from voice_agent.engine.session import Session
from voice_agent.settings import Settings
from voice_agent.storage import SqlStore

from .conftest import PUBLIC, TOKEN, follow_up, serving, voice_settings
from .test_voice_e2e import sandbox_jobs

pytestmark = pytest.mark.usefixtures("settings")

CALLER = "+12125550143"
ES_VOICE, ES_LANG = "Polly.Lupe-Neural", "es-US"
EN_VOICE = "Polly.Joanna-Neural"


def twiml(reply: Reply) -> ET.Element:
    root = reply.exchanges[-1].root
    assert root is not None
    return root


def says(reply: Reply) -> list[dict[str, str]]:
    """Every <Say> of the last answer: its attributes and its text."""
    return [{**say.attrib, "text": say.text or ""} for say in twiml(reply).iter("Say")]


def gather(reply: Reply) -> dict[str, str]:
    [node] = list(twiml(reply).iter("Gather"))
    return dict(node.attrib)


def assert_spanish(reply: Reply) -> None:
    """The answer speaks with the Spanish voice only and listens in Spanish."""
    spoken = says(reply)
    assert spoken
    for say in spoken:
        assert (say["voice"], say["language"]) == (ES_VOICE, ES_LANG), say
    if reply.gather is not None:
        assert gather(reply)["language"] == ES_LANG
        assert parse_qs(urlsplit(gather(reply)["action"]).query)["lang"] == ["es"]


async def test_spanish_caller_books_a_job_in_spanish(vsettings: Settings, store: SqlStore) -> None:
    async with serving(vsettings, store) as client:
        sim = SimulatedCall(client, auth_token=TOKEN, public_base_url=PUBLIC, caller=CALLER)
        greeting = await sim.start()
        english, offer = says(greeting)
        assert english["voice"] == EN_VOICE and "automated assistant" in english["text"]
        assert (offer["voice"], offer["language"]) == (ES_VOICE, ES_LANG)
        assert "oprima 2" in offer["text"]
        assert gather(greeting)["language"] == "en-US"

        asked_name = await sim.say("Hola, mi calentador de agua no funciona, por favor")
        assert_spanish(asked_name)
        assert "nombre y apellido" in asked_name.said[-1]
        asked_address = await sim.say("Me llamo Juan Pérez")
        assert_spanish(asked_address)
        assert "dirección" in asked_address.said[-1]
        windows = await sim.say("123 Main Street, Springfield, IL 62701")
        assert_spanish(windows)
        assert windows.said[-1].startswith("Tengo ")
        assert "entre las" in windows.said[-1] and "le queda mejor" in windows.said[-1]
        read_back = await sim.say("la primera")
        assert_spanish(read_back)
        assert "Para confirmar" in read_back.said[-1] and "¿Se lo reservo?" in read_back.said[-1]
        assert "oprimir 1 para sí" in read_back.said[-1]
        booked = await sim.say("Sí, claro")
        assert_spanish(booked)
        assert "queda reservado" in booked.said[-1]
        assert "¿Hay algo más" in booked.said[-1]
        done = await sim.say("No, gracias")
        assert_spanish(done)
        assert done.hung_up and "Adiós" in done.said[-1]
        assert (await sim.hang_up(duration=200)).status == 200
        await follow_up(client)  # the summary job the callback queued

    [conversation] = await store.list_conversations()
    assert conversation.outcome == "booked" and conversation.hcp_customer_id
    assert Session.load(conversation.state).language == "es"
    [job] = await sandbox_jobs(vsettings, conversation.hcp_customer_id)
    assert job["schedule"]
    [sms] = [item for item in await store.list_outbox() if item.kind == "sms"]
    body = sms.payload["body"]
    assert sms.payload["to"] == CALLER
    assert "su cita está reservada" in body and "Responda STOP" in body
    assert "you're booked" not in body


async def test_pressing_2_at_the_greeting_switches_to_spanish(
    vsettings: Settings, store: SqlStore
) -> None:
    async with serving(vsettings, store) as client:
        sim = SimulatedCall(client, auth_token=TOKEN, public_base_url=PUBLIC, caller=CALLER)
        await sim.start()
        chosen = await sim.press("2")
        assert_spanish(chosen)
        assert chosen.said[-1].startswith("Claro que sí, podemos seguir en español")
        asked_name = await sim.say("mi aire acondicionado no enfría")
        assert_spanish(asked_name)
        assert "nombre y apellido" in asked_name.said[-1]
        quiet = await sim.silence()  # a re-prompt keeps the Spanish voice
        assert_spanish(quiet)
        assert "¿Me lo puede repetir?" in quiet.said[-1]


async def test_english_caller_is_unaffected(vsettings: Settings, store: SqlStore) -> None:
    async with serving(vsettings, store) as client:
        sim = SimulatedCall(client, auth_token=TOKEN, public_base_url=PUBLIC, caller=CALLER)
        await sim.start()
        reply = await sim.say("my water heater is not working")
        assert [s["voice"] for s in says(reply)] == [EN_VOICE]
        assert gather(reply)["language"] == "en-US"
        assert "lang" not in gather(reply)["action"]
        assert "first and last name" in reply.said[-1]


async def test_spanish_disabled_offers_nothing_and_never_switches(
    settings: Settings, store: SqlStore
) -> None:
    off = voice_settings(settings.data_dir, spanish_enabled=False)
    async with serving(off, store) as client:
        sim = SimulatedCall(client, auth_token=TOKEN, public_base_url=PUBLIC, caller=CALLER)
        greeting = await sim.start()
        assert [s["voice"] for s in says(greeting)] == [EN_VOICE]
        assert "español" not in greeting.text
        pressed = await sim.press("2")
        assert [s["voice"] for s in says(pressed)] == [EN_VOICE]
        spoke = await sim.say("Hola, necesito ayuda con mi aire acondicionado por favor")
        assert [s["voice"] for s in says(spoke)] == [EN_VOICE]
        assert gather(spoke)["language"] == "en-US"
    [conversation] = await store.list_conversations()
    assert Session.load(conversation.state).language == "en"


async def test_recording_notice_and_recorded_transfer(settings: Settings, store: SqlStore) -> None:
    recorded = voice_settings(settings.data_dir, call_recording=True, disclosure_enabled=False)
    async with serving(recorded, store) as client:
        sim = SimulatedCall(client, auth_token=TOKEN, public_base_url=PUBLIC, caller=CALLER)
        greeting = await sim.start()
        assert "This call is recorded." in greeting.text
        assert "automated assistant" not in greeting.text
        transfer = await sim.say("I smell gas in the kitchen")
        assert transfer.dial_attributes is not None
        assert transfer.dial_attributes["record"] == "record-from-answer-dual"
