"""Jobs, schedules, appointments and line items."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field, model_validator

from hcp.models._base import (
    Cents,
    HcpModel,
    HcpRequest,
    LenientUtcDateTime,
    OutUtcDateTime,
    UtcDateTime,
)
from hcp.models.customers import Address, Customer
from hcp.models.reference import Employee, Note
from hcp.models.work_status import WorkStatus, to_filter


class Appointment(HcpModel):
    """One visit of a job (``appt_`` id)."""

    id: str
    start_time: UtcDateTime | None = None
    end_time: UtcDateTime | None = None
    start_date: str | None = None
    anytime: bool | None = None
    arrival_window_minutes: int | None = None
    dispatched_employees_ids: list[str] = []


class Schedule(HcpModel):
    """A job's schedule; appointments appear only with ``expand=["appointments"]``."""

    scheduled_start: UtcDateTime | None = None
    scheduled_end: UtcDateTime | None = None
    arrival_window: int | None = None
    appointments: list[Appointment] = []


class WorkTimestamps(HcpModel):
    """When the pro was on the way, started and completed."""

    on_my_way_at: LenientUtcDateTime = None
    started_at: LenientUtcDateTime = None
    completed_at: LenientUtcDateTime = None


class NamedRef(HcpModel):
    """An ``{id, name}`` reference (job type, business unit)."""

    id: str | None = None
    name: str | None = None


class JobFields(HcpModel):
    """Job type and business unit of a job."""

    job_type: NamedRef | None = None
    business_unit: NamedRef | None = None


class Job(HcpModel):
    """A job (``job_`` id). Money fields are integer cents."""

    id: str
    invoice_number: str | None = None
    description: str | None = None
    customer: Customer | None = None
    address: Address | None = None
    notes: list[Note] = []
    work_status: str | None = None
    work_timestamps: WorkTimestamps | None = None
    schedule: Schedule | None = None
    total_amount: Cents | None = None
    outstanding_balance: Cents | None = None
    subtotal: Cents | None = None
    assigned_employees: list[Employee] = []
    tags: list[str] = []
    original_estimate_id: str | None = None
    lead_source: str | None = None
    job_fields: JobFields | None = None
    company_id: str | None = None
    created_at: LenientUtcDateTime = None
    updated_at: LenientUtcDateTime = None
    canceled_at: LenientUtcDateTime = None
    deleted_at: LenientUtcDateTime = None

    @property
    def status_filter(self) -> WorkStatus | None:
        """`work_status` in the list-filter spelling, or None if unknown/missing."""
        if not self.work_status:
            return None
        try:
            return to_filter(self.work_status)
        except ValueError:
            return None


class PricingFormOption(HcpRequest):
    """A chosen option of a price-form field."""

    id: str


class PricingFormField(HcpRequest):
    """A price-form field value."""

    id: str
    value: Any = None
    options: list[PricingFormOption] | None = None


class PricingForm(HcpRequest):
    """A price form (``pbpf_``) that prices a line item."""

    id: str
    fields: list[PricingFormField] | None = None


class LineItemCreate(HcpRequest):
    """A line item in a create body. Prices in integer cents."""

    name: str
    description: str | None = None
    unit_price: Cents | None = None
    unit_cost: Cents | None = None
    quantity: float | None = None
    pricing_form: PricingForm | None = None


class LineItemUpdate(HcpRequest):
    """An item of ``PUT /jobs/{id}/line_items/bulk_update``; no `id` means a new item."""

    name: str
    id: str | None = None
    description: str | None = None
    unit_price: Cents | None = None
    unit_cost: Cents | None = None
    quantity: float | None = None
    kind: str | None = None
    taxable: bool | None = None
    service_item_id: str | None = None
    service_item_type: str | None = None


class LineItem(HcpModel):
    """A line item as returned (``LineItemResponse``)."""

    id: str | None = None
    name: str | None = None
    description: str | None = None
    unit_price: Cents | None = None
    unit_cost: Cents | None = None
    unit_of_measure: str | None = None
    quantity: float | None = None
    kind: str | None = None
    taxable: bool | None = None
    amount: Cents | None = None
    order_index: int | None = None


class JobScheduleCreate(HcpRequest):
    """`schedule` of ``POST /jobs``; times aware, sent as UTC ``Z``."""

    scheduled_start: OutUtcDateTime | None = None
    scheduled_end: OutUtcDateTime | None = None
    arrival_window: int | None = Field(default=None, ge=0, description="minutes")
    anytime: bool | None = None
    anytime_start_date: date | None = None

    @model_validator(mode="after")
    def _check(self) -> JobScheduleCreate:
        if self.anytime and self.anytime_start_date is None:
            raise ValueError("anytime_start_date is required when anytime is true")
        if (
            self.scheduled_start
            and self.scheduled_end
            and self.scheduled_end <= self.scheduled_start
        ):
            raise ValueError("scheduled_end must be after scheduled_start")
        return self


class JobFieldsCreate(HcpRequest):
    """`job_fields` of ``POST /jobs``."""

    job_type_id: str | None = None
    business_unit_id: str | None = None


class JobCreate(HcpRequest):
    """Body of ``POST /jobs`` (`customer_id` and `address_id` required)."""

    customer_id: str
    address_id: str
    schedule: JobScheduleCreate | None = None
    assigned_employee_ids: list[str] | None = None
    line_items: list[LineItemCreate] | None = None
    tags: list[str] | None = None
    lead_source: str | None = None
    notes: str | None = None
    job_fields: JobFieldsCreate | None = None
    invoice_number: int | None = None


class AppointmentCreate(HcpRequest):
    """Body of ``POST``/``PUT /jobs/{id}/appointments`` (spec: ``CreateAppointment``)."""

    start_time: OutUtcDateTime
    end_time: OutUtcDateTime
    dispatched_employees_ids: list[str]
    arrival_window_minutes: int | None = Field(default=None, ge=0)


CreateAppointment = AppointmentCreate


class DispatchedEmployee(HcpRequest):
    """``{employee_id}`` in a schedule update."""

    employee_id: str


class JobScheduleUpdate(HcpRequest):
    """Body of ``PUT /jobs/{id}/schedule`` (spec: application key / OAuth only)."""

    start_time: OutUtcDateTime
    end_time: OutUtcDateTime | None = None
    arrival_window_in_minutes: int | None = None
    notify: bool | None = None
    notify_pro: bool | None = None
    dispatched_employees: list[DispatchedEmployee] | None = None


class ScheduleResult(HcpModel):
    """Response of ``PUT /jobs/{id}/schedule``."""

    start_time: UtcDateTime | None = None
    end_time: UtcDateTime | None = None
    arrival_window_minutes: int | None = None
    assigned_employees: list[Employee] = []
