"""After the conversation: transfers' outcomes, messages, and the call-status callback.

Served at (all signed): /twilio/voice/dial (`<Dial action>`: answered -> done, nobody ->
take a message), /twilio/voice/message (the message left after a failed transfer) and
/twilio/voice/status (the number's status callback: records the end and queues the
summary note and SMS as one outbox job, see `voice_followup`).

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
from voice_agent.channels.voice_followup import queue_call_ended
from voice_agent.engine.i18n import t
from voice_agent.outbox import NotifyOffice, Outbox

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
    await Outbox(voice.store).put(
        NotifyOffice(
            text=f"Missed transfer from {conversation.caller}: "
            + (text or "(no message left; please call back)"),
            conversation_id=conversation.id,
            caller=conversation.caller,
            reason="transfer_unanswered",
        ),
        idempotency_key=f"voice:{sid}:message:{seq}",
    )
    await voice.store.update_conversation(conversation.id, outcome="message")
    return twiml.goodbye(t(MESSAGE_TAKEN if text else NO_MESSAGE, lang), style=style)


async def call_ended(voice: VoiceChannel, params: TwilioParams) -> bool:
    """Record a final call status and queue the call's follow-up (outcome, note, SMS).

    Nothing slow runs here (see `voice_followup`); True when a follow-up job was queued now.
    """
    sid = call_sid_of(params)
    status = params.get("CallStatus", "")
    if status not in FINAL_STATUS:
        return False
    voice.forget(sid)
    conversation = await voice.store.find_conversation("voice", sid)
    if conversation is None:
        log.warning("status callback for unknown call %s", sid)
        return False
    event = f"{sid}:status:{status}"
    await voice.store.record_webhook_event("twilio", event, "voice.status", {"status": status})
    fields: dict[str, Any] = {"status": FINAL_STATUS[status]}
    if conversation.ended_at is None:
        fields["ended_at"] = datetime.now(UTC)
    duration = params.get("CallDuration", "")
    if duration.isdigit():
        fields["duration_seconds"] = int(duration)
    await voice.store.update_conversation(conversation.id, **fields)
    queued = await queue_call_ended(voice.store, conversation)
    await voice.store.mark_webhook_processed("twilio", event)
    return queued
