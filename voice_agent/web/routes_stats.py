"""`/stats`: the numbers at a glance over a chosen period, with a daily bar chart (inline SVG)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request, Response

from voice_agent.deps import SettingsDep, StoreDep
from voice_agent.outcomes import unbooked_reason
from voice_agent.storage.base import CALL_CHANNELS, Conversation, Store
from voice_agent.web import format as fmt
from voice_agent.web.guard import page
from voice_agent.web.routes_auth import guarded

STATS_PERIODS = {"7": 7, "30": 30, "90": 90}
CHART_WIDTH, CHART_HEIGHT = 640, 160


@dataclass
class Numbers:
    """The figures for one period."""

    calls: int = 0
    bookings: int = 0
    transfers: int = 0
    messages: int = 0
    sms_threads: int = 0
    silence_ms: list[float] = field(default_factory=list)
    cost_usd: float = 0.0
    costed_turns: int = 0
    per_day: dict[date, list[int]] = field(default_factory=dict)  # day -> [calls, bookings]
    unbooked: dict[str, int] = field(default_factory=dict)  # reason -> calls without a booking

    @property
    def unbooked_total(self) -> int:
        """Calls that ended without a booking or a message."""
        return sum(self.unbooked.values())

    @property
    def booking_rate(self) -> float | None:
        """Bookings per answered call."""
        return self.bookings / self.calls if self.calls else None

    @property
    def mean_silence_ms(self) -> float | None:
        """Average server time per agent reply (caller's words in -> answer ready)."""
        return sum(self.silence_ms) / len(self.silence_ms) if self.silence_ms else None

    @property
    def cost_per_call(self) -> float | None:
        """LLM cost per answered call (None when no turn recorded a cost)."""
        return self.cost_usd / self.calls if self.calls and self.costed_turns else None


async def compute(
    store: Store,
    conversations: list[Conversation],
    *,
    zone: ZoneInfo,
    since: datetime,
    days: int,
) -> Numbers:
    """Count calls, outcomes, silence and cost for conversations started after `since`."""
    numbers = Numbers()
    first = since.astimezone(zone).date()
    for offset in range(days + 1):
        numbers.per_day[first + timedelta(days=offset)] = [0, 0]
    for conversation in conversations:
        if conversation.started_at < since:
            continue
        if conversation.channel == "sms":
            numbers.sms_threads += 1
            continue
        if conversation.channel not in CALL_CHANNELS:  # terminal chats are neither
            continue
        numbers.calls += 1
        day = numbers.per_day.setdefault(conversation.started_at.astimezone(zone).date(), [0, 0])
        day[0] += 1
        outcome = conversation.outcome or ""
        if outcome == "booked":
            numbers.bookings += 1
            day[1] += 1
        numbers.transfers += outcome == "transferred"
        numbers.messages += outcome == "message"
        reason = unbooked_reason(conversation)
        if reason is not None:
            numbers.unbooked[reason] = numbers.unbooked.get(reason, 0) + 1
        turns = await store.list_turns(conversation.id)
        for turn, meta in zip(turns, fmt.turn_metas(turns), strict=True):
            stats = fmt.turn_stats(meta)
            if turn.role == "agent" and stats["latency_ms"] is not None:
                numbers.silence_ms.append(stats["latency_ms"])
            if stats["cost_usd"] is not None:
                numbers.cost_usd += stats["cost_usd"]
                numbers.costed_turns += 1
    return numbers


def chart(per_day: dict[date, list[int]]) -> dict[str, Any]:
    """Bar geometry for the SVG: one bar per day (calls) with the booked part inside."""
    days = sorted(per_day)
    peak = max([per_day[d][0] for d in days] + [1])
    slot = CHART_WIDTH / max(1, len(days))
    bars = []
    for index, day in enumerate(days):
        calls, booked = per_day[day]
        height = (CHART_HEIGHT - 20) * calls / peak
        booked_height = (CHART_HEIGHT - 20) * booked / peak
        bars.append(
            {
                "x": round(index * slot + 1, 1),
                "w": round(max(1.0, slot - 2), 1),
                "y": round(CHART_HEIGHT - height, 1),
                "h": round(height, 1),
                "by": round(CHART_HEIGHT - booked_height, 1),
                "bh": round(booked_height, 1),
                "label": f"{day:%b %d}: {calls} calls, {booked} booked",
            }
        )
    return {
        "bars": bars,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "peak": peak,
        "first": f"{days[0]:%b %d}" if days else "",
        "last": f"{days[-1]:%b %d}" if days else "",
    }


@guarded.get("/stats")
async def stats_page(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    period: str = "30",
    include_test: str = "",
) -> Response:
    """Calls answered, bookings, booking rate, transfers, messages, silence and cost."""
    days = STATS_PERIODS.get(period, 30)
    now = datetime.now(UTC)
    zone = settings.zone
    rows = await store.list_conversations(limit=1000)
    if not include_test:
        rows = [c for c in rows if not c.test_mode]
    numbers = await compute(store, rows, zone=zone, since=now - timedelta(days=days), days=days)
    return page(
        request,
        "stats.html",
        {
            "n": numbers,
            "chart": chart(numbers.per_day),
            "period": str(days),
            "periods": STATS_PERIODS,
            "include_test": bool(include_test),
        },
    )
