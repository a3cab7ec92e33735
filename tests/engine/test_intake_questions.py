"""Per-job-type intake questions: asked before the times, answers in the HCP job's notes."""

from __future__ import annotations

from typing import Any

import pytest

from hcp.sandbox import SandboxState
from tests.engine.conftest import EngineFactory
from tests.engine.fakes import ScriptedChatModel, call, calls, say, talk, tool_results
from voice_agent.engine import guided
from voice_agent.engine.questions import match_question, questions_for
from voice_agent.engine.session import Session
from voice_agent.settings import Settings
from voice_agent.storage.base import NewConversation

JAMES = "+12175550100"  # demo customer at 6420 Oak St, Springfield
WHICH, BACKING = "Which drain is it?", "Is it backing up?"
DRAIN_QUESTIONS = f"Drain cleaning: {WHICH} | {BACKING}\nAC repair: Is the outdoor unit running?"


@pytest.fixture
def asking(business: Settings) -> Settings:
    return business.model_copy(update={"intake_questions": DRAIN_QUESTIONS})


async def open_call(engine: Any, caller: str, external_id: str = "CA-intake") -> str:
    started = await engine.start(
        NewConversation(channel="voice", external_id=external_id, caller=caller)
    )
    return str(started.conversation.id)


async def say_all(engine: Any, conv: str, lines: list[str]) -> list[str]:
    return [(await talk(engine, conv, line))[0] for line in lines]


def job_notes(state: SandboxState, phone: str) -> str:
    (customer,) = [c for c in state.all("customers") if c["mobile_number"] == phone]
    ours = [j for j in state.all("jobs") if j["customer_id"] == customer["id"] and j["notes"]]
    (job,) = [j for j in ours if "Booked by phone agent" in j["notes"][0]["content"]]
    return "\n".join(n["content"] for n in job["notes"])


# -- which questions apply --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "job_type", "problem", "expected"),
    [
        ("Drain cleaning: A?", "Drain cleaning", "x", ("A?",)),
        ("DRAIN CLEANING: A?", "drain cleaning", "x", ("A?",)),  # case-insensitive
        ("Drain: A?\nDrain cleaning: B?", "Drain cleaning", "x", ("B?",)),  # exact name wins
        ("Drain: A?", "Drain cleaning", "x", ("A?",)),  # a key inside the name, whole words
        ("Rain: A?", "Drain cleaning", "x", ()),  # not inside a word
        ("Drain: A?\nWater heater: B?", None, "the water heater leaks", ("B?",)),  # problem text
        ("Drain: A?", "AC repair", "water from the drain line", ()),  # classified: name only
        ("", "Drain cleaning", "x", ()),
    ],
)
def test_questions_for(
    settings: Settings, table: str, job_type: str | None, problem: str, expected: tuple[str, ...]
) -> None:
    session = Session(problem=problem, job_type_name=job_type)
    configured = settings.model_copy(update={"intake_questions": table})
    assert questions_for(configured, session) == expected


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("Which drain is it?", WHICH),
        ("which drain is it", WHICH),
        ("Is it backing up", BACKING),
        ("is the drain backing up into the tub?", BACKING),
        ("What colour is the sky?", None),
    ],
)
def test_match_question(said: str, expected: str | None) -> None:
    assert match_question(said, (WHICH, BACKING)) == expected


# -- guided intake ----------------------------------------------------------------------------


async def test_guided_asks_the_drain_questions_and_the_job_notes_have_the_answers(
    make_engine: EngineFactory, asking: Settings, sandbox_state: SandboxState
) -> None:
    engine = make_engine(settings=asking)
    conv = await open_call(engine, "+15551230050")
    replies = await say_all(
        engine,
        conv,
        [
            "My kitchen drain is clogged",
            "Jane Doe",
            "12 Birch Drive, Chatham, IL 62629",
            "The kitchen sink",
            "Yes, into the other sink",
            "first",
            "yes",
        ],
    )
    assert replies[2] == guided.INTAKE_FIRST.format(question=WHICH)
    assert replies[3] == BACKING
    assert replies[4].startswith("I have between")
    assert replies[6].startswith("You're booked: Drain cleaning")
    notes = job_notes(sandbox_state, "5551230050")
    assert f"Q: {WHICH} A: The kitchen sink" in notes
    assert f"Q: {BACKING} A: Yes, into the other sink" in notes
    assert notes.startswith("Problem: My kitchen drain is clogged.")


async def test_a_caller_who_wont_answer_is_asked_once_more_then_skipped(
    make_engine: EngineFactory, asking: Settings, sandbox_state: SandboxState
) -> None:
    engine = make_engine(settings=asking)
    conv = await open_call(engine, JAMES)
    replies = await say_all(
        engine,
        conv,
        ["My drain is clogged", "6420 Oak Street", "I don't know", "no idea", "No", "first", "yes"],
    )
    assert replies[1] == guided.INTAKE_FIRST.format(question=WHICH)
    assert replies[2] == guided.INTAKE_REASK.format(question=WHICH)
    assert replies[3] == BACKING  # skipped after the one re-ask
    assert replies[4].startswith("I have between")  # "No" is an answer, not a refusal
    assert replies[6].startswith("You're booked")
    notes = job_notes(sandbox_state, "2175550100")
    assert f"Q: {WHICH} A: (no answer)" in notes and f"Q: {BACKING} A: No" in notes


async def test_no_questions_for_the_job_leaves_the_flow_unchanged(
    make_engine: EngineFactory, business: Settings, sandbox_state: SandboxState
) -> None:
    only_ac = business.model_copy(update={"intake_questions": "AC repair: Is it running?"})
    for n, settings in enumerate((business, only_ac)):
        engine = make_engine(settings=settings)
        phone = f"+1555123006{n}"
        conv = await open_call(engine, phone, external_id=f"CA-plain-{n}")
        replies = await say_all(
            engine,
            conv,
            [
                "My kitchen drain is clogged",
                ("Jane Doe", "Ann Roe")[n],
                f"1{n} Birch Drive, Chatham",
            ],
        )
        assert replies == [guided.ASK_NAME, guided.ASK_ADDRESS, replies[2]]
        assert replies[2].startswith("I have between")
        await say_all(engine, conv, ["first", "yes"])
        assert "Q:" not in job_notes(sandbox_state, phone[2:])


async def test_answers_go_on_the_lead_when_a_message_is_taken(
    make_engine: EngineFactory, asking: Settings, sandbox_state: SandboxState
) -> None:
    engine = make_engine(settings=asking)
    conv = await open_call(engine, JAMES)
    await say_all(engine, conv, ["My drain is clogged", "6420 Oak Street", "The basement floor"])
    replies = await say_all(engine, conv, ["I'd rather leave a message", "Call me after five"])
    assert replies[0] == guided.ASK_MESSAGE
    (lead,) = sandbox_state.all("leads")
    assert lead["note"].startswith("Phone message: Call me after five")
    assert f"Q: {WHICH} A: The basement floor" in lead["note"]


# -- LLM (scripted model) ---------------------------------------------------------------------


async def test_llm_gets_the_questions_records_answers_and_books_with_them(
    make_engine: EngineFactory, asking: Settings, sandbox_state: SandboxState
) -> None:
    model = ScriptedChatModel(
        calls(
            ("verify_caller", {"street_address": "6420 Oak Street"}),
            ("record_problem", {"problem": "kitchen drain is clogged"}),
        ),
        say(f"Got it. {WHICH}"),
    )
    engine = make_engine(model, settings=asking)
    conv = await open_call(engine, JAMES)
    _, events = await talk(engine, conv, "6420 Oak Street here, my kitchen drain is clogged")
    result = tool_results(events)["record_problem"].result
    assert result["intake_questions"] == [WHICH, BACKING]
    assert "record_intake_answer" in result["instruction"]
    assert "record_intake_answer" in model.requests[-1][1]  # offered to the model

    model.add(call("record_intake_answer", {"question": WHICH, "answer": "kitchen"}), say(BACKING))
    _, events = await talk(engine, conv, "The kitchen one")
    assert tool_results(events)["record_intake_answer"].result == {
        "recorded": True,
        "intake_questions_pending": [BACKING],
    }
    model.add(
        call("record_intake_answer", {"question": "is it backing up", "answer": "a little"}),
        call("check_availability"),
        say("I have some times."),
    )
    _, events = await talk(engine, conv, "A little")
    assert tool_results(events)["check_availability"].error is None
    model.add(call("propose_booking", {"window_id": "w1"}), say("Shall I book that?"))
    await talk(engine, conv, "The first one")
    model.add(call("book_job"), say("Booked."))
    _, events = await talk(engine, conv, "Yes")
    assert tool_results(events)["book_job"].result["booked"] is True
    notes = job_notes(sandbox_state, "2175550100")
    assert f"Q: {WHICH} A: kitchen" in notes and f"Q: {BACKING} A: a little" in notes


async def test_llm_that_skips_the_questions_is_sent_back_once(
    make_engine: EngineFactory, asking: Settings
) -> None:
    model = ScriptedChatModel(
        call("record_problem", {"problem": "my drain is clogged"}),
        call("check_availability"),
        call("check_availability"),
        say("I have some times."),
    )
    engine = make_engine(model, settings=asking)
    conv = await open_call(engine, JAMES)
    _, events = await talk(engine, conv, "my drain is clogged")
    finished = [e for e in events if getattr(e, "name", "") == "check_availability"]
    first, second = [e for e in finished if hasattr(e, "error")]
    assert first.error is not None and WHICH in first.error and BACKING in first.error
    assert second.error is None and second.result["windows"]  # not stuck


async def test_record_intake_answer_refuses_unknown_questions(
    make_engine: EngineFactory, asking: Settings
) -> None:
    model = ScriptedChatModel(
        call("record_problem", {"problem": "my drain is clogged"}),
        call("record_intake_answer", {"question": "What is your budget?", "answer": "$50"}),
        say("ok"),
    )
    engine = make_engine(model, settings=asking)
    conv = await open_call(engine, JAMES)
    _, events = await talk(engine, conv, "my drain is clogged")
    error = tool_results(events)["record_intake_answer"].error
    assert error is not None and WHICH in error
    status_model = ScriptedChatModel(call("identify_caller"), say("ok"))
    _, events = await talk(make_engine(status_model, settings=asking), conv, "what now?")
    assert tool_results(events)["identify_caller"].result["intake_questions_pending"] == [
        WHICH,
        BACKING,
    ]
