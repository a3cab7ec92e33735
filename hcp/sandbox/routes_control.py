"""Sandbox-only control paths under /sandbox/ (not part of HCP's API)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request

from hcp.sandbox import ops, render
from hcp.sandbox._common import (
    ONLINE_BOOKING_SOURCE,
    Sandbox,
    digits,
    json_body,
    not_found,
    sandbox_of,
    unprocessable,
)
from hcp.sandbox.faults import FaultRule
from hcp.sandbox.routes_customers import create_customer_doc, new_address
from hcp.sandbox.scheduling import DEFAULT_DURATION_MINUTES, booking_windows, parse_instant
from hcp.sandbox.store import Doc, new_id

router = APIRouter(prefix="/sandbox")

ONLINE_BOOKING_TAG = "Online booking"


def _find_by_phone(sb: Sandbox, phone: str) -> Doc | None:
    wanted = digits(phone)[-10:]
    for cust in sb.state.iter("customers"):
        numbers = (cust.get(k) for k in ("mobile_number", "home_number", "work_number"))
        if any(digits(n)[-10:] == wanted for n in numbers if n):
            return cust
    return None


def _first_window(sb: Sandbox, duration: int) -> tuple[Any, Any]:
    availability = sb.state.meta("availability")
    _, windows = booking_windows(
        availability=availability,
        time_zone=str(sb.company.get("time_zone") or "UTC"),
        now=sb.now(),
        busy=ops.busy_map(sb),
        employee_ids=ops.bookable_employee_ids(sb),
        duration_minutes=duration,
        show_for_days=14,
    )
    if not windows:
        raise unprocessable("start_time", "no booking window is open in the next 14 days")
    return windows[0].start, windows[0].end


def online_booking(sb: Sandbox, body: dict[str, Any]) -> Doc:
    """Simulate a customer booking on the company's website: find or create the customer,
    then create a scheduled job with the online-booking lead source and tag, assigned to
    the first free technician."""
    phone = digits(str(body.get("mobile_number") or body.get("phone") or ""))
    if len(phone) < 10:
        raise unprocessable("mobile_number", "must have 10 digits")
    phone = phone[-10:]
    address = body.get("address")
    if not isinstance(address, dict):
        raise unprocessable("address", "must be an object with street, city, state, zip")
    if not any(s["name"] == ONLINE_BOOKING_SOURCE for s in sb.state.iter("lead_sources")):
        source = {"id": new_id("lsrc_"), "name": ONLINE_BOOKING_SOURCE, "editable": False}
        sb.state.put("lead_sources", source | {"created_at": sb.now_z()})
    cust = _find_by_phone(sb, phone)
    if cust is None:
        first, _, last = str(body.get("name") or "").partition(" ")
        cust = create_customer_doc(
            sb,
            {
                "first_name": body.get("first_name") or first or None,
                "last_name": body.get("last_name") or last or None,
                "email": body.get("email"),
                "mobile_number": phone,
                "lead_source": ONLINE_BOOKING_SOURCE,
                "addresses": [{"country": "US", **address}],
            },
        )
        address_id = cust["addresses"][0]["id"]
    else:
        addr = new_address(sb, {"country": "US", **address})
        cust["addresses"] = [*cust.get("addresses", []), addr]
        ops.touch(sb, "customers", cust)
        address_id = addr["id"]
    form = sb.state.get("price_forms", str(body.get("price_form_id") or ""))
    if body.get("price_form_id") and form is None:
        raise not_found("Price form")
    duration = int((form or {}).get("duration_in_minutes") or DEFAULT_DURATION_MINUTES)
    if body.get("start_time"):
        start = parse_instant(str(body["start_time"]))
        end = start + timedelta(minutes=duration)
    else:
        start, end = _first_window(sb, duration)
    line_items = [{"name": form["name"], "unit_price": form["price"]}] if form else []
    return ops.create_job(
        sb,
        {
            "customer_id": cust["id"],
            "address_id": address_id,
            "schedule": {"scheduled_start": start.isoformat(), "scheduled_end": end.isoformat()},
            "lead_source": ONLINE_BOOKING_SOURCE,
            "tags": [ONLINE_BOOKING_TAG],
            "notes": body.get("notes"),
            "line_items": line_items,
            # HCP's own online booking assigns a free technician; API writes never do.
            "assigned_employee_ids": ops.first_free_employee(sb, start, end),
        },
    )


@router.post("/online_booking", status_code=201)
async def post_online_booking(request: Request) -> dict[str, Any]:
    """POST /sandbox/online_booking -> 201 {job}."""
    sb = sandbox_of(request)
    body = await json_body(request)
    async with sb.state.lock:
        job = online_booking(sb, body)
        return {"job": render.job(sb, job)}


def parse_rules(raw: Any) -> list[FaultRule]:
    """Fault rules from JSON; 422 on a bad rule."""
    if not isinstance(raw, list):
        raise unprocessable("rules", "must be an array")
    try:
        return [FaultRule(**r) for r in raw]
    except TypeError as exc:
        raise unprocessable("rules", str(exc)) from None


@router.get("/faults")
async def read_faults(request: Request) -> dict[str, Any]:
    """GET /sandbox/faults: the active rules."""
    return sandbox_of(request).faults.to_json()


@router.put("/faults")
async def replace_faults(request: Request) -> dict[str, Any]:
    """PUT /sandbox/faults {rules: [...], seed?}: replace the fault rules."""
    sb = sandbox_of(request)
    body = await json_body(request)
    seed = body.get("seed")
    sb.faults.replace(parse_rules(body.get("rules")), int(seed) if seed is not None else None)
    return sb.faults.to_json()


@router.delete("/faults")
async def clear_faults(request: Request) -> dict[str, Any]:
    """DELETE /sandbox/faults: no more faults."""
    sb = sandbox_of(request)
    sb.faults.replace([])
    return sb.faults.to_json()


@router.post("/invoices/{invoice_id}/pay")
async def pay(request: Request, invoice_id: str) -> dict[str, Any]:
    """POST /sandbox/invoices/{id}/pay: the customer pays in full (fires invoice.paid)."""
    sb = sandbox_of(request)
    body = await json_body(request)
    async with sb.state.lock:
        inv = sb.state.get("invoices", invoice_id)
        if inv is None:
            raise not_found("Invoice")
        return render.invoice(
            ops.pay_invoice(sb, inv, str(body.get("payment_method") or "credit_card"))
        )


JOB_TRANSITIONS = {
    "in progress": ("started_at", "job.started"),
    "complete unrated": ("completed_at", "job.completed"),
    "complete rated": ("completed_at", "job.completed"),
    "user canceled": ("canceled_at", "job.canceled"),
    "pro canceled": ("deleted_at", "job.deleted"),
}


@router.post("/jobs/{job_id}/work_status")
async def set_work_status(request: Request, job_id: str) -> dict[str, Any]:
    """POST /sandbox/jobs/{id}/work_status {work_status}: what the pro does in the field app
    (start, complete, cancel); fires job.started / job.completed / job.canceled / job.deleted."""
    sb = sandbox_of(request)
    body = await json_body(request)
    status = body.get("work_status")
    if status not in JOB_TRANSITIONS:
        raise unprocessable("work_status", f"must be one of {sorted(JOB_TRANSITIONS)}")
    async with sb.state.lock:
        job = sb.state.get("jobs", job_id)
        if job is None:
            raise not_found("Job")
        stamp_field, event = JOB_TRANSITIONS[str(status)]
        now = sb.now_z()
        job["work_status"] = status
        if stamp_field in ("started_at", "completed_at"):
            stamps = dict(job.get("work_timestamps") or {})
            if stamp_field == "completed_at" and not stamps.get("started_at"):
                stamps["started_at"] = now
            stamps[stamp_field] = now
            job["work_timestamps"] = stamps
        else:
            job[stamp_field] = now
        ops.touch(sb, "jobs", job)
        sb.webhooks.emit(event, "job", render.job(sb, job))
        return render.job(sb, job)


@router.get("/webhooks")
async def sent_webhooks(request: Request) -> dict[str, Any]:
    """GET /sandbox/webhooks: every event emitted since start (newest last)."""
    return {"events": sandbox_of(request).webhooks.events}


@router.put("/settings")
async def update_settings(request: Request) -> dict[str, Any]:
    """PUT /sandbox/settings {auto_copy_approved_estimates: bool, service_zones_refused: bool}."""
    sb = sandbox_of(request)
    body = await json_body(request)
    async with sb.state.lock:
        settings = sb.state.meta("settings")
        for flag in ("auto_copy_approved_estimates", "service_zones_refused"):
            if flag in body:
                settings[flag] = bool(body[flag])
        sb.state.set_meta("settings", settings)
    return {k: v for k, v in settings.items() if k != "id"}
