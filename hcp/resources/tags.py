"""``/tags``."""

from __future__ import annotations

from hcp._pagination import Page
from hcp._params import build_params
from hcp.models.reference import Tag
from hcp.resources._base import Resource, Timeout


class TagsResource(Resource):
    """Tags."""

    async def list(
        self,
        *,
        page: int | None = None,
        page_size: int | None = None,
        sort_by: str | None = None,
        sort_direction: str | None = None,
        timeout: Timeout = None,
    ) -> Page[Tag]:
        """``GET /tags``."""
        params = build_params(
            page=page, page_size=page_size, sort_by=sort_by, sort_direction=sort_direction
        )
        data = await self._call("GET", "/tags", params=params, timeout=timeout)
        return self._page(Tag, data, "tags", "GET", "/tags", page)

    async def create(self, name: str, *, timeout: Timeout = None) -> Tag:
        """``POST /tags``."""
        if not name.strip():
            raise ValueError("tag name is empty")
        data = await self._call("POST", "/tags", json={"name": name}, timeout=timeout)
        return self._model(Tag, data, "POST", "/tags")
