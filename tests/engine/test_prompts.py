"""Prompt templates: every prompt loads and renders; missing names and values are clear errors."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from voice_agent.engine.intents import SAFETY_INSTRUCTIONS
from voice_agent.engine.prompts import (
    PROMPTS_DIR,
    Channel,
    PromptError,
    PromptLibrary,
    business_values,
    greeting,
    load_prompt,
    render,
    safety_values,
    spoken_hours,
    system_prompt,
)
from voice_agent.settings import Settings, parse_business_hours

EXPECTED = {
    "business_facts",
    "greeting",
    "language_es",
    "safety",
    "sms_system",
    "test_notice",
    "voice_system",
}


@pytest.fixture
def business(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "business_name": "Lone Star Plumbing",
            "business_hours": "mon-fri 07:30-18:00; sat 09:00-12:00",
            "service_area": ("Austin", "Round Rock"),
            "on_call_number": "+15125550100",
        }
    )


def realistic_values(business: Settings) -> dict[str, object]:
    return {
        **business_values(business),
        **safety_values(),
        "today": "Monday, January 5, 2026",
        "now": "9 AM",
        "business_facts": "- Business name: Lone Star Plumbing.",
        "safety": "Emergencies come first.",
        "salutation": "Hi Dana",
        "disclosure": "",
        "test_notice": "",
        "channel": "voice",
    }


def test_the_prompts_directory_is_the_repository_one() -> None:
    assert PROMPTS_DIR == Path(__file__).resolve().parents[2] / "prompts"
    assert set(PromptLibrary().names()) == EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_prompt_renders_with_realistic_values(name: str, business: Settings) -> None:
    text = load_prompt(name, **realistic_values(business))
    assert text.strip()
    assert "<!--" not in text
    assert "{" not in text, f"unfilled placeholder in {name}"


def test_unknown_prompt_is_a_clear_error() -> None:
    with pytest.raises(PromptError, match="no prompt 'nope'.*available: .*voice_system"):
        load_prompt("nope")
    with pytest.raises(PromptError, match="lower_snake_case"):
        load_prompt("../pyproject")


def test_missing_value_names_every_missing_placeholder() -> None:
    with pytest.raises(
        PromptError, match="'greeting' needs a value for: business_name, disclosure, test_notice"
    ):
        load_prompt("greeting", salutation="Hi")


def test_render_leaves_other_braces_alone() -> None:
    assert render('Send {"a": 1} to {who}.', {"who": "Dana"}) == 'Send {"a": 1} to Dana.'


def test_templates_are_cached_and_a_custom_directory_works(tmp_path: Path) -> None:
    (tmp_path / "hello.md").write_text("<!-- doc -->\nHello {name}!\n", encoding="utf-8")
    library = PromptLibrary(tmp_path)
    assert library.load("hello", name="Dana") == "Hello Dana!"
    assert library.placeholders("hello") == {"name"}
    (tmp_path / "hello.md").write_text("Changed {name}", encoding="utf-8")
    assert library.load("hello", name="Dana") == "Hello Dana!"  # read once


def test_voice_system_prompt_has_persona_facts_and_safety(business: Settings) -> None:
    text = system_prompt(business, "voice", now=datetime(2026, 1, 5, 9, 15))
    assert "receptionist for Lone Star Plumbing" in text
    assert "Monday, January 5, 2026" in text and "9:15 AM" in text
    assert "Monday to Friday, 7:30 AM to 6 PM; Saturday, 9 AM to noon" in text
    assert "Austin, Round Rock" in text
    assert "job id" in text and "one question at a time" in text.lower()
    for line in SAFETY_INSTRUCTIONS.values():
        assert line in text


def test_sms_prompt_differs_and_allows_links(business: Settings) -> None:
    sms = system_prompt(business, "sms", now=datetime(2026, 1, 5, 9, 0))
    assert "text messages" in sms and "Links are fine" in sms
    assert sms != system_prompt(business, "voice", now=datetime(2026, 1, 5, 9, 0))


def test_facts_without_optional_settings(settings: Settings) -> None:
    values = business_values(settings)
    assert "no on-call line" in values["on_call"]
    assert "not restricted" in values["service_area"]


def test_greeting_variants(business: Settings) -> None:
    assert greeting(business, first_name="Dana") == (
        "Hi Dana, thanks for calling Lone Star Plumbing. You're speaking with an automated "
        "assistant. How can I help you today?"
    )
    generic = greeting(business)
    assert generic.startswith("Hi there, thanks for calling Lone Star Plumbing.")
    assert "test call" not in generic
    assert "This is a test call" in greeting(business, test_mode=True)


@pytest.mark.parametrize(
    ("hours", "spoken"),
    [
        ("mon-fri 08:00-17:00", "Monday to Friday, 8 AM to 5 PM"),
        (
            "mon 00:00-12:00; wed 13:45-23:59",
            "Monday, midnight to noon; Wednesday, 1:45 PM to 11:59 PM",
        ),
        ("", "by appointment only"),
    ],
)
def test_spoken_hours(hours: str, spoken: str) -> None:
    assert spoken_hours(parse_business_hours(hours)) == spoken


@pytest.mark.parametrize("channel", ["voice", "sms"])
def test_only_the_last_line_changes_with_the_clock(business: Settings, channel: Channel) -> None:
    morning = system_prompt(business, channel, now=datetime(2026, 1, 5, 9, 0))
    evening = system_prompt(business, channel, now=datetime(2026, 1, 6, 17, 30))
    assert morning.splitlines()[:-1] == evening.splitlines()[:-1]  # cacheable prefix
    assert morning.splitlines()[-1] != evening.splitlines()[-1]


def test_a_prompt_is_built_once_a_minute_and_anew_for_saved_settings(business: Settings) -> None:
    at = datetime(2026, 1, 5, 9, 0)
    first = system_prompt(business, "voice", now=at)
    assert system_prompt(business, "voice", now=at.replace(second=40)) is first  # reused
    assert "9:01 AM" in system_prompt(business, "voice", now=at.replace(minute=1))
    renamed = business.model_copy(update={"business_name": "Cedar Plumbing"})
    assert "Cedar Plumbing" in system_prompt(renamed, "voice", now=at)
    assert "Cedar Plumbing" not in system_prompt(business, "voice", now=at)
    spanish = system_prompt(business, "voice", now=at, language="es")
    assert spanish != first and spanish.startswith(first)
