"""``GET /invoices`` and ``GET /api/invoices/{uuid}`` (read-only)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from hcp._pagination import Page
from hcp._params import as_list, build_params, segment
from hcp.models.invoices import Invoice
from hcp.resources._base import Resource, Timeout


class InvoicesResource(Resource):
    """Invoices; "overdue" is derived (`Invoice.is_overdue`), not a status."""

    async def list(
        self,
        *,
        status: Iterable[str] | None = None,
        customer_uuid: Iterable[str] | None = None,
        created_at_min: datetime | None = None,
        created_at_max: datetime | None = None,
        due_at_min: datetime | None = None,
        due_at_max: datetime | None = None,
        paid_at_min: datetime | None = None,
        paid_at_max: datetime | None = None,
        amount_due_min: int | None = None,
        amount_due_max: int | None = None,
        payment_method: Iterable[str] | None = None,
        location_ids: Iterable[str] | None = None,
        sort_by: str | None = None,
        sort_direction: str | None = None,
        page: int | None = None,
        page_size: int | None = None,
        timeout: Timeout = None,
    ) -> Page[Invoice]:
        """``GET /invoices``; array filters go out as ``status[]=`` (a bare `status` is a 422)."""
        params = build_params(
            status=as_list(status),
            customer_uuid=as_list(customer_uuid),
            created_at_min=created_at_min,
            created_at_max=created_at_max,
            due_at_min=due_at_min,
            due_at_max=due_at_max,
            paid_at_min=paid_at_min,
            paid_at_max=paid_at_max,
            amount_due_min=amount_due_min,
            amount_due_max=amount_due_max,
            payment_method=as_list(payment_method),
            location_ids=as_list(location_ids),
            sort_by=sort_by,
            sort_direction=sort_direction,
            page=page,
            page_size=page_size,
        )
        data = await self._call("GET", "/invoices", params=params, timeout=timeout)
        return self._page(Invoice, data, "invoices", "GET", "/invoices", page)

    async def get(self, invoice_id: str, *, timeout: Timeout = None) -> Invoice:
        """``GET /api/invoices/{uuid}``."""
        path = f"/api/invoices/{segment(invoice_id)}"
        data = await self._call("GET", path, timeout=timeout)
        return self._model(Invoice, data, "GET", path)
