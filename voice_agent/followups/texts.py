"""The words of every follow-up text: short, plain, in the customer's local time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from voice_agent.messaging.keywords import OPT_OUT_FOOTER


def money(cents: int) -> str:
    """`18950` -> `"$189.50"`, `20000` -> `"$200"`."""
    dollars, rest = divmod(int(cents), 100)
    return f"${dollars:,}" if rest == 0 else f"${dollars:,}.{rest:02d}"


def _clock(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{hour}{minutes}"


def clock_time(moment: datetime) -> str:
    """A time as written in texts: `"8:00 AM"`."""
    return f"{moment.hour % 12 or 12}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def window(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """`"Fri Dec 4, 8-10 AM"` in `zone` (meridiem shown once when both ends share it)."""
    s, e = start.astimezone(zone), end.astimezone(zone)
    day = f"{s:%a %b} {s.day}"
    s_half, e_half = ("AM" if s.hour < 12 else "PM"), ("AM" if e.hour < 12 else "PM")
    if s_half == e_half:
        return f"{day}, {_clock(s)}-{_clock(e)} {e_half}"
    return f"{day}, {_clock(s)} {s_half}-{_clock(e)} {e_half}"


def first_name(name: str | None) -> str:
    """A greeting name, or nothing."""
    return f" {name.split()[0]}" if name and name.strip() else ""


def booking_confirmation(business: str, name: str | None, when: str | None) -> str:
    """Confirmation of an online booking."""
    visit = f"Your visit is booked for {when}." if when else "We got your booking request."
    return (
        f"Hi{first_name(name)}, thanks for booking with {business}! {visit} "
        'Reply YES to confirm, tell us another day to reschedule (e.g. "Friday"), '
        f"or CALL for a call back. {OPT_OUT_FOOTER}"
    )


def lead_confirmation(business: str, name: str | None) -> str:
    """Confirmation of an online request without a time yet."""
    return (
        f"Hi{first_name(name)}, thanks for contacting {business}! We got your request and "
        f"will text you to set a time. Reply CALL for a call back. {OPT_OUT_FOOTER}"
    )


def estimate_summary(business: str, name: str | None, options: Sequence[tuple[str, int]]) -> str:
    """Summary of an estimate's options with totals and how to approve by text."""
    if len(options) == 1:
        label, total = options[0]
        lines = f"{label}: {money(total)}."
        ask = "Reply YES to approve it"
    else:
        lines = " ".join(
            f"Option {n} ({label}): {money(t)}." for n, (label, t) in enumerate(options, 1)
        )
        ask = 'Reply e.g. "approve option 2"'
    return (
        f"Hi{first_name(name)}, your estimate from {business} is ready. {lines} "
        f"{ask} and we'll offer times to do the work. {OPT_OUT_FOOTER}"
    )


def estimate_nudge(business: str, name: str | None) -> str:
    """The one polite follow-up when an estimate got no answer."""
    return (
        f"Hi{first_name(name)}, just checking in on your estimate from {business}. "
        "Reply YES (or the option number) to go ahead, or CALL if you have questions."
    )


def windows_offer(intro: str, labels: Sequence[str]) -> str:
    """A numbered list of windows to pick from."""
    numbered = " ".join(f"{n}) {label}" for n, label in enumerate(labels, 1))
    choices = ", ".join(str(n) for n in range(1, len(labels) + 1))
    return f"{intro} {numbered}. Reply {choices} to choose, or another day."


def schedule_notice(business: str, name: str | None, when: str) -> str:
    """Notice that the office (re)scheduled a job."""
    return (
        f"Hi{first_name(name)}, {business} has your visit scheduled for {when}. "
        "Reply with any questions."
    )


def invoice_reminder(
    business: str, name: str | None, amount_cents: int, number: str | None, pay_url: str | None
) -> str:
    """An overdue-invoice reminder with the amount and pay link."""
    invoice = f"invoice {number}" if number else "your invoice"
    pay = f" Pay online: {pay_url}" if pay_url else " Reply CALL to pay by phone."
    return (
        f"Hi{first_name(name)}, a reminder from {business}: {invoice} has {money(amount_cents)} "
        f"past due.{pay} Already paid? Thank you, please ignore this. {OPT_OUT_FOOTER}"
    )


def help_text(business: str, office: str | None) -> str:
    """Answer to HELP."""
    call = f" or call {office}" if office else ""
    return f"{business}: text us here about your visit, estimate or invoice{call}. {OPT_OUT_FOOTER}"
