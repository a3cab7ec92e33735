"""Texts written after a call: the HCP job note and the booking confirmation SMS."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from voice_agent.followups.texts import clock_time
from voice_agent.storage.base import Conversation, HcpWrite, Turn

MAX_NOTE_CHARS = 2000
MAX_LINE_CHARS = 200
JOB_OPERATIONS = ("create_job", "approve_estimate_option")


def created_jobs(writes: Sequence[HcpWrite]) -> list[tuple[str, dict[str, Any]]]:
    """(job id, job record) for each job this conversation created in HCP."""
    jobs: list[tuple[str, dict[str, Any]]] = []
    for write in writes:
        if write.operation not in JOB_OPERATIONS or write.status != "done" or not write.hcp_id:
            continue
        record = _dict(write.response)
        jobs.append((write.hcp_id, _dict(record.get("job", record))))
    return jobs


def _minutes(seconds: int | None) -> str:
    if not seconds:
        return "under a minute"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def call_summary(
    conversation: Conversation,
    turns: Sequence[Turn],
    *,
    outcome: str,
    duration: int | None,
    zone: ZoneInfo,
) -> str:
    """A short note for the office: when, how long, outcome, and the transcript (bounded)."""
    started = conversation.started_at.astimezone(zone)
    lines = [
        f"Phone call handled by the voice agent on {started:%a %b %d %Y at %I:%M %p %Z}"
        f" ({_minutes(duration)}). Outcome: {outcome.replace('_', ' ')}."
    ]
    if conversation.test_mode:
        lines.append("TEST CALL (test mode).")
    for turn in sorted(turns, key=lambda t: (t.seq, t.created_at)):
        if turn.role in ("caller", "agent") and turn.text.strip():
            text = " ".join(turn.text.split())[:MAX_LINE_CHARS]
            lines.append(f"{'Caller' if turn.role == 'caller' else 'Agent'}: {text}")
    note = "\n".join(lines)
    return note if len(note) <= MAX_NOTE_CHARS else note[: MAX_NOTE_CHARS - 1] + "…"


def _parse(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC"))


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


_DAYS_ES = ("lun", "mar", "mié", "jue", "vie", "sáb", "dom")
_MONTHS_ES = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")


def _job_facts(
    job: dict[str, Any], zone: ZoneInfo
) -> tuple[datetime | None, datetime | None, str, str]:
    """(local arrival start, local end, street, job number) of an HCP job ("" when absent)."""
    schedule = _dict(job.get("schedule"))
    start = _parse(schedule.get("scheduled_start"))
    end = _parse(schedule.get("scheduled_end"))
    window = schedule.get("arrival_window")
    if start is not None and isinstance(window, int) and window > 0:
        end = start + timedelta(minutes=window)
    street = _dict(job.get("address")).get("street")
    number = job.get("invoice_number")
    return (
        start.astimezone(zone) if start else None,
        end.astimezone(zone) if end else None,
        street if isinstance(street, str) else "",
        str(number) if isinstance(number, str | int) else "",
    )


def booking_sms(job: dict[str, Any], *, business: str, zone: ZoneInfo, language: str = "en") -> str:
    """The confirmation text for a booked job, in the business's time zone and the caller's
    language ("en" or "es")."""
    start, end, street, number = _job_facts(job, zone)
    if language == "es":
        when = "a la hora acordada"
        if start is not None:
            day = f"{_DAYS_ES[start.weekday()]} {start.day} {_MONTHS_ES[start.month - 1]}"
            when = f"el {day}, con llegada entre las {clock_time(start)}"
            when += f" y las {clock_time(end)}" if end else ""
        where = f" en {street}" if street else ""
        ref = f" (trabajo n.º {number})" if number else ""
        return (
            f"{business}: su cita está reservada para {when}{where}{ref}. "
            "Responda a este mensaje para cambiarla. Responda STOP para no recibir más mensajes."
        )
    when = "at the time we agreed"
    if start is not None:
        when = f"{start:%a %b} {start.day}, arriving between {clock_time(start)}"
        when += f" and {clock_time(end)}" if end else ""
    where = f" at {street}" if street else ""
    ref = f" (job #{number})" if number else ""
    return (
        f"{business}: you're booked for {when}{where}{ref}. "
        "Reply to this text to change it. Reply STOP to opt out."
    )
