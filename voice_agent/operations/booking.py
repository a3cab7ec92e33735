"""Book a visit: a technician for the window, re-checked under a window lease, one job.

The window is re-checked right before the write (booking windows are not reservations),
counting unassigned jobs too, while this caller holds the window's lease, so two callers
racing for one window cannot both get it: the second one sees the first one's job and is
told the window is taken. The job is created through the journal, keyed by the caller's
idempotency key, so a retried or repeated booking returns the first job.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import hcp
from hcp.models.jobs import Job
from voice_agent.operations.cache import ReferenceCache
from voice_agent.operations.context import Operations
from voice_agent.operations.errors import OperationError, SlotTakenError
from voice_agent.operations.journal import utcnow
from voice_agent.operations.lead_source import without_unknown_lead_source
from voice_agent.operations.technicians import free_technician_of
from voice_agent.storage.base import Store

log = logging.getLogger(__name__)

WINDOW_LEASE_SECONDS = 15.0
WINDOW_WAIT_SECONDS = 6.0
POLL_SECONDS = 0.05
TAKEN = "That time was just taken. Apologise and offer other times."
WINDOW_BUSY = "Someone else is booking that time right now. Offer another time."


@dataclass(frozen=True)
class BookingRequest:
    """A visit to book.

    Attributes:
        key: Idempotency key of this booking (the same key always returns the same job).
        customer_id: The HCP customer.
        address_id: The customer's service address.
        start: Window start (aware).
        end: Window end (aware).
        notes: The job notes (problem, intake answers, who booked it).
        job_type_id: The HCP job type, if known.
        lead_source: Defaults to `BOOKING_LEAD_SOURCE`.
        tags: Defaults to `[BOOKING_TAG]`.
    """

    key: str
    customer_id: str
    address_id: str
    start: datetime
    end: datetime
    notes: str
    job_type_id: str | None = None
    lead_source: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Booking:
    """A booked visit, as HCP recorded it."""

    job: Job

    @property
    def job_id(self) -> str:
        """The HCP job id."""
        return self.job.id


def job_body(ops: Operations, request: BookingRequest) -> dict[str, Any]:
    """The JSON `POST /jobs` body (times as UTC ISO strings), without a technician yet."""
    body: dict[str, Any] = {
        "customer_id": request.customer_id,
        "address_id": request.address_id,
        "schedule": {
            "scheduled_start": request.start.isoformat(),
            "scheduled_end": request.end.isoformat(),
            "arrival_window": int((request.end - request.start).total_seconds() // 60),
        },
        "notes": request.notes,
        "lead_source": request.lead_source or ops.settings.booking_lead_source,
        "tags": list(request.tags or (ops.settings.booking_tag,)),
    }
    if request.job_type_id:
        body["job_fields"] = {"job_type_id": request.job_type_id}
    return body


async def book(ops: Operations, request: BookingRequest) -> Booking:
    """Create the job once; see the module docstring.

    Raises:
        SlotTakenError: No technician is free in the window any more (offer other times).
        WriteQueuedError: HCP failed transiently; the booking is queued (office confirms).
        OperationError: HCP refused it.
    """
    body = job_body(ops, request)

    async def send() -> tuple[str, dict[str, Any]]:
        job = await create_in_window(ops, body, request.start, request.end)
        return job.id, job.model_dump(mode="json")

    async def recover() -> tuple[str, dict[str, Any]] | None:
        return await existing_job_at(ops.hcp, request.customer_id, request.start)

    _, response = await ops.write("create_job", request.key, body, send, recover=recover)
    job = Job.model_validate(response)
    await mark_own_booking(ops, job)
    return Booking(job)


async def create_in_window(
    ops: Operations, body: dict[str, Any], start: datetime, end: datetime
) -> Job:
    """Under the window's lease: pick a free technician (re-check) and create the job."""
    async with technician_in_window(ops.store, ops.hcp, ops.cache, start, end) as technician:
        with_tech = {**body, "assigned_employee_ids": [technician]}
        create = ops.hcp.jobs.create
        return await without_unknown_lead_source(create, with_tech, note_field="notes")


@asynccontextmanager
async def technician_in_window(
    store: Store,
    client: hcp.HcpClient,
    cache: ReferenceCache,
    start: datetime,
    end: datetime,
    *,
    moving: str | None = None,
) -> AsyncIterator[str]:
    """Under the window's lease, a technician free in [start, end) right now (re-checked;
    `moving`: the job being moved there), for the write done inside: every booking and move,
    by phone or by text, takes its technician this way.

    Raises:
        SlotTakenError: No technician is free, or HCP refused the write inside with a 422
            (the technician is booked after all).
        OperationError: Another booking held the window too long.
    """
    async with window_lease(store, start):
        technician = await free_technician_of(client, cache, start, end, moving=moving)
        if technician is None:
            raise SlotTakenError(TAKEN)
        try:
            yield technician
        except hcp.HcpUnprocessableError as exc:
            log.info("window %s refused by HCP: %s", start.isoformat(), exc)
            raise SlotTakenError(TAKEN) from exc


@asynccontextmanager
async def window_lease(store: Store, start: datetime) -> AsyncIterator[None]:
    """Hold the booking window starting at `start` (one booking or move at a time, whichever
    channel makes it: the name is the instant in UTC, however `start` is written)."""
    name = f"window:{start.astimezone(UTC).isoformat()}"
    owner = uuid.uuid4().hex
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WINDOW_WAIT_SECONDS
    while True:
        now = utcnow()
        until = now + timedelta(seconds=WINDOW_LEASE_SECONDS)
        if await store.acquire_lease(name, owner, now=now, until=until):
            break
        if loop.time() > deadline:
            raise OperationError(WINDOW_BUSY)
        await asyncio.sleep(POLL_SECONDS)
    try:
        yield
    finally:
        await asyncio.shield(store.release_lease(name, owner))


async def existing_job_at(
    client: hcp.HcpClient, customer_id: str, start: datetime
) -> tuple[str, dict[str, Any]] | None:
    """A job for this customer at this start, left by an earlier interrupted attempt."""
    page = await client.jobs.list(
        customer_id=customer_id, scheduled_start_min=start, scheduled_start_max=start
    )
    for job in page.items:
        if job.schedule and job.schedule.scheduled_start == start:
            return job.id, job.model_dump(mode="json")
    return None


async def mark_own_booking(ops: Operations, job: Job) -> None:
    """Tell follow-ups the job is ours and the customer's confirmation covers its time."""
    start = job.schedule.scheduled_start if job.schedule else None
    await ops.store.mark_own_write(job.id, ops.now())
    if start is not None:
        await ops.store.remember_texted_schedule(job.id, start)
