"""Follow-up and reminder settings, with defaults until they become `Settings` fields.

Proposed environment variables (not yet in `Settings`; `from_settings` reads them when the
lead adds them, else the defaults below apply): ONLINE_BOOKING_LEAD_SOURCE,
SMS_THREAD_WINDOW_HOURS, ESTIMATE_FOLLOWUP_HOURS, INVOICE_REMINDER_CADENCE_DAYS,
INVOICE_REMINDER_MAX, QUIET_HOURS (e.g. "21:00-09:00"), SCHEDULE_CHANGE_SMS,
FOLLOWUP_POLL_SECONDS.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from voice_agent.settings import Settings

ONLINE_BOOKING_LEAD_SOURCE = "Online Booking"
SMS_THREAD_WINDOW = timedelta(hours=72)
ESTIMATE_FOLLOWUP_DELAY = timedelta(hours=48)
INVOICE_REMINDER_CADENCE = timedelta(days=3)
INVOICE_REMINDER_MAX = 3
QUIET_START = time(21, 0)
QUIET_END = time(9, 0)
SCHEDULE_CHANGE_SMS = True
POLL_INTERVAL = timedelta(seconds=15)
OWN_WRITE_ECHO_WINDOW = timedelta(minutes=10)
WINDOWS_OFFERED = 3


def _parse_quiet(text: str) -> tuple[time, time]:
    start, _, end = text.partition("-")
    return time.fromisoformat(start.strip().zfill(5)), time.fromisoformat(end.strip().zfill(5))


@dataclass(frozen=True)
class FollowupConfig:
    """Everything the follow-ups, reminders and SMS threads can be tuned with."""

    business_name: str = "Demo Home Services"
    business_zone: ZoneInfo = ZoneInfo("America/Chicago")
    pay_url: str | None = None
    office_number: str | None = None
    business_number: str | None = None
    agent_lead_source: str = "Phone agent"
    online_booking_lead_source: str = ONLINE_BOOKING_LEAD_SOURCE
    thread_window: timedelta = SMS_THREAD_WINDOW
    estimate_followup_delay: timedelta = ESTIMATE_FOLLOWUP_DELAY
    reminder_cadence: timedelta = INVOICE_REMINDER_CADENCE
    reminder_max: int = INVOICE_REMINDER_MAX
    quiet_start: time = QUIET_START
    quiet_end: time = QUIET_END
    schedule_change_sms: bool = SCHEDULE_CHANGE_SMS
    poll_interval: timedelta = POLL_INTERVAL
    echo_window: timedelta = OWN_WRITE_ECHO_WINDOW
    windows_offered: int = WINDOWS_OFFERED

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> FollowupConfig:
        """Build from `Settings`, picking up the proposed fields once they exist."""

        def extra(name: str, default: Any) -> Any:
            value = getattr(settings, name, None)
            return default if value is None else value

        quiet = extra("quiet_hours", None)
        quiet_start, quiet_end = _parse_quiet(quiet) if quiet else (QUIET_START, QUIET_END)
        values: dict[str, Any] = {
            "business_name": settings.business_name,
            "business_zone": settings.zone,
            "pay_url": str(settings.pay_url) if settings.pay_url else None,
            "office_number": settings.office_number,
            "business_number": settings.twilio_phone_number,
            "agent_lead_source": settings.booking_lead_source,
            "online_booking_lead_source": extra(
                "online_booking_lead_source", ONLINE_BOOKING_LEAD_SOURCE
            ),
            "thread_window": timedelta(
                hours=extra("sms_thread_window_hours", SMS_THREAD_WINDOW / timedelta(hours=1))
            ),
            "estimate_followup_delay": timedelta(
                hours=extra("estimate_followup_hours", ESTIMATE_FOLLOWUP_DELAY / timedelta(hours=1))
            ),
            "reminder_cadence": timedelta(
                days=extra(
                    "invoice_reminder_cadence_days", INVOICE_REMINDER_CADENCE / timedelta(days=1)
                )
            ),
            "reminder_max": int(extra("invoice_reminder_max", INVOICE_REMINDER_MAX)),
            "quiet_start": quiet_start,
            "quiet_end": quiet_end,
            "schedule_change_sms": bool(extra("schedule_change_sms", SCHEDULE_CHANGE_SMS)),
            "poll_interval": timedelta(
                seconds=extra("followup_poll_seconds", POLL_INTERVAL.total_seconds())
            ),
        }
        values.update(overrides)
        return cls(**values)
