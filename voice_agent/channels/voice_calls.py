"""After the conversation: transfers' outcomes, messages, and the call-status callback.

Served at (all signed): /twilio/voice/dial (`<Dial action>`: answered -> done, nobody ->
take a message), /twilio/voice/message (the message left after a failed transfer) and
/twilio/voice/status (the number's status callback: completion, summary note, SMS).

Every effect is idempotent on its own key (the conversation row, outbox idempotency keys,
the HCP write key), so a repeated or reordered callback repeats nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from voice_agent.channels import twiml
from voice_agent.channels.twilio_auth import TwilioParams
from voice_agent.channels.voice import (
    CALL_OVER,
    MESSAGE_PATH,
    VoiceChannel,
    call_sid_of,
    heard_text,
    lang_query,
    url,
)
from voice_agent.channels.voice_summary import booking_sms, call_summary, created_jobs
from voice_agent.engine.i18n import t
from voice_agent.outcomes import HANDLED, settle
from voice_agent.storage.base import Conversation

log = logging.getLogger(__name__)

ANSWERED = {"completed", "answered"}
FINAL_STATUS = {
    "completed": "completed",
    "busy": "failed",
    "failed": "failed",
    "no-answer": "failed",
    "canceled": "abandoned",
}
NOBODY_ANSWERED = (
    "I'm sorry, nobody could pick up just now. Please tell me your name and a short message, "
    "and I'll make sure the team calls you back."
)
MESSAGE_TAKEN = "Thanks, I've passed that along. Someone will call you back soon. Goodbye."
NO_MESSAGE = "No problem. We'll call you back at this number. Goodbye."
NOTE_TIMEOUT_SECONDS = 5.0


async def dial_finished(
    voice: VoiceChannel, params: TwilioParams, seq: int, lang: str = "en"
) -> str:
    """After `<Dial>`: a bridged call is over; an unanswered one turns into a message."""
    sid = call_sid_of(params)
    conversation = await voice.store.find_conversation("voice", sid)
    status = params.get("DialCallStatus", "")
    style = voice.style_for(lang)
    if conversation is None:
        return twiml.goodbye(t(CALL_OVER, lang), style=style)
    if status in ANSWERED:
        await voice.store.update_conversation(conversation.id, outcome="transferred")
        return twiml.empty()
    if status == "canceled":  # the caller hung up while it rang
        return twiml.empty()
    log.info("voice call %s: transfer not answered (%s); taking a message", sid, status or "?")
    action = url(MESSAGE_PATH, seq=seq, **lang_query(lang))
    return twiml.ask(t(NOBODY_ANSWERED, lang), action=action, style=style)


async def message_left(
    voice: VoiceChannel, params: TwilioParams, seq: int, lang: str = "en"
) -> str:
    """Queue the caller's message for the office (once per call and turn), then goodbye."""
    sid = call_sid_of(params)
    conversation = await voice.store.find_conversation("voice", sid)
    style = voice.style_for(lang)
    if conversation is None:
        return twiml.goodbye(t(CALL_OVER, lang), style=style)
    text, _ = heard_text(params)
    await voice.store.enqueue(
        "notify_office",
        {
            "conversation_id": conversation.id,
            "caller": conversation.caller,
            "reason": "transfer_unanswered",
            "message": f"Missed transfer from {conversation.caller}: "
            + (text or "(no message left; please call back)"),
        },
        idempotency_key=f"voice:{sid}:message:{seq}",
    )
    await voice.store.update_conversation(conversation.id, outcome="message")
    return twiml.goodbye(t(MESSAGE_TAKEN if text else NO_MESSAGE, lang), style=style)


async def call_ended(voice: VoiceChannel, params: TwilioParams) -> None:
    """Record a final call status, then the summary note and the booking confirmation SMS."""
    sid = call_sid_of(params)
    status = params.get("CallStatus", "")
    if status not in FINAL_STATUS:
        return
    voice.forget(sid)
    conversation = await voice.store.find_conversation("voice", sid)
    if conversation is None:
        log.warning("status callback for unknown call %s", sid)
        return
    await voice.store.record_webhook_event(
        "twilio", f"{sid}:status:{status}", "voice.status", {"status": status}
    )
    writes = await voice.store.list_hcp_writes(conversation.id)
    jobs = created_jobs(writes)
    fields: dict[str, Any] = {"status": FINAL_STATUS[status]}
    if conversation.ended_at is None:
        fields["ended_at"] = datetime.now(UTC)
    duration = params.get("CallDuration", "")
    if duration.isdigit():
        fields["duration_seconds"] = int(duration)
    if conversation.outcome is None or conversation.outcome not in HANDLED:
        fields["outcome"] = await settle(
            voice.store, conversation, status=fields["status"], booked=bool(jobs)
        )
    await voice.store.update_conversation(conversation.id, **fields)
    await _follow_up(voice, conversation, jobs, fields)
    await voice.store.mark_webhook_processed("twilio", f"{sid}:status:{status}")


async def _follow_up(
    voice: VoiceChannel,
    conversation: Conversation,
    jobs: list[tuple[str, dict[str, Any]]],
    fields: dict[str, Any],
) -> None:
    settings = voice.settings
    turns = await voice.store.list_turns(conversation.id)
    outcome = str(fields.get("outcome") or conversation.outcome)
    duration = fields.get("duration_seconds", conversation.duration_seconds)
    summary = call_summary(
        conversation, turns, outcome=outcome, duration=duration, zone=settings.zone
    )
    for job_id, job in jobs:
        if conversation.caller.startswith("+"):
            await voice.store.enqueue(
                "sms",
                {
                    "to": conversation.caller,
                    "body": booking_sms(
                        job,
                        business=settings.business_name,
                        zone=settings.zone,
                        language=conversation.language,
                    ),
                    "conversation_id": conversation.id,
                    "purpose": "booking_confirmation",
                },
                idempotency_key=f"voice:booking-sms:{job_id}",
            )
        await write_job_note(voice, conversation, job_id, summary)


async def write_job_note(
    voice: VoiceChannel, conversation: Conversation, job_id: str, content: str
) -> None:
    """Add the call summary to the job once (HCP write recorded first; outbox on failure)."""
    key = f"voice:{conversation.external_id}:note:{job_id}"
    request = {"job_id": job_id, "content": content}
    write, new = await voice.store.begin_hcp_write(conversation.id, "add_note", key, request)
    if not new and write.status != "failed":
        return  # done, or another delivery is writing it right now
    client = voice.hcp_for(conversation)
    try:
        if client is None:
            raise RuntimeError("no HCP client configured")
        note = await client.jobs.add_note(job_id, content, timeout=NOTE_TIMEOUT_SECONDS)
    except Exception as exc:  # HCP down or refusing: keep it for the outbox, never lose it
        log.warning("call note for job %s not written (%s); queued", job_id, type(exc).__name__)
        await voice.store.finish_hcp_write(write.id, status="queued", error=str(exc)[:500])
        await voice.store.enqueue(
            "hcp_write",
            {"write_id": write.id, "operation": "add_note", **request},
            idempotency_key=key,
        )
        return
    await voice.store.finish_hcp_write(
        write.id, status="done", hcp_id=getattr(note, "id", None), response={"job_id": job_id}
    )
