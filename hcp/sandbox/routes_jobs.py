"""Jobs and their sub-resources: appointments, schedule, notes, tags, line items, invoices."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from hcp.sandbox import ops, render
from hcp.sandbox import validate as V
from hcp.sandbox._common import (
    Sandbox,
    array_param,
    json_body,
    not_found,
    paginate,
    sandbox_of,
    sort_docs,
    time_param,
    unprocessable,
)
from hcp.sandbox.scheduling import parse_instant
from hcp.sandbox.store import Doc, new_id

router = APIRouter()

JOB_SORTS = ("created_at", "updated_at", "invoice_number", "id", "description", "work_status")


def get_job(sb: Sandbox, job_id: str) -> Doc:
    """The stored job or 404."""
    doc = sb.state.get("jobs", job_id)
    if doc is None:
        raise not_found("Job")
    return doc


def _in_range(value: str | None, low: datetime | None, high: datetime | None) -> bool:
    if low is None and high is None:
        return True
    if value is None:
        return False
    at = parse_instant(value)
    return (low is None or at >= low) and (high is None or at <= high)


@router.get("/jobs")
async def list_jobs(request: Request) -> dict[str, Any]:
    """GET /jobs with HCP's filters (work_status[] takes the underscore spellings)."""
    sb = sandbox_of(request)
    statuses = array_param(request, "work_status")
    employees = set(array_param(request, "employee_ids"))
    expand = array_param(request, "expand")
    array_param(request, "location_ids")
    wanted: set[str] = set()
    for status in statuses:
        wanted |= render.STATUS_FILTERS.get(status, set())
    customer_id = request.query_params.get("customer_id")
    bounds = {
        n: time_param(request, f"scheduled_{n}")
        for n in ("start_min", "start_max", "end_min", "end_max")
    }
    out = []
    for doc in sb.state.iter("jobs"):
        sched = render.job_schedule(doc, False)
        if customer_id and doc["customer_id"] != customer_id:
            continue
        if statuses and doc["work_status"] not in wanted:
            continue
        if employees and not employees & set(doc.get("assigned_employee_ids", [])):
            continue
        if not _in_range(sched.get("scheduled_start"), bounds["start_min"], bounds["start_max"]):
            continue
        if not _in_range(sched.get("scheduled_end"), bounds["end_min"], bounds["end_max"]):
            continue
        out.append(doc)
    out = sort_docs(request, out, JOB_SORTS)
    return paginate(request, [render.job(sb, d, expand) for d in out], "jobs")


@router.post("/jobs", status_code=201)
async def create_job(request: Request) -> dict[str, Any]:
    """POST /jobs -> 201 Job; a schedule books an employee or fails with 422."""
    sb = sandbox_of(request)
    body = await json_body(request)
    async with sb.state.lock:
        return render.job(sb, ops.create_job(sb, body))


@router.get("/jobs/{job_id}")
async def read_job(request: Request, job_id: str) -> Any:
    """GET /jobs/{id}; 404 with `{}` as the spec documents."""
    sb = sandbox_of(request)
    expand = array_param(request, "expand")
    doc = sb.state.get("jobs", job_id)
    if doc is None:
        return JSONResponse({}, status_code=404)
    return render.job(sb, doc, expand)


def _appointment_body(
    sb: Sandbox, body: dict[str, Any]
) -> tuple[datetime, datetime, int, list[str]]:
    """(start, end, arrival window, employees) of an appointment body; 422 when bad."""
    for field in ("start_time", "end_time"):
        if body.get(field) in (None, ""):
            raise unprocessable(field, "can't be blank")
    start, end = ops.schedule_span(
        body["start_time"],
        body["end_time"],
        start_field="start_time",
        end_field="end_time",
        default=timedelta(0),
    )
    if not isinstance(body.get("dispatched_employees_ids"), list):
        raise unprocessable("dispatched_employees_ids", "must be an array")
    wanted = V.strings(body["dispatched_employees_ids"], "dispatched_employees_ids")
    if not wanted:
        raise unprocessable("dispatched_employees_ids", "can't be blank")
    arrival = V.minutes(body.get("arrival_window_minutes"), "arrival_window_minutes")
    return start, end, arrival, ops.require_employees(sb, wanted)


@router.get("/jobs/{job_id}/appointments")
async def list_appointments(request: Request, job_id: str) -> dict[str, Any]:
    """GET /jobs/{id}/appointments -> {appointments} (no paging)."""
    job = get_job(sandbox_of(request), job_id)
    return {"appointments": render.job_schedule(job, True)["appointments"]}


@router.post("/jobs/{job_id}/appointments", status_code=201)
async def create_appointment(request: Request, job_id: str) -> dict[str, Any]:
    """POST /jobs/{id}/appointments -> 201 Appointment."""
    sb = sandbox_of(request)
    body = await json_body(request)
    async with sb.state.lock:
        job = get_job(sb, job_id)
        start, end, arrival, employees = _appointment_body(sb, body)
        ops.book(sb, start, end, employees)
        appt = ops.new_appointment(start, end, arrival, employees)
        was_scheduled = bool(job.get("appointments"))
        job["appointments"] = [*job.get("appointments", []), appt]
        ops.reschedule_status(job)
        ops.touch(sb, "jobs", job)
        sb.webhooks.emit(
            "job.appointment.scheduled", "appointment", _appointment_event(sb, appt, job_id)
        )
        if not was_scheduled:
            sb.webhooks.emit("job.scheduled", "job", render.job(sb, job))
        return render.appointment(appt)


def _appointment_event(sb: Sandbox, appt: Doc, job_id: str) -> dict[str, Any]:
    """The `appointment` object of job.appointment.* webhooks (employees expanded)."""
    employees = [render.employee(sb, e) for e in appt.get("dispatched_employees_ids", [])]
    return {
        "id": appt["id"],
        "start_time": appt["start_time"],
        "end_time": appt["end_time"],
        "arrival_window_minutes": appt.get("arrival_window_minutes", 0),
        "job_id": job_id,
        "dispatched_employees": [e for e in employees if e],
    }


def _find_appointment(job: Doc, appointment_id: str) -> Doc:
    for appt in job.get("appointments", []):
        if appt["id"] == appointment_id:
            found: Doc = appt
            return found
    raise not_found("Appointment")


@router.put("/jobs/{job_id}/appointments/{appointment_id}")
async def update_appointment(request: Request, job_id: str, appointment_id: str) -> dict[str, Any]:
    """PUT /jobs/{id}/appointments/{appointment_id} -> Appointment."""
    sb = sandbox_of(request)
    body = await json_body(request)
    async with sb.state.lock:
        job = get_job(sb, job_id)
        appt = _find_appointment(job, appointment_id)
        start, end, arrival, employees = _appointment_body(sb, body)
        ops.book(sb, start, end, employees, skip_appointment=appointment_id)
        appt.update(ops.new_appointment(start, end, arrival, employees) | {"id": appointment_id})
        ops.reschedule_status(job)
        ops.touch(sb, "jobs", job)
        sb.webhooks.emit(
            "job.appointment.rescheduled", "appointment", _appointment_event(sb, appt, job_id)
        )
        return render.appointment(appt)


@router.delete("/jobs/{job_id}/appointments/{appointment_id}")
async def delete_appointment(request: Request, job_id: str, appointment_id: str) -> Response:
    """DELETE /jobs/{id}/appointments/{appointment_id} -> 200, empty body."""
    sb = sandbox_of(request)
    async with sb.state.lock:
        job = get_job(sb, job_id)
        _find_appointment(job, appointment_id)
        job["appointments"] = [a for a in job["appointments"] if a["id"] != appointment_id]
        ops.reschedule_status(job)
        ops.touch(sb, "jobs", job)
        discarded = {"id": appointment_id, "job_id": job_id}
        sb.webhooks.emit("job.appointment.appointment_discarded", "appointment", discarded)
        return Response(status_code=200)


def _schedule_employees(sb: Sandbox, raw: Any, job: Doc) -> list[str]:
    """`dispatched_employees` ([{employee_id}]): exactly those; absent: the job's own."""
    if raw is None:
        return list(job.get("assigned_employee_ids", []))
    wanted = []
    for item in V.objects(raw, "dispatched_employees"):
        wanted.append(
            V.text(item.get("employee_id"), "dispatched_employees.employee_id", required=True)
        )
    return ops.require_employees(sb, [str(w) for w in wanted])


@router.put("/jobs/{job_id}/schedule")
async def update_schedule(request: Request, job_id: str) -> dict[str, Any]:
    """PUT /jobs/{id}/schedule: replace the job's one visit.

    As the spec says, a job with more than one appointment is refused (use the appointments
    endpoints). `start_time` alone keeps the visit's duration (one hour for a job not yet
    scheduled); without `arrival_window_in_minutes` or `dispatched_employees` the job's own
    are kept.
    """
    sb = sandbox_of(request)
    body = await json_body(request)
    async with sb.state.lock:
        job = get_job(sb, job_id)
        old = job.get("appointments", [])
        if len(old) > 1:
            raise unprocessable(
                "schedule",
                "jobs with more than one appointment must be updated through the "
                "appointments endpoints",
            )
        if body.get("start_time") in (None, ""):
            raise unprocessable("start_time", "can't be blank")
        duration = timedelta(hours=1)
        if old:
            duration = parse_instant(old[0]["end_time"]) - parse_instant(old[0]["start_time"])
        start, end = ops.schedule_span(
            body["start_time"],
            body.get("end_time"),
            start_field="start_time",
            end_field="end_time",
            default=duration,
        )
        arrival = V.minutes(
            body.get("arrival_window_in_minutes", job.get("arrival_window")),
            "arrival_window_in_minutes",
        )
        V.boolean(body.get("notify"), "notify", default=False)
        V.boolean(body.get("notify_pro"), "notify_pro", default=False)
        employees = _schedule_employees(sb, body.get("dispatched_employees"), job)
        skip = old[0]["id"] if old else None
        employees = ops.book(sb, start, end, employees, skip_appointment=skip)
        appt = ops.new_appointment(start, end, arrival, employees)
        job["appointments"] = [appt]
        job["arrival_window"] = arrival
        job["assigned_employee_ids"] = employees
        ops.reschedule_status(job)
        ops.touch(sb, "jobs", job)
        sb.webhooks.emit("job.scheduled", "job", render.job(sb, job))
        employee_docs = [render.employee(sb, e) for e in employees]
        return {
            "start_time": appt["start_time"],
            "end_time": appt["end_time"],
            "arrival_window_minutes": arrival,
            "assigned_employees": [e for e in employee_docs if e],
            "appointments": [render.appointment(appt)],
        }


@router.delete("/jobs/{job_id}/schedule")
async def delete_schedule(request: Request, job_id: str) -> dict[str, Any]:
    """DELETE /jobs/{id}/schedule: unschedule (does not cancel)."""
    sb = sandbox_of(request)
    async with sb.state.lock:
        job = get_job(sb, job_id)
        job["appointments"] = []
        ops.reschedule_status(job)
        ops.touch(sb, "jobs", job)
        sb.webhooks.emit("job.updated", "job", render.job(sb, job))
        return {"object": "schedule", "deleted": True}


@router.post("/jobs/{job_id}/notes", status_code=201)
async def create_note(request: Request, job_id: str) -> dict[str, Any]:
    """POST /jobs/{id}/notes -> 201 Note."""
    sb = sandbox_of(request)
    body = await json_body(request)
    async with sb.state.lock:
        job = get_job(sb, job_id)
        content = V.text(body.get("content"), "content", required=True)
        note = {"id": new_id("nte_"), "content": content}
        job["notes"] = [*job.get("notes", []), note]
        ops.touch(sb, "jobs", job)
        return note


@router.delete("/jobs/{job_id}/notes/{note_id}")
async def delete_note(request: Request, job_id: str, note_id: str) -> Response:
    """DELETE /jobs/{id}/notes/{note_id} -> 200, empty body."""
    sb = sandbox_of(request)
    async with sb.state.lock:
        job = get_job(sb, job_id)
        if not any(n["id"] == note_id for n in job.get("notes", [])):
            raise not_found("Note")
        job["notes"] = [n for n in job["notes"] if n["id"] != note_id]
        ops.touch(sb, "jobs", job)
        return Response(status_code=200)


def _job_tags(sb: Sandbox, job: Doc) -> dict[str, Any]:
    tags = {t["name"]: t for t in sb.state.iter("tags")}
    return {"tags": [{"id": tags[n]["id"], "name": n} for n in job.get("tags", []) if n in tags]}


@router.post("/jobs/{job_id}/tags", status_code=201)
async def add_tag(request: Request, job_id: str) -> dict[str, Any]:
    """POST /jobs/{id}/tags {tag_id} -> 201 {tags}."""
    sb = sandbox_of(request)
    body = await json_body(request)
    async with sb.state.lock:
        job = get_job(sb, job_id)
        tag = sb.state.get("tags", V.text(body.get("tag_id"), "tag_id", required=True) or "")
        if tag is None:
            raise not_found("Tag")
        if tag["name"] not in job.get("tags", []):
            job["tags"] = [*job.get("tags", []), tag["name"]]
            ops.touch(sb, "jobs", job)
        return _job_tags(sb, job)


@router.delete("/jobs/{job_id}/tags/{tag_id}")
async def remove_tag(request: Request, job_id: str, tag_id: str) -> dict[str, Any]:
    """DELETE /jobs/{id}/tags/{tag_id} -> {tags}."""
    sb = sandbox_of(request)
    async with sb.state.lock:
        job = get_job(sb, job_id)
        tag = sb.state.get("tags", tag_id)
        if tag is None:
            raise not_found("Tag")
        job["tags"] = [n for n in job.get("tags", []) if n != tag["name"]]
        ops.touch(sb, "jobs", job)
        return _job_tags(sb, job)


def _line_items(job: Doc) -> dict[str, Any]:
    # Spec: {url, data}; live: {"object": "list", "data": [...]}. Both keys are sent.
    items = [render.line_item(li) for li in job.get("line_items", [])]
    return {"object": "list", "url": f"/jobs/{job['id']}/line_items", "data": items}


@router.get("/jobs/{job_id}/line_items")
async def list_line_items(request: Request, job_id: str) -> dict[str, Any]:
    """GET /jobs/{id}/line_items."""
    return _line_items(get_job(sandbox_of(request), job_id))


@router.post("/jobs/{job_id}/line_items", status_code=201)
async def create_line_item(request: Request, job_id: str) -> dict[str, Any]:
    """POST /jobs/{id}/line_items -> 201 line item."""
    sb = sandbox_of(request)
    body = await json_body(request)
    async with sb.state.lock:
        job = get_job(sb, job_id)
        item = ops.new_line_item({k: v for k, v in body.items() if k != "id"}, 0, "line_item")
        item["order_index"] = len(job.get("line_items", []))
        job["line_items"] = [*job.get("line_items", []), item]
        ops.touch(sb, "jobs", job)
        ops.sync_invoice(sb, job)
        return render.line_item(item)


@router.put("/jobs/{job_id}/line_items/bulk_update")
async def bulk_update_line_items(request: Request, job_id: str) -> dict[str, Any]:
    """PUT /jobs/{id}/line_items/bulk_update: items with an id update, without one are new;
    unless `append_line_items`, items left out are removed."""
    sb = sandbox_of(request)
    body = await json_body(request)
    if not isinstance(body.get("line_items"), list):
        raise unprocessable("line_items", "must be an array")
    raws = V.objects(body["line_items"], "line_items")
    append = V.boolean(body.get("append_line_items"), "append_line_items", default=False)
    async with sb.state.lock:
        job = get_job(sb, job_id)
        current = {li["id"]: li for li in job.get("line_items", [])}
        result = list(current.values()) if append else []
        for raw in raws:
            raw_id = V.text(raw.get("id") or raw.get("uuid"), "line_items.id")
            if raw_id and raw_id not in current:
                raise not_found("Line item")
            merged = {**current[raw_id], **raw, "id": raw_id} if raw_id else dict(raw)
            if not raw_id:
                merged.pop("id", None)
            item = ops.new_line_item(merged, 0)
            result = [li for li in result if li["id"] != item["id"]] + [item]
        for index, item in enumerate(result):
            item["order_index"] = index
        job["line_items"] = result
        ops.touch(sb, "jobs", job)
        ops.sync_invoice(sb, job)
        return _line_items(job)


@router.get("/jobs/{job_id}/invoices")
async def job_invoices(request: Request, job_id: str) -> dict[str, Any]:
    """GET /jobs/{id}/invoices -> {invoices} (no job_id field, no paging)."""
    sb = sandbox_of(request)
    get_job(sb, job_id)
    invoices = [i for i in sb.state.iter("invoices") if i["job_id"] == job_id]
    return {"invoices": [render.invoice(i, with_job_id=False) for i in invoices]}
