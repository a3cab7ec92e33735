"""``GET /company`` (name, time zone, locations)."""

from __future__ import annotations

from hcp.models.reference import Company
from hcp.resources._base import Resource, Timeout


class CompanyResource(Resource):
    """The company the key belongs to."""

    async def get(self, *, timeout: Timeout = None) -> Company:
        """``GET /company``; `time_zone` is the zone to speak times in."""
        data = await self._call("GET", "/company", timeout=timeout)
        return self._model(Company, data, "GET", "/company")
