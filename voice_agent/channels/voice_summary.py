"""Texts written after a call: the HCP job note and the booking confirmation SMS."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

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


def _clock(moment: datetime) -> str:
    return f"{moment:%I:%M %p}".lstrip("0")


def booking_sms(job: dict[str, Any], *, business: str, zone: ZoneInfo, language: str = "en") -> str:
    """The confirmation text for a booked job, in the business's time zone and the caller's
    language ("en" or "es")."""
    if language == "es":
        return _booking_sms_es(job, business=business, zone=zone)
    schedule = _dict(job.get("schedule"))
    start = _parse(schedule.get("scheduled_start"))
    end = _parse(schedule.get("scheduled_end"))
    window = schedule.get("arrival_window")
    if start is not None and isinstance(window, int) and window > 0:
        end = start + timedelta(minutes=window)
    when = "at the time we agreed"
    if start is not None:
        local = start.astimezone(zone)
        when = f"{local:%a %b} {local.day}, arriving between {_clock(local)}"
        when += f" and {_clock(end.astimezone(zone))}" if end else ""
    address = _dict(job.get("address"))
    street = address.get("street")
    where = f" at {street}" if isinstance(street, str) and street else ""
    number = job.get("invoice_number")
    ref = f" (job #{number})" if isinstance(number, str | int) and str(number) else ""
    return (
        f"{business}: you're booked for {when}{where}{ref}. "
        "Reply to this text to change it. Reply STOP to opt out."
    )


_DAYS_ES = ("lun", "mar", "mié", "jue", "vie", "sáb", "dom")
_MONTHS_ES = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")


def _booking_sms_es(job: dict[str, Any], *, business: str, zone: ZoneInfo) -> str:
    """`booking_sms` in Spanish ("mar 6 ene, con llegada entre las 8:00 AM y las 10:00 AM")."""
    schedule = _dict(job.get("schedule"))
    start = _parse(schedule.get("scheduled_start"))
    end = _parse(schedule.get("scheduled_end"))
    window = schedule.get("arrival_window")
    if start is not None and isinstance(window, int) and window > 0:
        end = start + timedelta(minutes=window)
    when = "a la hora acordada"
    if start is not None:
        local = start.astimezone(zone)
        day = f"{_DAYS_ES[local.weekday()]} {local.day} {_MONTHS_ES[local.month - 1]}"
        when = f"el {day}, con llegada entre las {_clock(local)}"
        when += f" y las {_clock(end.astimezone(zone))}" if end else ""
    address = _dict(job.get("address"))
    street = address.get("street")
    where = f" en {street}" if isinstance(street, str) and street else ""
    number = job.get("invoice_number")
    ref = f" (trabajo n.º {number})" if isinstance(number, str | int) and str(number) else ""
    return (
        f"{business}: su cita está reservada para {when}{where}{ref}. "
        "Responda a este mensaje para cambiarla. Responda STOP para no recibir más mensajes."
    )
