"""Shared pieces of the sandbox routes: context, errors, params, pagination, rendering."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Request

from hcp.sandbox.faults import Faults
from hcp.sandbox.scheduling import parse_instant, to_utc_z
from hcp.sandbox.store import Doc, SandboxState
from hcp.sandbox.webhooks import WebhookDispatcher

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 10
ONLINE_BOOKING_SOURCE = "Online Booking"


class ApiError(Exception):
    """An HCP-shaped error response: `status` with JSON `body`."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body


def not_found(what: str) -> ApiError:
    """404 in the spec's ErrorResponse shape."""
    return ApiError(404, {"error": {"message": f"{what} not found"}})


def unprocessable(field: str, message: str) -> ApiError:
    """422 `{"errors": {field: [message]}}`, as HCP's Rails validation answers."""
    return ApiError(422, {"errors": {field: [message]}})


@dataclass
class Sandbox:
    """Everything a route needs: the data, the clock, outbound webhooks and faults."""

    state: SandboxState
    clock: Callable[[], datetime]
    api_key: str
    webhooks: WebhookDispatcher
    faults: Faults
    strict_key: int | None = None  # refusal status for application-key-only operations

    def now(self) -> datetime:
        """The sandbox's current time (aware, UTC)."""
        return self.clock().astimezone(UTC)

    def now_z(self) -> str:
        """The current time as HCP writes it."""
        return to_utc_z(self.now())

    @property
    def company(self) -> Doc:
        """The company record."""
        return self.state.meta("company")

    def stamp(self) -> dict[str, str]:
        """`company_name` and `company_id` as every object carries them."""
        company = self.company
        return {"company_name": str(company.get("name", "")), "company_id": str(company["id"])}


def sandbox_of(request: Request) -> Sandbox:
    """The Sandbox the app was built with."""
    sandbox: Sandbox = request.app.state.sandbox
    return sandbox


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object body ({} when empty); 400 when it is not an object."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = await request.json()
    except ValueError:
        raise ApiError(400, {"message": "Invalid JSON"}) from None
    if not isinstance(data, dict):
        raise ApiError(400, {"message": "Request body must be a JSON object"})
    return data


def array_param(request: Request, name: str) -> list[str]:
    """Values of the array query parameter `name[]`; a bare `name=` is HCP's 422."""
    params = request.query_params
    if name in params:
        raise unprocessable(name, "must be an array")
    return [v for v in params.getlist(f"{name}[]") if v != ""]


def int_param(
    request: Request, name: str, default: int, *, low: int = 0, high: int = 1_000_000
) -> int:
    """An integer query parameter with a default; 400 when it is not a whole number in
    [low, high]."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ApiError(400, {"message": f"{name} must be a number"}) from None
    if not math.isfinite(value) or not value.is_integer() or not low <= value <= high:
        raise ApiError(400, {"message": f"{name} must be a whole number between {low} and {high}"})
    return int(value)


def time_param(request: Request, name: str) -> datetime | None:
    """An ISO-8601 time query parameter, or None; 400 when malformed."""
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        parsed = parse_instant(raw)
    except (ValueError, OverflowError):
        raise ApiError(400, {"message": f"{name} must be an ISO-8601 time"}) from None
    if not 1970 <= parsed.year <= 2199:
        raise ApiError(400, {"message": f"{name} must be between 1970 and 2199"})
    return parsed


def sort_docs(
    request: Request, docs: list[Doc], allowed: Sequence[str], default: str = "created_at"
) -> list[Doc]:
    """Sort by `sort_by` (one of `allowed`) and `sort_direction` (default desc)."""
    key = request.query_params.get("sort_by") or default
    if key not in allowed:
        key = default
    reverse = (request.query_params.get("sort_direction") or "desc").lower() != "asc"
    return sorted(
        docs, key=lambda d: (d.get(key) is not None, str(d.get(key) or "")), reverse=reverse
    )


def paginate(request: Request, items: list[Any], key: str) -> dict[str, Any]:
    """HCP's list envelope: page, page_size, total_pages, total_items and the items."""
    page = max(int_param(request, "page", 1), 1)
    size = min(max(int_param(request, "page_size", DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE)
    total = len(items)
    return {
        "page": page,
        "page_size": size,
        "total_pages": math.ceil(total / size),
        "total_items": total,
        key: items[(page - 1) * size : page * size],
    }


def drop_none(doc: dict[str, Any], keep: Sequence[str] = ()) -> dict[str, Any]:
    """Copy of `doc` without None values, except for the keys in `keep` (spec-nullable)."""
    return {k: v for k, v in doc.items() if v is not None or k in keep}


def digits(text: str | None) -> str:
    """Only the digits of `text`."""
    return "".join(ch for ch in (text or "") if ch.isdigit())
