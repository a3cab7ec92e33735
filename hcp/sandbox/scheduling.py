"""Booking windows from business hours, employees' appointments and a service duration."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_DURATION_MINUTES = 30  # HCP's fallback window size since 2026-02-18
MAX_LOOKAHEAD_DAYS = 60

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Window:
    """One bookable window (UTC) and the employees free for all of it."""

    start: datetime
    end: datetime
    free_employee_ids: tuple[str, ...]


def parse_time_of_day(value: str) -> time:
    """Parse "08:00", "08:00:00" or an ISO datetime ("2024-01-01T08:00:00") to a time of day."""
    text = value.strip()
    if "T" in text:
        text = text.split("T", 1)[1]
    text = text.rstrip("Z")
    return time.fromisoformat(text[:8])


def business_hours(availability: Mapping[str, Any]) -> dict[int, list[tuple[time, time]]]:
    """Map weekday (0 = Monday) to its open periods from a schedule-availability document."""
    hours: dict[int, list[tuple[time, time]]] = {i: [] for i in range(7)}
    for day in availability.get("daily_availabilities", {}).get("data", []):
        name = str(day.get("day_name", "")).lower()
        if name not in DAY_NAMES:
            continue
        for window in day.get("schedule_windows", []):
            start = parse_time_of_day(str(window["start_time"]))
            end = parse_time_of_day(str(window["end_time"]))
            if end > start:
                hours[DAY_NAMES.index(name)].append((start, end))
    for periods in hours.values():
        periods.sort()
    return hours


def overlaps(a: Interval, b: Interval) -> bool:
    """True when two half-open intervals share any time."""
    return a[0] < b[1] and b[0] < a[1]


def free_employees(
    busy: Mapping[str, Sequence[Interval]], candidates: Iterable[str], slot: Interval
) -> tuple[str, ...]:
    """The candidates with no busy interval overlapping `slot`, in the candidates' order."""
    return tuple(e for e in candidates if not any(overlaps(slot, b) for b in busy.get(e, ())))


def windows_for_day(
    day: date,
    *,
    hours: Mapping[int, Sequence[tuple[time, time]]],
    zone: ZoneInfo,
    duration: timedelta,
    busy: Mapping[str, Sequence[Interval]],
    employee_ids: Sequence[str],
    not_before: datetime,
) -> list[Window]:
    """Bookable windows on local `day`: back-to-back slots of `duration` inside each open
    period, starting at or after `not_before`, each with at least one free employee."""
    result: list[Window] = []
    for open_at, close_at in hours.get(day.weekday(), ()):
        period_end = datetime.combine(day, close_at, zone).astimezone(UTC)
        start = datetime.combine(day, open_at, zone).astimezone(UTC)
        while start + duration <= period_end:
            slot = (start, start + duration)
            if start >= not_before:
                free = free_employees(busy, employee_ids, slot)
                if free:
                    result.append(Window(slot[0], slot[1], free))
            start += duration
    return result


def booking_windows(
    *,
    availability: Mapping[str, Any],
    time_zone: str,
    now: datetime,
    busy: Mapping[str, Sequence[Interval]],
    employee_ids: Sequence[str],
    duration_minutes: int = DEFAULT_DURATION_MINUTES,
    start_date: date | None = None,
    show_for_days: int = 7,
) -> tuple[date, list[Window]]:
    """Compute open windows over `show_for_days` local days from `start_date`.

    Without `start_date` the range starts on the next local day (never today) that has an
    open window, as HCP does. Windows in the past, inside the company's availability
    buffer, or with no free employee are left out. Returns (first day, windows).
    """
    zone = ZoneInfo(time_zone)
    hours = business_hours(availability)
    duration = timedelta(minutes=duration_minutes)
    buffer_days = int(availability.get("availability_buffer_in_days") or 0)
    not_before = now.astimezone(UTC) + timedelta(days=buffer_days)

    def day_windows(day: date) -> list[Window]:
        return windows_for_day(
            day,
            hours=hours,
            zone=zone,
            duration=duration,
            busy=busy,
            employee_ids=employee_ids,
            not_before=not_before,
        )

    if start_date is None:
        first = now.astimezone(zone).date() + timedelta(days=1)
        for offset in range(MAX_LOOKAHEAD_DAYS):
            if day_windows(first + timedelta(days=offset)):
                first += timedelta(days=offset)
                break
    else:
        first = start_date
    windows: list[Window] = []
    for offset in range(max(show_for_days, 0)):
        windows.extend(day_windows(first + timedelta(days=offset)))
    return first, windows


def to_utc_z(value: datetime) -> str:
    """Format as HCP does: UTC, whole seconds, trailing Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_instant(value: str) -> datetime:
    """Parse an ISO-8601 request time; naive values are taken as UTC (HCP leaves this open)."""
    parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
