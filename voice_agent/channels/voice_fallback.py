"""The number's Fallback URL: apologise, record a message, and never lose it.

Twilio calls the Fallback URL when the Voice URL (or a later webhook of the call) failed,
so this path assumes nothing else works: it reads only the settings (never the database,
the engine or HCP) to answer, and hands its work to the outbox when the store answers in
time, or else to a spool file in `DATA_DIR` that the next start-up (or the next fallback
that reaches the store) moves into the outbox. From the outbox the office gets an alert
with the caller's number and the recording, and a lead is created in HCP (queued until HCP
answers).

- `POST /twilio/voice/fallback`: apology, then `<Record>` (up to two minutes, `#` ends it).
- `POST /twilio/voice/fallback/message`: the recording is done: queue the lead and alert.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from twilio.twiml.voice_response import VoiceResponse

from voice_agent import phones
from voice_agent.channels.twilio_auth import TwilioParams
from voice_agent.channels.voice import FALLBACK_PATH, call_sid_of
from voice_agent.engine.dialogue import callback_number
from voice_agent.operations import can_call_back
from voice_agent.outbox import Job, NotifyOffice, Outbox, RetryHcpWrite, parse_job
from voice_agent.settings import Settings
from voice_agent.storage.base import Store

log = logging.getLogger(__name__)

FALLBACK_MESSAGE_PATH = "/twilio/voice/fallback/message"
SPOOL_FILE = "fallback-spool.jsonl"
__all__ = ["FALLBACK_MESSAGE_PATH", "FALLBACK_PATH", "fallback_twiml", "keep", "replay_spool"]
STORE_WAIT_SECONDS = 2.0
MAX_MESSAGE_SECONDS = 120

Item = tuple[Job, str]  # an outbox job and its idempotency key

SORRY = (
    "I'm sorry, we're having trouble on our end right now. Please leave your name and a short "
    "message after the tone, then press pound, and the office will call you back."
)
NO_MESSAGE = "We'll call you back at this number as soon as we can. Goodbye."
THANKS = "Thank you, we have your message and the office will call you back. Goodbye."
# without an office or on-call number nobody is alerted: promise only what happens (issue 19)
SORRY_NO_CALLBACK = (
    "I'm sorry, we're having trouble on our end right now. Please leave your name and a short "
    "message after the tone, then press pound, and the office will see it first thing."
)
NO_MESSAGE_NO_CALLBACK = "The office will see that you called first thing. Goodbye."
THANKS_NO_CALLBACK = (
    "Thank you, we have your message and the office will see it first thing. Goodbye."  # noqa: E501
)


def fallback_twiml(settings: Settings) -> str:
    """The apology and a `<Record>` whose action saves the message."""
    response = VoiceResponse()
    voice, language = settings.voice_name, settings.voice_language
    callback = can_call_back(settings)
    response.say(SORRY if callback else SORRY_NO_CALLBACK, voice=voice, language=language)
    response.record(
        action=FALLBACK_MESSAGE_PATH,
        method="POST",
        max_length=MAX_MESSAGE_SECONDS,
        timeout=5,
        finish_on_key="#",
        play_beep=True,
    )
    response.say(NO_MESSAGE if callback else NO_MESSAGE_NO_CALLBACK, voice=voice, language=language)
    response.hangup()
    return str(response)


def thanks_twiml(settings: Settings) -> str:
    """Goodbye after the message was taken."""
    response = VoiceResponse()
    thanks = THANKS if can_call_back(settings) else THANKS_NO_CALLBACK
    response.say(thanks, voice=settings.voice_name, language=settings.voice_language)
    response.hangup()
    return str(response)


def alert_item(params: TwilioParams) -> Item:
    """The office alert for a call that reached the fallback line."""
    sid, caller = call_sid_of(params), phones.e164_or_unknown(params.get("From"))
    alert = NotifyOffice(
        text=f"Call from {callback_number(caller)} hit a system problem "
        f"(Twilio error {params.get('ErrorCode') or '?'}); a voicemail may follow. "
        "Please call them back.",
        caller=caller,
        reason="fallback",
    )
    return alert, f"fallback:{sid}:alert"


def message_items(settings: Settings, params: TwilioParams) -> list[Item]:
    """The lead (an HCP write replayed by the outbox) and the office alert for a voicemail."""
    region = settings.phone_region
    sid, caller = call_sid_of(params), phones.e164_or_unknown(params.get("From"), region)
    recording = params.get("RecordingUrl", "")
    seconds = params.get("RecordingDuration", "?")
    who = callback_number(caller, region)
    note = f"Voicemail left on the fallback line ({seconds} s): {recording or 'no recording'}"
    lead: dict[str, Any] = {
        "note": note,
        "lead_source": settings.booking_lead_source,
        "tags": [settings.booking_tag],
        "customer": {
            "first_name": "Phone caller",
            "mobile_number": phones.national(caller, region),
        },
    }
    voicemail = NotifyOffice(
        text=f"Voicemail from {who} ({seconds} s): {recording}",
        caller=caller,
        reason="fallback_voicemail",
    )
    return [
        (RetryHcpWrite(operation="create_lead", request=lead), f"fallback:{sid}:lead"),
        (voicemail, f"fallback:{sid}:voicemail"),
    ]


def spool_path(settings: Settings) -> Path:
    """Where messages wait while the database is unreachable."""
    return settings.data_dir / SPOOL_FILE


def spool(settings: Settings, items: list[Item]) -> None:
    """Append items to the spool file, flushed to disk before the caller hears "thank you"."""
    _append(settings, [_spooled(job, key) for job, key in items])


def _spooled(job: Job, key: str) -> str:
    line = {"kind": job.kind, "payload": job.to_payload(), "idempotency_key": key}
    return json.dumps(line, separators=(",", ":"))


def _unspooled(line: str) -> Item:
    item: dict[str, Any] = json.loads(line)
    return parse_job(item["kind"], item["payload"]), str(item["idempotency_key"])


def _append(settings: Settings, lines: list[str]) -> None:
    path = spool_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        for line in lines:
            handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())


async def _enqueue(store: Store, items: list[Item]) -> None:
    outbox, now = Outbox(store), datetime.now(UTC)
    for job, key in items:
        await outbox.put(job, idempotency_key=key, due_at=now)


async def keep(settings: Settings, store: Store | None, items: list[Item]) -> str:
    """Queue `items` in the outbox, or spool them when the store does not answer in time."""
    if store is not None:
        try:
            await asyncio.wait_for(_enqueue(store, items), STORE_WAIT_SECONDS)
        except Exception as exc:  # noqa: BLE001 - any store failure: spool, never lose it
            log.error("fallback: store unavailable (%s); spooling", type(exc).__name__)
        else:
            await replay_spool(settings, store)
            return "queued"
    spool(settings, items)
    return "spooled"


async def replay_spool(settings: Settings, store: Store) -> int:
    """Move spooled items into the outbox (idempotent); returns how many were moved.

    The file is first renamed to a private name, so two workers never replay one line
    twice (and the outbox's idempotency keys make a repeat harmless anyway). Lines that
    cannot be queued are written back to the spool.
    """
    path = spool_path(settings)
    if not path.exists():
        return 0
    claimed = path.with_name(f"{path.name}.{uuid.uuid4().hex}")
    try:
        path.rename(claimed)
    except FileNotFoundError:
        return 0
    lines = [line for line in claimed.read_text("utf-8").splitlines() if line]
    try:
        await _enqueue(store, [_unspooled(line) for line in lines])
    except Exception:
        _append(settings, lines)
        claimed.unlink()
        raise
    claimed.unlink()
    log.info("fallback: %d spooled item(s) moved to the outbox", len(lines))
    return len(lines)


def log_fallback(params: TwilioParams) -> None:
    """One error line per fallback hit (number masked)."""
    log.error(
        "voice call %s from %s: Twilio fallback (error %s on %s)",
        params.get("CallSid", "?"),
        phones.mask(params.get("From")),
        params.get("ErrorCode", "?"),
        params.get("ErrorUrl", "?"),
    )
