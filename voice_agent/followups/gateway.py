"""The HCP calls follow-ups make, as a narrow protocol, and its adapter over `hcp.HcpClient`."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Protocol

from hcp import (
    BookingWindow,
    Estimate,
    HcpBadRequestError,
    HcpClient,
    Invoice,
    Job,
    JobCreate,
)
from voice_agent.operations.booking import existing_job_at, technician_in_window
from voice_agent.operations.cache import ReferenceCache
from voice_agent.operations.lead_source import is_unknown_lead_source
from voice_agent.operations.visits import move_visit
from voice_agent.storage.base import Store

log = logging.getLogger(__name__)


class FollowupHcp(Protocol):
    """What follow-ups need from Housecall Pro."""

    async def get_job(self, job_id: str) -> Job:
        """The job's current record."""
        ...

    async def get_estimate(self, estimate_id: str) -> Estimate:
        """The estimate's current record."""
        ...

    async def get_invoice(self, invoice_id: str) -> Invoice:
        """The invoice's current record."""
        ...

    async def booking_windows(self, start: date, days: int) -> list[BookingWindow]:
        """Open booking windows from `start` for `days` days."""
        ...

    async def reschedule_job(
        self, job_id: str, start: datetime, end: datetime, arrival_window_minutes: int | None
    ) -> bool:
        """Move a job to a new time; False when HCP refused it (the office must do it)."""
        ...

    async def find_job(self, customer_id: str, start: datetime) -> Job | None:
        """The customer's job starting at `start`, if any (did an interrupted write land?)."""
        ...

    async def approve_option(self, option_id: str) -> str | None:
        """Approve an estimate option; return the job id HCP copied it to, if any."""
        ...

    async def create_job(self, job: JobCreate) -> Job:
        """Create a job."""
        ...

    async def add_job_note(self, job_id: str, content: str) -> None:
        """Add a note to a job."""
        ...


class ClientGateway:
    """`FollowupHcp` over `hcp.HcpClient`. Its bookings and moves pick a technician under the
    window's lease in `store`, as the phone's do, so the two never give one technician the
    same window."""

    def __init__(
        self, client: HcpClient, store: Store, cache: ReferenceCache | None = None
    ) -> None:
        self._client = client
        self._store = store
        self._cache = cache or ReferenceCache()

    async def get_job(self, job_id: str) -> Job:
        """``GET /jobs/{id}``."""
        return await self._client.jobs.get(job_id)

    async def get_estimate(self, estimate_id: str) -> Estimate:
        """``GET /estimates/{id}``."""
        return await self._client.estimates.get(estimate_id)

    async def get_invoice(self, invoice_id: str) -> Invoice:
        """``GET /api/invoices/{uuid}``."""
        return await self._client.invoices.get(invoice_id)

    async def booking_windows(self, start: date, days: int) -> list[BookingWindow]:
        """Available booking windows."""
        return await self._client.schedule.booking_windows(start_date=start, show_for_days=days)

    async def reschedule_job(
        self, job_id: str, start: datetime, end: datetime, arrival_window_minutes: int | None
    ) -> bool:
        """``PUT /jobs/{id}/schedule``, else the visit's appointment (see `move_visit`), with a
        technician free in the new window.

        Raises:
            SlotTakenError: No technician is free in the new window.
        """
        minutes = arrival_window_minutes or int((end - start).total_seconds() // 60)
        client, cache = self._client, self._cache
        lease = technician_in_window(self._store, client, cache, start, end, moving=job_id)
        async with lease as technician:
            via = await move_visit(client, cache, job_id, start, end, minutes, technician)
        return via != "office"

    async def find_job(self, customer_id: str, start: datetime) -> Job | None:
        """``GET /jobs`` for the customer at exactly `start`."""
        found = await existing_job_at(self._client, customer_id, start)
        return Job.model_validate(found[1]) if found else None

    async def approve_option(self, option_id: str) -> str | None:
        """``POST /estimates/options/approve``."""
        result = await self._client.estimates.approve_options([option_id])
        return result.copied_on_approval_to_job_id

    async def create_job(self, job: JobCreate) -> Job:
        """``POST /jobs`` with a free technician; an unknown lead source (HCP's 400) is dropped.

        Raises:
            SlotTakenError: No technician is free in the job's window any more.
        """
        schedule = job.schedule
        if job.assigned_employee_ids or not schedule or not schedule.scheduled_start:
            return await self._create(job)
        start = schedule.scheduled_start
        end = schedule.scheduled_end or start
        lease = technician_in_window(self._store, self._client, self._cache, start, end)
        async with lease as technician:
            return await self._create(
                job.model_copy(update={"assigned_employee_ids": [technician]})
            )

    async def _create(self, job: JobCreate) -> Job:
        try:
            return await self._client.jobs.create(job)
        except HcpBadRequestError as exc:
            if job.lead_source is None or not is_unknown_lead_source(exc):
                raise
            log.warning(
                "lead source %r unknown to HCP; creating the job without it", job.lead_source
            )
            return await self._client.jobs.create(job.model_copy(update={"lead_source": None}))

    async def add_job_note(self, job_id: str, content: str) -> None:
        """``POST /jobs/{id}/notes``."""
        await self._client.jobs.add_note(job_id, content)
