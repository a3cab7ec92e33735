"""Customers and addresses."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator

from hcp.models._base import HcpModel, HcpRequest, LenientUtcDateTime


class Address(HcpModel):
    """A customer address (``adr_`` id)."""

    id: str
    type: str | None = None
    street: str | None = None
    street_line_2: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None


class AddressCreate(HcpRequest):
    """Body of ``POST /customers/{id}/addresses`` (street, city, state, zip, country required)."""

    street: str
    city: str
    state: str
    zip: str
    country: str = "US"
    street_line_2: str | None = None
    latitude: float | None = None
    longitude: float | None = None


class CustomerAddressCreate(HcpRequest):
    """An inline address in ``CustomerCreate.addresses``."""

    street: str
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    street_line_2: str | None = None
    country: str | None = None
    type: Literal["billing", "service"] | None = None


class CustomerBase(HcpModel):
    """Fields every customer shape shares (``cus_`` id)."""

    id: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    mobile_number: str | None = None
    home_number: str | None = None
    work_number: str | None = None
    company: str | None = None
    notifications_enabled: bool | None = None
    lead_source: str | None = None
    tags: list[str] = []
    addresses: list[Address] = []
    company_name: str | None = None
    company_id: str | None = None
    do_not_service: bool | None = None
    created_at: LenientUtcDateTime = None
    updated_at: LenientUtcDateTime = None

    @property
    def full_name(self) -> str:
        """First and last name joined, or the company name, or ''."""
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        return name or (self.company or "")

    @property
    def phone_numbers(self) -> list[str]:
        """The non-empty mobile, home and work numbers as stored."""
        return [n for n in (self.mobile_number, self.home_number, self.work_number) if n]


def _notes_text(value: Any) -> Any:
    """Job payloads embed the customer's notes as ``[{id, content}]``; keep them as text."""
    if isinstance(value, list):
        parts = [n.get("content") if isinstance(n, dict) else n for n in value]
        return "\n".join(str(p) for p in parts if p) or None
    return value


class Customer(CustomerBase):
    """A customer (``cus_`` id).

    `notes` is the private-notes text; where HCP embeds notes as ``[{id, content}]`` (the
    customer inside a job) their contents are joined with newlines.
    """

    notes: Annotated[str | None, BeforeValidator(_notes_text)] = None


class CustomerUpdate(HcpRequest):
    """Body of ``PUT /customers/{id}``; only set fields are sent."""

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    company: str | None = None
    notifications_enabled: bool | None = None
    mobile_number: str | None = None
    home_number: str | None = None
    work_number: str | None = None
    tags: list[str] | None = None
    lead_source: str | None = None
    notes: str | None = None


class CustomerCreate(CustomerUpdate):
    """Body of ``POST /customers`` (needs a name, email or phone; HCP enforces it)."""

    addresses: list[CustomerAddressCreate] | None = None
