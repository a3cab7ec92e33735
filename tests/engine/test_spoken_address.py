"""The booking read-back and confirmation: addresses said naturally on calls, as typed in texts."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tests.engine.conftest import EngineFactory
from tests.engine.fakes import talk
from voice_agent.engine.guided import GuidedIntakeModel
from voice_agent.storage.base import Channel, NewConversation
from voice_agent.tools.common import spoken_address

JAMES = "+12175550100"  # seeded: James Smith, 6420 Oak St, Springfield


async def book(engine: Any, channel: Channel, caller: str, lines: list[str]) -> tuple[str, str]:
    """Talk through a guided booking; the read-back and the confirmation."""
    started = await engine.start(
        NewConversation(channel=channel, external_id=f"{channel}-{caller}", caller=caller)
    )
    replies = [(await talk(engine, started.conversation.id, line))[0] for line in lines]
    return replies[-2], replies[-1]


NEW_CALLER = ["My kitchen drain is clogged", "Jane Doe", "12 Elm St, Chatham, IL 62629"]


@pytest.mark.parametrize("channel", ["voice", "web"])
async def test_a_call_reads_the_street_type_in_full(
    make_engine: EngineFactory, channel: Channel
) -> None:
    engine = make_engine(GuidedIntakeModel())
    readback, booked = await book(engine, channel, "+15551230021", [*NEW_CALLER, "first", "yes"])
    assert readback.startswith(
        "Just to confirm: Drain cleaning at 12 Elm Street, Chatham, arriving"
    )
    assert booked.startswith("You're booked: Drain cleaning at 12 Elm Street, arriving")


@pytest.mark.parametrize("channel", ["sms", "console"])
async def test_a_text_keeps_the_address_as_typed(
    make_engine: EngineFactory, channel: Channel
) -> None:
    engine = make_engine(GuidedIntakeModel())
    readback, booked = await book(engine, channel, "+15551230022", [*NEW_CALLER, "first", "yes"])
    assert readback.startswith("Just to confirm: Drain cleaning at 12 Elm St, Chatham, arriving")
    assert booked.startswith("You're booked: Drain cleaning at 12 Elm St, arriving")


async def test_a_call_reads_a_four_digit_house_number_in_pairs(
    make_engine: EngineFactory,
) -> None:
    engine = make_engine(GuidedIntakeModel())
    lines = ["AC repair please", "6420 Oak Street", "first", "yes"]
    readback, booked = await book(engine, "voice", JAMES, lines)
    assert readback.startswith("Just to confirm: AC repair at 64 20 Oak Street, Springfield,")
    assert booked.startswith("You're booked: AC repair at 64 20 Oak Street, arriving")


async def test_a_text_keeps_the_four_digit_house_number(make_engine: EngineFactory) -> None:
    engine = make_engine(GuidedIntakeModel())
    lines = ["AC repair please", "6420 Oak Street", "first", "yes"]
    readback, booked = await book(engine, "sms", JAMES, lines)
    assert readback.startswith("Just to confirm: AC repair at 6420 Oak St, Springfield,")
    assert booked.startswith("You're booked: AC repair at 6420 Oak St, arriving")


async def test_a_spanish_call_expands_the_street_and_keeps_the_number_whole(
    make_engine: EngineFactory,
) -> None:
    engine = make_engine(GuidedIntakeModel())
    lines = [
        "Hola, tengo el fregadero de la cocina tapado, por favor",
        "Me llamo María López",
        "1234 Elm St, Chatham, IL 62629",
        "la primera",
        "claro",
    ]
    readback, booked = await book(engine, "voice", "+15551230023", lines)
    assert readback.startswith("Para confirmar: ") and "en 1234 Elm Street, Chatham," in readback
    assert booked.startswith("Listo, queda reservado: ") and "en 1234 Elm Street," in booked


def ctx(channel: str, language: str = "en") -> Any:
    """Just what `spoken_address` reads: the channel and the caller's language."""
    return SimpleNamespace(
        conversation=SimpleNamespace(channel=channel), session=SimpleNamespace(language=language)
    )


@pytest.mark.parametrize(
    ("channel", "language", "spoken"),
    [
        ("voice", "en", "12 Elm Street Springfield IL 6 2 7 0 4, Saint Louis"),
        ("voice", "es", "12 Elm Street Springfield IL 6 2 7 0 4, Saint Louis"),
        ("sms", "en", "12 Elm St Springfield IL 62704, St. Louis"),
    ],
)
def test_a_zip_inside_the_address_is_spelled_only_on_a_call(
    channel: str, language: str, spoken: str
) -> None:
    text = "12 Elm St Springfield IL 62704, St. Louis"
    assert spoken_address(ctx(channel, language), text) == spoken
