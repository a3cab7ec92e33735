"""``/estimates`` and estimate options."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from hcp._pagination import Page
from hcp._params import as_list, build_params, segment
from hcp.models.estimates import (
    Estimate,
    EstimateCreate,
    EstimateOption,
    EstimateOptionCreate,
    OptionDecisionResult,
)
from hcp.models.work_status import WorkStatus
from hcp.resources._base import Resource, Timeout, request_body
from hcp.resources.jobs import work_status_params


class EstimatesResource(Resource):
    """Estimates (``csr_`` ids) and options (``est_`` ids)."""

    async def list(
        self,
        *,
        customer_id: str | None = None,
        work_status: Iterable[str | WorkStatus] | None = None,
        scheduled_start_min: datetime | None = None,
        scheduled_start_max: datetime | None = None,
        scheduled_end_min: datetime | None = None,
        scheduled_end_max: datetime | None = None,
        employee_ids: Iterable[str] | None = None,
        location_ids: Iterable[str] | None = None,
        expand: Iterable[str] | None = None,
        sort_by: str | None = None,
        sort_direction: str | None = None,
        page: int | None = None,
        page_size: int | None = None,
        timeout: Timeout = None,
    ) -> Page[Estimate]:
        """``GET /estimates`` (same filters as jobs)."""
        params = build_params(
            customer_id=customer_id,
            work_status=work_status_params(work_status),
            scheduled_start_min=scheduled_start_min,
            scheduled_start_max=scheduled_start_max,
            scheduled_end_min=scheduled_end_min,
            scheduled_end_max=scheduled_end_max,
            employee_ids=as_list(employee_ids),
            location_ids=as_list(location_ids),
            expand=as_list(expand),
            sort_by=sort_by,
            sort_direction=sort_direction,
            page=page,
            page_size=page_size,
        )
        data = await self._call("GET", "/estimates", params=params, timeout=timeout)
        return self._page(Estimate, data, "estimates", "GET", "/estimates", page)

    async def get(
        self, estimate_id: str, *, expand: Iterable[str] | None = None, timeout: Timeout = None
    ) -> Estimate:
        """``GET /estimates/{estimate_id}`` (a ``csr_`` id; spec: application key / OAuth)."""
        path = f"/estimates/{segment(estimate_id)}"
        data = await self._call(
            "GET", path, params=build_params(expand=as_list(expand)), timeout=timeout
        )
        return self._model(Estimate, data, "GET", path)

    async def create(
        self,
        data: EstimateCreate | Mapping[str, Any] | None = None,
        /,
        *,
        timeout: Timeout = None,
        **fields: Any,
    ) -> Estimate:
        """``POST /estimates`` with options and line items (cents)."""
        body = request_body(EstimateCreate, data, fields)
        result = await self._call("POST", "/estimates", json=body, timeout=timeout)
        return self._model(Estimate, result, "POST", "/estimates")

    async def add_option(
        self,
        estimate_id: str,
        data: EstimateOptionCreate | Mapping[str, Any] | None = None,
        /,
        *,
        timeout: Timeout = None,
        **fields: Any,
    ) -> EstimateOption:
        """``POST /estimates/{estimate_id}/options``."""
        path = f"/estimates/{segment(estimate_id)}/options"
        body = request_body(EstimateOptionCreate, data, fields)
        result = await self._call("POST", path, json=body, timeout=timeout)
        return self._model(EstimateOption, result, "POST", path)

    async def _decide(
        self, action: str, option_ids: Iterable[str], timeout: Timeout
    ) -> OptionDecisionResult:
        ids = [option_ids] if isinstance(option_ids, str) else list(option_ids)
        if not ids:
            raise ValueError("option_ids is empty")
        path = f"/estimates/options/{action}"
        # Not retried: approval may copy the estimate to a new job (company setting).
        result = await self._call("POST", path, json={"option_ids": ids}, timeout=timeout)
        return self._model(OptionDecisionResult, result, "POST", path)

    async def approve_options(
        self, option_ids: Iterable[str], *, timeout: Timeout = None
    ) -> OptionDecisionResult:
        """``POST /estimates/options/approve`` (sets "pro approved")."""
        return await self._decide("approve", option_ids, timeout)

    async def decline_options(
        self, option_ids: Iterable[str], *, timeout: Timeout = None
    ) -> OptionDecisionResult:
        """``POST /estimates/options/decline`` (sets "pro declined")."""
        return await self._decide("decline", option_ids, timeout)
