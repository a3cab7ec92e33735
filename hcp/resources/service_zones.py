"""``/service_zones``: the areas the company serves (spec: application key or OAuth only).

A company key may be refused (401/403); callers should treat that as "no zones available".
"""

from __future__ import annotations

from hcp._pagination import Page
from hcp._params import build_params
from hcp.models.reference import ServiceZone
from hcp.resources._base import Resource, Timeout

PATH = "/service_zones"


class ServiceZonesResource(Resource):
    """Service zones."""

    async def list(
        self,
        *,
        zip_code: str | None = None,
        address: str | None = None,
        page: int | None = None,
        page_size: int | None = None,
        timeout: Timeout = None,
    ) -> Page[ServiceZone]:
        """``GET /service_zones``, optionally only the zones covering `zip_code` or `address`."""
        params = build_params(zip_code=zip_code, address=address, page=page, page_size=page_size)
        data = await self._call("GET", PATH, params=params, timeout=timeout)
        return self._page(ServiceZone, data, "service_zones", "GET", PATH, page)
