"""Follow-up and reminder settings, built from `Settings`.

Environment variables: ONLINE_BOOKING_LEAD_SOURCE, SMS_THREAD_WINDOW_HOURS,
ESTIMATE_FOLLOWUP_HOURS, INVOICE_REMINDER_CADENCE_DAYS, INVOICE_REMINDER_MAX, QUIET_HOURS
(e.g. "21:00-09:00"), SCHEDULE_CHANGE_SMS, FOLLOWUP_POLL_SECONDS.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from voice_agent.settings import Settings, parse_quiet_hours

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


@dataclass(frozen=True)
class FollowupConfig:
    """Everything the follow-ups, reminders and SMS threads can be tuned with."""

    business_name: str = "Bright Oak Home Services"
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
        """Build from `Settings` (overrides win, for tests)."""
        quiet_start, quiet_end = parse_quiet_hours(settings.quiet_hours)
        values: dict[str, Any] = {
            "business_name": settings.business_name,
            "business_zone": settings.zone,
            "pay_url": str(settings.pay_url) if settings.pay_url else None,
            "office_number": settings.office_number,
            "business_number": settings.twilio_phone_number,
            "agent_lead_source": settings.booking_lead_source,
            "online_booking_lead_source": settings.online_booking_lead_source,
            "thread_window": timedelta(hours=settings.sms_thread_window_hours),
            "estimate_followup_delay": timedelta(hours=settings.estimate_followup_hours),
            "reminder_cadence": timedelta(days=settings.invoice_reminder_cadence_days),
            "reminder_max": settings.invoice_reminder_max,
            "quiet_start": quiet_start,
            "quiet_end": quiet_end,
            "schedule_change_sms": settings.schedule_change_sms,
            "poll_interval": timedelta(seconds=settings.followup_poll_seconds),
        }
        values.update(overrides)
        return cls(**values)
