"""Account tools for a verified caller: appointments, reschedule and cancellation requests.

The customer is always the session's verified customer; a job id from the model is only
accepted when that job belongs to this customer.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import hcp
from hcp.models.jobs import Job
from voice_agent.engine.session import PendingAction, Window
from voice_agent.engine.toolbox import ToolContext
from voice_agent.operations import SlotTakenError, reschedule
from voice_agent.operations import request_cancellation as request_cancellation_of
from voice_agent.tools.booking import confirmation, offered_window, said_yes_to, taken
from voice_agent.tools.common import require_account, spoken_window
from voice_agent.tools.registry import ToolError, tool, writes

NOT_YOURS = "I can't find that appointment on this caller's account."
_OPEN_STATUSES = ("scheduled", "unscheduled", "in_progress")


async def own_job(ctx: ToolContext, customer_id: str, job_id: str) -> Job:
    """The job if it belongs to `customer_id`; otherwise the same error as a missing job."""
    try:
        job = await ctx.hcp.jobs.get(job_id)
    except hcp.HcpNotFoundError:
        raise ToolError(NOT_YOURS) from None
    if job.customer is None or job.customer.id != customer_id:
        raise ToolError(NOT_YOURS)
    return job


@tool
async def list_my_appointments(ctx: ToolContext) -> dict[str, Any]:
    """List the verified caller's upcoming appointments (when the technician is coming)."""
    customer_id = require_account(ctx)
    now = ctx.now()
    page = await ctx.hcp.jobs.list(
        customer_id=customer_id, work_status=_OPEN_STATUSES, page_size=50
    )
    upcoming: list[dict[str, Any]] = []
    for job in sorted(page.items, key=_start):
        schedule = job.schedule
        if job.customer is not None and job.customer.id != customer_id:
            continue
        if not (schedule and schedule.scheduled_start and schedule.scheduled_end):
            continue
        if schedule.scheduled_end < now:
            continue
        service = (
            job.job_fields.job_type.name if job.job_fields and job.job_fields.job_type else None
        )
        upcoming.append(
            {
                "job_id": job.id,
                "service": service or job.description or "service",
                "when": spoken_window(ctx, schedule.scheduled_start, schedule.scheduled_end),
            }
        )
    return {"appointments": upcoming[:5]}


def _start(job: Job) -> datetime:
    start = job.schedule.scheduled_start if job.schedule else None
    return start or datetime.max.replace(tzinfo=UTC)


@tool
async def propose_reschedule(ctx: ToolContext, job_id: str, window_id: str) -> dict[str, Any]:
    """Prepare moving one of the caller's appointments to a new window (from
    check_availability); read the returned text back and wait for a yes.

    Args:
        job_id: The appointment's job id from list_my_appointments.
        window_id: The new window id from check_availability.
    """
    customer_id = require_account(ctx)
    await own_job(ctx, customer_id, job_id)
    window = offered_window(ctx, window_id)
    readback = f"Just to confirm: I'll move your appointment to {window.spoken}. Is that right?"
    ctx.session.pending = PendingAction(
        id=uuid.uuid4().hex,
        kind="reschedule",
        data={"job_id": job_id, "window": window.model_dump()},
        readback=readback,
        proposed_seq=ctx.session.seq,
    )
    return {"read_back": readback}


@writes
@tool
async def reschedule_appointment(ctx: ToolContext) -> dict[str, Any]:
    """Move the appointment the caller just agreed to move (after propose_reschedule)."""
    customer_id = require_account(ctx)
    pending = said_yes_to(ctx.session, "reschedule")
    if isinstance(pending, dict):
        return pending
    job_id = str(pending.data["job_id"])
    await own_job(ctx, customer_id, job_id)
    window = Window.model_validate(pending.data["window"])
    start, end = datetime.fromisoformat(window.start), datetime.fromisoformat(window.end)
    try:
        moved = await reschedule(
            ctx.operations,
            key=f"{ctx.conversation.id}:reschedule:{job_id}:{window.start}",
            job_id=job_id,
            start=start,
            end=end,
            said_by="by phone",
        )
    except SlotTakenError:
        return taken(ctx, pending, window, {"rescheduled": False})
    ctx.session.windows = []
    result: dict[str, Any]
    if moved.moved:
        job = await ctx.hcp.jobs.get(job_id)
        ctx.session.outcome = "rescheduled"
        text = confirmation(ctx, job).replace("booked", "moved")
        result = {"rescheduled": True, "confirmation": text}
    else:
        ctx.session.outcome = "reschedule_requested"
        result = {
            "rescheduled": False,
            "requested": True,
            "say": "I couldn't move it in the system myself, so I've sent your request to the "
            "office; they'll confirm the new time by text.",
        }
    return ctx.session.consume(pending, result)


@tool
async def propose_cancellation(ctx: ToolContext, job_id: str, reason: str) -> dict[str, Any]:
    """Prepare a cancellation request for one of the caller's appointments; read the returned
    text back and wait for a yes. The office confirms cancellations.

    Args:
        job_id: The appointment's job id from list_my_appointments.
        reason: Why the caller wants to cancel, in their words.
    """
    customer_id = require_account(ctx)
    job = await own_job(ctx, customer_id, job_id)
    when = ""
    if job.schedule and job.schedule.scheduled_start and job.schedule.scheduled_end:
        when = " for " + spoken_window(
            ctx, job.schedule.scheduled_start, job.schedule.scheduled_end
        )
    readback = f"You'd like to cancel the appointment{when}. Shall I send that to the office?"
    ctx.session.pending = PendingAction(
        id=uuid.uuid4().hex,
        kind="cancel",
        data={"job_id": job_id, "reason": reason[:300]},
        readback=readback,
        proposed_seq=ctx.session.seq,
    )
    return {"read_back": readback}


@writes
@tool
async def request_cancellation(ctx: ToolContext) -> dict[str, Any]:
    """Record the cancellation request the caller just confirmed: a note on the job and a
    message to the office (there is no automatic cancel; the office confirms by text).
    """
    customer_id = require_account(ctx)
    pending = said_yes_to(ctx.session, "cancel")
    if isinstance(pending, dict):
        return pending
    job_id = str(pending.data["job_id"])
    await own_job(ctx, customer_id, job_id)
    await request_cancellation_of(
        ctx.operations, job_id=job_id, reason=str(pending.data["reason"]), said_by="by phone"
    )
    ctx.session.outcome = "cancel_requested"
    result = {
        "requested": True,
        "say": "I've sent your cancellation request; the office will confirm by text.",
    }
    return ctx.session.consume(pending, result)
