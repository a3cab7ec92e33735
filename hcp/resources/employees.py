"""``GET /employees`` (active employees only)."""

from __future__ import annotations

from collections.abc import Iterable

from hcp._pagination import Page
from hcp._params import build_params
from hcp.models.reference import Employee
from hcp.resources._base import Resource, Timeout


class EmployeesResource(Resource):
    """Employees."""

    async def list(
        self,
        *,
        page: int | None = None,
        page_size: int | None = None,
        sort_by: str | None = None,
        sort_direction: str | None = None,
        location_ids: Iterable[str] | None = None,
        timeout: Timeout = None,
    ) -> Page[Employee]:
        """``GET /employees``."""
        params = build_params(
            page=page,
            page_size=page_size,
            sort_by=sort_by,
            sort_direction=sort_direction,
            location_ids=list(location_ids) if location_ids is not None else None,
        )
        data = await self._call("GET", "/employees", params=params, timeout=timeout)
        return self._page(Employee, data, "employees", "GET", "/employees", page)
