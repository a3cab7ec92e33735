"""Outbox handlers for outbound SMS (`SendSms`) and office notifications (`NotifyOffice`).

E-mail (`SendEmail`) is sent by `voice_agent.messaging.email`.

Exactly once per logical message: the outbox item's idempotency key makes the message
logical, the lease makes one worker send it, and a re-attempt (after a crash, a timeout or
a 5xx that Twilio may have accepted) first asks the provider whether the message already
went out before sending again. Nothing is sent to an opted-out number.
"""

from __future__ import annotations

import logging
from datetime import datetime

from voice_agent.messaging.dispatcher import GiveUp, OutboxDispatcher, RetryLater
from voice_agent.messaging.optout import OptOuts
from voice_agent.messaging.sender import SentSms, SmsSender, SmsSendError
from voice_agent.outbox.jobs import NotifyOffice, SendSms
from voice_agent.storage.base import OutboxItem, Store

log = logging.getLogger(__name__)

MAX_BODY = 1600


def was_attempted(item: OutboxItem) -> bool:
    """Whether an earlier attempt may have reached the provider (crash, timeout, 5xx).

    `claim_due` counts attempts, so a first claim has `attempts == 1`; a recorded error
    also means an earlier attempt.
    """
    return item.attempts > 1 or item.last_error is not None


class SmsOutbox:
    """Sends "sms" and "notify_office" outbox items through an `SmsSender`."""

    def __init__(
        self,
        store: Store,
        sender: SmsSender,
        optouts: OptOuts,
        *,
        from_number: str | None,
        office_number: str | None,
        status_callback_url: str | None = None,
    ) -> None:
        self._store = store
        self._sender = sender
        self._optouts = optouts
        self._from = from_number or ""
        self._office = office_number
        self._callback = status_callback_url

    def register(self, dispatcher: OutboxDispatcher) -> None:
        """Register both kinds on `dispatcher`."""
        dispatcher.register(SendSms, self.handle_sms)
        dispatcher.register(NotifyOffice, self.handle_notify_office)

    async def handle_sms(self, job: SendSms, item: OutboxItem, now: datetime) -> None:
        """Send one text once."""
        body = job.body[:MAX_BODY]
        if not job.to.startswith("+") or not body:
            raise GiveUp("sms job needs an E.164 'to' and a non-empty 'body'")
        await self._deliver(item, job.to, body, job.conversation_id)

    async def handle_notify_office(
        self, job: NotifyOffice, item: OutboxItem, now: datetime
    ) -> None:
        """Text an office notification to OFFICE_NUMBER."""
        if not self._office:
            raise GiveUp("OFFICE_NUMBER is not set; office notification not sent")
        if not job.text:
            raise GiveUp("notify_office job has no text")
        await self._deliver(item, self._office, f"[Agent] {job.text}"[:MAX_BODY], None)

    async def _deliver(
        self, item: OutboxItem, to: str, body: str, conversation: str | None
    ) -> None:
        if await self._optouts.is_opted_out(to):
            await self._store.record_message(
                direction="out",
                from_number=self._from,
                to_number=to,
                body=body,
                status="suppressed",
                conversation_id=conversation,
            )
            raise GiveUp("recipient has opted out; not sent")
        sent: SentSms | None = None
        try:
            if was_attempted(item):
                sent = await self._sender.find_sent(to=to, body=body, since=item.created_at)
                if sent:
                    log.info("outbox %s already sent as %s; not resending", item.id, sent.sid)
            if sent is None:
                sent = await self._sender.send(to=to, body=body, status_callback=self._callback)
        except SmsSendError as exc:
            if exc.opted_out:
                await self._optouts.opt_out(to, source="twilio-21610")
                raise GiveUp("recipient has opted out (Twilio 21610); not sent") from None
            if exc.retryable:
                raise RetryLater(str(exc)) from None
            raise GiveUp(str(exc)) from None
        await self._store.record_message(
            direction="out",
            from_number=self._from,
            to_number=to,
            body=body,
            status=sent.status,
            provider_id=sent.sid,
            conversation_id=conversation,
        )
