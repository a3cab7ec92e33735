"""Reactions to HCP webhook events: confirmations, estimate summaries, notices, reminders.

Events are treated as hints, not truth: each reaction re-reads the record from HCP, so
duplicates and out-of-order deliveries act on the current state (a paid invoice gets no
reminder even if `invoice.created` arrives after `invoice.paid`). Every text is keyed by
what it is about, so reacting twice sends nothing twice.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from hcp import Customer, Estimate, Job
from voice_agent.followups import texts
from voice_agent.followups.base import Texter, WriteMarks, arrival_window, name_of, phone_of
from voice_agent.followups.config import FollowupConfig
from voice_agent.followups.gateway import FollowupHcp
from voice_agent.messaging.threads import SmsThreads
from voice_agent.outbox import EstimateFollowup, InvoiceReminder, Outbox
from voice_agent.storage.base import JSON, Store

log = logging.getLogger(__name__)

SCHEDULE_EVENTS = frozenset(
    {"job.scheduled", "job.appointment.scheduled", "job.appointment.rescheduled"}
)
ESTIMATE_EVENTS = frozenset({"estimate.created", "estimate.sent", "estimate.option.created"})
INVOICE_EVENTS = frozenset(
    {"invoice.created", "invoice.sent", "invoice.amount_updated", "invoice.payment.failed"}
)
_CLOSED_APPROVALS = ("approved", "declined")


def _resource_id(event: JSON, key: str) -> str | None:
    record = event.get(key)
    if isinstance(record, dict) and record.get("id"):
        return str(record["id"])
    return None


def _is_canceled(job: Job) -> bool:
    status = (job.work_status or "").lower()
    return bool(job.canceled_at or job.deleted_at) or status in ("canceled", "user canceled")


def priced_options(estimate: Estimate) -> list[JSON]:
    """The estimate's options that carry a total, as context records."""
    return [
        {"id": o.id, "name": o.name or f"Option {n}", "total": int(o.total_amount)}
        for n, o in enumerate(estimate.options, 1)
        if o.total_amount
    ]


def estimate_answered(estimate: Estimate) -> bool:
    """Whether any option was approved or declined already."""
    return any(
        any(word in (o.approval_status or "").lower() for word in _CLOSED_APPROVALS)
        for o in estimate.options
    )


class Reactions:
    """Turns one HCP event into follow-up work."""

    def __init__(
        self,
        *,
        hcp: FollowupHcp,
        store: Store,
        threads: SmsThreads,
        texter: Texter,
        marks: WriteMarks,
        config: FollowupConfig,
    ) -> None:
        self.hcp = hcp
        self.store = store
        self.threads = threads
        self.texter = texter
        self.marks = marks
        self.config = config

    async def on_event(self, event: JSON, now: datetime) -> str:
        """React to one event; returns a short outcome for logs and tests."""
        name = str(event.get("event") or "")
        if name == "job.created" and (job_id := _resource_id(event, "job")):
            return await self._job_created(job_id, now)
        if name in SCHEDULE_EVENTS:
            job_id = _resource_id(event, "job") or _appointment_job(event)
            return await self._schedule_changed(job_id, now) if job_id else "no job id"
        if name == "lead.created" and isinstance(event.get("lead"), dict):
            return await self._lead_created(event["lead"], now)
        if name in ESTIMATE_EVENTS and (estimate_id := _resource_id(event, "estimate")):
            return await self._estimate_ready(estimate_id, now)
        if name in INVOICE_EVENTS and (invoice_id := _resource_id(event, "invoice")):
            return await self._invoice_open(invoice_id, now)
        return "ignored"

    async def _job_created(self, job_id: str, now: datetime) -> str:
        job = await self.hcp.get_job(job_id)
        if (job.lead_source or "") != self.config.online_booking_lead_source:
            return "not an online booking"
        if _is_canceled(job):
            return "canceled"
        number = phone_of(job.customer)
        if number is None:
            return "no phone number"
        when = arrival_window(job.schedule, self.config.business_zone)
        body = texts.booking_confirmation(self.config.business_name, name_of(job.customer), when)
        context = {"kind": "booking", "job_id": job.id}
        if not await self.texter.text(
            number, body, key=f"online-booking:{job.id}", now=now, context=context
        ):
            return "duplicate"
        await self.marks.remember_texted_schedule(
            job.id, job.schedule.scheduled_start if job.schedule else None
        )
        return "booking confirmation queued"

    async def _schedule_changed(self, job_id: str, now: datetime) -> str:
        if not self.config.schedule_change_sms:
            return "schedule notices off"
        if await self.marks.is_own_echo(job_id, now):
            return "own write echo"
        job = await self.hcp.get_job(job_id)
        start = job.schedule.scheduled_start if job.schedule else None
        if start is None or _is_canceled(job):
            return "not scheduled"
        new_booking = job.lead_source in (
            self.config.agent_lead_source,
            self.config.online_booking_lead_source,
        )
        if new_booking and job.created_at and now - job.created_at <= self.config.echo_window:
            return "new booking; its confirmation covers the time"
        if await self.marks.texted_schedule(job.id) == start:
            return "customer already has this time"
        number = phone_of(job.customer)
        when = arrival_window(job.schedule, self.config.business_zone)
        if number is None or when is None:
            return "no phone number"
        body = texts.schedule_notice(self.config.business_name, name_of(job.customer), when)
        key = f"schedule-notice:{job.id}:{start.isoformat()}"
        if not await self.texter.text(number, body, key=key, now=now):
            return "duplicate"
        await self.marks.remember_texted_schedule(job.id, start)
        return "schedule notice queued"

    async def _lead_created(self, lead: JSON, now: datetime) -> str:
        if (lead.get("lead_source") or "") != self.config.online_booking_lead_source:
            return "not an online booking"
        raw = lead.get("customer")
        customer = Customer.model_validate(raw) if isinstance(raw, dict) and raw.get("id") else None
        number = phone_of(customer)
        if number is None or not lead.get("id"):
            return "no phone number"
        body = texts.lead_confirmation(self.config.business_name, name_of(customer))
        context = {"kind": "lead", "lead_id": str(lead["id"])}
        queued = await self.texter.text(
            number, body, key=f"online-lead:{lead['id']}", now=now, context=context
        )
        return "lead confirmation queued" if queued else "duplicate"

    async def _estimate_ready(self, estimate_id: str, now: datetime) -> str:
        estimate = await self.hcp.get_estimate(estimate_id)
        number = phone_of(estimate.customer)
        if number is None:
            return "no phone number"
        options = priced_options(estimate)
        name = name_of(estimate.customer)
        if not options:
            if (estimate.lead_source or "") != self.config.online_booking_lead_source:
                return "no priced options yet"
            body = texts.booking_confirmation(
                self.config.business_name,
                name,
                arrival_window(estimate.schedule, self.config.business_zone),
            )
            queued = await self.texter.text(
                number,
                body,
                key=f"online-booking:{estimate.id}",
                now=now,
                context={"kind": "estimate_visit", "estimate_id": estimate.id},
            )
            return "estimate visit confirmation queued" if queued else "duplicate"
        if estimate_answered(estimate):
            return "already answered"
        body = texts.estimate_summary(
            self.config.business_name, name, [(o["name"], o["total"]) for o in options]
        )
        context: JSON = {"kind": "estimate", "estimate_id": estimate.id, "options": options}
        if estimate.lead_source == self.config.agent_lead_source:
            # Made on a call: the agent texted its summary then; a "YES" still approves.
            if not await self._schedule_nudge(estimate.id, number, now):
                return "duplicate"
            await self.threads.set_context(number, context, at=now)
            return "summary texted during the call; replies armed"
        if not await self.texter.text(
            number, body, key=f"estimate-summary:{estimate.id}", now=now, context=context
        ):
            return "duplicate"
        await self._schedule_nudge(estimate.id, number, now)
        return "estimate summary queued"

    async def _schedule_nudge(self, estimate_id: str, number: str, now: datetime) -> bool:
        due = self.texter.sendable(number, now + self.config.estimate_followup_delay)
        return await Outbox(self.store).put(
            EstimateFollowup(estimate_id=estimate_id, to=number, summary_at=now),
            idempotency_key=f"estimate-followup:{estimate_id}",
            due_at=due,
        )

    async def _invoice_open(self, invoice_id: str, now: datetime) -> str:
        invoice = await self.hcp.get_invoice(invoice_id)
        if (invoice.status or "") != "open" or not invoice.due_amount or invoice.due_at is None:
            return "nothing due"
        due = max(invoice.due_at, now)
        queued = await Outbox(self.store).put(
            InvoiceReminder(invoice_id=invoice.id, n=1),
            idempotency_key=f"invoice-reminder:{invoice.id}:1",
            due_at=due,
        )
        return "reminders scheduled" if queued else "duplicate"


def _appointment_job(event: JSON) -> str | None:
    appointment: Any = event.get("appointment")
    if isinstance(appointment, dict) and appointment.get("job_id"):
        return str(appointment["job_id"])
    return None
