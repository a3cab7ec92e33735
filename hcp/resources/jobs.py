"""``/jobs`` and its sub-resources (appointments, schedule, notes, line items, invoices, tags)."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from hcp._pagination import Page
from hcp._params import as_list, build_params, segment
from hcp.models.invoices import Invoice
from hcp.models.jobs import (
    Appointment,
    AppointmentCreate,
    Job,
    JobCreate,
    JobScheduleUpdate,
    LineItem,
    LineItemUpdate,
    ScheduleResult,
)
from hcp.models.reference import Note, Tag
from hcp.models.work_status import WorkStatus, to_filter
from hcp.resources._base import Resource, Timeout, request_body


def work_status_params(statuses: Iterable[str | WorkStatus] | None) -> builtins.list[str] | None:
    """Map either spelling to the filter spelling, de-duplicated in order."""
    if statuses is None:
        return None
    if isinstance(statuses, str):
        statuses = [statuses]
    out: list[str] = []
    for status in statuses:
        value = to_filter(status).value
        if value not in out:
            out.append(value)
    return out


class JobsResource(Resource):
    """Jobs (there is no job update/cancel endpoint in the API)."""

    async def list(
        self,
        *,
        customer_id: str | None = None,
        work_status: Iterable[str | WorkStatus] | None = None,
        scheduled_start_min: datetime | None = None,
        scheduled_start_max: datetime | None = None,
        scheduled_end_min: datetime | None = None,
        scheduled_end_max: datetime | None = None,
        employee_ids: Iterable[str] | None = None,
        location_ids: Iterable[str] | None = None,
        expand: Iterable[str] | None = None,
        sort_by: str | None = None,
        sort_direction: str | None = None,
        page: int | None = None,
        page_size: int | None = None,
        timeout: Timeout = None,
    ) -> Page[Job]:
        """``GET /jobs``; `work_status` accepts either spelling ("in progress" -> in_progress)."""
        params = build_params(
            customer_id=customer_id,
            work_status=work_status_params(work_status),
            scheduled_start_min=scheduled_start_min,
            scheduled_start_max=scheduled_start_max,
            scheduled_end_min=scheduled_end_min,
            scheduled_end_max=scheduled_end_max,
            employee_ids=as_list(employee_ids),
            location_ids=as_list(location_ids),
            expand=as_list(expand),
            sort_by=sort_by,
            sort_direction=sort_direction,
            page=page,
            page_size=page_size,
        )
        data = await self._call("GET", "/jobs", params=params, timeout=timeout)
        return self._page(Job, data, "jobs", "GET", "/jobs", page)

    async def get(
        self, job_id: str, *, expand: Iterable[str] | None = None, timeout: Timeout = None
    ) -> Job:
        """``GET /jobs/{id}``."""
        path = f"/jobs/{segment(job_id)}"
        data = await self._call(
            "GET", path, params=build_params(expand=as_list(expand)), timeout=timeout
        )
        return self._model(Job, data, "GET", path)

    async def create(
        self,
        data: JobCreate | Mapping[str, Any] | None = None,
        /,
        *,
        timeout: Timeout = None,
        **fields: Any,
    ) -> Job:
        """``POST /jobs`` (never retried automatically; confirm with `get` after a timeout)."""
        body = request_body(JobCreate, data, fields)
        result = await self._call("POST", "/jobs", json=body, timeout=timeout)
        return self._model(Job, result, "POST", "/jobs")

    async def list_appointments(
        self, job_id: str, *, timeout: Timeout = None
    ) -> builtins.list[Appointment]:
        """``GET /jobs/{job_id}/appointments``."""
        path = f"/jobs/{segment(job_id)}/appointments"
        data = await self._call("GET", path, timeout=timeout)
        return self._list_of(Appointment, data, "appointments", "GET", path)

    async def create_appointment(
        self,
        job_id: str,
        data: AppointmentCreate | Mapping[str, Any] | None = None,
        /,
        *,
        timeout: Timeout = None,
        **fields: Any,
    ) -> Appointment:
        """``POST /jobs/{job_id}/appointments`` (start, end and employees required)."""
        path = f"/jobs/{segment(job_id)}/appointments"
        body = request_body(AppointmentCreate, data, fields)
        result = await self._call("POST", path, json=body, timeout=timeout)
        return self._model(Appointment, result, "POST", path)

    async def update_appointment(
        self,
        job_id: str,
        appointment_id: str,
        data: AppointmentCreate | Mapping[str, Any] | None = None,
        /,
        *,
        timeout: Timeout = None,
        **fields: Any,
    ) -> Appointment:
        """``PUT /jobs/{job_id}/appointments/{appointment_id}``."""
        path = f"/jobs/{segment(job_id)}/appointments/{segment(appointment_id)}"
        body = request_body(AppointmentCreate, data, fields)
        result = await self._call("PUT", path, json=body, timeout=timeout)
        return self._model(Appointment, result, "PUT", path)

    async def delete_appointment(
        self, job_id: str, appointment_id: str, *, timeout: Timeout = None
    ) -> None:
        """``DELETE /jobs/{job_id}/appointments/{appointment_id}``."""
        path = f"/jobs/{segment(job_id)}/appointments/{segment(appointment_id)}"
        await self._call("DELETE", path, timeout=timeout)

    async def update_schedule(
        self,
        job_id: str,
        data: JobScheduleUpdate | Mapping[str, Any] | None = None,
        /,
        *,
        timeout: Timeout = None,
        **fields: Any,
    ) -> ScheduleResult:
        """``PUT /jobs/{job_id}/schedule`` (spec: application key / OAuth only)."""
        path = f"/jobs/{segment(job_id)}/schedule"
        body = request_body(JobScheduleUpdate, data, fields)
        result = await self._call("PUT", path, json=body, timeout=timeout)
        return self._model(ScheduleResult, result, "PUT", path)

    async def delete_schedule(self, job_id: str, *, timeout: Timeout = None) -> None:
        """``DELETE /jobs/{job_id}/schedule``: unschedules (does not cancel) the job."""
        await self._call("DELETE", f"/jobs/{segment(job_id)}/schedule", timeout=timeout)

    async def add_note(self, job_id: str, content: str, *, timeout: Timeout = None) -> Note:
        """``POST /jobs/{job_id}/notes``."""
        if not content.strip():
            raise ValueError("note content is empty")
        path = f"/jobs/{segment(job_id)}/notes"
        result = await self._call("POST", path, json={"content": content}, timeout=timeout)
        return self._model(Note, result, "POST", path)

    async def delete_note(self, job_id: str, note_id: str, *, timeout: Timeout = None) -> None:
        """``DELETE /jobs/{job_id}/notes/{note_id}``."""
        path = f"/jobs/{segment(job_id)}/notes/{segment(note_id)}"
        await self._call("DELETE", path, timeout=timeout)

    async def list_line_items(
        self, job_id: str, *, timeout: Timeout = None
    ) -> builtins.list[LineItem]:
        """``GET /jobs/{job_id}/line_items`` (live envelope ``{"object":"list","data":[...]}``)."""
        path = f"/jobs/{segment(job_id)}/line_items"
        data = await self._call("GET", path, timeout=timeout)
        return self._list_of(LineItem, data, "data", "GET", path)

    async def bulk_update_line_items(
        self,
        job_id: str,
        line_items: Sequence[LineItemUpdate | Mapping[str, Any]],
        *,
        append: bool = False,
        timeout: Timeout = None,
    ) -> builtins.list[LineItem]:
        """``PUT /jobs/{job_id}/line_items/bulk_update``; items without `id` are new.

        With ``append=False`` items not listed are deleted (idempotent, so retried); with
        ``append=True`` a repeat would add duplicates, so it is never retried.
        """
        path = f"/jobs/{segment(job_id)}/line_items/bulk_update"
        items = [request_body(LineItemUpdate, item, {}) for item in line_items]
        body = {"line_items": items, "append_line_items": append}
        result = await self._call("PUT", path, json=body, timeout=timeout, idempotent=not append)
        return self._list_of(LineItem, result, "data", "PUT", path)

    async def list_invoices(
        self, job_id: str, *, timeout: Timeout = None
    ) -> builtins.list[Invoice]:
        """``GET /jobs/{job_id}/invoices``."""
        path = f"/jobs/{segment(job_id)}/invoices"
        data = await self._call("GET", path, timeout=timeout)
        return self._list_of(Invoice, data, "invoices", "GET", path)

    async def add_tag(
        self, job_id: str, tag_id: str, *, timeout: Timeout = None
    ) -> builtins.list[Tag]:
        """``POST /jobs/{job_id}/tags`` with a tag **id**; returns the job's tags."""
        path = f"/jobs/{segment(job_id)}/tags"
        result = await self._call("POST", path, json={"tag_id": tag_id}, timeout=timeout)
        return self._list_of(Tag, result, "tags", "POST", path)

    async def remove_tag(
        self, job_id: str, tag_id: str, *, timeout: Timeout = None
    ) -> builtins.list[Tag]:
        """``DELETE /jobs/{job_id}/tags/{tag_id}``; returns the job's tags."""
        path = f"/jobs/{segment(job_id)}/tags/{segment(tag_id)}"
        result = await self._call("DELETE", path, timeout=timeout)
        return self._list_of(Tag, result, "tags", "DELETE", path)
