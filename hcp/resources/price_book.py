"""``/api/price_book``: price forms, materials, material categories."""

from __future__ import annotations

from hcp._pagination import Page
from hcp._params import build_params, segment
from hcp.models.price_book import Material, MaterialCategory, PriceForm
from hcp.resources._base import Resource, Timeout

PRICE_FORMS = "/api/price_book/price_forms"
MATERIALS = "/api/price_book/materials"
CATEGORIES = "/api/price_book/material_categories"


class PriceBookResource(Resource):
    """Price book (envelope ``{page, page_size, total_pages_count, total_count, data}``)."""

    async def list_price_forms(self, *, timeout: Timeout = None) -> Page[PriceForm]:
        """``GET /api/price_book/price_forms``."""
        data = await self._call("GET", PRICE_FORMS, timeout=timeout)
        return self._page(PriceForm, data, "data", "GET", PRICE_FORMS, None)

    async def get_price_form(self, price_form_id: str, *, timeout: Timeout = None) -> PriceForm:
        """``GET /api/price_book/price_forms/{uuid}``."""
        path = f"{PRICE_FORMS}/{segment(price_form_id)}"
        data = await self._call("GET", path, timeout=timeout)
        if isinstance(data, dict) and isinstance(data.get("data"), dict):
            data = data["data"]
        return self._model(PriceForm, data, "GET", path)

    async def list_materials(
        self,
        material_category_uuid: str,
        *,
        page: int | None = None,
        page_size: int | None = None,
        sort_by: str | None = None,
        sort_direction: str | None = None,
        timeout: Timeout = None,
    ) -> Page[Material]:
        """``GET /api/price_book/materials`` (the category is required)."""
        params = build_params(
            material_category_uuid=material_category_uuid,
            page=page,
            page_size=page_size,
            sort_by=sort_by,
            sort_direction=sort_direction,
        )
        data = await self._call("GET", MATERIALS, params=params, timeout=timeout)
        return self._page(Material, data, "data", "GET", MATERIALS, page)

    async def list_material_categories(
        self,
        *,
        parent_uuid: str | None = None,
        page: int | None = None,
        page_size: int | None = None,
        sort_by: str | None = None,
        sort_direction: str | None = None,
        timeout: Timeout = None,
    ) -> Page[MaterialCategory]:
        """``GET /api/price_book/material_categories``."""
        params = build_params(
            parent_uuid=parent_uuid,
            page=page,
            page_size=page_size,
            sort_by=sort_by,
            sort_direction=sort_direction,
        )
        data = await self._call("GET", CATEGORIES, params=params, timeout=timeout)
        return self._page(MaterialCategory, data, "data", "GET", CATEGORIES, page)
