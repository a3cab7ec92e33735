"""Guided intake alone (no LLM at all) books against the sandbox and takes messages."""

from __future__ import annotations

from datetime import datetime

import pytest

from hcp.sandbox import SandboxState
from tests.engine.conftest import EngineFactory
from tests.engine.fakes import talk
from voice_agent.engine import guided
from voice_agent.engine.events import EndConversation
from voice_agent.engine.guided import GuidedIntakeModel
from voice_agent.settings import Settings
from voice_agent.storage.base import NewConversation
from voice_agent.storage.sql import SqlStore
from voice_agent.understanding.addresses import parse_address
from voice_agent.understanding.choices import Option, choose
from voice_agent.understanding.names import parse_name


async def run(engine: object, caller: str, lines: list[str]) -> tuple[str, list[str]]:
    started = await engine.start(  # type: ignore[attr-defined]
        NewConversation(channel="voice", external_id=f"CA-{caller}", caller=caller)
    )
    replies = [started.greeting]
    for line in lines:
        reply, _ = await talk(engine, started.conversation.id, line)  # type: ignore[arg-type]
        replies.append(reply)
    return started.conversation.id, replies


async def test_guided_books_for_a_new_caller_end_to_end(
    make_engine: EngineFactory, sandbox_state: SandboxState, store: SqlStore, business: Settings
) -> None:
    engine = make_engine(GuidedIntakeModel())
    conv, replies = await run(
        engine,
        "+15551230001",
        [
            "My kitchen drain is clogged",
            "It's Jane Doe",
            "12 Birch Drive, Chatham, IL 62629",
            "Friday works",
            "yes please",
            "no thanks, bye",
        ],
    )
    assert replies[1] == guided.ASK_NAME
    assert replies[2] == guided.ASK_ADDRESS
    assert replies[3].startswith("I have between") and replies[3].endswith(guided.ASK_WINDOW)
    assert replies[4].startswith("Just to confirm: Drain cleaning at 12 Birch Drive, Chatham")
    assert "Friday" in replies[4]
    assert replies[5].startswith("You're booked: Drain cleaning at 12 Birch Drive")
    assert replies[6] == "Thanks for calling Bright Oak Home Services. Goodbye!"
    jane = [c for c in sandbox_state.all("customers") if c["mobile_number"] == "5551230001"]
    assert len(jane) == 1 and (jane[0]["first_name"], jane[0]["last_name"]) == ("Jane", "Doe")
    jobs = [j for j in sandbox_state.all("jobs") if j["customer_id"] == jane[0]["id"]]
    assert len(jobs) == 1
    start = datetime.fromisoformat(jobs[0]["appointments"][0]["start_time"].replace("Z", "+00:00"))
    assert start.astimezone(business.zone).strftime("%A") == "Friday"
    stored = await store.get_conversation(conv)
    assert stored is not None and stored.status == "completed" and stored.outcome == "booked"


async def test_guided_verifies_a_known_caller_before_booking(
    make_engine: EngineFactory, sandbox_state: SandboxState
) -> None:
    engine = make_engine(GuidedIntakeModel())
    _, replies = await run(
        engine,
        "+12175550100",
        ["The furnace needs a tune up", "1 Wrong Road", "6420 Oak Street", "second", "yes"],
    )
    assert replies[0].startswith("Hi James")
    assert replies[1] == guided.ASK_VERIFY
    assert replies[2].startswith("Sorry, that doesn't match")
    assert replies[3].startswith("I have between")
    assert replies[5].startswith("You're booked: Furnace tune-up at 64 20 Oak Street")


async def test_guided_no_at_the_read_back_offers_the_times_again(
    make_engine: EngineFactory,
) -> None:
    engine = make_engine(GuidedIntakeModel())
    _, replies = await run(
        engine, "+12175550100", ["AC repair please", "6420 Oak Street", "first", "no"]
    )
    assert replies[4].startswith("No problem. I have between")


async def test_guided_takes_a_message(
    make_engine: EngineFactory, sandbox_state: SandboxState, store: SqlStore
) -> None:
    engine = make_engine(GuidedIntakeModel())
    conv, replies = await run(
        engine,
        "+15551230002",
        ["I'd like to leave a message", "Please call me back about a quote", "no"],
    )
    assert replies[1] == guided.ASK_MESSAGE
    assert replies[2].startswith("Thanks, I've passed that on")
    assert len(sandbox_state.all("leads")) == 1
    outbox = await store.list_outbox()
    assert [o.kind for o in outbox] == ["notify_office"]
    assert "quote" in outbox[0].payload["text"]
    turns = await store.list_turns(conv)
    assert turns[-1].text == "Thanks for calling Bright Oak Home Services. Goodbye!"


async def test_guided_ends_after_hangup_words(make_engine: EngineFactory) -> None:
    engine = make_engine(GuidedIntakeModel())
    started = await engine.start(
        NewConversation(channel="voice", external_id="CA-g", caller="+15551230003")
    )
    await talk(engine, started.conversation.id, "I'd like to leave a message")
    _, events = await talk(engine, started.conversation.id, "no, bye")
    assert isinstance(events[-1], EndConversation)


@pytest.mark.parametrize("said", ["bye", "oh sorry, wrong number, bye", "goodbye"])
async def test_goodbye_as_the_first_words_ends_the_call(
    make_engine: EngineFactory, said: str
) -> None:
    engine = make_engine(GuidedIntakeModel())
    started = await engine.start(
        NewConversation(channel="voice", external_id="CA-bye", caller="+15551230004")
    )
    reply, events = await talk(engine, started.conversation.id, said)
    assert isinstance(events[-1], EndConversation)
    assert "Goodbye" in reply


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("the second one", 1),
        ("friday please", 2),
        ("1", 0),
        ("the last one", 2),
        ("at 9", 1),
        ("whenever", None),
    ],
)
def test_window_choice(said: str, expected: int | None) -> None:
    options = [
        Option(datetime(2026, 11, 26, 8), datetime(2026, 11, 26, 10), "tomorrow morning"),
        Option(datetime(2026, 11, 26 + 0, 9), datetime(2026, 11, 26, 11), "Thursday morning"),
        Option(datetime(2026, 11, 27, 13), datetime(2026, 11, 27, 15), "Friday afternoon"),
    ]
    assert choose(said, options) == expected


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("It's Jane Doe", ("Jane", "Doe")),
        ("my name is mary ann smith", ("Mary Ann", "Smith")),
        ("Prince", ("Prince", "")),
    ],
)
def test_name_split(said: str, expected: tuple[str, str]) -> None:
    assert parse_name(said) == expected


@pytest.mark.parametrize("said", ["asdf qwer zxcv", "xkcd", "brr", "Jane Zxcvb"])
def test_keyboard_mash_is_not_a_name(said: str) -> None:
    assert parse_name(said) is None


@pytest.mark.parametrize(
    ("said", "expected"), [("Lynn Wynn", ("Lynn", "Wynn")), ("Tran Ng", ("Tran", "Ng"))]
)
def test_short_or_y_only_names_are_still_names(said: str, expected: tuple[str, str]) -> None:
    assert parse_name(said) == expected


@pytest.mark.parametrize(
    ("said", "street"),
    [
        ("calle Oak 6420, Springfield IL 62704", "6420 Oak Street"),
        ("la calle Oak seis mil cuatrocientos veinte", "6420 Oak Street"),
        ("avenida Maple 455 Rochester", "455 Maple Avenue"),
    ],
)
def test_a_spanish_address_said_street_first_is_understood(said: str, street: str) -> None:
    address = parse_address(said, "es")
    assert address is not None and address.street == street
