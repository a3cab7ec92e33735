"""Spanish callers in the engine: detection, guided intake and the LLM in Spanish, disclosure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from hcp.sandbox import SandboxState
from tests.engine.conftest import EngineFactory
from tests.engine.fakes import ScriptedChatModel, call, say, talk
from voice_agent.channels.voice_summary import booking_sms
from voice_agent.engine import guided
from voice_agent.engine.guided import GuidedIntakeModel
from voice_agent.engine.i18n import SPANISH, t, translate
from voice_agent.engine.intents import SAFETY_INSTRUCTIONS, classify_yes_no
from voice_agent.engine.language import (
    SPANISH_MARKER,
    detect_switch,
    is_spanish,
    only_language_request,
)
from voice_agent.engine.messages import ChatMessage, Completion
from voice_agent.engine.prompts import greeting, system_prompt
from voice_agent.engine.session import Session
from voice_agent.settings import Settings
from voice_agent.speech import speak_window
from voice_agent.storage.base import NewConversation
from voice_agent.storage.sql import SqlStore
from voice_agent.understanding.choices import Option, choose

CHICAGO = ZoneInfo("America/Chicago")


@pytest.mark.parametrize(
    ("said", "spanish"),
    [
        ("Hola, mi aire acondicionado no funciona", True),
        ("Necesito una cita para mañana por favor", True),
        ("español", True),
        ("Español, por favor", True),
        ("en espanol", True),
        ("¿Habla español?", True),
        ("do you speak Spanish", True),
        ("Buenos días, tengo una fuga de agua en la cocina", True),
        ("no", False),
        ("sí", False),
        ("si", False),
        ("José", False),
        ("My name is José García", False),
        ("My AC is not working", False),
        ("I live on Las Palmas Drive", False),
        ("yes please book it", False),
        ("the water heater in my casa is broken", False),
        ("I want a Spanish style tile floor repaired", False),
        ("", False),
    ],
)
def test_spanish_detector(said: str, spanish: bool) -> None:
    assert is_spanish(said) is spanish


def test_switch_back_and_pure_requests() -> None:
    assert detect_switch("hola necesito ayuda", "en") == "es"
    assert detect_switch("hola necesito ayuda", "es") is None
    assert detect_switch("English please", "es") == "en"
    assert detect_switch("English please", "en") is None
    assert only_language_request("Español")
    assert only_language_request("¿Habla español?")
    assert not only_language_request("español, mi calentador no funciona")
    assert not only_language_request("my water heater")


@pytest.mark.parametrize(
    ("said", "answer"),
    [
        ("sí", "yes"),
        ("Sí, claro", "yes"),
        ("claro que sí", "yes"),
        ("está bien", "yes"),
        ("de acuerdo", "yes"),
        ("No, gracias", "no"),
        ("incorrecto", "no"),
        ("sí, pero cambie la hora", None),
    ],
)
def test_spanish_yes_no(said: str, answer: str | None) -> None:
    assert classify_yes_no(said) == answer


@pytest.mark.parametrize(
    ("start", "end", "spoken"),
    [
        ((11, 26, 8), (11, 26, 10), "mañana entre las 8 y las 10 de la mañana"),
        ((11, 25, 13), (11, 25, 15), "hoy entre la 1 y las 3 de la tarde"),
        ((11, 27, 11), (11, 27, 13), "el viernes entre las 11 de la mañana y la 1 de la tarde"),
        ((12, 8, 8, 30), (12, 8, 10, 30), "el martes 8 de diciembre entre las 8:30 y las 10:30"),
    ],
)
def test_spanish_spoken_windows(start: tuple[int, ...], end: tuple[int, ...], spoken: str) -> None:
    now = datetime(2026, 11, 25, 9, tzinfo=CHICAGO)
    said = speak_window(
        datetime(2026, *start, tzinfo=CHICAGO),  # type: ignore[misc]
        datetime(2026, *end, tzinfo=CHICAGO),  # type: ignore[misc]
        now=now,
        zone=CHICAGO,
        language="es",
    )
    assert said.startswith(spoken)


def test_translate_composed_guided_lines_and_keeps_unknown_text() -> None:
    composed = f"I have a, b or c. {guided.ASK_WINDOW}"
    assert translate(composed, "es") == "Tengo a, b o c. ¿Cuál de esos le queda mejor?"
    assert translate(f"Sorry, I couldn't book that. {guided.ASK_MESSAGE}", "es") == (
        "Disculpe, no pude hacer esa reserva. Puedo tomar un mensaje para la oficina. "
        "¿Qué mensaje quiere dejar?"
    )
    assert translate("Texto libre del modelo.", "es") == "Texto libre del modelo."
    asked = guided.INTAKE_FIRST.format(question="How old is the unit?")
    assert translate(asked, "es") == "Una pregunta rápida para el técnico: How old is the unit?"
    assert translate(guided.ASK_NAME, "en") == guided.ASK_NAME


def test_every_guided_and_safety_line_has_spanish() -> None:
    lines = [getattr(guided, n) for n in dir(guided) if n.startswith("ASK_")]
    lines += [guided.OUT_OF_AREA, guided.INTAKE_FIRST, guided.INTAKE_REASK]
    lines += list(SAFETY_INSTRUCTIONS.values())
    missing = [line for line in lines if line not in SPANISH]
    assert not missing


def test_spanish_window_choice() -> None:
    windows = [
        {"id": "w1", "when": "mañana entre las 8 y las 10 de la mañana"},
        {"id": "w2", "when": "el viernes entre las 9 y las 11 de la mañana"},
        {"id": "w3", "when": "el lunes entre la 1 y las 3 de la tarde"},
    ]
    options = [Option(None, None, w["when"]) for w in windows]
    assert choose("la segunda", options) == 1
    assert choose("la ultima", options) == 2
    assert choose("el lunes", options) == 2


# -- disclosure ----------------------------------------------------------------------------


def test_disclosure_default_custom_and_off(settings: Settings) -> None:
    assert "You're speaking with an automated assistant." in greeting(settings)
    own = settings.model_copy(update={"disclosure_text": "I'm Robin, the virtual receptionist."})
    text = greeting(own)
    assert "I'm Robin, the virtual receptionist." in text and "automated" not in text
    off = settings.model_copy(update={"disclosure_enabled": False})
    assert (
        greeting(off)
        == "Hi there, thanks for calling Bright Oak Home Services. How can I help you today?"
    )


def test_recording_notice_even_with_disclosure_off_and_test_notice_kept(
    settings: Settings,
) -> None:
    recorded = settings.model_copy(update={"disclosure_enabled": False, "call_recording": True})
    text = greeting(recorded, test_mode=True)
    assert "This call is recorded." in text
    assert "This is a test call" in text
    assert "automated assistant" not in text
    both = greeting(settings.model_copy(update={"call_recording": True}))
    assert both.index("automated assistant") < both.index("This call is recorded.")


# -- the engine in Spanish -----------------------------------------------------------------


async def test_guided_intake_books_in_spanish(
    make_engine: EngineFactory, sandbox_state: SandboxState, store: SqlStore
) -> None:
    engine = make_engine(GuidedIntakeModel())
    started = await engine.start(
        NewConversation(channel="voice", external_id="CA-es", caller="+15551230009")
    )
    conv = started.conversation.id
    replies = []
    for line in [
        "Hola, tengo el fregadero de la cocina tapado, por favor",
        "Me llamo María López",
        "12 Birch Drive, Chatham, IL 62629",
        "la segunda",
        "claro",
        "no, gracias",
    ]:
        reply, _ = await talk(engine, conv, line)
        replies.append(reply)
    assert replies[0] == t(guided.ASK_NAME, "es")
    assert replies[1] == t(guided.ASK_ADDRESS, "es")
    assert replies[2].startswith("Tengo ") and replies[2].endswith(t(guided.ASK_WINDOW, "es"))
    assert replies[3].startswith("Para confirmar:") and replies[3].endswith("¿Se lo reservo?")
    assert "12 Birch Drive" in replies[3]
    assert replies[4].startswith("Listo, queda reservado:")
    assert replies[5] == "Gracias por llamar a Bright Oak Home Services. ¡Adiós!"
    maria = [c for c in sandbox_state.all("customers") if c["mobile_number"] == "5551230009"]
    assert [(c["first_name"], c["last_name"]) for c in maria] == [("María", "López")]
    jobs = [j for j in sandbox_state.all("jobs") if j["customer_id"] == maria[0]["id"]]
    assert len(jobs) == 1
    stored = await store.get_conversation(conv)
    assert stored is not None and stored.outcome == "booked"
    assert Session.load(stored.state).language == "es"
    turns = await store.list_turns(conv)
    assert {turn.meta.get("language") for turn in turns if turn.role == "agent" and turn.seq} == {
        "es"
    }


async def test_spanish_emergency_line_is_spanish(make_engine: EngineFactory) -> None:
    engine = make_engine(GuidedIntakeModel())
    started = await engine.start(
        NewConversation(channel="voice", external_id="CA-gas", caller="+15551230010")
    )
    reply, _ = await talk(engine, started.conversation.id, "Hola, huele a gas en mi casa")
    assert reply.startswith(SPANISH[SAFETY_INSTRUCTIONS["gas"]])
    assert "técnico de guardia" in reply


def _system(messages: Sequence[ChatMessage]) -> str:
    return messages[0].content or ""


async def test_llm_switches_with_set_language_and_books_in_spanish(
    make_engine: EngineFactory, sandbox_state: SandboxState, store: SqlStore
) -> None:
    model = ScriptedChatModel()
    engine = make_engine(model)
    started = await engine.start(
        NewConversation(channel="voice", external_id="CA-llm", caller="+15551230011")
    )
    conv = started.conversation.id

    # "Buenas" alone is too little for the detector: the model switches with the tool.
    model.add(call("set_language", {"language": "es"}), say("¡Buenas! ¿En qué le puedo ayudar?"))
    reply, _ = await talk(engine, conv, "Buenas")
    assert reply == "¡Buenas! ¿En qué le puedo ayudar?"
    assert SPANISH_MARKER not in _system(model.requests[0][0])
    assert SPANISH_MARKER in _system(model.requests[1][0])
    assert "set_language" in model.requests[0][1]

    def pick_first(messages: Sequence[ChatMessage]) -> Completion:
        [result] = model.last_tool_results()[-1:]
        return call("propose_booking", {"window_id": result["windows"][0]["window_id"]})

    model.add(
        call("record_problem", {"problem": "el fregadero está tapado"}),
        call(
            "find_or_create_customer",
            {"first_name": "Ana", "last_name": "Ruiz", "street": "12 Birch Drive, Chatham, IL"},
        ),
        call("check_availability"),
        pick_first,
        lambda messages: say(model.last_tool_results()[-1]["read_back"]),
    )
    reply, _ = await talk(engine, conv, "Soy Ana Ruiz, 12 Birch Drive, el fregadero está tapado")
    assert reply.startswith("Para confirmar:") and reply.endswith("¿Se lo reservo?")
    assert " de la " in reply  # the window is spoken in Spanish
    for messages, _tools in model.requests[2:]:
        assert SPANISH_MARKER in _system(messages) and "usted" in _system(messages)

    model.add(
        call("book_job"),
        lambda messages: say(model.last_tool_results()[-1]["confirmation"]),
    )
    reply, _ = await talk(engine, conv, "sí")
    assert reply.startswith("Listo, queda reservado:")
    ana = [c for c in sandbox_state.all("customers") if c["mobile_number"] == "5551230011"]
    assert len([j for j in sandbox_state.all("jobs") if j["customer_id"] == ana[0]["id"]]) == 1


async def test_spanish_disabled_keeps_english(
    make_engine: EngineFactory, business: Settings, store: SqlStore
) -> None:
    off = business.model_copy(update={"spanish_enabled": False})
    model = ScriptedChatModel(
        call("set_language", {"language": "es"}), say("Sorry, I can only help in English.")
    )
    engine = make_engine(model, settings=off)
    started = await engine.start(
        NewConversation(channel="voice", external_id="CA-off", caller="+15551230012")
    )
    await talk(engine, started.conversation.id, "Hola, necesito ayuda con mi aire acondicionado")
    assert SPANISH_MARKER not in _system(model.requests[-1][0])
    assert "not offered" in model.last_tool_results()[-1]["error"]
    stored = await store.get_conversation(started.conversation.id)
    assert stored is not None and Session.load(stored.state).language == "en"


def test_booking_sms_in_spanish() -> None:
    job = {
        "schedule": {"scheduled_start": "2026-11-27T14:00:00Z", "arrival_window": 120},
        "address": {"street": "12 Birch Drive"},
        "invoice_number": "1042",
    }
    spanish = booking_sms(job, business="Demo", zone=CHICAGO, language="es")
    assert spanish == (
        "Demo: su cita está reservada para el vie 27 nov, con llegada entre las 8:00 AM y las "
        "10:00 AM en 12 Birch Drive (trabajo n.º 1042). Responda a este mensaje para cambiarla. "
        "Responda STOP para no recibir más mensajes."
    )
    assert booking_sms(job, business="Demo", zone=CHICAGO).startswith("Demo: you're booked for")


def test_spanish_system_prompt_addition(settings: Settings) -> None:
    english = system_prompt(settings, "voice", now=datetime(2026, 1, 5, 9))
    spanish = system_prompt(settings, "voice", now=datetime(2026, 1, 5, 9), language="es")
    assert spanish.startswith(english)
    assert SPANISH_MARKER in spanish and "solo" not in english
    assert "Spanish" in spanish[len(english) :]


async def test_sms_conversation_in_spanish_is_answered_in_spanish(
    make_engine: EngineFactory, store: SqlStore
) -> None:
    engine = make_engine(GuidedIntakeModel())
    started = await engine.start(
        NewConversation(channel="sms", external_id="SMS-es", caller="+15551230013")
    )
    reply, _ = await talk(
        engine, started.conversation.id, "Hola, necesito una cita, mi inodoro está tapado"
    )
    assert reply == t(guided.ASK_NAME, "es")
    stored = await store.get_conversation(started.conversation.id)
    assert stored is not None and stored.language == "es"
    english = await engine.start(
        NewConversation(channel="sms", external_id="SMS-en", caller="+15551230014")
    )
    reply, _ = await talk(engine, english.conversation.id, "Hi, my toilet is clogged")
    assert reply == guided.ASK_NAME


@pytest.mark.parametrize(
    ("problem", "expected"),
    [
        ("mi calentador de agua no funciona", "Water heater"),
        ("el fregadero de la cocina está tapado", "Drain cleaning"),
        ("el aire acondicionado no enfría", "AC repair"),
        ("hay una fuga debajo del lavamanos", "Plumbing repair"),
        ("se fue la luz en la mitad de la casa, creo que es el panel", "Electrical panel"),
        ("my water heater is leaking", "Water heater"),
    ],
)
def test_spanish_problems_find_the_job_type(problem: str, expected: str) -> None:
    from hcp.models import JobType
    from hcp.sandbox.seed import SERVICES
    from voice_agent.tools.common import classify_job_type

    types = [JobType(id=f"jt_{i}", name=name) for i, (name, *_rest) in enumerate(SERVICES)]
    found = classify_job_type(problem, types)
    assert found is not None and found.name == expected
