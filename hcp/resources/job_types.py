"""``/job_fields/job_types``."""

from __future__ import annotations

from hcp._pagination import Page
from hcp._params import build_params
from hcp.models.reference import JobType
from hcp.resources._base import Resource, Timeout

PATH = "/job_fields/job_types"


class JobTypesResource(Resource):
    """Job types."""

    async def list(self, *, name: str | None = None, timeout: Timeout = None) -> Page[JobType]:
        """``GET /job_fields/job_types`` (optionally filtered by `name`)."""
        data = await self._call("GET", PATH, params=build_params(name=name), timeout=timeout)
        return self._page(JobType, data, "job_types", "GET", PATH, None)
