"""Estimates: create one from price-list lines, approve an option and schedule the work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hcp.models.estimates import Estimate
from hcp.models.jobs import Job
from voice_agent.operations.booking import BookingRequest, book
from voice_agent.operations.context import Operations
from voice_agent.operations.lead_source import without_unknown_lead_source
from voice_agent.operations.visits import reschedule


@dataclass(frozen=True)
class LineItem:
    """One priced line of an estimate option (cents)."""

    name: str
    unit_price: int
    unit_cost: int | None = None
    quantity: float = 1


async def create_estimate(
    ops: Operations,
    *,
    key: str,
    customer_id: str,
    address_id: str,
    note: str,
    items: list[LineItem],
    job_type_id: str | None = None,
) -> Estimate:
    """One estimate with a "Standard" option, once per `key`."""
    body: dict[str, Any] = {
        "customer_id": customer_id,
        "address_id": address_id,
        "note": note[:500],
        "lead_source": ops.settings.booking_lead_source,
        "options": [
            {
                "name": "Standard",
                "line_items": [
                    {
                        "name": i.name,
                        "unit_price": i.unit_price,
                        "unit_cost": i.unit_cost,
                        "quantity": i.quantity,
                    }
                    for i in items
                ],
            }
        ],
    }
    if job_type_id:
        body["estimate_fields"] = {"job_type_id": job_type_id}

    async def send() -> tuple[str, dict[str, Any]]:
        estimate = await without_unknown_lead_source(ops.hcp.estimates.create, body)
        return estimate.id, estimate.model_dump(mode="json")

    _, response = await ops.write("create_estimate", key, body, send)
    return Estimate.model_validate(response)


async def approve_option(ops: Operations, *, key: str, option_id: str) -> str | None:
    """Approve one estimate option once per `key`; the job HCP copied it to, if any."""

    async def send() -> tuple[str, dict[str, Any]]:
        result = await ops.hcp.estimates.approve_options([option_id])
        return option_id, result.model_dump(mode="json")

    _, decision = await ops.write("approve_option", key, {"option_ids": [option_id]}, send)
    job_id = decision.get("copied_on_approval_to_job_id")
    return str(job_id) if job_id else None


@dataclass(frozen=True)
class ScheduledWork:
    """The approved work's job and whether HCP has the time (False: the office schedules it)."""

    job_id: str
    scheduled: bool
    job: Job | None = None


async def schedule_approved_work(
    ops: Operations,
    *,
    key: str,
    estimate: Estimate,
    option_id: str,
    copied_job_id: str | None,
    start: datetime,
    end: datetime,
    said_by: str,
    address_id: str | None = None,
) -> ScheduledWork:
    """Put approved work in [start, end): move HCP's copied job, or book a job for it."""
    if copied_job_id:
        moved = await reschedule(
            ops, key=f"{key}:schedule", job_id=copied_job_id, start=start, end=end, said_by=said_by
        )
        return ScheduledWork(copied_job_id, moved.moved)
    customer_id = estimate.customer.id if estimate.customer else None
    address = estimate.address.id if estimate.address else address_id
    if not customer_id or not address:
        raise ValueError("the estimate has no customer or service address to book")
    booking = await book(
        ops,
        BookingRequest(
            key=f"{key}:job",
            customer_id=customer_id,
            address_id=address,
            start=start,
            end=end,
            notes=f"Approved estimate {estimate.estimate_number or estimate.id} "
            f"option {option_id} {said_by}.",
        ),
    )
    return ScheduledWork(booking.job_id, True, booking.job)
