"""Scheduled follow-ups run from the outbox: overdue-invoice reminders and estimate nudges.

Each run re-reads HCP first, so a payment, an approval or a voided invoice stops the
sequence even if its webhook was lost. Texts respect the customer's quiet hours and
opt-out; a reminder that falls in quiet hours is moved to the end of them.
"""

from __future__ import annotations

import logging
from datetime import datetime

from voice_agent.followups import texts
from voice_agent.followups.base import Texter, name_of, phone_of
from voice_agent.followups.config import FollowupConfig
from voice_agent.followups.gateway import FollowupHcp
from voice_agent.followups.reactions import estimate_answered
from voice_agent.messaging.dispatcher import GiveUp, OutboxDispatcher, RetryLater
from voice_agent.messaging.optout import OptOuts
from voice_agent.messaging.threads import SmsThreads
from voice_agent.outbox import EstimateFollowup, InvoiceReminder, Outbox
from voice_agent.storage.base import OutboxItem, Store

log = logging.getLogger(__name__)


class Reminders:
    """Outbox handlers for `InvoiceReminder` and `EstimateFollowup` jobs."""

    def __init__(
        self,
        *,
        hcp: FollowupHcp,
        store: Store,
        threads: SmsThreads,
        optouts: OptOuts,
        texter: Texter,
        config: FollowupConfig,
    ) -> None:
        self.hcp = hcp
        self.store = store
        self.threads = threads
        self.optouts = optouts
        self.texter = texter
        self.config = config

    def register(self, dispatcher: OutboxDispatcher) -> None:
        """Register both kinds on `dispatcher`."""
        dispatcher.register(InvoiceReminder, self.invoice_reminder)
        dispatcher.register(EstimateFollowup, self.estimate_followup)

    async def invoice_reminder(
        self, reminder: InvoiceReminder, item: OutboxItem, now: datetime
    ) -> None:
        """Send reminder number `n` for an overdue invoice and schedule the next one."""
        invoice_id, n = reminder.invoice_id, reminder.n or 1
        if not invoice_id:
            raise GiveUp("invoice_reminder job needs an invoice_id")
        invoice = await self.hcp.get_invoice(invoice_id)
        if (invoice.status or "") != "open" or not invoice.due_amount or invoice.due_at is None:
            log.info("invoice reminders stop: invoice %s is %s", invoice_id, invoice.status)
            return
        if invoice.due_at > now:
            raise RetryLater("not overdue yet", at=invoice.due_at)
        job = await self.hcp.get_job(invoice.job_id) if invoice.job_id else None
        number = phone_of(job.customer if job else None)
        if number is None:
            raise GiveUp("no phone number for the invoice's customer")
        if await self.optouts.is_opted_out(number):
            log.info("invoice reminders stop: customer opted out")
            return
        allowed = self.texter.sendable(number, now)
        if allowed > now:
            raise RetryLater("quiet hours", at=allowed)
        body = texts.invoice_reminder(
            self.config.business_name,
            name_of(job.customer if job else None),
            int(invoice.due_amount),
            invoice.invoice_number,
            self.config.pay_url,
        )
        await self.texter.text(
            number,
            body,
            key=f"invoice-reminder-sms:{invoice_id}:{n}",
            now=now,
            context={"kind": "invoice", "invoice_id": invoice_id},
        )
        if n < self.config.reminder_max:
            await Outbox(self.store).put(
                InvoiceReminder(invoice_id=invoice_id, n=n + 1),
                idempotency_key=f"invoice-reminder:{invoice_id}:{n + 1}",
                due_at=self.texter.sendable(number, now + self.config.reminder_cadence),
            )

    async def estimate_followup(
        self, nudge: EstimateFollowup, item: OutboxItem, now: datetime
    ) -> None:
        """One polite nudge when an estimate got no answer."""
        estimate_id, number = nudge.estimate_id, nudge.to
        if not estimate_id or not number:
            raise GiveUp("estimate_followup job needs an estimate_id and a 'to'")
        estimate = await self.hcp.get_estimate(estimate_id)
        if estimate_answered(estimate):
            return
        thread = await self.threads.get(number)
        if thread.last_inbound_at is not None and thread.last_inbound_at >= nudge.summary_at:
            return  # they answered by text; the conversation took it from there
        if await self.optouts.is_opted_out(number):
            return
        allowed = self.texter.sendable(number, now)
        if allowed > now:
            raise RetryLater("quiet hours", at=allowed)
        body = texts.estimate_nudge(self.config.business_name, name_of(estimate.customer))
        await self.texter.text(number, body, key=f"estimate-nudge:{estimate_id}", now=now)
