"""When a text may go out: quiet hours in the customer's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


def in_quiet_hours(at: datetime, zone: ZoneInfo, start: time, end: time) -> bool:
    """Whether local time at `at` falls in [start, end), which may wrap past midnight."""
    local = at.astimezone(zone).time()
    if start > end:
        return local >= start or local < end
    return start <= local < end


def next_sendable(at: datetime, zone: ZoneInfo, start: time, end: time) -> datetime:
    """`at` itself, or the end of the quiet period it falls in (as UTC)."""
    if not in_quiet_hours(at, zone, start, end):
        return at
    local = at.astimezone(zone)
    day = local.date()
    if start > end and local.time() >= start:
        day += timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone).astimezone(UTC)
