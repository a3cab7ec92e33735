"""``/lead_sources``; elsewhere `lead_source` is a name that must match exactly."""

from __future__ import annotations

from hcp._pagination import Page
from hcp._params import build_params
from hcp.models.reference import LeadSource
from hcp.resources._base import Resource, Timeout


class LeadSourcesResource(Resource):
    """Lead sources."""

    async def list(
        self,
        *,
        q: str | None = None,
        page: int | None = None,
        page_size: int | None = None,
        sort_direction: str | None = None,
        timeout: Timeout = None,
    ) -> Page[LeadSource]:
        """``GET /lead_sources``."""
        params = build_params(q=q, page=page, page_size=page_size, sort_direction=sort_direction)
        data = await self._call("GET", "/lead_sources", params=params, timeout=timeout)
        return self._page(LeadSource, data, "lead_sources", "GET", "/lead_sources", page)
