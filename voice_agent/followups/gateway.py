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
    JobScheduleUpdate,
)
from voice_agent.operations.lead_source import is_unknown_lead_source

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
    ) -> None:
        """Move a job to a new time."""
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
    """`FollowupHcp` over `hcp.HcpClient`."""

    def __init__(self, client: HcpClient) -> None:
        self._client = client

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
    ) -> None:
        """``PUT /jobs/{id}/schedule``."""
        await self._client.jobs.update_schedule(
            job_id,
            JobScheduleUpdate(
                start_time=start, end_time=end, arrival_window_in_minutes=arrival_window_minutes
            ),
        )

    async def approve_option(self, option_id: str) -> str | None:
        """``POST /estimates/options/approve``."""
        result = await self._client.estimates.approve_options([option_id])
        return result.copied_on_approval_to_job_id

    async def create_job(self, job: JobCreate) -> Job:
        """``POST /jobs``; an unknown lead source (HCP's 400) is dropped, not fatal."""
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
