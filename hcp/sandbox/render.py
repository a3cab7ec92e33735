"""Stored documents -> HCP response objects (the shapes in hcp/spec/openapi.yaml)."""

from __future__ import annotations

from typing import Any

from hcp.sandbox._common import Sandbox, drop_none
from hcp.sandbox.store import Doc

CUSTOMER_NULLABLE = (
    "first_name",
    "last_name",
    "email",
    "mobile_number",
    "home_number",
    "work_number",
    "company",
    "lead_source",
    "notes",
)
ADDRESS_FIELDS = ("street", "street_line_2", "city", "state", "zip", "country")
STATUS_FILTERS = {
    "unscheduled": {"needs scheduling"},
    "scheduled": {"scheduled"},
    "in_progress": {"in progress"},
    "completed": {"complete rated", "complete unrated"},
    "canceled": {"user canceled", "pro canceled"},
}


def address(doc: Doc) -> dict[str, Any]:
    """An Address object."""
    return {"id": doc["id"], "type": doc.get("type", "service")} | {
        k: doc.get(k) for k in ADDRESS_FIELDS
    }


def customer(doc: Doc) -> dict[str, Any]:
    """A Customer object with its addresses."""
    out = {k: v for k, v in doc.items() if k != "addresses"}
    out["addresses"] = [address(a) for a in doc.get("addresses", [])]
    return drop_none(out, CUSTOMER_NULLABLE)


def customer_in_job(doc: Doc) -> dict[str, Any]:
    """The customer as embedded in a job: no addresses, notes as a list of Note."""
    out = {k: v for k, v in doc.items() if k not in ("addresses", "notes", "kind")}
    notes = doc.get("notes")
    out["notes"] = [{"id": f"nte_{doc['id'][4:]}", "content": notes}] if notes else []
    return drop_none(out, tuple(k for k in CUSTOMER_NULLABLE if k != "notes"))


def customer_in_estimate(doc: Doc) -> dict[str, Any]:
    """The customer as embedded in an estimate (notes a plain string)."""
    out = {k: v for k, v in doc.items() if k not in ("addresses", "kind")}
    out["notes"] = doc.get("notes") or ""
    return drop_none(out, tuple(k for k in CUSTOMER_NULLABLE if k != "notes"))


def customer_in_lead(doc: Doc) -> dict[str, Any]:
    """The customer as embedded in a lead."""
    keys: tuple[str, ...] = ("id", "first_name", "last_name", "email", "company")
    keys += ("notifications_enabled", "mobile_number", "home_number", "work_number")
    keys += ("tags", "lead_source")
    return drop_none({k: doc.get(k) for k in keys}, CUSTOMER_NULLABLE)


def find_address(sb: Sandbox, customer_id: str | None, address_id: str | None) -> Doc | None:
    """The stored address `address_id` of customer `customer_id`."""
    cust = sb.state.get("customers", customer_id or "")
    for addr in (cust or {}).get("addresses", []):
        if addr["id"] == address_id:
            return dict(addr)
    return None


def appointment(doc: Doc) -> dict[str, Any]:
    """An Appointment object."""
    return {
        "id": doc["id"],
        "start_date": str(doc["start_time"])[:10],
        "start_time": doc["start_time"],
        "end_time": doc["end_time"],
        "anytime": bool(doc.get("anytime", False)),
        "arrival_window_minutes": int(doc.get("arrival_window_minutes") or 0),
        "dispatched_employees_ids": list(doc.get("dispatched_employees_ids", [])),
    }


def line_item(doc: Doc) -> dict[str, Any]:
    """A line item with its amount (cents)."""
    return drop_none({**doc, "amount": line_amount(doc)})


def line_amount(doc: Doc) -> int:
    """unit_price x quantity in cents; discounts count negative."""
    amount = round(int(doc.get("unit_price") or 0) * float(doc.get("quantity") or 1))
    return -abs(amount) if doc.get("kind") == "fixed discount" else amount


def job_totals(sb: Sandbox, job: Doc) -> tuple[int, int]:
    """(subtotal, outstanding balance) of a job in cents."""
    subtotal = sum(line_amount(li) for li in job.get("line_items", []))
    paid = sum(
        int(inv.get("amount", 0)) - int(inv.get("due_amount", 0))
        for inv in sb.state.iter("invoices")
        if inv["job_id"] == job["id"]
    )
    return subtotal, max(subtotal - paid, 0)


def employee(sb: Sandbox, employee_id: str) -> dict[str, Any] | None:
    """An Employee object, or None for an unknown id."""
    doc = sb.state.get("employees", employee_id)
    return None if doc is None else dict(doc)


def job_schedule(job: Doc, expand_appointments: bool) -> dict[str, Any]:
    """A job's schedule, computed from its appointments as HCP does."""
    appts = sorted(job.get("appointments", []), key=lambda a: str(a["start_time"]))
    out: dict[str, Any] = {"arrival_window": int(job.get("arrival_window") or 0)}
    if appts:
        out["scheduled_start"] = appts[0]["start_time"]
        out["scheduled_end"] = max(str(a["end_time"]) for a in appts)
    if expand_appointments:
        out["appointments"] = [appointment(a) for a in appts]
    return out


def job(sb: Sandbox, doc: Doc, expand: list[str] | None = None) -> dict[str, Any]:
    """A Job object joined with its customer, address, employees and job type."""
    expand = expand or []
    cust = sb.state.get("customers", doc["customer_id"]) or {"id": doc["customer_id"]}
    addr = find_address(sb, doc["customer_id"], doc.get("address_id"))
    subtotal, outstanding = job_totals(sb, doc)
    employees = [employee(sb, e) for e in doc.get("assigned_employee_ids", [])]
    job_type = sb.state.get("job_types", doc.get("job_type_id") or "")
    out: dict[str, Any] = {
        "id": doc["id"],
        "invoice_number": str(doc["invoice_number"]),
        "description": doc.get("description") or "",
        "customer": customer_in_job(cust),
        "address": address(addr) if addr else None,
        "notes": list(doc.get("notes", [])),
        "work_status": doc["work_status"],
        "work_timestamps": dict(doc.get("work_timestamps") or {}),
        "schedule": job_schedule(doc, "appointments" in expand),
        "total_amount": subtotal,
        "outstanding_balance": outstanding,
        "subtotal": subtotal,
        "assigned_employees": [e for e in employees if e is not None],
        "tags": list(doc.get("tags", [])),
        "original_estimate_id": doc.get("original_estimate_id"),
        "original_estimate_uuids": list(doc.get("original_estimate_uuids", [])),
        "lead_source": doc.get("lead_source"),
        "job_fields": {"job_type": {"id": job_type["id"], "name": job_type["name"]}}
        if job_type
        else {},
        "created_at": doc["created_at"],
        "updated_at": doc["updated_at"],
        "canceled_at": doc.get("canceled_at"),
        "deleted_at": doc.get("deleted_at"),
        **sb.stamp(),
    }
    if "attachments" in expand:
        out["attachments"] = []
    keep = ("original_estimate_id", "lead_source", "canceled_at", "deleted_at")
    return drop_none(out, keep)


def option(doc: Doc) -> dict[str, Any]:
    """An EstimateOption object with its total (line items plus tax)."""
    subtotal = sum(line_amount(li) for li in doc.get("line_items", []))
    tax = doc.get("tax") or {}
    taxable = sum(line_amount(li) for li in doc.get("line_items", []) if li.get("taxable", True))
    total = subtotal + (
        round(taxable * float(tax.get("tax_rate") or 0)) if tax.get("taxable") else 0
    )
    out = {
        k: doc.get(k)
        for k in ("id", "name", "option_number", "approval_status", "message_from_pro")
        + ("tags", "status", "notes", "created_at", "updated_at")
    }
    out["option_number"] = str(doc.get("option_number", ""))
    out["total_amount"] = total
    out["attachments"] = []
    return drop_none(out)


def estimate(sb: Sandbox, doc: Doc) -> dict[str, Any]:
    """An Estimate object with its options."""
    cust = sb.state.get("customers", doc["customer_id"]) or {"id": doc["customer_id"]}
    addr = find_address(sb, doc["customer_id"], doc.get("address_id"))
    employees = [employee(sb, e) for e in doc.get("assigned_employee_ids", [])]
    out: dict[str, Any] = {
        "id": doc["id"],
        "estimate_number": str(doc["estimate_number"]),
        "work_status": doc["work_status"],
        "lead_source": doc.get("lead_source"),
        "customer": customer_in_estimate(cust),
        "address": address(addr) if addr else None,
        "created_at": doc["created_at"],
        "updated_at": doc["updated_at"],
        "work_timestamps": {"on_my_way_at": None, "started_at": None, "completed_at": None},
        "schedule": job_schedule(doc, True),
        "assigned_employees": [e for e in employees if e is not None],
        "estimate_fields": drop_none({"job_type_id": doc.get("job_type_id")}),
        "options": [option(o) for o in doc.get("options", [])],
        **sb.stamp(),
    }
    return drop_none(out, ("lead_source",))


def invoice(doc: Doc, with_job_id: bool = True) -> dict[str, Any]:
    """A JobInvoice object (list/get add `job_id`)."""
    out = {k: v for k, v in doc.items() if k not in ("customer_id", "created_at", "job_id")}
    if with_job_id:
        out["job_id"] = doc["job_id"]
    return drop_none(out)


def lead(sb: Sandbox, doc: Doc) -> dict[str, Any]:
    """A Lead object."""
    cust = sb.state.get("customers", doc["customer_id"]) or {"id": doc["customer_id"]}
    addr = find_address(sb, doc["customer_id"], doc.get("address_id"))
    emp = employee(sb, doc.get("assigned_employee_id") or "")
    out: dict[str, Any] = {
        "id": doc["id"],
        "number": int(doc["number"]),
        "customer": customer_in_lead(cust),
        "address": {"id": addr["id"]} | {k: addr.get(k) or "" for k in ADDRESS_FIELDS[:-1]}
        if addr
        else None,
        "lead_source": doc.get("lead_source"),
        "tags": list(doc.get("tags", [])),
        "assigned_employee": emp,
        "status": doc["status"],
        "pipeline_status": doc.get("pipeline_status"),
        "lost_at": doc.get("lost_at"),
        **sb.stamp(),
    }
    return drop_none(out, ("lost_at",))
