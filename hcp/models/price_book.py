"""Price book: price forms, materials and material categories (``uuid`` ids; cents)."""

from __future__ import annotations

from typing import Any

from hcp.models._base import Cents, HcpModel


class PriceForm(HcpModel):
    """A price form (``PriceFormResponse``)."""

    id: str
    name: str | None = None
    description: str | None = None
    olb_enabled: bool | None = None
    duration_in_minutes: int | None = None
    bookable_as: str | None = None
    taxable: bool | None = None
    template_type: str | None = None
    fields: Any = None


class Material(HcpModel):
    """A price-book material."""

    uuid: str
    name: str | None = None
    description: str | None = None
    material_category_uuid: str | None = None
    material_category_name: str | None = None
    part_number: str | None = None
    unit_of_measure: str | None = None
    price: Cents | None = None
    cost: Cents | None = None
    taxable: bool | None = None


class MaterialCategory(HcpModel):
    """A price-book material category."""

    uuid: str
    name: str | None = None
    parent_uuid: str | None = None
