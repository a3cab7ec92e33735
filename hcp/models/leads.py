"""Leads (prospective work that the office follows up)."""

from __future__ import annotations

from typing import Literal

from hcp.models._base import Cents, HcpModel, HcpRequest, LenientUtcDateTime
from hcp.models.customers import Address, Customer, CustomerCreate
from hcp.models.reference import Employee


class LeadAddressCreate(HcpRequest):
    """Inline address of ``LeadCreate``."""

    street: str
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    street_line_2: str | None = None


class LeadLineItemCreate(HcpRequest):
    """A line item of ``LeadCreate`` (cents)."""

    name: str
    description: str | None = None
    kind: Literal["labor", "materials", "fixed discount", "percent discount"] | None = None
    quantity: int | None = None  # the spec types lead quantities as integers
    unit_cost: Cents | None = None
    unit_price: Cents | None = None


class LeadCreate(HcpRequest):
    """Body of ``POST /leads``: `customer_id` or inline `customer` (which creates one).

    `note` (singular) lands in Private Notes; HCP drops `notes` silently.
    """

    customer_id: str | None = None
    customer: CustomerCreate | None = None
    assigned_employee_id: str | None = None
    address_id: str | None = None
    address: LeadAddressCreate | None = None
    lead_source: str | None = None
    line_items: list[LeadLineItemCreate] | None = None
    note: str | None = None
    tags: list[str] | None = None
    tax_name: str | None = None
    tax_rate: int | None = None


class Lead(HcpModel):
    """A lead (``lea_`` id); `status` is open, won or lost."""

    id: str
    number: int | None = None
    customer: Customer | None = None
    address: Address | None = None
    lead_source: str | None = None
    tags: list[str] = []
    assigned_employee: Employee | None = None
    status: str | None = None
    pipeline_status: str | None = None
    company_id: str | None = None
    lost_at: LenientUtcDateTime = None


class LeadConversion(HcpModel):
    """Response of ``POST /leads/{id}/convert``: one of `job_id` / `estimate_id`."""

    job_id: str | None = None
    estimate_id: str | None = None
