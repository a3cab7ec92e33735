"""Company, availability and booking windows, and reference data (employees, job types,
lead sources, tags, price book)."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from fastapi import APIRouter, Request

from hcp.sandbox import ops
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
    unprocessable,
)
from hcp.sandbox.scheduling import (
    DAY_NAMES,
    DEFAULT_DURATION_MINUTES,
    booking_windows,
    parse_time_of_day,
    to_utc_z,
)
from hcp.sandbox.store import Doc, new_id

router = APIRouter()


def _public(doc: Doc, *drop: str) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in drop}


@router.get("/company")
async def read_company(request: Request) -> dict[str, Any]:
    """GET /company (time_zone is the IANA name the sandbox schedules in)."""
    sb = sandbox_of(request)
    return {**sb.company, "locations": []}


def _availability(sb: Sandbox) -> dict[str, Any]:
    """The stored availability, repaired if an older sandbox stored a bad buffer."""
    doc = sb.state.meta("availability")
    return {
        "availability_buffer_in_days": V.stored_int(
            doc.get("availability_buffer_in_days"), high=V.MAX_BUFFER_DAYS
        ),
        "daily_availabilities": doc.get("daily_availabilities", {"data": []}),
    }


@router.get("/company/schedule_availability")
async def read_availability(request: Request) -> dict[str, Any]:
    """GET /company/schedule_availability: business hours per weekday."""
    return _availability(sandbox_of(request))


def _schedule_window(raw: Any) -> dict[str, str]:
    window = V.obj(raw, "schedule_windows")
    try:
        start = parse_time_of_day(str(window["start_time"]))
        end = parse_time_of_day(str(window["end_time"]))
    except (KeyError, ValueError, TypeError):
        raise ApiError(400, {"message": "Invalid schedule window"}) from None
    if end <= start:
        raise ApiError(400, {"message": "Invalid schedule window: end must be after start"})
    return {"start_time": start.strftime("%H:%M"), "end_time": end.strftime("%H:%M")}


@router.put("/company/schedule_availability")
async def update_availability(request: Request) -> dict[str, Any]:
    """PUT /company/schedule_availability: replace the business hours."""
    sb = sandbox_of(request)
    body = await json_body(request)
    days = body.get("daily_schedule_windows")
    if not isinstance(days, list) or "availability_buffer_in_days" not in body:
        raise ApiError(400, {"message": "daily_schedule_windows and buffer are required"})
    buffer_days = V.integer(
        body["availability_buffer_in_days"],
        "availability_buffer_in_days",
        high=V.MAX_BUFFER_DAYS,
    )
    data = []
    for day in V.objects(days, "daily_schedule_windows"):
        name = str(day.get("day_name", "")).lower()
        if name not in DAY_NAMES:
            raise ApiError(400, {"message": f"Invalid day_name: {name[:40]}"})
        windows = [_schedule_window(w) for w in V.array(day.get("schedule_windows"), "windows")]
        data.append({"day_name": name, "schedule_windows": windows})
    async with sb.state.lock:
        sb.state.set_meta(
            "availability",
            {"availability_buffer_in_days": buffer_days, "daily_availabilities": {"data": data}},
        )
    return _availability(sb)


def _service(sb: Sandbox, request: Request) -> tuple[int, list[str] | None]:
    """(duration minutes, employees assigned to the service or None) from the query."""
    form_id = request.query_params.get("service_id") or request.query_params.get("price_form_id")
    duration, pros = DEFAULT_DURATION_MINUTES, None
    if form_id:
        form = sb.state.get("price_forms", form_id)
        if form is None:
            raise not_found("Service")
        duration = V.stored_int(form.get("duration_in_minutes"), high=V.MAX_MINUTES) or duration
        assigned = [p["uuid"] for p in form.get("assigned", {}).get("pros", [])]
        pros = assigned or None
    raw = request.query_params.get("service_duration")
    if raw is not None:
        if not raw.isdigit() or not 0 < int(raw) <= V.MAX_MINUTES:
            raise unprocessable(
                "service_duration", f"must be a positive integer up to {V.MAX_MINUTES}"
            )
        duration = int(raw)
    return duration, pros


@router.get("/company/schedule_availability/booking_windows")
async def list_booking_windows(request: Request) -> dict[str, Any]:
    """GET /company/schedule_availability/booking_windows: open windows (UTC) only."""
    sb = sandbox_of(request)
    days = int_param(request, "show_for_days", 7, low=1, high=V.MAX_SHOW_FOR_DAYS)
    wanted = array_param(request, "employee_ids")
    duration, pros = _service(sb, request)
    start_raw = request.query_params.get("start_date")
    try:
        start = date.fromisoformat(start_raw[:10]) if start_raw else None
    except ValueError:
        raise unprocessable("start_date", "must be YYYY-MM-DDTHH:MM:SS") from None
    if start is not None and not V.in_year_range(start):
        raise unprocessable("start_date", "must be between 1970 and 2199")
    employees = ops.bookable_employee_ids(sb)
    if pros is not None:
        employees = [e for e in employees if e in pros]
    if wanted:
        employees = [e for e in employees if e in wanted]
    first, windows = booking_windows(
        availability=_availability(sb),
        time_zone=str(sb.company.get("time_zone") or "UTC"),
        now=sb.now(),
        busy=ops.busy_map(sb),
        employee_ids=employees,
        duration_minutes=duration,
        start_date=start,
        show_for_days=days,
    )
    return {
        "booking_windows": [
            {"start_time": to_utc_z(w.start), "end_time": to_utc_z(w.end), "available": True}
            for w in windows
        ],
        "show_for_days": days,
        "start_date": first.isoformat(),
    }


def _zone_covers(zone: Doc, zip_code: str | None, address: str | None) -> bool:
    """Whether `zone` covers the ZIP code, and the address (by a ZIP or city named in it)."""
    if zip_code and zip_code.strip()[:5] not in zone.get("zip_codes", []):
        return False
    if address:
        text = address.lower()
        named = [c["city"].lower() for c in zone.get("cities", [])]
        return any(z in text for z in zone.get("zip_codes", [])) or any(c in text for c in named)
    return True


@router.get("/service_zones")
async def list_service_zones(request: Request) -> dict[str, Any]:
    """GET /service_zones?zip_code=&address= (401 when the sandbox is set to refuse it, as
    HCP may for a company key: the spec lists only application keys and OAuth)."""
    sb = sandbox_of(request)
    if sb.state.meta("settings").get("service_zones_refused"):
        raise ApiError(401, {"message": "Unauthorized"})
    zip_code = request.query_params.get("zip_code")
    address = request.query_params.get("address")
    docs = [
        _public(d, "created_at")
        for d in sb.state.all("service_zones")
        if _zone_covers(d, zip_code, address)
    ]
    return paginate(request, docs, "service_zones")


@router.get("/employees")
async def list_employees(request: Request) -> dict[str, Any]:
    """GET /employees (active employees)."""
    sb = sandbox_of(request)
    array_param(request, "location_ids")
    docs = sort_docs(request, sb.state.all("employees"), ("created_at", "first_name"), "created_at")
    return paginate(request, docs, "employees")


def _named_list(sb: Sandbox, request: Request, collection: str, key: str) -> dict[str, Any]:
    docs = sb.state.all(collection)
    needle = (request.query_params.get("q") or request.query_params.get("name") or "").lower()
    docs = [d for d in docs if needle in d["name"].lower()]
    docs = sort_docs(request, docs, ("created_at", "name"), "created_at")
    return paginate(request, [_public(d, "created_at") for d in docs], key)


async def _create_named(request: Request, collection: str, prefix: str, **extra: Any) -> Doc:
    sb = sandbox_of(request)
    body = await json_body(request)
    name = (V.text(body.get("name"), "name") or "").strip()
    if not name:
        raise unprocessable("name", "can't be blank")
    async with sb.state.lock:
        doc = {"id": new_id(prefix), "name": name, **extra, "created_at": sb.now_z()}
        sb.state.put(collection, doc)
    return _public(doc, "created_at")


async def _rename(request: Request, collection: str, doc_id: str, what: str) -> Doc:
    sb = sandbox_of(request)
    body = await json_body(request)
    async with sb.state.lock:
        doc = sb.state.get(collection, doc_id)
        if doc is None:
            raise not_found(what)
        if doc.get("editable") is False:
            raise unprocessable("name", "is not editable")
        name = (V.text(body.get("name"), "name") or "").strip()
        if name:
            doc["name"] = name
            sb.state.put(collection, doc)
    return _public(doc, "created_at")


@router.get("/job_fields/job_types")
async def list_job_types(request: Request) -> dict[str, Any]:
    """GET /job_fields/job_types?name=."""
    return _named_list(sandbox_of(request), request, "job_types", "job_types")


@router.post("/job_fields/job_types")
async def create_job_type(request: Request) -> Doc:
    """POST /job_fields/job_types -> 200 {id, name}."""
    return await _create_named(request, "job_types", "jbt_")


@router.put("/job_fields/job_types/{job_type_id}")
async def update_job_type(request: Request, job_type_id: str) -> Doc:
    """PUT /job_fields/job_types/{id}."""
    return await _rename(request, "job_types", job_type_id, "Job type")


@router.get("/lead_sources")
async def list_lead_sources(request: Request) -> dict[str, Any]:
    """GET /lead_sources?q=."""
    return _named_list(sandbox_of(request), request, "lead_sources", "lead_sources")


@router.post("/lead_sources", status_code=201)
async def create_lead_source(request: Request) -> Doc:
    """POST /lead_sources -> 201 {id, name, editable}."""
    return await _create_named(request, "lead_sources", "lsrc_", editable=True)


@router.put("/lead_sources/{lead_source_id}")
async def update_lead_source(request: Request, lead_source_id: str) -> Doc:
    """PUT /lead_sources/{id} (only editable ones)."""
    return await _rename(request, "lead_sources", lead_source_id, "Lead source")


@router.get("/tags")
async def list_tags(request: Request) -> dict[str, Any]:
    """GET /tags."""
    return _named_list(sandbox_of(request), request, "tags", "tags")


@router.post("/tags", status_code=201)
async def create_tag(request: Request) -> Doc:
    """POST /tags -> 201 {id, name}."""
    return await _create_named(request, "tags", "tag_")


@router.put("/tags/{tag_id}")
async def update_tag(request: Request, tag_id: str) -> Doc:
    """PUT /tags/{id}."""
    return await _rename(request, "tags", tag_id, "Tag")


def _price_book_page(request: Request, items: list[Any], path: str) -> dict[str, Any]:
    page = max(int_param(request, "page", 1), 1)
    size = min(max(int_param(request, "page_size", 10), 1), 200)
    return {
        "object": "list",
        "page": page,
        "page_size": size,
        "total_pages_count": math.ceil(len(items) / size),
        "total_count": len(items),
        "data": items[(page - 1) * size : page * size],
        "url": path,
    }


@router.get("/api/price_book/price_forms")
async def list_price_forms(request: Request) -> dict[str, Any]:
    """GET /api/price_book/price_forms (price-book list envelope)."""
    sb = sandbox_of(request)
    forms = [_public(f, "assigned") for f in sb.state.iter("price_forms")]
    return _price_book_page(request, forms, "/api/price_book/price_forms")


@router.get("/api/price_book/price_forms/{form_id}")
async def read_price_form(request: Request, form_id: str) -> dict[str, Any]:
    """GET /api/price_book/price_forms/{uuid}."""
    doc = sandbox_of(request).state.get("price_forms", form_id)
    if doc is None:
        raise not_found("Price form")
    return _public(doc, "assigned")


@router.get("/api/price_book/materials")
async def list_materials(request: Request) -> dict[str, Any]:
    """GET /api/price_book/materials?material_category_uuid= (required)."""
    sb = sandbox_of(request)
    category = request.query_params.get("material_category_uuid")
    if not category:
        raise unprocessable("material_category_uuid", "can't be blank")
    docs = [m for m in sb.state.iter("materials") if m["material_category_uuid"] == category]
    return _price_book_page(request, docs, "/api/price_book/materials")


@router.get("/api/price_book/material_categories")
async def list_material_categories(request: Request) -> dict[str, Any]:
    """GET /api/price_book/material_categories?parent_uuid=: root categories, or those under
    `parent_uuid` (price-book list envelope)."""
    sb = sandbox_of(request)
    parent = request.query_params.get("parent_uuid") or None
    docs = [d for d in sb.state.iter("material_categories") if d.get("parent_uuid") == parent]
    docs = sort_docs(request, docs, ("name", "created_at", "updated_at"))
    shown = [_public(d, "id") for d in docs]
    return _price_book_page(request, shown, "/api/price_book/material_categories")
