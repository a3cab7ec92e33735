"""Existing visits: reschedule (schedule update, then the appointment, then the office) and
cancellation requests (one note and one office notice, however often asked).

HCP's `PUT /jobs/{id}/schedule` is listed for application keys/OAuth only and refuses jobs
with several appointments, so a refusal (401/403, or another 4xx) falls back to moving the
visit's appointment, which a company key may do. If that is refused too, the request is
recorded for the office (a job note and an office text) and the caller is told so. An
existing visit is never re-created as a new job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import hcp
from hcp.models.jobs import Appointment
from voice_agent.operations.booking import technician_in_window
from voice_agent.operations.cache import ReferenceCache
from voice_agent.operations.context import Operations
from voice_agent.operations.errors import WriteQueuedError
from voice_agent.operations.technicians import free_technician_of

log = logging.getLogger(__name__)
Via = Literal["schedule", "appointment", "office"]


@dataclass(frozen=True)
class Rescheduled:
    """How a visit was moved: by HCP ("schedule"/"appointment") or left to the office."""

    job_id: str
    via: Via

    @property
    def moved(self) -> bool:
        """True when HCP has the new time; False when the office will do it."""
        return self.via != "office"


def _refused(exc: hcp.HcpError) -> bool:
    """A 4xx other than 429 (401/403 for the key, 400/422 for several appointments, ...)."""
    status = getattr(exc, "status_code", None)
    return isinstance(status, int) and 400 <= status < 500 and status != 429


async def reschedule(
    ops: Operations, *, key: str, job_id: str, start: datetime, end: datetime, said_by: str
) -> Rescheduled:
    """Move visit `job_id` to [start, end) once per `key`; see the module docstring.

    Args:
        said_by: How the customer asked ("by phone", "by text"), for the office note.

    Raises:
        SlotTakenError: No technician is free in the new window (offer other times).
        WriteQueuedError: HCP failed transiently; queued for the outbox.
        OperationError: HCP refused in a way that is not a permission/shape problem.
    """
    minutes = int((end - start).total_seconds() // 60)
    request = {
        "job_id": job_id,
        "start_time": start.isoformat(),
        "end_time": end.isoformat(),
        "arrival_window_in_minutes": minutes,
    }

    async def send() -> tuple[str, dict[str, Any]]:
        via = await _move(ops, job_id, start, end, minutes)
        return job_id, {"via": via, "start_time": request["start_time"]}

    _, result = await ops.write("reschedule_job", key, request, send)
    via: Via = result.get("via", "schedule")
    if via == "office":
        await _office_request(ops, key, job_id, start, end, said_by)
    return Rescheduled(job_id, via)


async def _move(ops: Operations, job_id: str, start: datetime, end: datetime, minutes: int) -> Via:
    lease = technician_in_window(ops.store, ops.hcp, ops.cache, start, end, moving=job_id)
    async with lease as technician:
        return await move_visit(ops.hcp, ops.cache, job_id, start, end, minutes, technician)


async def move_visit(
    client: hcp.HcpClient,
    cache: ReferenceCache,
    job_id: str,
    start: datetime,
    end: datetime,
    minutes: int,
    technician: str | None = None,
) -> Via:
    """Move a visit (to `technician`, when given): the schedule update, else its appointment;
    "office" if both are refused.

    Raises:
        hcp.HcpError: A failure that is not a refusal (retryable, 404, ...).
    """
    body: dict[str, Any] = {
        "start_time": start,
        "end_time": end,
        "arrival_window_in_minutes": minutes,
    }
    if technician is not None:
        body["dispatched_employees"] = [{"employee_id": technician}]
    try:
        await client.jobs.update_schedule(job_id, body)
        return "schedule"
    except hcp.HcpError as exc:
        if not _refused(exc):
            raise
        log.info("schedule update refused (%s); moving the appointment", exc)
    try:
        appointments = await client.jobs.list_appointments(job_id)
        visit = _next_visit(appointments)
        if visit is None:
            return "office"
        employees = [technician] if technician else list(visit.dispatched_employees_ids)
        if not employees:
            free = await free_technician_of(client, cache, start, end, moving=job_id)
            if free is None:
                return "office"
            employees = [free]
        await client.jobs.update_appointment(
            job_id,
            visit.id,
            {
                "start_time": start,
                "end_time": end,
                "arrival_window_minutes": minutes,
                "dispatched_employees_ids": employees,
            },
        )
        return "appointment"
    except hcp.HcpError as exc:
        if not _refused(exc):
            raise
        log.info("appointment update refused (%s); the office will move it", exc)
        return "office"


def _next_visit(appointments: list[Appointment]) -> Appointment | None:
    """The visit to move: the earliest one with a start time (the job's next visit)."""
    timed = [a for a in appointments if a.start_time is not None]
    if not timed:
        return None
    return min(timed, key=lambda a: a.start_time or datetime.max)


async def _office_request(
    ops: Operations, key: str, job_id: str, start: datetime, end: datetime, said_by: str
) -> None:
    zone = ops.settings.zone
    when = f"{start.astimezone(zone):%a %b %d %H:%M}-{end.astimezone(zone):%H:%M}"
    content = f"Customer asked {said_by} to move this visit to {when}. Please reschedule."
    await add_note(ops, f"{key}:office-note", job_id, content)
    await ops.notify_office(f"Please move job {job_id} to {when} (asked {said_by}).", key=key)


async def add_note(ops: Operations, key: str, job_id: str, content: str) -> str:
    """One note on a job per `key` (through the journal); the note id."""

    async def send() -> tuple[str, dict[str, Any]]:
        note = await ops.hcp.jobs.add_note(job_id, content)
        return note.id or job_id, {"job_id": job_id}

    note_id, _ = await ops.write("add_note", key, {"job_id": job_id, "content": content}, send)
    return note_id


async def request_cancellation(ops: Operations, *, job_id: str, reason: str, said_by: str) -> None:
    """A cancellation request: one job note and one office notice per job, however often asked.

    HCP has no cancel endpoint; the office cancels and confirms by text.
    """
    content = f"Customer asked {said_by} to cancel this visit. Reason: {reason}"
    key = f"cancel-request:{job_id}"
    try:
        await add_note(ops, key, job_id, content)
    except WriteQueuedError:
        pass  # the note follows through the outbox; the office is told below either way
    await ops.notify_office(
        f"Cancellation requested for job {job_id}.", key=key, per_conversation=False
    )
