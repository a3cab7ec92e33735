"""Domain operations shared by several routes (call them with `state.lock` held)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hcp.sandbox import render
from hcp.sandbox import validate as V
from hcp.sandbox._common import ApiError, Sandbox, not_found, unprocessable
from hcp.sandbox.scheduling import Interval, free_employees, parse_instant, to_utc_z
from hcp.sandbox.store import Doc, new_id

INACTIVE_WORK_STATUSES = {"user canceled", "pro canceled"}
INVOICE_DUE_DAYS = 30
LINE_ITEM_KINDS = ("labor", "materials", "fixed discount", "percent discount")
MAX_VISIT = timedelta(days=31)


def busy_map(sb: Sandbox, skip_appointment: str | None = None) -> dict[str, list[Interval]]:
    """Each employee's booked intervals across live jobs and estimates."""
    busy: dict[str, list[Interval]] = {}
    for collection in ("jobs", "estimates"):
        for doc in sb.state.iter(collection):
            if doc.get("work_status") in INACTIVE_WORK_STATUSES or doc.get("deleted_at"):
                continue
            for appt in doc.get("appointments", []):
                if appt["id"] == skip_appointment:
                    continue
                span = (parse_instant(appt["start_time"]), parse_instant(appt["end_time"]))
                for emp in appt.get("dispatched_employees_ids", []):
                    busy.setdefault(emp, []).append(span)
    return busy


def bookable_employee_ids(sb: Sandbox) -> list[str]:
    """Employees that can be booked online, in seed order."""
    return [
        e["id"]
        for e in sb.state.iter("employees")
        if e.get("permissions", {}).get("can_be_booked_online", True)
    ]


def check_lead_source(sb: Sandbox, name: str | None) -> str | None:
    """Return `name` if it is a configured lead source; HCP's 400 otherwise."""
    if name is None or name == "":
        return None
    if any(s["name"] == name for s in sb.state.iter("lead_sources")):
        return name
    raise ApiError(400, {"message": "Lead source not found"})


def ensure_tags(sb: Sandbox, names: list[str]) -> list[str]:
    """Tag names (already checked with `validate.strings`), creating unknown tags as HCP
    does."""
    result: list[str] = []
    for name in names:
        if not any(t["name"] == name for t in sb.state.iter("tags")):
            sb.state.put("tags", {"id": new_id("tag_"), "name": name, "created_at": sb.now_z()})
        result.append(name)
    return result


def require_employees(sb: Sandbox, ids: list[Any] | None) -> list[str]:
    """Validate employee ids (404 for unknown ones)."""
    out = [str(i) for i in ids or []]
    for emp in out:
        if sb.state.get("employees", emp) is None:
            raise not_found("Employee")
    return out


def book(
    sb: Sandbox,
    start: datetime,
    end: datetime,
    employee_ids: list[str],
    *,
    skip_appointment: str | None = None,
) -> list[str]:
    """Check a visit in [start, end) for exactly the employees sent and return them.

    As live HCP does (hcp/README §4.2), nobody is assigned when no employee is sent: the
    visit stays unassigned and consumes no technician's time. Named employees must all be
    free (a sandbox guard: 422 when one is already booked then).
    """
    if end <= start:
        raise unprocessable("end_time", "must be after start_time")
    if employee_ids:
        busy = busy_map(sb, skip_appointment)
        if len(free_employees(busy, employee_ids, (start, end))) != len(employee_ids):
            raise unprocessable("schedule", "employee is already booked at this time")
    return list(employee_ids)


def first_free_employee(sb: Sandbox, start: datetime, end: datetime) -> list[str]:
    """The first bookable employee free over [start, end), as a one-item list ([] if none).

    Only HCP's own online booking picks a technician; API writes never do.
    """
    free = free_employees(busy_map(sb), bookable_employee_ids(sb), (start, end))
    return [free[0]] if free else []


def new_appointment(
    start: datetime,
    end: datetime,
    arrival_window: int,
    employee_ids: list[str],
    *,
    anytime: bool = False,
) -> Doc:
    """A stored appointment."""
    return {
        "id": new_id("appt_"),
        "start_time": to_utc_z(start),
        "end_time": to_utc_z(end),
        "arrival_window_minutes": arrival_window,
        "anytime": anytime,
        "dispatched_employees_ids": employee_ids,
    }


def new_line_item(raw: Any, index: int, field: str = "line_items") -> Doc:
    """A stored line item from a LineItemCreate-like body (422 on a bad value)."""
    item = V.obj(raw, field)
    kind = V.text(item.get("kind"), f"{field}.kind") or "labor"
    if kind not in LINE_ITEM_KINDS:
        raise unprocessable(f"{field}.kind", f"must be one of {', '.join(LINE_ITEM_KINDS)}")
    return {
        "id": V.text(item.get("id"), f"{field}.id") or new_id("prli_"),
        "name": V.text(item.get("name"), "name", required=True),
        "description": V.text(item.get("description"), f"{field}.description") or "",
        "unit_price": V.cents(item.get("unit_price"), f"{field}.unit_price"),
        "unit_cost": V.cents(item.get("unit_cost"), f"{field}.unit_cost"),
        "quantity": V.quantity(item.get("quantity"), f"{field}.quantity"),
        "kind": kind,
        "taxable": V.boolean(item.get("taxable"), f"{field}.taxable", default=True),
        "unit_of_measure": V.text(item.get("unit_of_measure"), f"{field}.unit_of_measure")
        or "each",
        "order_index": index,
    }


def new_line_items(raw: Any, field: str = "line_items") -> list[Doc]:
    """Line items from an array of LineItemCreate bodies."""
    return [new_line_item(li, i, field) for i, li in enumerate(V.array(raw, field))]


def schedule_span(
    start_raw: Any, end_raw: Any, *, start_field: str, end_field: str, default: timedelta
) -> tuple[datetime, datetime]:
    """(start, end) of a visit; end defaults to start + `default`; 422 unless end > start."""
    start = V.instant(start_raw, start_field)
    end = V.instant(end_raw, end_field) if end_raw not in (None, "") else start + default
    if end <= start:
        raise unprocessable(end_field, f"must be after {start_field}")
    if end - start > MAX_VISIT:
        raise unprocessable(end_field, "must be within 31 days of the start")
    return start, end


def _job_schedule(sb: Sandbox, raw: Any) -> tuple[datetime, datetime, int, bool] | None:
    """(start, end, arrival window, anytime) of a JobCreate `schedule`, or None."""
    schedule = V.obj(raw, "schedule")
    arrival = V.minutes(schedule.get("arrival_window"), "schedule.arrival_window")
    if V.boolean(schedule.get("anytime"), "schedule.anytime", default=False):
        day_raw = schedule.get("anytime_start_date")
        try:
            day = date.fromisoformat(str(day_raw)) if isinstance(day_raw, str) else None
        except ValueError:
            day = None
        if day is None or not V.in_year_range(day):
            raise unprocessable("schedule.anytime_start_date", "must be a date (YYYY-MM-DD)")
        zone = ZoneInfo(str(sb.company.get("time_zone") or "UTC"))
        start = datetime.combine(day, time(0), zone)
        return start, start + timedelta(days=1), arrival, True
    if schedule.get("scheduled_start") in (None, ""):
        if schedule.get("scheduled_end") not in (None, ""):
            raise unprocessable("schedule.scheduled_start", "can't be blank")
        return None
    start, end = schedule_span(
        schedule.get("scheduled_start"),
        schedule.get("scheduled_end"),
        start_field="schedule.scheduled_start",
        end_field="schedule.scheduled_end",
        default=timedelta(hours=1),
    )
    return start, end, arrival, False


def _invoice_number(sb: Sandbox, raw: Any) -> str:
    """The job's number: the one sent (unique) or the next free one."""
    if raw in (None, ""):
        return str(sb.state.next_number("job_number", start=1001))
    number = str(V.integer(raw, "invoice_number", low=1, high=10**12))
    if any(str(j.get("invoice_number")) == number for j in sb.state.iter("jobs")):
        raise unprocessable("invoice_number", "has already been taken")
    return number


def create_job(sb: Sandbox, body: dict[str, Any], **extra: Any) -> Doc:
    """Create a job from a JobCreate body; emits job.created (and job.scheduled).

    Every field is checked before anything is stored (tags, counters, the job).
    """
    customer_id = V.text(body.get("customer_id"), "customer_id", required=True)
    address_id = V.text(body.get("address_id"), "address_id", required=True)
    cust = sb.state.get("customers", str(customer_id))
    if cust is None:
        raise not_found("Customer")
    if render.find_address(sb, cust["id"], str(address_id)) is None:
        raise not_found("Address")
    lead_source = check_lead_source(sb, V.text(body.get("lead_source"), "lead_source"))
    job_fields = V.obj(body.get("job_fields"), "job_fields")
    job_type_id = V.text(job_fields.get("job_type_id"), "job_fields.job_type_id")
    if job_type_id and sb.state.get("job_types", job_type_id) is None:
        raise not_found("Job type")
    employees = require_employees(
        sb, V.strings(body.get("assigned_employee_ids"), "assigned_employee_ids")
    )
    line_items = new_line_items(body.get("line_items"))
    tags = V.strings(body.get("tags"), "tags")
    notes = V.text(body.get("notes"), "notes")
    description = V.text(body.get("description"), "description") or ""
    visit = _job_schedule(sb, body.get("schedule"))
    appointments: list[Doc] = []
    arrival = 0
    if visit is not None:
        start, end, arrival, anytime = visit
        employees = book(sb, start, end, employees)
        appointments.append(new_appointment(start, end, arrival, employees, anytime=anytime))
    number = _invoice_number(sb, body.get("invoice_number"))
    now = sb.now_z()
    job: Doc = {
        "id": new_id("job_"),
        "invoice_number": number,
        "description": description,
        "customer_id": cust["id"],
        "address_id": str(address_id),
        "notes": [{"id": new_id("nte_"), "content": notes}] if notes else [],
        "work_status": "scheduled" if appointments else "needs scheduling",
        "work_timestamps": {"on_my_way_at": None, "started_at": None, "completed_at": None},
        "arrival_window": arrival,
        "appointments": appointments,
        "assigned_employee_ids": employees,
        "line_items": line_items,
        "tags": ensure_tags(sb, tags),
        "lead_source": lead_source,
        "job_type_id": job_type_id,
        "original_estimate_id": None,
        "created_at": now,
        "updated_at": now,
        **extra,
    }
    sb.state.put("jobs", job)
    sb.webhooks.emit("job.created", "job", render.job(sb, job))
    if appointments:
        sb.webhooks.emit("job.scheduled", "job", render.job(sb, job))
    sync_invoice(sb, job)
    return job


def touch(sb: Sandbox, collection: str, doc: Doc) -> Doc:
    """Set updated_at and save."""
    doc["updated_at"] = sb.now_z()
    return sb.state.put(collection, doc)


def reschedule_status(doc: Doc) -> None:
    """Keep "needs scheduling"/"scheduled" in step with the appointments."""
    if doc["work_status"] in ("needs scheduling", "scheduled"):
        doc["work_status"] = "scheduled" if doc.get("appointments") else "needs scheduling"
    if doc.get("appointments"):
        doc["assigned_employee_ids"] = sorted(
            {e for a in doc["appointments"] for e in a.get("dispatched_employees_ids", [])}
        )


def invoice_items(job: Doc) -> list[dict[str, Any]]:
    """Invoice items from a job's line items."""
    return [
        {
            "id": li["id"],
            "name": li["name"],
            "unit_cost": li["unit_cost"],
            "unit_price": li["unit_price"],
            "qty_in_hundredths": round(float(li["quantity"]) * 100),
            "amount": render.line_amount(li),
            "invoiced_amount": render.line_amount(li),
            "description": li.get("description", ""),
            "type": li.get("kind", "labor"),
        }
        for li in job.get("line_items", [])
    ]


def sync_invoice(sb: Sandbox, job: Doc, *, paid_at: str | None = None) -> Doc | None:
    """Create or refresh the job's invoice from its line items (none without line items)."""
    if not job.get("line_items"):
        return None
    existing = next((i for i in sb.state.iter("invoices") if i["job_id"] == job["id"]), None)
    amount = sum(render.line_amount(li) for li in job["line_items"])
    now = sb.now()
    if existing is None:
        inv: Doc = {
            "id": new_id(""),
            "job_id": job["id"],
            "customer_id": job["customer_id"],
            "invoice_number": f"{job['invoice_number']}",
            "status": "open",
            "amount": amount,
            "subtotal": amount,
            "due_amount": amount,
            "due_at": to_utc_z(now + timedelta(days=INVOICE_DUE_DAYS)),
            "display_due_concept": f"Net {INVOICE_DUE_DAYS}",
            "due_concept": f"net_{INVOICE_DUE_DAYS}",
            "paid_at": None,
            "sent_at": to_utc_z(now),
            "service_date": to_utc_z(now),
            "invoice_date": to_utc_z(now),
            "created_at": to_utc_z(now),
            "items": invoice_items(job),
            "taxes": [],
            "discounts": [],
            "payments": [],
        }
        sb.state.put("invoices", inv)
        sb.webhooks.emit("invoice.created", "invoice", render.invoice(inv))
        return inv
    if existing["status"] == "open" and existing["amount"] != amount:
        existing.update(amount=amount, subtotal=amount, due_amount=amount)
        existing["items"] = invoice_items(job)
        sb.state.put("invoices", existing)
        sb.webhooks.emit("invoice.amount_updated", "invoice", render.invoice(existing))
    return existing


def pay_invoice(sb: Sandbox, inv: Doc, method: str = "credit_card") -> Doc:
    """Record full payment of an open invoice; emits invoice.paid and job.paid."""
    if inv["status"] != "open":
        raise unprocessable("status", f"invoice is {inv['status']}")
    now = sb.now_z()
    inv["payments"] = [
        *inv.get("payments", []),
        {
            "id": new_id("pmt_"),
            "status": "succeeded",
            "payment_method": method,
            "amount": inv["due_amount"],
            "note": "",
            "paid_at": now,
            "category": "payment",
        },
    ]
    inv.update(status="paid", due_amount=0, paid_at=now)
    sb.state.put("invoices", inv)
    sb.webhooks.emit("invoice.paid", "invoice", render.invoice(inv))
    job = sb.state.get("jobs", inv["job_id"])
    if job is not None:
        sb.webhooks.emit("job.paid", "job", render.job(sb, job))
    return inv
