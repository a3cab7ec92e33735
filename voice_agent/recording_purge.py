"""The running server's retention sweep: recordings past `RECORDING_RETENTION_DAYS` go."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from voice_agent.followups.scheduler import FollowupScheduler
from voice_agent.recordings import PURGE_INTERVAL_SECONDS, TwilioRecordings, purge_expired
from voice_agent.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class RecordingPurge:
    """An hourly sweep (only on a real server with Twilio credentials); `aclose` stops it."""

    scheduler: FollowupScheduler | None = None
    twilio: TwilioRecordings | None = None

    async def aclose(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()
        if self.twilio is not None:
            await self.twilio.aclose()


def start_recording_purge(settings: Settings, services: Any, *, run: bool) -> RecordingPurge:
    """Start the sweep when `run` and Twilio credentials exist (retention may be set later
    on the Setup page, so each sweep reads it)."""
    if not run or not settings.twilio_account_sid or settings.twilio_auth_token is None:
        return RecordingPurge()
    twilio = TwilioRecordings.from_settings(settings)

    async def sweep() -> None:
        from voice_agent.web.overrides import effective_settings  # the Setup page's value

        current = await effective_settings(settings, services.store)
        await purge_expired(services.store, twilio, current, datetime.now(UTC))

    scheduler = FollowupScheduler(sweep, interval=PURGE_INTERVAL_SECONDS)
    scheduler.start()
    return RecordingPurge(scheduler, twilio)
