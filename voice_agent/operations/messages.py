"""Messages for the office (an HCP lead plus an office notice) and the pay link by text."""

from __future__ import annotations

import hashlib
from typing import Any

from voice_agent import phones
from voice_agent.operations.context import Operations
from voice_agent.operations.errors import OperationError, WriteQueuedError
from voice_agent.operations.lead_source import without_unknown_lead_source
from voice_agent.outbox import Outbox, SendSms
from voice_agent.settings import Settings

NO_PAY_LINK = "We have no online payment link; offer to have the office call back."


def can_call_back(settings: Settings) -> bool:
    """Whether a call-back may be promised: an office or on-call number is configured."""
    return bool(settings.office_number or settings.on_call_number)


async def take_message(
    ops: Operations,
    *,
    message: str,
    note: str,
    customer_id: str | None = None,
    name: str | None = None,
) -> bool:
    """Record a message: an HCP lead (once per message) and one office notice.

    Returns:
        True when HCP has the lead now; False when it is queued (the office is told anyway).
    """
    body: dict[str, Any] = {
        "note": note,
        "lead_source": ops.settings.booking_lead_source,
        "tags": [ops.settings.booking_tag],
    }
    if customer_id:
        body["customer_id"] = customer_id
    else:
        first, _, last = (name or "Phone caller").strip().partition(" ")
        body["customer"] = {
            "first_name": first,
            "last_name": last or None,
            "mobile_number": phones.national(ops.caller) or "",
        }
    digest = hashlib.sha256(message.encode()).hexdigest()[:12]

    async def send() -> tuple[str, dict[str, Any]]:
        lead = await without_unknown_lead_source(ops.hcp.leads.create, body)
        return lead.id, lead.model_dump(mode="json")

    landed = True
    try:
        await ops.write("create_lead", f"{ops.conversation_id}:message:{digest}", body, send)
    except WriteQueuedError:
        landed = False
    await ops.notify_office(
        f"Message from {name or 'a caller'}: {message[:300]}", key=f"message:{digest}"
    )
    return landed


async def send_pay_link(ops: Operations, *, to: str) -> None:
    """Queue one text with the payment link to `to` (once per conversation)."""
    if ops.settings.pay_url is None:
        raise OperationError(NO_PAY_LINK)
    settings = ops.settings
    body = f"{settings.business_name}: you can pay your invoice online at {settings.pay_url}"
    await Outbox(ops.store).put(
        SendSms(to=to, body=body, conversation_id=ops.conversation_id),
        idempotency_key=f"sms:paylink:{ops.conversation_id}",
    )
