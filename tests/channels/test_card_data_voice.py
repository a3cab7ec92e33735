"""A card number said on a call is masked before the engine, the transcript or the TwiML see it."""

from __future__ import annotations

import pytest

from voice_agent.carddata import CARD_MASK
from voice_agent.storage import SqlStore

from .conftest import FakeEngine

pytestmark = pytest.mark.usefixtures("settings")

CARD_WORDS = "four one one one one one one one one one one one one one one one"


@pytest.mark.parametrize(
    "said", [f"my card is {CARD_WORDS}", "my card is 4111 1111 1111 1111 expires 12 27"]
)
async def test_spoken_card_never_reaches_the_engine_or_the_twiml(
    call, engine: FakeEngine, store: SqlStore, said: str
) -> None:
    sim = call()
    await sim.start()
    reply = await sim.say(said)  # the fake engine echoes what it was given
    twiml = reply.exchanges[-1].body
    assert "1111" not in twiml and "one one one" not in twiml and "12 27" not in twiml
    [(_, text, _)] = engine.runs
    assert CARD_MASK in text and "1111" not in text and "one one one" not in text


async def test_card_typed_on_the_keypad_is_masked(call, engine: FakeEngine) -> None:
    sim = call()
    await sim.start()
    reply = await sim.press("4111111111111111")
    assert "1 1 1 1" not in reply.exchanges[-1].body
    [(_, text, _)] = engine.runs
    assert CARD_MASK in text
