"""Issue 19: the agent says only what is true — test bookings, call-back promises, the name."""

from __future__ import annotations

import pytest

from hcp.sandbox.seed import COMPANY_NAME
from tests.engine.conftest import EngineFactory
from tests.engine.fakes import talk
from voice_agent.channels.voice import TOO_SLOW_NO_CALLBACK
from voice_agent.engine import dialogue
from voice_agent.engine.guided import GuidedIntakeModel
from voice_agent.engine.i18n import SPANISH, t
from voice_agent.followups.config import FollowupConfig
from voice_agent.lines.en import EN
from voice_agent.settings import Settings
from voice_agent.storage.base import NewConversation
from voice_agent.tools.booking import TEST_BOOKING

PROMISES = ("call you back", "alerted", "call back")


def no_numbers(business: Settings) -> Settings:
    return business.model_copy(update={"office_number": None, "on_call_number": None})


async def _run(engine: object, lines: list[str], *, test_mode: bool = False) -> list[str]:
    started = await engine.start(  # type: ignore[attr-defined]
        NewConversation(
            channel="web", external_id="web-honest", caller="+15551230001", test_mode=test_mode
        )
    )
    replies = [started.greeting]
    for line in lines:
        reply, _ = await talk(engine, started.conversation.id, line)  # type: ignore[arg-type]
        replies.append(reply)
    return replies


BOOKING = [
    "My kitchen drain is clogged",
    "It's Jane Doe",
    "12 Birch Drive, Chatham, IL 62629",
    "Friday works",
    "yes please",
]


async def test_a_test_call_never_says_you_are_booked(make_engine: EngineFactory) -> None:
    replies = await _run(make_engine(GuidedIntakeModel()), BOOKING, test_mode=True)
    said = " ".join(replies)
    assert "You're booked" not in said
    assert replies[5].startswith("Test booking: Drain cleaning at 12 Birch Drive")
    assert "(test — nothing was booked)" in replies[5]


async def test_a_real_call_still_confirms_the_booking(make_engine: EngineFactory) -> None:
    replies = await _run(make_engine(GuidedIntakeModel()), BOOKING)
    assert replies[5].startswith("You're booked: Drain cleaning")


async def test_emergency_without_numbers_promises_no_call_back(
    make_engine: EngineFactory, business: Settings
) -> None:
    engine = make_engine(GuidedIntakeModel(), settings=no_numbers(business))
    replies = await _run(engine, ["I smell gas in the kitchen"])
    assert not any(p in replies[1] for p in PROMISES), replies[1]
    assert "the office will see your message first thing" in replies[1]
    assert "9 1 1" in replies[1]


async def test_asking_for_a_person_without_numbers_promises_no_call_back(
    make_engine: EngineFactory, business: Settings
) -> None:
    engine = make_engine(GuidedIntakeModel(), settings=no_numbers(business))
    replies = await _run(engine, ["Can I talk to a real person?"])
    assert not any(p in replies[1] for p in PROMISES), replies[1]
    assert "closed" not in replies[1]  # it may be within opening hours: do not claim otherwise
    assert "first thing" in replies[1]


async def test_a_message_without_numbers_promises_no_call_back(
    make_engine: EngineFactory, business: Settings
) -> None:
    engine = make_engine(GuidedIntakeModel(), settings=no_numbers(business))
    replies = await _run(
        engine, ["I'd like to leave a message", "Please call me back about a quote"]
    )
    assert not any(p in replies[2] for p in PROMISES), replies[2]
    assert "the office will see your message first thing" in replies[2]


async def test_a_message_with_an_office_number_promises_the_call_back(
    make_engine: EngineFactory,
) -> None:
    replies = await _run(
        make_engine(GuidedIntakeModel()),
        ["I'd like to leave a message", "Please call me back about a quote"],
    )
    assert "call you back" in replies[2]


def test_the_slow_line_promises_only_with_a_number(business: Settings) -> None:
    assert "call you back" in dialogue.too_slow_line(business)
    line = dialogue.too_slow_line(no_numbers(business))
    assert "call you back" not in line and "first thing" in line


@pytest.mark.parametrize(
    "line",
    [
        TEST_BOOKING,
        dialogue.LINE_TOO_SLOW_NO_CALLBACK,
        dialogue.LINE_NO_ON_CALL,
        dialogue.LINE_NO_OFFICE,
        dialogue.LINE_NO_OFFICE_NO_CALLBACK,
        EN["guided.message_seen"],
        dialogue.LINE_CARD_OFFICE_SEES,
        TOO_SLOW_NO_CALLBACK,
    ],
)
def test_every_new_line_has_its_spanish(line: str) -> None:
    assert line in SPANISH
    assert t(line, "es", service="x", where="", when="") != line


def test_the_demo_business_is_the_sandbox_company(settings: Settings) -> None:
    assert settings.business_name == COMPANY_NAME
    assert FollowupConfig().business_name == COMPANY_NAME


async def test_card_data_without_a_number_to_tell_promises_no_call_back(
    make_engine: EngineFactory, business: Settings
) -> None:
    settings = no_numbers(business).model_copy(update={"pay_url": None})
    replies = await _run(make_engine(settings=settings), ["my card number is 4111 1111 1111 1111"])
    assert not any(p in replies[1] for p in PROMISES), replies[1]
    assert replies[1] == dialogue.LINE_CARD_OFFICE_SEES


def test_the_fallback_voicemail_promises_a_call_back_only_with_a_number(
    business: Settings,
) -> None:
    from voice_agent.channels.voice_fallback import fallback_twiml, thanks_twiml

    with_numbers = fallback_twiml(business) + thanks_twiml(business)
    assert "call you back" in with_numbers
    bare = no_numbers(business)
    without = fallback_twiml(bare) + thanks_twiml(bare)
    assert not any(p in without for p in PROMISES), without
    assert "first thing" in without
