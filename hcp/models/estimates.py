"""Estimates and their options (``csr_`` estimate ids, ``est_`` option ids)."""

from __future__ import annotations

from pydantic import Field

from hcp.models._base import Cents, HcpModel, HcpRequest, LenientUtcDateTime, OutUtcDateTime
from hcp.models.customers import Address, Customer
from hcp.models.jobs import LineItemCreate, Schedule, WorkTimestamps
from hcp.models.reference import Employee, Note


class EstimateOption(HcpModel):
    """One option of an estimate; totals live here (cents), not on the estimate."""

    id: str
    name: str | None = None
    option_number: str | None = None
    total_amount: Cents | None = None
    approval_status: str | None = None
    status: str | None = None
    message_from_pro: str | None = None
    tags: list[str] = []
    notes: list[Note] = []
    created_at: LenientUtcDateTime = None
    updated_at: LenientUtcDateTime = None


class Estimate(HcpModel):
    """An estimate."""

    id: str
    estimate_number: str | None = None
    work_status: str | None = None
    lead_source: str | None = None
    customer: Customer | None = None
    address: Address | None = None
    schedule: Schedule | None = None
    work_timestamps: WorkTimestamps | None = None
    assigned_employees: list[Employee] = []
    options: list[EstimateOption] = []
    company_id: str | None = None
    created_at: LenientUtcDateTime = None
    updated_at: LenientUtcDateTime = None


class EstimateTax(HcpRequest):
    """Tax of an estimate/option; `tax_rate` is a fraction (0.0825 = 8.25%)."""

    taxable: bool
    tax_rate: float | None = Field(default=None, ge=0, le=1)
    tax_name: str | None = None


class EstimateOptionLineItem(HcpRequest):
    """A line item of ``EstimateOptionCreate`` (cents)."""

    name: str
    description: str | None = None
    unit_price: Cents | None = None
    unit_cost: Cents | None = None
    quantity: float | None = None
    taxable: bool | None = None


class EstimateOptionCreate(HcpRequest):
    """Body of ``POST /estimates/{id}/options``."""

    name: str
    line_items: list[EstimateOptionLineItem] | None = None
    tax: EstimateTax | None = None


class EstimateOptionInput(HcpRequest):
    """An option inline in ``EstimateCreate``."""

    name: str
    tags: list[str] | None = None
    line_items: list[LineItemCreate] | None = None


class EstimateAddressCreate(HcpRequest):
    """Inline address of ``EstimateCreate`` (instead of `address_id`)."""

    street: str
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    street_line_2: str | None = None


class EstimateScheduleCreate(HcpRequest):
    """`schedule` of ``EstimateCreate``."""

    start_time: OutUtcDateTime
    end_time: OutUtcDateTime
    arrival_window_in_minutes: int | None = None
    notify_customer: bool | None = None


class EstimateFieldsCreate(HcpRequest):
    """`estimate_fields` of ``EstimateCreate``."""

    job_type_id: str | None = None
    business_unit_id: str | None = None


class EstimateCreate(HcpRequest):
    """Body of ``POST /estimates``."""

    customer_id: str | None = None
    address_id: str | None = None
    address: EstimateAddressCreate | None = None
    estimate_number: int | None = None
    note: str | None = None
    message: str | None = None
    assigned_employee_ids: list[str] | None = None
    lead_source: str | None = None
    options: list[EstimateOptionInput] | None = None
    tax: EstimateTax | None = None
    schedule: EstimateScheduleCreate | None = None
    estimate_fields: EstimateFieldsCreate | None = None


class OptionDecisionResult(HcpModel):
    """Response of approve/decline: ``{status, last_updated_at, copied_on_approval_to_job_id}``."""

    status: str | None = None
    last_updated_at: LenientUtcDateTime = None
    copied_on_approval_to_job_id: str | None = None
