"""Call recordings: linking Twilio's recordings to conversations, playing and deleting them.

When `CALL_RECORDING` is on the greeting starts a whole-call recording with TwiML
`<Start><Recording>` (and a transfer's `<Dial>` records its legs); both report to the
signed recording status callback, which stores the recording against the conversation.
The media stays at Twilio. The dashboard plays it through the server, which fetches it with
the account's credentials (HTTP Basic), so the auth token never reaches a browser; every
request goes to Twilio's API host built from the account and recording sid, never to a
URL taken from a callback. Recordings older than `RECORDING_RETENTION_DAYS` are deleted at
Twilio and marked deleted here; the office can delete one at once from the dashboard.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from voice_agent.settings import Settings
from voice_agent.storage.base import Recording, Store

log = logging.getLogger(__name__)

RECORDING_PATH = "/twilio/voice/recording"
TWILIO_API = "https://api.twilio.com"
RECORDING_EVENTS = "completed absent"
FINAL_STATUSES = frozenset({"completed", "absent", "failed"})
_RECORDING_SID = re.compile(r"^RE[0-9a-fA-F]{32}$")
PURGE_INTERVAL_SECONDS = 3600.0
PURGE_BATCH = 100
TIMEOUT = httpx.Timeout(10.0, read=30.0)


class RecordingsUnavailable(Exception):
    """No Twilio account SID and auth token are configured."""


def is_recording_sid(value: str) -> bool:
    """Whether `value` is a well-formed RecordingSid."""
    return bool(_RECORDING_SID.match(value))


def callback_url(settings: Settings) -> str:
    """The absolute recording status callback URL (relative if no public URL is set)."""
    base = str(settings.public_base_url).rstrip("/") if settings.public_base_url else ""
    return base + RECORDING_PATH


def from_callback(params: dict[str, str], conversation_id: str) -> Recording | None:
    """The recording a status callback reports, or None when it is not a final status."""
    sid = params.get("RecordingSid", "")
    status = params.get("RecordingStatus", "")
    if not is_recording_sid(sid) or status not in FINAL_STATUSES:
        return None
    duration = params.get("RecordingDuration", "")
    channels = params.get("RecordingChannels", "")
    return Recording(
        sid=sid,
        conversation_id=conversation_id,
        call_sid=params.get("CallSid", ""),
        status=status,
        media_url=params.get("RecordingUrl", "")[:1000],
        duration_seconds=int(duration) if duration.isdigit() else None,
        channels=int(channels) if channels.isdigit() else None,
        source=params.get("RecordingSource", "")[:32] or None,
        created_at=datetime.now(UTC),
    )


@dataclass(frozen=True)
class Media:
    """A recording's audio as Twilio answers it, streamed through."""

    status: int
    headers: dict[str, str]
    body: AsyncIterator[bytes]
    response: httpx.Response


class TwilioRecordings:
    """Twilio's Recording resource for one account: fetch the audio, delete the recording."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        base_url: str = TWILIO_API,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._sid = account_sid
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            auth=(account_sid, auth_token),
            timeout=TIMEOUT,
            transport=transport,
        )

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> TwilioRecordings:
        """From `TWILIO_ACCOUNT_SID`/`TWILIO_AUTH_TOKEN` (and `TWILIO_API_BASE_URL`)."""
        if not settings.twilio_account_sid or settings.twilio_auth_token is None:
            raise RecordingsUnavailable("recordings need TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
        base = str(settings.twilio_api_base_url or TWILIO_API)
        token = settings.twilio_auth_token.get_secret_value()
        return cls(settings.twilio_account_sid, token, base_url=base, **kwargs)

    def _path(self, sid: str, suffix: str) -> str:
        if not is_recording_sid(sid):
            raise ValueError("malformed RecordingSid")
        return f"/2010-04-01/Accounts/{self._sid}/Recordings/{sid}{suffix}"

    async def open_media(self, sid: str, *, range_header: str | None = None) -> Media:
        """Start streaming the MP3 (a `Range` request is passed on for seeking)."""
        headers = {"Range": range_header} if range_header else {}
        request = self._http.build_request("GET", self._path(sid, ".mp3"), headers=headers)
        response = await self._http.send(request, stream=True, follow_redirects=True)
        kept = {
            k: v
            for k, v in response.headers.items()
            if k.lower() in ("content-type", "content-length", "content-range", "accept-ranges")
        }
        return Media(response.status_code, kept, response.aiter_bytes(), response)

    async def delete(self, sid: str) -> bool:
        """Delete the recording at Twilio; True when gone (deleted now or already)."""
        response = await self._http.delete(self._path(sid, ".json"))
        if response.status_code in (204, 404):
            return True
        log.warning("twilio refused to delete recording %s (HTTP %s)", sid, response.status_code)
        return False

    async def aclose(self) -> None:
        await self._http.aclose()


async def delete_recording(store: Store, twilio: TwilioRecordings, sid: str) -> bool:
    """Delete at Twilio first, then mark it deleted here; False (nothing marked) on failure."""
    try:
        gone = await twilio.delete(sid)
    except httpx.HTTPError as exc:
        log.warning("recording %s not deleted: twilio unreachable (%s)", sid, type(exc).__name__)
        return False
    if gone:
        await store.mark_recording_deleted(sid, datetime.now(UTC))
    return gone


async def purge_expired(
    store: Store, twilio: TwilioRecordings, settings: Settings, now: datetime
) -> int:
    """Delete recordings older than the retention period; the number deleted."""
    days = settings.recording_retention_days
    if days <= 0:
        return 0
    deleted = 0
    for recording in await store.recordings_before(now - timedelta(days=days), limit=PURGE_BATCH):
        deleted += await delete_recording(store, twilio, recording.sid)
    if deleted:
        log.info("recordings: %d past the %d-day retention deleted", deleted, days)
    return deleted
