"""``/leads`` (create, list, get, convert; leads cannot be updated)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from hcp._pagination import Page
from hcp._params import as_list, build_params, segment
from hcp.models.leads import Lead, LeadConversion, LeadCreate
from hcp.resources._base import Resource, Timeout, request_body


class LeadsResource(Resource):
    """Leads (``lea_`` ids)."""

    async def create(
        self,
        data: LeadCreate | Mapping[str, Any] | None = None,
        /,
        *,
        timeout: Timeout = None,
        **fields: Any,
    ) -> Lead:
        """``POST /leads``; an inline `customer` creates a customer as a side effect."""
        body = request_body(LeadCreate, data, fields)
        if not body.get("customer_id") and not body.get("customer"):
            raise ValueError("a lead needs customer_id or an inline customer")
        result = await self._call("POST", "/leads", json=body, timeout=timeout)
        return self._model(Lead, result, "POST", "/leads")

    async def list(
        self,
        *,
        customer_id: str | None = None,
        status: Literal["open", "won", "lost"] | None = None,
        employee_ids: Iterable[str] | None = None,
        tag_ids: Iterable[str] | None = None,
        lead_source: Iterable[str] | None = None,
        location_ids: Iterable[str] | None = None,
        sort_by: str | None = None,
        sort_direction: str | None = None,
        page: int | None = None,
        page_size: int | None = None,
        timeout: Timeout = None,
    ) -> Page[Lead]:
        """``GET /leads``."""
        params = build_params(
            customer_id=customer_id,
            status=status,
            employee_ids=as_list(employee_ids),
            tag_ids=as_list(tag_ids),
            lead_source=as_list(lead_source),
            location_ids=as_list(location_ids),
            sort_by=sort_by,
            sort_direction=sort_direction,
            page=page,
            page_size=page_size,
        )
        data = await self._call("GET", "/leads", params=params, timeout=timeout)
        return self._page(Lead, data, "leads", "GET", "/leads", page)

    async def get(self, lead_id: str, *, timeout: Timeout = None) -> Lead:
        """``GET /leads/{id}``."""
        path = f"/leads/{segment(lead_id)}"
        data = await self._call("GET", path, timeout=timeout)
        return self._model(Lead, data, "GET", path)

    async def convert(
        self, lead_id: str, type: Literal["job", "estimate"], *, timeout: Timeout = None
    ) -> LeadConversion:
        """``POST /leads/{id}/convert`` -> `job_id` or `estimate_id`."""
        if type not in ("job", "estimate"):
            raise ValueError("type must be 'job' or 'estimate'")
        path = f"/leads/{segment(lead_id)}/convert"
        result = await self._call("POST", path, json={"type": type}, timeout=timeout)
        return self._model(LeadConversion, result, "POST", path)
