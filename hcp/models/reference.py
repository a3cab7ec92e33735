"""Reference data: employees, job types, lead sources, tags, company, notes."""

from __future__ import annotations

from typing import Any

from hcp.models._base import HcpModel, LenientUtcDateTime


class Employee(HcpModel):
    """An employee (``pro_`` id)."""

    id: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    mobile_number: str | None = None
    color_hex: str | None = None
    avatar_url: str | None = None
    role: str | None = None
    tags: list[str] = []
    permissions: dict[str, Any] = {}
    company_name: str | None = None
    company_id: str | None = None
    created_at: LenientUtcDateTime = None

    @property
    def can_be_booked_online(self) -> bool:
        """Whether the employee takes online bookings (permission flag)."""
        return self.permissions.get("can_be_booked_online") is True


class JobType(HcpModel):
    """A job type (``jbt_`` id)."""

    id: str
    name: str | None = None


class LeadSource(HcpModel):
    """A lead source; elsewhere in the API `lead_source` is this `name`, matched exactly."""

    id: str
    name: str
    editable: bool | None = None


class Tag(HcpModel):
    """A tag; jobs and customers take tag names on create, ``POST /jobs/{id}/tags`` an id."""

    id: str
    name: str


class Note(HcpModel):
    """A note on a job or estimate option."""

    id: str
    content: str | None = None


class CompanyAddress(HcpModel):
    """The company's own address."""

    street: str | None = None
    street_line_2: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None


class Company(HcpModel):
    """``GET /company``; `time_zone` is the zone to speak times in."""

    id: str | None = None
    name: str | None = None
    support_email: str | None = None
    phone_number: str | None = None
    logo_url: str | None = None
    website: str | None = None
    default_arrival_window: str | int | None = None
    time_zone: str | None = None
    address: CompanyAddress | None = None
    locations: list[Company] = []


class ServiceZoneCity(HcpModel):
    """A city a service zone covers."""

    city: str
    state: str | None = None
    country: str | None = None


class ServiceZonePro(HcpModel):
    """An employee assigned to a service zone."""

    id: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    full_name: str | None = None


class ServiceZone(HcpModel):
    """``GET /service_zones``: an area the company serves, by ZIP codes and cities."""

    id: str
    name: str | None = None
    coverage_type: str | None = None
    trip_charge: int | None = None
    fee_name: str | None = None
    zip_codes: list[str] = []
    cities: list[ServiceZoneCity] = []
    service_pros: list[ServiceZonePro] = []
