"""Company schedule availability and online-booking windows."""

from __future__ import annotations

from hcp.models._base import HcpModel, UtcDateTime


class BookingWindow(HcpModel):
    """A bookable window; times are UTC (convert to `Company.time_zone` to speak them)."""

    start_time: UtcDateTime
    end_time: UtcDateTime
    available: bool = True


class BookingWindows(HcpModel):
    """Response of ``GET /company/schedule_availability/booking_windows``."""

    booking_windows: list[BookingWindow] = []
    show_for_days: int | None = None
    start_date: str | None = None


class ScheduleWindow(HcpModel):
    """A business-hours window; times as HCP returns them (local wall-clock strings)."""

    start_time: str | None = None
    end_time: str | None = None


class DailyAvailability(HcpModel):
    """Windows for one weekday."""

    day_name: str | None = None
    schedule_windows: list[ScheduleWindow] = []


class DailyAvailabilities(HcpModel):
    """``{data: [...]}`` wrapper."""

    data: list[DailyAvailability] = []


class ScheduleAvailability(HcpModel):
    """Response of ``GET /company/schedule_availability``."""

    availability_buffer_in_days: int | None = None
    daily_availabilities: DailyAvailabilities | None = None
