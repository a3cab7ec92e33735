"""Sandbox-only control paths under /sandbox/ (not part of HCP's API)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request

from hcp.sandbox import ops, render
from hcp.sandbox import validate as V
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
from hcp.sandbox.scheduling import DEFAULT_DURATION_MINUTES, booking_windows
from hcp.sandbox.store import Doc, new_id
from hcp.sandbox.strict_key import REFUSALS, strict_key_status

router = APIRouter(prefix="/sandbox")

ONLINE_BOOKING_TAG = "Online booking"
PAYMENT_METHODS = ("credit_card", "ach", "consumer_financing", "external", "mobile_check_deposit")


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
    the first free technician. Everything is checked before anything is stored."""
    phone = digits(V.text(body.get("mobile_number") or body.get("phone"), "mobile_number"))
    if len(phone) < 10:
        raise unprocessable("mobile_number", "must have 10 digits")
    phone = phone[-10:]
    address = body.get("address")
    if not isinstance(address, dict):
        raise unprocessable("address", "must be an object with street, city, state, zip")
    new_address(sb, {"country": "US", **address})  # checks it; stored below if needed
    form_id = V.text(body.get("price_form_id"), "price_form_id")
    form = sb.state.get("price_forms", form_id) if form_id else None
    if form_id and form is None:
        raise not_found("Price form")
    stored = (form or {}).get("duration_in_minutes")
    duration = V.stored_int(stored, high=V.MAX_MINUTES) or DEFAULT_DURATION_MINUTES
    if body.get("start_time") not in (None, ""):
        start = V.instant(body["start_time"], "start_time")
        end = start + timedelta(minutes=duration)
    else:
        start, end = _first_window(sb, duration)
    name = V.text(body.get("name"), "name") or ""
    first, _, last = name.partition(" ")
    customer = {
        "first_name": V.text(body.get("first_name"), "first_name") or first or None,
        "last_name": V.text(body.get("last_name"), "last_name") or last or None,
        "email": V.text(body.get("email"), "email"),
        "mobile_number": phone,
        "addresses": [{"country": "US", **address}],
    }
    notes = V.text(body.get("notes"), "notes")
    if not any(s["name"] == ONLINE_BOOKING_SOURCE for s in sb.state.iter("lead_sources")):
        source = {"id": new_id("lsrc_"), "name": ONLINE_BOOKING_SOURCE, "editable": False}
        sb.state.put("lead_sources", source | {"created_at": sb.now_z()})
    cust = _find_by_phone(sb, phone)
    if cust is None:
        cust = create_customer_doc(sb, customer | {"lead_source": ONLINE_BOOKING_SOURCE})
        address_id = cust["addresses"][0]["id"]
    else:
        addr = new_address(sb, {"country": "US", **address})
        cust["addresses"] = [*cust.get("addresses", []), addr]
        ops.touch(sb, "customers", cust)
        address_id = addr["id"]
    line_items = [{"name": form["name"], "unit_price": form["price"]}] if form else []
    return ops.create_job(
        sb,
        {
            "customer_id": cust["id"],
            "address_id": address_id,
            "schedule": {"scheduled_start": start.isoformat(), "scheduled_end": end.isoformat()},
            "lead_source": ONLINE_BOOKING_SOURCE,
            "tags": [ONLINE_BOOKING_TAG],
            "notes": notes,
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


FAULT_KINDS = ("latency", "rate_limit", "server_error", "timeout")
MAX_FAULT_SECONDS = 600


def parse_rule(raw: Any) -> FaultRule:
    """One fault rule from JSON; 422 on an unknown field or a bad value."""
    rule = V.obj(raw, "rules")
    unknown = set(rule) - {"kind", "path", "rate", "seconds", "retry_after", "method", "times"}
    if unknown:
        raise unprocessable("rules", f"unknown fields: {', '.join(sorted(unknown))}")
    kind = rule.get("kind")
    if kind not in FAULT_KINDS:
        raise unprocessable("rules.kind", f"must be one of {', '.join(FAULT_KINDS)}")
    path = V.text(rule.get("path"), "rules.path") or ""
    try:
        re.compile(path)
    except re.error:
        raise unprocessable("rules.path", "must be a regular expression") from None
    times = rule.get("times")
    return FaultRule(
        kind=kind,
        path=path,
        rate=V.number(rule.get("rate"), "rules.rate", low=0, high=1, default=1.0),
        seconds=V.number(
            rule.get("seconds"), "rules.seconds", low=0, high=MAX_FAULT_SECONDS, default=0.0
        ),
        retry_after=V.integer(rule.get("retry_after"), "rules.retry_after", high=86_400, default=1),
        method=V.text(rule.get("method"), "rules.method"),
        times=None if times is None else V.integer(times, "rules.times", high=10**9),
    )


def parse_rules(raw: Any) -> list[FaultRule]:
    """Fault rules from JSON; 422 on a bad rule."""
    if not isinstance(raw, list):
        raise unprocessable("rules", "must be an array")
    return [parse_rule(r) for r in raw]


@router.get("/faults")
async def read_faults(request: Request) -> dict[str, Any]:
    """GET /sandbox/faults: the active rules."""
    return sandbox_of(request).faults.to_json()


@router.put("/faults")
async def replace_faults(request: Request) -> dict[str, Any]:
    """PUT /sandbox/faults {rules: [...], seed?}: replace the fault rules."""
    sb = sandbox_of(request)
    body = await json_body(request)
    rules = parse_rules(body.get("rules"))
    seed = body.get("seed")
    sb.faults.replace(rules, None if seed is None else V.integer(seed, "seed", high=2**63))
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
        method = V.text(body.get("payment_method"), "payment_method") or "credit_card"
        if method not in PAYMENT_METHODS:
            raise unprocessable("payment_method", f"must be one of {', '.join(PAYMENT_METHODS)}")
        return render.invoice(ops.pay_invoice(sb, inv, method))


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
    if not isinstance(status, str) or status not in JOB_TRANSITIONS:
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


def _strict_key(value: Any) -> int | None:
    try:
        return strict_key_status(value)
    except (ValueError, TypeError):  # TypeError: a list or an object is not hashable
        raise unprocessable(
            "strict_key", f"must be true, false or one of {sorted(REFUSALS)}"
        ) from None


def _settings(sb: Sandbox) -> dict[str, Any]:
    settings = {k: v for k, v in sb.state.meta("settings").items() if k != "id"}
    return settings | {"strict_key": sb.strict_key or False}


@router.get("/settings")
async def read_settings(request: Request) -> dict[str, Any]:
    """GET /sandbox/settings."""
    return _settings(sandbox_of(request))


@router.put("/settings")
async def update_settings(request: Request) -> dict[str, Any]:
    """PUT /sandbox/settings {auto_copy_approved_estimates: bool, service_zones_refused: bool,
    strict_key: bool | 401 | 403}; strict_key lives until restart (like faults)."""
    sb = sandbox_of(request)
    body = await json_body(request)
    flags = {
        flag: V.boolean(body[flag], flag, default=False)
        for flag in ("auto_copy_approved_estimates", "service_zones_refused")
        if flag in body
    }
    strict = _strict_key(body["strict_key"]) if "strict_key" in body else sb.strict_key
    async with sb.state.lock:
        sb.state.set_meta("settings", sb.state.meta("settings") | flags)
        sb.strict_key = strict
    return _settings(sb)
