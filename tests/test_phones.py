"""The one phone-number module: parse to E.164, display, mask; odd input never raises."""

from __future__ import annotations

import pytest

from voice_agent import phones
from voice_agent.engine.dialogue import callback_number
from voice_agent.settings import Settings

HIDDEN = [
    "anonymous",
    "Anonymous",
    "restricted",
    "unavailable",
    "",
    "   ",
    None,
    "266696687",
    "+266696687",  # Twilio's ANONYMOUS, not a Lesotho number
    "+7378742833",  # RESTRICTED
    "+8656696",  # UNKNOWN: "possible" in China, still not a caller
    "+86282452253",  # UNAVAILABLE
    "1" * 1000,
    "+" + "9" * 1000,
    "call me",
    "12",
]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(217) 555-0100", "+12175550100"),
        ("+1 217 555 0100", "+12175550100"),
        ("217.555.0100", "+12175550100"),
        ("1-217-555-0100", "+12175550100"),
        ("+15551230001", "+15551230001"),  # fictional 555 numbers are possible, kept
        ("+52 55 1234 5678", "+525512345678"),  # Mexico City
        ("+34 612 34 56 78", "+34612345678"),  # Spanish mobile
    ],
)
def test_e164(raw: str, expected: str) -> None:
    assert phones.e164(raw) == expected
    assert phones.e164_or_unknown(raw) == expected


@pytest.mark.parametrize("raw", HIDDEN)
def test_hidden_or_garbage_is_no_number(raw: str | None) -> None:
    assert phones.parse(raw) is None
    assert phones.e164(raw) is None
    assert phones.e164_or_unknown(raw) == "unknown"
    assert phones.display(raw) is None
    assert phones.national(raw) is None


def test_national_numbers_read_in_the_business_region() -> None:
    assert phones.e164("55 1234 5678", "MX") == "+525512345678"
    assert phones.e164("612 34 56 78", "ES") == "+34612345678"
    assert phones.e164("(217) 555-0100", "US") == "+12175550100"


def test_display_national_at_home_international_abroad() -> None:
    assert phones.display("+12175550100") == "(217) 555-0100"
    assert phones.display("+525512345678") == "+52 55 1234 5678"
    assert phones.display("+525512345678", "MX") == "55 1234 5678"
    assert callback_number("+12175550100") == "(217) 555-0100"
    assert callback_number("anonymous") == "a caller with no caller ID"


def test_national_is_what_hcp_stores() -> None:
    assert phones.national("+12175550100") == "2175550100"
    assert phones.national("(217) 555-0100") == "2175550100"
    # abroad the country code stays (the old code kept the last 10 digits: "5512345678")
    assert phones.national("+525512345678") == "+525512345678"


def test_strict_e164_for_settings() -> None:
    assert phones.strict_e164("(212) 555-0100") == "+12125550100"
    with pytest.raises(ValueError, match="not a phone number"):
        phones.strict_e164("anonymous")
    with pytest.raises(ValueError, match="not a valid phone number"):
        phones.strict_e164("+1 555 123 0001")


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("+12175550100", "***0100"),
        ("(217) 555-0100", "***0100"),
        ("+525512345678", "***5678"),
        ("anonymous", "unknown"),
        ("", "unknown"),
        (None, "unknown"),
        ("123", "unknown"),
        ("1" * 1000, "***1111"),
    ],
)
def test_mask_keeps_the_last_4_digits(raw: str | None, masked: str) -> None:
    assert phones.mask(raw) == masked


def test_mask_on_screen() -> None:
    assert phones.mask("+12175550100", hidden="•••-•••-") == "•••-•••-0100"


def test_every_masker_is_the_module() -> None:
    """The log filter, the dashboard, opt-out logs and job notes keep the same 4 digits."""
    from voice_agent.logs import redact
    from voice_agent.web.format import mask_phone

    assert redact("call from +12175550100") == "call from ***0100"
    assert mask_phone("+12175550100") == "•••-•••-0100"


def test_phone_region_is_the_business_numbers(settings: Settings) -> None:
    assert settings.phone_region == "US"
    mexican = settings.model_copy(update={"twilio_phone_number": "+525512345678"})
    assert mexican.phone_region == "MX"
