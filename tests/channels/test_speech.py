"""Phrasing for the ear: times, money, addresses, cleanup and deterministic variety."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from voice_agent.speech import (
    FILLERS,
    for_speech,
    pick,
    speak_address,
    speak_day,
    speak_money,
    speak_window,
)

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 30, 9, 15, tzinfo=CHICAGO)  # a Monday morning


def at(day: int, hour: int, minute: int = 0) -> datetime:
    month, day = (12, day - 30) if day > 30 else (11, day)
    return datetime(2026, month, day, hour, minute, tzinfo=CHICAGO)


@pytest.mark.parametrize(
    ("start", "end", "spoken"),
    [
        (at(30, 13), at(30, 15), "between 1 and 3 this afternoon"),
        (at(31, 8), at(31, 10), "between 8 and 10 tomorrow morning"),
        (at(33, 8, 30), at(33, 10, 30), "between 8:30 and 10:30 on Thursday morning"),
        (at(32, 11), at(32, 13), "between 11 AM and 1 PM on Wednesday"),
        (at(39, 8), at(39, 10), "between 8 and 10 on Wednesday, December 9th, in the morning"),
        (at(30, 17), at(30, 19), "between 5 and 7 this evening"),
    ],
)
def test_windows_are_phrased_for_speech(start: datetime, end: datetime, spoken: str) -> None:
    assert speak_window(start, end, now=NOW, zone=CHICAGO) == spoken


def test_windows_use_the_business_time_zone() -> None:
    start = datetime.fromisoformat("2026-12-01T14:00:00+00:00")  # 8 AM in Chicago
    end = datetime.fromisoformat("2026-12-01T16:00:00+00:00")
    assert speak_window(start, end, now=NOW, zone=CHICAGO) == "between 8 and 10 tomorrow morning"


def test_days_relative_to_today() -> None:
    today = NOW.date()
    assert speak_day(today, today) == "today"
    assert speak_day(at(31, 0).date(), today) == "tomorrow"
    assert speak_day(at(52, 0).date(), today) == "on Tuesday, December 22nd"


@pytest.mark.parametrize(
    ("cents", "spoken"),
    [(18950, "$189.50"), (18900, "$189"), (125000, "$1,250"), (5, "$0.05"), (-2500, "minus $25")],
)
def test_money(cents: int, spoken: str) -> None:
    assert speak_money(cents) == spoken


@pytest.mark.parametrize(
    ("address", "spoken"),
    [
        ("1234 Oak St., Austin, TX 78704", "12 34 Oak Street, Austin, TX 7 8 7 0 4"),
        ("500 N Lamar Blvd Apt 3", "500 North Lamar Boulevard apartment 3"),
        ("77 Sunset Ave", "77 Sunset Avenue"),
    ],
)
def test_addresses(address: str, spoken: str) -> None:
    assert speak_address(address) == spoken


def test_model_text_is_cleaned_for_say() -> None:
    text = "**Great!** The tune-up is $89.00 at 8:00 AM. See https://pay.example.test/x"
    assert for_speech(text) == "Great! The tune-up is $89 at 8 AM. See the link we text you"


def test_long_text_is_cut_at_a_sentence_end() -> None:
    text = "First sentence here. " * 50
    cut = for_speech(text, limit=100)
    assert len(cut) <= 100 and cut.endswith(".")


def test_pick_is_varied_but_stable() -> None:
    assert pick(FILLERS, "CA1:1") == pick(FILLERS, "CA1:1")
    assert len({pick(FILLERS, f"CA1:{n}") for n in range(40)}) > 1
