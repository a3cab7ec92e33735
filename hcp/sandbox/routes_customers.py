"""Customers and their addresses."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from hcp.sandbox import ops, render
from hcp.sandbox._common import (
    ApiError,
    Sandbox,
    array_param,
    digits,
    json_body,
    not_found,
    paginate,
    sandbox_of,
    sort_docs,
    unprocessable,
)
from hcp.sandbox.store import Doc, new_id

router = APIRouter()

CUSTOMER_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "company",
    "mobile_number",
    "home_number",
    "work_number",
    "notes",
)
ADDRESS_REQUIRED = ("street", "city", "state", "zip")


def matches(doc: Doc, q: str) -> bool:
    """HCP's `q`: name, email, mobile number and address (case-insensitive substring)."""
    needle = q.strip().lower()
    if not needle:
        return True
    name = f"{doc.get('first_name') or ''} {doc.get('last_name') or ''}".lower()
    haystack = [name, (doc.get("email") or "").lower(), (doc.get("company") or "").lower()]
    for addr in doc.get("addresses", []):
        haystack.append(" ".join(str(addr.get(k) or "") for k in render.ADDRESS_FIELDS).lower())
    if any(needle in h for h in haystack):
        return True
    q_digits = digits(needle)
    phone_like = len(q_digits) >= 3 and not any(ch.isalpha() for ch in needle)
    return phone_like and q_digits in digits(doc.get("mobile_number"))


def new_address(sb: Sandbox, raw: dict[str, Any], kind: str = "service") -> Doc:
    """A stored address; 422 when a required part is missing."""
    for field in ADDRESS_REQUIRED:
        if not raw.get(field):
            raise unprocessable(field, "can't be blank")
    return {
        "id": new_id("adr_"),
        "type": kind,
        "street": str(raw["street"]),
        "street_line_2": raw.get("street_line_2") or None,
        "city": str(raw["city"]),
        "state": str(raw["state"]),
        "zip": str(raw["zip"]),
        "country": str(raw.get("country") or "US"),
        "created_at": sb.now_z(),
    }


def create_customer_doc(sb: Sandbox, body: dict[str, Any]) -> Doc:
    """Create and store a customer from a CustomerCreate body; emits customer.created."""
    if not any(body.get(k) for k in CUSTOMER_FIELDS[:3] + CUSTOMER_FIELDS[4:7]):
        raise ApiError(400, {"message": "Customer must have a name, email, or phone number"})
    lead_source = ops.check_lead_source(sb, body.get("lead_source"))
    now = sb.now_z()
    doc: Doc = {"id": new_id("cus_")}
    doc |= {k: (str(body[k]) if body.get(k) is not None else None) for k in CUSTOMER_FIELDS}
    doc |= {
        "notifications_enabled": bool(body.get("notifications_enabled", True)),
        "lead_source": lead_source,
        "tags": ops.ensure_tags(sb, body.get("tags")),
        "addresses": [new_address(sb, a) for a in body.get("addresses") or []],
        "kind": "homeowner",
        "created_at": now,
        "updated_at": now,
        **sb.stamp(),
    }
    sb.state.put("customers", doc)
    sb.webhooks.emit("customer.created", "customer", render.customer(doc))
    return doc


def expanded(doc: Doc, expand: list[str]) -> dict[str, Any]:
    """A Customer with the `expand[]` extras (no attachments are ever stored)."""
    out = render.customer(doc)
    if "attachments" in expand:
        out["attachments"] = []
    if "do_not_service" in expand:
        out["do_not_service"] = bool(doc.get("do_not_service", False))
    return out


def get_customer(sb: Sandbox, customer_id: str) -> Doc:
    """The stored customer or 404."""
    doc = sb.state.get("customers", customer_id)
    if doc is None:
        raise not_found("Customer")
    return doc


@router.get("/customers")
async def list_customers(request: Request) -> dict[str, Any]:
    """GET /customers: `q` search, paging, sorting."""
    sb = sandbox_of(request)
    expand = array_param(request, "expand")
    array_param(request, "location_ids")
    q = request.query_params.get("q") or ""
    docs = [d for d in sb.state.iter("customers") if matches(d, q)]
    docs = sort_docs(request, docs, ("created_at", "updated_at", "first_name", "last_name"))
    return paginate(request, [expanded(d, expand) for d in docs], "customers")


@router.post("/customers", status_code=201)
async def create_customer(request: Request) -> dict[str, Any]:
    """POST /customers -> 201 Customer."""
    sb = sandbox_of(request)
    body = await json_body(request)
    async with sb.state.lock:
        return render.customer(create_customer_doc(sb, body))


@router.get("/customers/{customer_id}")
async def read_customer(request: Request, customer_id: str) -> dict[str, Any]:
    """GET /customers/{id}."""
    expand = array_param(request, "expand")
    return expanded(get_customer(sandbox_of(request), customer_id), expand)


@router.put("/customers/{customer_id}")
async def update_customer(request: Request, customer_id: str) -> dict[str, Any]:
    """PUT /customers/{id}: CustomerUpdate (addresses are not updatable here)."""
    sb = sandbox_of(request)
    body = await json_body(request)
    async with sb.state.lock:
        doc = get_customer(sb, customer_id)
        if "lead_source" in body:
            doc["lead_source"] = ops.check_lead_source(sb, body["lead_source"])
        for key in CUSTOMER_FIELDS:
            if key in body:
                doc[key] = None if body[key] is None else str(body[key])
        if "notifications_enabled" in body:
            doc["notifications_enabled"] = bool(body["notifications_enabled"])
        if "tags" in body:
            doc["tags"] = ops.ensure_tags(sb, body["tags"])
        ops.touch(sb, "customers", doc)
        sb.webhooks.emit("customer.updated", "customer", render.customer(doc))
        return render.customer(doc)


@router.get("/customers/{customer_id}/addresses")
async def list_addresses(request: Request, customer_id: str) -> dict[str, Any]:
    """GET /customers/{id}/addresses (paged)."""
    doc = get_customer(sandbox_of(request), customer_id)
    addresses = sort_docs(request, list(doc.get("addresses", [])), ("created_at",))
    return paginate(request, [render.address(a) for a in addresses], "addresses")


@router.post("/customers/{customer_id}/addresses")
async def create_address(request: Request, customer_id: str) -> JSONResponse:
    """POST /customers/{id}/addresses -> 200 Address (the spec says 200, not 201)."""
    sb = sandbox_of(request)
    body = await json_body(request)
    async with sb.state.lock:
        doc = get_customer(sb, customer_id)
        if not body.get("country"):
            raise unprocessable("country", "can't be blank")
        addr = new_address(sb, body)
        doc["addresses"] = [*doc.get("addresses", []), addr]
        ops.touch(sb, "customers", doc)
        sb.webhooks.emit("customer.updated", "customer", render.customer(doc))
        return JSONResponse(render.address(addr), status_code=200)


@router.get("/customers/{customer_id}/addresses/{address_id}")
async def read_address(request: Request, customer_id: str, address_id: str) -> dict[str, Any]:
    """GET /customers/{id}/addresses/{address_id}."""
    sb = sandbox_of(request)
    get_customer(sb, customer_id)
    addr = render.find_address(sb, customer_id, address_id)
    if addr is None:
        raise not_found("Address")
    return render.address(addr)
