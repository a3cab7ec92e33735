"""Deterministic intent rules, table-driven, negatives included."""

from __future__ import annotations

import pytest

from voice_agent.engine.intents import (
    SAFETY_INSTRUCTIONS,
    classify_yes_no,
    detect_emergency,
    is_goodbye,
    normalise,
    wants_human,
)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("I smell gas", "gas"),
        ("I SMELL GAS!!!", "gas"),
        ("there's a gas smell in the kitchen", "gas"),
        ("It smells like gas in here", "gas"),
        ("I think we have a gas leak", "gas"),
        ("smells like rotten eggs near the stove", "gas"),
        ("the stove is leaking gas", "gas"),
        ("the CO detector is going off", "carbon_monoxide"),
        ("Our carbon monoxide alarm went off twice", "carbon_monoxide"),
        ("co alarm keeps beeping", "carbon_monoxide"),
        ("I think there's carbon monoxide in the house", "carbon_monoxide"),
        ("water everywhere, pipe burst", "flooding"),
        ("a pipe burst in the basement", "flooding"),
        ("my basement is flooding", "flooding"),
        ("We have a burst pipe", "flooding"),
        ("water is pouring through the ceiling", "flooding"),
        ("the laundry room flooded", "flooding"),
        ("there's water all over the floor", "flooding"),
        ("sparks coming out of the outlet", "electrical_fire"),
        ("burning smell from the panel", "electrical_fire"),
        ("the outlet is sparking", "electrical_fire"),
        ("it smells like something burning behind the wall", "electrical_fire"),
        ("smoke coming from the breaker box", "electrical_fire"),
        ("the breaker is melting", "electrical_fire"),
        ("my gas bill is high and also I smell gas", "gas"),
        ("I smell gas \u2014 what do I do?", "gas"),
    ],
)
def test_emergencies_are_detected(text: str, kind: str) -> None:
    found = detect_emergency(text)
    assert found is not None, text
    assert found.kind == kind
    assert found.instruction == SAFETY_INSTRUCTIONS[found.kind]


@pytest.mark.parametrize(
    "text",
    [
        "I'd like a gas furnace tune-up",
        "my water heater is old",
        "I have a question about my gas bill",
        "can you install a gas dryer line",
        "I need a CO detector installed",
        "we want a new carbon monoxide detector put in",
        "can you quote a water softener",
        "the kitchen faucet drips",
        "please install flood lights over the garage",
        "my AC is blowing warm air",
        "the mower needs a new spark plug",
        "the tub is full of water and won't drain",
        "I'd like to book a maintenance visit",
        "",
    ],
)
def test_routine_requests_are_not_emergencies(text: str) -> None:
    assert detect_emergency(text) is None


def test_every_kind_has_a_safety_line() -> None:
    assert set(SAFETY_INSTRUCTIONS) == {"gas", "carbon_monoxide", "flooding", "electrical_fire"}
    assert all(line.endswith(".") and len(line) < 200 for line in SAFETY_INSTRUCTIONS.values())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Can I talk to an agent?", True),
        ("HUMAN", True),
        ("operator please", True),
        ("I want a real person", True),
        ("get me a representative", True),
        ("can I talk to someone", True),
        ("let me speak with somebody", True),
        ("transfer me to the office", True),
        ("I'd like to book a tune-up", False),
        ("my name is Agnes", False),
        ("someone broke the pipe", False),
        ("the humane society sent me", False),
        ("", False),
    ],
)
def test_wants_human(text: str, expected: bool) -> None:
    assert wants_human(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", "yes"),
        ("Yes.", "yes"),
        ("yeah", "yes"),
        ("yep", "yes"),
        ("sure", "yes"),
        ("that's right", "yes"),
        ("That\u2019s right!", "yes"),
        ("correct", "yes"),
        ("sounds good", "yes"),
        ("book it", "yes"),
        ("yes please", "yes"),
        ("uh, yes, that's correct", "yes"),
        ("yes yes", "yes"),
        ("okay", "yes"),
        ("1", "yes"),
        ("yeah that works", "yes"),
        ("let's do it", "yes"),
        ("no, don't", "no"),
        ("cancel that", "no"),
        ("no", "no"),
        ("No!", "no"),
        ("nope", "no"),
        ("wrong", "no"),
        ("not quite", "no"),
        ("no, that's wrong", "no"),
        ("no thanks", "no"),
        ("2", "no"),
        ("yes but change the time", None),
        ("yes no", None),
        ("no yes", None),
        ("maybe", None),
        ("what time was that?", None),
        ("I guess", None),
        ("12", None),
        ("not sure", None),
        ("right, but a different address", None),
        ("", None),
        ("   ", None),
    ],
)
def test_classify_yes_no(text: str, expected: str | None) -> None:
    assert classify_yes_no(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bye", True),
        ("Goodbye!", True),
        ("ok bye bye", True),
        ("that's all, thanks", True),
        ("have a good day", True),
        ("I'm all set", True),
        ("nothing else, thank you", True),
        ("talk to you later", True),
        ("no, that's it, thanks", True),
        ("I'd like to book a visit", False),
        ("is that all you need from me?", False),
        ("yes, that's it", False),  # a confirmation, not a goodbye
        ("my address is 12 Abbey Road", False),
        ("", False),
    ],
)
def test_is_goodbye(text: str, expected: bool) -> None:
    assert is_goodbye(text) is expected


def test_normalise() -> None:
    assert normalise("  That\u2019s   RIGHT!!  ") == "that's right"
