"""Customers and their addresses."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from hcp.sandbox import ops, render
from hcp.sandbox import validate as V
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
ADDRESS_KEYS = ("street", "street_line_2", "city", "state", "zip", "country")


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


def new_address(sb: Sandbox, raw: Any, kind: str = "service", field: str = "address") -> Doc:
    """A stored address; 422 when a required part is missing or a value is not text."""
    parts = V.obj(raw, field)
    values = {k: V.text(parts.get(k), k, required=k in ADDRESS_REQUIRED) for k in ADDRESS_KEYS}
    for name in ("latitude", "longitude"):
        V.number(parts.get(name), name, low=-180, high=180, default=0)
    return {
        "id": new_id("adr_"),
        "type": kind,
        "street": values["street"],
        "street_line_2": values["street_line_2"],
        "city": values["city"],
        "state": values["state"],
        "zip": values["zip"],
        "country": values["country"] or "US",
        "created_at": sb.now_z(),
    }


def customer_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The CustomerCreate/CustomerUpdate fields present in `body`, checked (422 when bad)."""
    out: dict[str, Any] = {k: V.text(body[k], k) for k in CUSTOMER_FIELDS if k in body}
    if "notifications_enabled" in body:
        out["notifications_enabled"] = V.boolean(
            body["notifications_enabled"], "notifications_enabled", default=True
        )
    if "tags" in body:
        out["tags"] = V.strings(body["tags"], "tags")
    if "lead_source" in body:
        out["lead_source"] = V.text(body["lead_source"], "lead_source")
    return out


def create_customer_doc(sb: Sandbox, body: dict[str, Any]) -> Doc:
    """Create and store a customer from a CustomerCreate body; emits customer.created."""
    fields = customer_fields(body)
    if not any(fields.get(k) for k in CUSTOMER_FIELDS[:3] + CUSTOMER_FIELDS[4:7]):
        raise ApiError(400, {"message": "Customer must have a name, email, or phone number"})
    lead_source = ops.check_lead_source(sb, fields.get("lead_source"))
    addresses = [
        new_address(sb, a, field="addresses") for a in V.array(body.get("addresses"), "addresses")
    ]
    now = sb.now_z()
    doc: Doc = {"id": new_id("cus_")}
    doc |= {k: fields.get(k) for k in CUSTOMER_FIELDS}
    doc |= {
        "notifications_enabled": fields.get("notifications_enabled", True),
        "lead_source": lead_source,
        "tags": ops.ensure_tags(sb, fields.get("tags", [])),
        "addresses": addresses,
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
        fields = customer_fields(body)
        if "lead_source" in fields:
            fields["lead_source"] = ops.check_lead_source(sb, fields["lead_source"])
        if "tags" in fields:
            fields["tags"] = ops.ensure_tags(sb, fields["tags"])
        doc.update(fields)
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
        V.text(body.get("country"), "country", required=True)
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
