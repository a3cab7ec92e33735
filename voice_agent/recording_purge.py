"""The running server's retention sweep: recordings past `RECORDING_RETENTION_DAYS` go."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from voice_agent.followups.scheduler import FollowupScheduler
from voice_agent.recordings import PURGE_INTERVAL_SECONDS, TwilioRecordings, purge_expired
from voice_agent.settings_source import SettingsSource
from voice_agent.storage.base import Store

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


def start_recording_purge(source: SettingsSource, store: Store, *, run: bool) -> RecordingPurge:
    """Start the sweep when `run` and Twilio credentials exist (retention may be set later
    on the Setup page, so each sweep reloads the settings)."""
    settings = source.base
    if not run or not settings.twilio_account_sid or settings.twilio_auth_token is None:
        return RecordingPurge()
    twilio = TwilioRecordings.from_settings(settings)

    async def sweep() -> None:
        await purge_expired(store, twilio, await source.reload(), datetime.now(UTC))

    scheduler = FollowupScheduler(sweep, interval=PURGE_INTERVAL_SECONDS)
    scheduler.start()
    return RecordingPurge(scheduler, twilio)
