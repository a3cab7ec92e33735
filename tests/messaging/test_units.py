"""Pure pieces: keywords, requested days, quiet hours, SMS wording, the scheduler loop."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from voice_agent.followups import texts
from voice_agent.followups.config import FollowupConfig
from voice_agent.followups.dates import requested_day
from voice_agent.followups.replies import pick_number
from voice_agent.followups.scheduler import FollowupScheduler
from voice_agent.followups.timing import in_quiet_hours, next_sendable
from voice_agent.messaging.keywords import classify_keyword
from voice_agent.phones import zone_of
from voice_agent.settings import Settings

CHICAGO = ZoneInfo("America/Chicago")


@pytest.mark.parametrize(
    ("text", "opted_out", "expected"),
    [
        ("STOP", False, "stop"),
        (" stop. ", False, "stop"),
        ("Unsubscribe", False, "stop"),
        ("CANCEL", False, "stop"),
        ("please stop texting me", False, "stop"),
        ("Don't text me again", False, "stop"),
        ("no más", False, "stop"),
        ("cancel my appointment", False, None),
        ("START", True, "start"),
        ("unstop", True, "start"),
        ("YES", True, "start"),
        ("YES", False, None),
        ("help", False, "help"),
        ("can you help me with my invoice", False, None),
    ],
)
def test_keywords(text: str, opted_out: bool, expected: str | None) -> None:
    assert classify_keyword(text, opted_out=opted_out) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("can we do Friday", date(2026, 12, 4)),
        ("tomorrow?", date(2026, 12, 2)),
        ("today please", date(2026, 12, 1)),
        ("next tuesday", date(2026, 12, 8)),
        ("12/10", date(2026, 12, 10)),
        ("Dec 3rd", date(2026, 12, 3)),
        ("1/5", date(2027, 1, 5)),
        ("what do I owe", None),
        ("13/45", None),
    ],
)
def test_requested_day(text: str, expected: date | None) -> None:
    assert requested_day(text, date(2026, 12, 1)) == expected  # a Tuesday


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2", 2), ("#3", 3), ("option 2", 2), ("Approve option 1", 1), ("2pm", None), ("yes", None)],
)
def test_pick_number(text: str, expected: int | None) -> None:
    assert pick_number(text) == expected


def test_zone_of_area_code() -> None:
    assert zone_of("+12125551234", CHICAGO) == ZoneInfo("America/New_York")
    assert zone_of("+14155551234", CHICAGO) == ZoneInfo("America/Los_Angeles")
    assert zone_of("+15551230001", CHICAGO) == CHICAGO  # no single zone: business zone
    assert zone_of("not a number", CHICAGO) == CHICAGO


def test_quiet_hours_wrap_midnight_and_move_to_morning() -> None:
    start, end = time(21), time(9)
    evening = datetime(2026, 12, 2, 3, 30, tzinfo=UTC)  # 21:30 in Chicago
    early = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)  # 7:00
    noon = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)
    assert in_quiet_hours(evening, CHICAGO, start, end)
    assert in_quiet_hours(early, CHICAGO, start, end)
    assert not in_quiet_hours(noon, CHICAGO, start, end)
    assert next_sendable(evening, CHICAGO, start, end) == datetime(2026, 12, 2, 15, tzinfo=UTC)
    assert next_sendable(early, CHICAGO, start, end) == datetime(2026, 12, 2, 15, tzinfo=UTC)
    assert next_sendable(noon, CHICAGO, start, end) == noon
    # a window that does not wrap
    assert next_sendable(early, CHICAGO, time(0), time(8)) == datetime(2026, 12, 2, 14, tzinfo=UTC)


def test_sms_wording() -> None:
    assert texts.money(18950) == "$189.50" and texts.money(240000) == "$2,400"
    start = datetime(2026, 12, 4, 14, tzinfo=UTC)
    assert texts.window(start, datetime(2026, 12, 4, 16, tzinfo=UTC), CHICAGO) == (
        "Fri Dec 4, 8-10 AM"
    )
    assert texts.window(datetime(2026, 12, 4, 17, 30, tzinfo=UTC),
                        datetime(2026, 12, 4, 19, tzinfo=UTC), CHICAGO) == (
        "Fri Dec 4, 11:30 AM-1 PM"
    )  # fmt: skip
    reminder = texts.invoice_reminder("Acme", "Ann Lee", 25000, "1041", None)
    assert reminder.startswith("Hi Ann, a reminder from Acme: invoice 1041 has $250 past due.")
    assert "CALL" in reminder and "STOP" in reminder


def test_config_defaults_from_settings(settings: Settings) -> None:
    config = FollowupConfig.from_settings(settings)
    assert config.business_zone == CHICAGO
    assert config.online_booking_lead_source == "Online Booking"
    assert (config.quiet_start, config.quiet_end, config.reminder_max) == (time(21), time(9), 3)


async def test_scheduler_ticks_survive_failures() -> None:
    calls: list[int] = []

    async def run_once() -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise RuntimeError("database away")

    scheduler = FollowupScheduler(run_once, interval=3600)
    await scheduler.tick()
    await scheduler.tick()
    assert calls == [0, 1] and scheduler.ticks == 2


async def test_scheduler_wakes_and_stops() -> None:
    import asyncio

    ran = asyncio.Event()
    count = 0

    async def run_once() -> None:
        nonlocal count
        count += 1
        if count == 2:
            ran.set()

    scheduler = FollowupScheduler(run_once, interval=3600)
    scheduler.start()
    scheduler.wake()  # without the wake-up the second run would be an hour away
    await ran.wait()
    await scheduler.stop()
    assert count == 2


def test_public_names_are_exported() -> None:
    import inspect

    import voice_agent.followups as followups
    import voice_agent.messaging as messaging

    for package in (messaging, followups):
        public = {
            name
            for name, value in vars(package).items()
            if not name.startswith("_") and not inspect.ismodule(value)
        }
        assert set(package.__all__) == public
