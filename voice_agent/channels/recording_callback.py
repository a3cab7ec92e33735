"""`POST /twilio/voice/recording`: Twilio's recording status callback (signed).

Links a finished recording to its call's conversation. A repeated delivery changes
nothing (the RecordingSid is the key); an unknown call is logged and acknowledged, so
Twilio does not retry it forever.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Response

from voice_agent.channels.twilio_auth import TwilioForm
from voice_agent.deps import StoreDep
from voice_agent.recordings import RECORDING_PATH, from_callback

log = logging.getLogger(__name__)
router = APIRouter(tags=["twilio voice"])


@router.post(RECORDING_PATH)
async def recording_status(params: TwilioForm, store: StoreDep) -> Response:
    """Store the recording against the call's conversation."""
    call_sid = params.get("CallSid", "")
    conversation = await store.find_conversation("voice", call_sid) if call_sid else None
    if conversation is None:
        log.warning("recording callback for unknown call %s", call_sid[:64])
        return Response(status_code=204)
    recording = from_callback(dict(params), conversation.id)
    if recording is None:
        return Response(status_code=204)  # not final yet, or malformed: nothing to link
    new = await store.record_recording(recording)
    log.info(
        "recording %s for conversation %s: %s (%s s)%s",
        recording.sid,
        conversation.id,
        recording.status,
        recording.duration_seconds,
        "" if new else " (update)",
    )
    return Response(status_code=204)
