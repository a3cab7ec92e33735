"""Estimates (options, approval), leads (create, convert) and invoices."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from hcp.sandbox import ops, render
from hcp.sandbox import validate as V
from hcp.sandbox._common import (
    ApiError,
    Sandbox,
    array_param,
    int_param,
    json_body,
    not_found,
    paginate,
    sandbox_of,
    sort_docs,
    time_param,
    unprocessable,
)
from hcp.sandbox.routes_customers import create_customer_doc, get_customer, new_address
from hcp.sandbox.scheduling import parse_instant
from hcp.sandbox.store import Doc, new_id

router = APIRouter()

INVOICE_SORTS: tuple[str, ...] = ("amount", "created_at", "due_amount", "due_at")
INVOICE_SORTS += ("invoice_number", "paid_at", "sent_at", "status", "updated_at")


def _tax(raw: Any, field: str) -> dict[str, Any] | None:
    """An option's tax {taxable, tax_rate (0-1 fraction), tax_name}; None when absent."""
    if raw is None:
        return None
    tax = V.obj(raw, field)
    taxable = V.boolean(tax.get("taxable"), f"{field}.taxable", default=False)
    rate = V.number(tax.get("tax_rate"), f"{field}.tax_rate", low=0, high=1, default=0)
    name = V.text(tax.get("tax_name"), f"{field}.tax_name")
    if taxable and (name is None or "tax_rate" not in tax):
        raise unprocessable(f"{field}.tax_name", "and tax_rate are required when taxable")
    return {"taxable": taxable, "tax_rate": rate, "tax_name": name}


def option_fields(raw: Any, field: str) -> dict[str, Any]:
    """Checked EstimateOptionCreate fields: name, line items, tags, tax."""
    body = V.obj(raw, field)
    return {
        "name": V.text(body.get("name"), "name", required=True),
        "line_items": ops.new_line_items(body.get("line_items"), f"{field}.line_items"),
        "tags": V.strings(body.get("tags"), f"{field}.tags"),
        "tax": _tax(body.get("tax"), f"{field}.tax"),
    }


def new_option(sb: Sandbox, fields: dict[str, Any], number: int) -> Doc:
    """A stored estimate option from `option_fields` output (creates unknown tags)."""
    now = sb.now_z()
    return {
        "id": new_id("est_"),
        "name": fields["name"],
        "option_number": number,
        "line_items": fields["line_items"],
        "tax": fields["tax"],
        "tags": ops.ensure_tags(sb, fields["tags"]),
        "approval_status": None,
        "status": "open",
        "message_from_pro": "",
        "notes": [],
        "created_at": now,
        "updated_at": now,
    }


def create_estimate_doc(sb: Sandbox, body: dict[str, Any]) -> Doc:
    """Create an estimate from an EstimateCreate body; emits estimate.created.

    Every field is checked before anything is stored.
    """
    cust = get_customer(sb, V.text(body.get("customer_id"), "customer_id") or "")
    address_id = V.text(body.get("address_id"), "address_id")
    new_addr = None
    if not address_id and body.get("address"):
        new_addr = new_address(sb, {"country": "US", **V.obj(body["address"], "address")})
    elif not address_id or render.find_address(sb, cust["id"], address_id) is None:
        raise not_found("Address")
    employees = ops.require_employees(
        sb, V.strings(body.get("assigned_employee_ids"), "assigned_employee_ids")
    )
    tax = _tax(body.get("tax"), "tax")
    raw_options = V.objects(body.get("options"), "options") or [{"name": "Option #1"}]
    options = [option_fields({"tax": tax, **raw}, "options") for raw in raw_options]
    number = V.integer(body.get("estimate_number"), "estimate_number", low=1, high=10**12)
    lead_source = ops.check_lead_source(sb, V.text(body.get("lead_source"), "lead_source"))
    job_type_id = V.text(
        V.obj(body.get("estimate_fields"), "estimate_fields").get("job_type_id"),
        "estimate_fields.job_type_id",
    )
    note = V.text(body.get("note"), "note")
    message = V.text(body.get("message"), "message")
    schedule = V.obj(body.get("schedule"), "schedule")
    visit = None
    if schedule.get("start_time") not in (None, ""):
        start, end = ops.schedule_span(
            schedule.get("start_time"),
            schedule.get("end_time"),
            start_field="schedule.start_time",
            end_field="schedule.end_time",
            default=timedelta(hours=1),
        )
        arrival = V.minutes(
            schedule.get("arrival_window_in_minutes"), "schedule.arrival_window_in_minutes"
        )
        visit = ops.new_appointment(start, end, arrival, ops.book(sb, start, end, employees))
    if new_addr is not None:
        cust["addresses"] = [*cust.get("addresses", []), new_addr]
        ops.touch(sb, "customers", cust)
        address_id = new_addr["id"]
    now = sb.now_z()
    doc: Doc = {
        "id": new_id("csr_"),
        "estimate_number": number or sb.state.next_number("estimate"),
        "customer_id": cust["id"],
        "address_id": str(address_id),
        "lead_source": lead_source,
        "assigned_employee_ids": employees,
        "job_type_id": job_type_id,
        "work_status": "scheduled" if visit else "needs scheduling",
        "appointments": [visit] if visit else [],
        "note": note,
        "message": message,
        "options": [new_option(sb, o, i + 1) for i, o in enumerate(options)],
        "created_at": now,
        "updated_at": now,
    }
    sb.state.put("estimates", doc)
    sb.webhooks.emit("estimate.created", "estimate", render.estimate(sb, doc))
    return doc


def get_estimate(sb: Sandbox, estimate_id: str) -> Doc:
    """The stored estimate or HCP's "Estimate not found"."""
    doc = sb.state.get("estimates", estimate_id)
    if doc is None:
        raise not_found("Estimate")
    return doc


@router.get("/estimates")
async def list_estimates(request: Request) -> dict[str, Any]:
    """GET /estimates: customer_id, work_status[], employee_ids[], paging."""
    sb = sandbox_of(request)
    statuses = array_param(request, "work_status")
    employees = set(array_param(request, "employee_ids"))
    array_param(request, "expand")
    array_param(request, "location_ids")
    wanted: set[str] = set()
    for status in statuses:
        wanted |= render.STATUS_FILTERS.get(status, set())
    customer_id = request.query_params.get("customer_id")
    docs = [
        d
        for d in sb.state.iter("estimates")
        if (not customer_id or d["customer_id"] == customer_id)
        and (not statuses or d["work_status"] in wanted)
        and (not employees or employees & set(d.get("assigned_employee_ids", [])))
    ]
    docs = sort_docs(request, docs, ("created_at", "updated_at", "id"))
    return paginate(request, [render.estimate(sb, d) for d in docs], "estimates")


@router.post("/estimates")
async def create_estimate(request: Request) -> dict[str, Any]:
    """POST /estimates -> 200 Estimate (the spec says 200)."""
    sb = sandbox_of(request)
    body = await json_body(request)
    async with sb.state.lock:
        return render.estimate(sb, create_estimate_doc(sb, body))


@router.get("/estimates/{estimate_id}")
async def read_estimate(request: Request, estimate_id: str) -> dict[str, Any]:
    """GET /estimates/{csr_id} (an option id gives "Estimate not found", as live)."""
    array_param(request, "expand")
    sb = sandbox_of(request)
    return render.estimate(sb, get_estimate(sb, estimate_id))


@router.post("/estimates/{estimate_id}/options", status_code=201)
async def add_option(request: Request, estimate_id: str) -> dict[str, Any]:
    """POST /estimates/{id}/options -> 201 EstimateOption."""
    sb = sandbox_of(request)
    body = await json_body(request)
    async with sb.state.lock:
        est = get_estimate(sb, estimate_id)
        opt = new_option(sb, option_fields(body, "option"), len(est["options"]) + 1)
        est["options"] = [*est["options"], opt]
        ops.touch(sb, "estimates", est)
        sb.webhooks.emit("estimate.option.created", "estimate", render.estimate(sb, est))
        return render.option(opt)


def _find_option(sb: Sandbox, option_id: str) -> tuple[Doc, Doc]:
    for est in sb.state.iter("estimates"):
        for opt in est["options"]:
            if opt["id"] == option_id:
                return est, opt
    raise not_found("Estimate option")


def copy_to_job(sb: Sandbox, est: Doc, opt: Doc) -> Doc:
    """Create the job an approved option becomes (auto-copy setting on)."""
    job = ops.create_job(
        sb,
        {
            "customer_id": est["customer_id"],
            "address_id": est["address_id"],
            "line_items": opt["line_items"],
            "lead_source": est.get("lead_source"),
            "assigned_employee_ids": est.get("assigned_employee_ids", []),
            "job_fields": {"job_type_id": est.get("job_type_id")},
        },
        original_estimate_id=opt["id"],
        original_estimate_uuids=[est["id"]],
    )
    opt["status"] = "created job from estimate"
    sb.webhooks.emit("estimate.copy_to_job", "estimate", render.estimate(sb, est))
    return job


async def _decide(request: Request, status: str) -> dict[str, Any]:
    sb = sandbox_of(request)
    body = await json_body(request)
    ids = V.strings(body.get("option_ids"), "option_ids")
    if not ids:
        raise unprocessable("option_ids", "can't be blank")
    async with sb.state.lock:
        found = [_find_option(sb, str(i)) for i in ids]
        auto_copy = bool(sb.state.meta("settings").get("auto_copy_approved_estimates"))
        job_id: str | None = None
        for est, opt in found:
            opt["approval_status"] = status
            opt["updated_at"] = sb.now_z()
            if status == "pro approved" and auto_copy:
                job_id = copy_to_job(sb, est, opt)["id"]
            ops.touch(sb, "estimates", est)
            shown = render.estimate(sb, est)
            shown["options"] = [render.option(opt)] + [
                o for o in shown["options"] if o["id"] != opt["id"]
            ]
            sb.webhooks.emit("estimate.option.approval_status_changed", "estimate", shown)
        out: dict[str, Any] = {"status": status, "last_updated_at": sb.now_z()}
        if status == "pro approved":
            out["copied_on_approval_to_job_id"] = job_id
        return out


@router.post("/estimates/options/approve")
async def approve_options(request: Request) -> dict[str, Any]:
    """POST /estimates/options/approve {option_ids} -> "pro approved" (+ copied job id)."""
    return await _decide(request, "pro approved")


@router.post("/estimates/options/decline")
async def decline_options(request: Request) -> dict[str, Any]:
    """POST /estimates/options/decline {option_ids} -> "pro declined"."""
    return await _decide(request, "pro declined")


def create_lead_doc(sb: Sandbox, body: dict[str, Any]) -> Doc:
    """Create a lead (inline customer creates one); emits lead.created.

    Every field is checked before anything is stored.
    """
    lead_source = ops.check_lead_source(sb, V.text(body.get("lead_source"), "lead_source"))
    customer_id = V.text(body.get("customer_id"), "customer_id")
    inline = body.get("customer")
    if customer_id:
        cust: Doc | None = get_customer(sb, customer_id)
    elif isinstance(inline, dict) and "id" not in inline:
        cust = None
    else:
        raise ApiError(400, {"message": "Customer is required"})
    address_id = V.text(body.get("address_id"), "address_id")
    new_addr = None
    if not address_id and body.get("address"):
        new_addr = new_address(sb, {"country": "US", **V.obj(body["address"], "address")})
    employee = V.text(body.get("assigned_employee_id"), "assigned_employee_id")
    ops.require_employees(sb, [employee] if employee else [])
    line_items = ops.new_line_items(body.get("line_items"))
    tags = V.strings(body.get("tags"), "tags")
    note = V.text(body.get("note"), "note")
    for name in ("tax_name",):
        V.text(body.get(name), name)
    V.number(body.get("tax_rate"), "tax_rate", low=0, high=100, default=0)
    if cust is None:
        cust = create_customer_doc(sb, V.obj(inline, "customer"))
    if new_addr is not None:
        cust["addresses"] = [*cust.get("addresses", []), new_addr]
        ops.touch(sb, "customers", cust)
        address_id = new_addr["id"]
    elif not address_id and cust.get("addresses"):
        address_id = cust["addresses"][0]["id"]
    now = sb.now_z()
    doc: Doc = {
        "id": new_id("lea_"),
        "number": sb.state.next_number("lead"),
        "customer_id": cust["id"],
        "address_id": address_id,
        "lead_source": lead_source,
        "tags": ops.ensure_tags(sb, tags),
        "assigned_employee_id": employee,
        "status": "open",
        "pipeline_status": "New",
        "line_items": line_items,
        "note": note,
        "lost_at": None,
        "created_at": now,
        "updated_at": now,
    }
    sb.state.put("leads", doc)
    sb.webhooks.emit("lead.created", "lead", render.lead(sb, doc))
    return doc


@router.post("/leads", status_code=201)
async def create_lead(request: Request) -> dict[str, Any]:
    """POST /leads -> 201 Lead."""
    sb = sandbox_of(request)
    body = await json_body(request)
    async with sb.state.lock:
        return render.lead(sb, create_lead_doc(sb, body))


@router.get("/leads")
async def list_leads(request: Request) -> dict[str, Any]:
    """GET /leads: customer_id, status, employee_ids[], tag_ids[], lead_source[], paging."""
    sb = sandbox_of(request)
    employees = set(array_param(request, "employee_ids"))
    tag_ids = set(array_param(request, "tag_ids"))
    sources = set(array_param(request, "lead_source"))
    array_param(request, "location_ids")
    tag_names = {t["name"] for t in sb.state.iter("tags") if t["id"] in tag_ids}
    customer_id = request.query_params.get("customer_id")
    status = request.query_params.get("status")
    docs = [
        d
        for d in sb.state.iter("leads")
        if (not customer_id or d["customer_id"] == customer_id)
        and (not status or d["status"] == status)
        and (not employees or d.get("assigned_employee_id") in employees)
        and (not tag_ids or tag_names & set(d.get("tags", [])))
        and (not sources or d.get("lead_source") in sources)
    ]
    docs = sort_docs(request, docs, ("created_at", "updated_at", "id", "status"))
    return paginate(request, [render.lead(sb, d) for d in docs], "leads")


@router.get("/leads/{lead_id}")
async def read_lead(request: Request, lead_id: str) -> dict[str, Any]:
    """GET /leads/{id}."""
    sb = sandbox_of(request)
    doc = sb.state.get("leads", lead_id)
    if doc is None:
        raise not_found("Lead")
    return render.lead(sb, doc)


@router.post("/leads/{lead_id}/convert", status_code=201)
async def convert_lead(request: Request, lead_id: str) -> dict[str, Any]:
    """POST /leads/{id}/convert {type: job|estimate} -> 201 {job_id} or {estimate_id}."""
    sb = sandbox_of(request)
    body = await json_body(request)
    kind = body.get("type")
    if kind not in ("job", "estimate"):
        raise unprocessable("type", "must be job or estimate")
    async with sb.state.lock:
        lead = sb.state.get("leads", lead_id)
        if lead is None:
            raise not_found("Lead")
        if lead["status"] != "open":
            raise unprocessable("status", f"lead is {lead['status']}")
        base = {
            "customer_id": lead["customer_id"],
            "address_id": lead["address_id"],
            "lead_source": lead.get("lead_source"),
            "tags": lead.get("tags", []),
        }
        employees = [lead["assigned_employee_id"]] if lead.get("assigned_employee_id") else []
        if kind == "job":
            job = ops.create_job(
                sb, {**base, "line_items": lead["line_items"], "notes": lead.get("note")}
            )
            result = {"job_id": job["id"]}
        else:
            option = {"name": "Option #1", "line_items": lead["line_items"]}
            est = create_estimate_doc(
                sb, {**base, "options": [option], "assigned_employee_ids": employees}
            )
            result = {"estimate_id": est["id"]}
        lead["status"] = "won"
        ops.touch(sb, "leads", lead)
        sb.webhooks.emit("lead.converted", "lead", render.lead(sb, lead))
        return result


@router.get("/leads/{lead_id}/line_items")
async def lead_line_items(request: Request, lead_id: str) -> dict[str, Any]:
    """GET /leads/{id}/line_items (paged)."""
    sb = sandbox_of(request)
    lead = sb.state.get("leads", lead_id)
    if lead is None:
        raise not_found("Lead")
    return paginate(request, [render.line_item(li) for li in lead["line_items"]], "line_items")


def _invoice_filter(request: Request) -> Callable[[Doc], bool]:
    """Parse the GET /invoices filters once (so a bad one fails even with no invoices)."""
    statuses = set(array_param(request, "status"))
    customers = set(array_param(request, "customer_uuid"))
    methods = set(array_param(request, "payment_method"))
    array_param(request, "location_ids")
    spans = {
        f: (time_param(request, f"{f}_min"), time_param(request, f"{f}_max"))
        for f in ("created_at", "due_at", "paid_at")
    }
    bound = V.MAX_CENTS
    low_due = int_param(request, "amount_due_min", -1, low=-bound, high=bound)
    high_due = int_param(request, "amount_due_max", -1, low=-bound, high=bound)

    def keep(inv: Doc) -> bool:
        if statuses and inv["status"] not in statuses:
            return False
        if customers and inv["customer_id"] not in customers:
            return False
        if methods and not {p["payment_method"] for p in inv.get("payments", [])} & methods:
            return False
        for field, (low, high) in spans.items():
            if low is None and high is None:
                continue
            if not inv.get(field):
                return False
            at = parse_instant(inv[field])
            if (low and at < low) or (high and at > high):
                return False
        if low_due >= 0 and inv["due_amount"] < low_due:
            return False
        return not (high_due >= 0 and inv["due_amount"] > high_due)

    return keep


@router.get("/invoices")
async def list_invoices(request: Request) -> dict[str, Any]:
    """GET /invoices: status[] (bare status= is a 422), dates, amounts, paging."""
    sb = sandbox_of(request)
    keep = _invoice_filter(request)
    docs = [i for i in sb.state.iter("invoices") if keep(i)]
    docs = sort_docs(request, docs, INVOICE_SORTS)
    return paginate(request, [render.invoice(i) for i in docs], "invoices")


@router.get("/api/invoices/{invoice_id}")
async def read_invoice(request: Request, invoice_id: str) -> Any:
    """GET /api/invoices/{uuid}; 404 `{}` for an unknown id."""
    doc = sandbox_of(request).state.get("invoices", invoice_id)
    if doc is None:
        return JSONResponse({}, status_code=404)
    return render.invoice(doc)
