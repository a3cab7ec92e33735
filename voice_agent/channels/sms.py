"""Twilio SMS webhooks: `POST /twilio/sms` (inbound) and `POST /twilio/sms/status`.

Edge only: check the signature (shared `TwilioForm` dependency), record the message once by
MessageSid, queue the turn in the outbox and answer an empty `<Response/>` at once. The
reply is sent through the outbox (see `voice_agent.messaging.inbound`), so a slow model,
a duplicate delivery or a crash never loses or doubles an answer.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Response
from twilio.twiml.messaging_response import MessagingResponse

from voice_agent import phones
from voice_agent.carddata import mask_card_data
from voice_agent.channels.twilio_auth import TwilioForm
from voice_agent.deps import MessagingDep, SettingsDep
from voice_agent.outbox import Outbox, SmsReceived

log = logging.getLogger(__name__)

router = APIRouter()

MAX_SMS_CHARS = 1600
TWIML = "application/xml"
# Statuses Twilio reports for a message, in delivery order (only these are recorded).
_STATUS_RANK = {
    "accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3, "receiving": 3,
    "received": 4, "delivered": 4, "read": 5, "undelivered": 5, "failed": 5, "canceled": 5,
}  # fmt: skip


def _empty() -> Response:
    return Response(str(MessagingResponse()), media_type=TWIML)


@router.post("/twilio/sms")
async def inbound_sms(params: TwilioForm, runtime: MessagingDep, settings: SettingsDep) -> Response:
    """A text from a customer: record it, queue the turn, answer nothing yet."""
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    sender = phones.e164(params.get("From"), settings.phone_region)
    if not sid or sender is None:
        log.info(
            "sms ignored: no MessageSid or unusable From (%s)", phones.mask(params.get("From"))
        )
        return _empty()
    body = mask_card_data(params.get("Body", "")[:MAX_SMS_CHARS]).text  # before it is stored
    to = params.get("To", "")
    _, new = await runtime.store.record_message(
        direction="in",
        from_number=sender,
        to_number=to,
        body=body,
        status="received",
        provider_id=sid,
    )
    queued = await Outbox(runtime.store).put(
        SmsReceived(message_sid=sid, sender=sender, to=to, body=body),
        idempotency_key=f"sms-in:{sid}",
        due_at=runtime.clock(),
    )
    if queued:
        runtime.kick()
    log.info("sms %s from %s", "received" if new else "duplicate", phones.mask(sender))
    return _empty()


@router.post("/twilio/sms/status")
async def sms_status(params: TwilioForm, runtime: MessagingDep) -> Response:
    """Delivery status callback for one of our messages."""
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    status = (params.get("MessageStatus") or params.get("SmsStatus") or "").lower()
    if sid and status in _STATUS_RANK:
        await runtime.store.update_message_status(sid, status)
        if status in ("failed", "undelivered"):
            log.warning("sms %s %s (error %s)", sid, status, params.get("ErrorCode") or "-")
    return Response(status_code=204)
