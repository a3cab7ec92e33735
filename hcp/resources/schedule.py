"""``/company/schedule_availability`` and its booking windows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from hcp._params import build_params
from hcp.models.schedule import BookingWindow, BookingWindows, ScheduleAvailability
from hcp.resources._base import Resource, Timeout

AVAILABILITY = "/company/schedule_availability"
WINDOWS = "/company/schedule_availability/booking_windows"


def start_date_param(value: date | str | None) -> str | None:
    """Format `start_date` as HCP wants it: ``YYYY-MM-DDTHH:MM:SS`` (a company-calendar date)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime):
        raise TypeError("start_date is a calendar date: pass a date, not a datetime")
    return f"{value.isoformat()}T00:00:00"


class ScheduleResource(Resource):
    """Business hours and online-booking windows (read-only here)."""

    async def availability(self, *, timeout: Timeout = None) -> ScheduleAvailability:
        """``GET /company/schedule_availability`` (business hours)."""
        data = await self._call("GET", AVAILABILITY, timeout=timeout)
        return self._model(ScheduleAvailability, data, "GET", AVAILABILITY)

    async def booking_windows(
        self,
        *,
        start_date: date | str | None = None,
        show_for_days: int | None = None,
        service_id: str | None = None,
        service_duration: int | None = None,
        price_form_id: str | None = None,
        employee_ids: Iterable[str] | None = None,
        available_only: bool = True,
        timeout: Timeout = None,
    ) -> list[BookingWindow]:
        """``GET /company/schedule_availability/booking_windows``; times are UTC.

        Windows are not reservations: re-check right before creating the job.
        Without `start_date` HCP starts at the next day with a window (not today).
        """
        if service_duration is not None and service_duration <= 0:
            raise ValueError("service_duration must be a positive number of minutes")
        params = build_params(
            start_date=start_date_param(start_date),
            show_for_days=show_for_days,
            service_id=service_id,
            service_duration=service_duration,
            price_form_id=price_form_id,
            employee_ids=list(employee_ids) if employee_ids is not None else None,
        )
        data = await self._call("GET", WINDOWS, params=params, timeout=timeout)
        windows = self._model(BookingWindows, data, "GET", WINDOWS).booking_windows
        return [w for w in windows if w.available] if available_only else windows
