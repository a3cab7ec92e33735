"""Small shared steps of the follow-ups: whom to text, when, and which HCP writes were ours."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hcp import Customer
from hcp.models.jobs import Schedule
from voice_agent import phones
from voice_agent.followups.config import FollowupConfig
from voice_agent.followups.texts import window
from voice_agent.followups.timing import next_sendable
from voice_agent.messaging.threads import SmsThreads
from voice_agent.outbox import Outbox, SendSms
from voice_agent.storage.base import JSON, OwnWrites, Store

log = logging.getLogger(__name__)


def phone_of(customer: Customer | None) -> str | None:
    """The number to text: mobile first, then home, then work."""
    if customer is None:
        return None
    for raw in (customer.mobile_number, customer.home_number, customer.work_number):
        number = phones.e164(raw)  # HCP's "5550101234" or "(555) 010-1234"
        if number:
            return number
    return None


def name_of(customer: Customer | None) -> str | None:
    """The customer's first name, if known."""
    return customer.first_name if customer and customer.first_name else None


def arrival_window(schedule: Schedule | None, zone: ZoneInfo) -> str | None:
    """The arrival window of a schedule as text in `zone`, or None."""
    if schedule is None or schedule.scheduled_start is None:
        return None
    start = schedule.scheduled_start
    if schedule.arrival_window:
        end = start + timedelta(minutes=schedule.arrival_window)
    else:
        end = schedule.scheduled_end or start
    return window(start, end, zone)


@dataclass
class Texter:
    """Queues follow-up texts, out of the customer's quiet hours, remembering their context."""

    store: Store
    threads: SmsThreads
    config: FollowupConfig

    def sendable(self, number: str, at: datetime) -> datetime:
        """`at`, or the end of the customer's quiet hours."""
        zone = phones.zone_of(number, self.config.business_zone)
        return next_sendable(at, zone, self.config.quiet_start, self.config.quiet_end)

    async def text(
        self,
        number: str,
        body: str,
        *,
        key: str,
        now: datetime,
        context: JSON | None = None,
        due_at: datetime | None = None,
    ) -> bool:
        """Queue one logical text (once per `key`) and remember what a reply refers to."""
        queued = await Outbox(self.store).put(
            SendSms(to=number, body=body), idempotency_key=key, due_at=due_at or now
        )
        if queued and context is not None:
            await self.threads.set_context(number, context, at=now)
        elif queued:
            await self.threads.touch(number, at=now, inbound=False)
        return queued


@dataclass
class WriteMarks:
    """Which HCP records we changed ourselves (their webhooks are echoes) and texted times."""

    store: OwnWrites
    echo_window: timedelta

    async def mark_own_write(self, resource_id: str, now: datetime) -> None:
        """Remember that we just changed `resource_id`, so its webhook echo is recognised."""
        await self.store.mark_own_write(resource_id, now)

    async def is_own_echo(self, resource_id: str, now: datetime) -> bool:
        """Whether an event for `resource_id` is the echo of our own recent write."""
        at = await self.store.own_write_at(resource_id)
        return at is not None and now - at <= self.echo_window

    async def remember_texted_schedule(self, job_id: str, start: datetime | None) -> None:
        """Record the visit time the customer was last told about."""
        if start is not None:
            await self.store.remember_texted_schedule(job_id, start)

    async def texted_schedule(self, job_id: str) -> datetime | None:
        """The visit time the customer was last told about, if any."""
        return await self.store.texted_schedule(job_id)
