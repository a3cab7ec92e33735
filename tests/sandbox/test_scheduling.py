"""Booking windows: hours, time zone (incl. DST days), durations, bookings, concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from hcp.sandbox.scheduling import booking_windows, to_utc_z

CHICAGO = "America/Chicago"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


def hours(
    days: tuple[str, ...] = WEEKDAYS, start: str = "08:00", end: str = "17:00"
) -> dict[str, Any]:
    data = [
        {"day_name": d, "schedule_windows": [{"start_time": start, "end_time": end}]} for d in days
    ]
    return {"availability_buffer_in_days": 0, "daily_availabilities": {"data": data}}


def windows(
    *,
    availability: dict[str, Any] | None = None,
    now: datetime = datetime(2026, 12, 9, 12, 0, tzinfo=UTC),
    busy: dict[str, list[tuple[datetime, datetime]]] | None = None,
    employees: tuple[str, ...] = ("pro_a", "pro_b"),
    duration: int = 60,
    start: date | None = date(2026, 12, 14),
    days: int = 1,
) -> list[tuple[str, str]]:
    _, found = booking_windows(
        availability=availability or hours(),
        time_zone=CHICAGO,
        now=now,
        busy=busy or {},
        employee_ids=list(employees),
        duration_minutes=duration,
        start_date=start,
        show_for_days=days,
    )
    return [(to_utc_z(w.start), to_utc_z(w.end)) for w in found]


def test_windows_follow_business_hours_in_company_zone() -> None:
    found = windows()  # Monday 2026-12-14, CST = UTC-6
    assert found[0] == ("2026-12-14T14:00:00Z", "2026-12-14T15:00:00Z")  # 08:00 local
    assert found[-1] == ("2026-12-14T22:00:00Z", "2026-12-14T23:00:00Z")  # ends 17:00
    assert len(found) == 9


def test_duration_sets_window_size_and_drops_what_does_not_fit() -> None:
    found = windows(duration=120)
    assert [s[11:16] for s, _ in found] == ["14:00", "16:00", "18:00", "20:00"]
    assert all(e[11:16] <= "23:00" for _, e in found)
    assert windows(duration=600) == []  # longer than the open day


def test_closed_days_have_no_windows() -> None:
    assert windows(start=date(2026, 12, 13)) == []  # Sunday


def test_past_windows_are_not_offered() -> None:
    now = datetime(2026, 12, 14, 17, 30, tzinfo=UTC)  # 11:30 local on the day itself
    found = windows(now=now)
    assert found[0][0] == "2026-12-14T18:00:00Z"  # 12:00 local is the first start


def test_default_start_is_next_open_day_never_today() -> None:
    friday_morning = datetime(2026, 12, 11, 14, 0, tzinfo=UTC)
    first, found = booking_windows(
        availability=hours(),
        time_zone=CHICAGO,
        now=friday_morning,
        busy={},
        employee_ids=["pro_a"],
        show_for_days=1,
    )
    assert first == date(2026, 12, 14)  # skips the rest of Friday and the weekend
    assert found[0].start == datetime(2026, 12, 14, 14, 0, tzinfo=UTC)


def test_busy_employees_and_full_overlap() -> None:
    nine = datetime(2026, 12, 14, 15, 0, tzinfo=UTC)
    one_busy = {"pro_a": [(nine, nine + timedelta(hours=1))]}
    assert ("2026-12-14T15:00:00Z", "2026-12-14T16:00:00Z") in windows(busy=one_busy)
    both_busy = {**one_busy, "pro_b": [(nine + timedelta(minutes=30), nine + timedelta(hours=2))]}
    starts = [s for s, _ in windows(busy=both_busy)]
    assert "2026-12-14T15:00:00Z" not in starts  # pro_a busy, pro_b overlaps its second half
    assert "2026-12-14T16:00:00Z" in starts  # pro_a is free again


def test_availability_buffer_days() -> None:
    avail = hours()
    avail["availability_buffer_in_days"] = 2
    now = datetime(2026, 12, 14, 12, 0, tzinfo=UTC)
    assert windows(availability=avail, now=now, start=date(2026, 12, 15)) == []
    assert windows(availability=avail, now=now, start=date(2026, 12, 16))


def test_fall_back_dst_day_keeps_local_hours() -> None:
    every_day = hours(days=("saturday", "sunday"), start="08:00", end="10:00")
    found = windows(
        availability=every_day,
        now=datetime(2026, 10, 1, tzinfo=UTC),
        start=date(2026, 10, 31),
        days=2,
    )
    # Sat Oct 31 is CDT (UTC-5); Sun Nov 1 is CST (UTC-6): 08:00 local both days.
    assert [s for s, _ in found] == [
        "2026-10-31T13:00:00Z",
        "2026-10-31T14:00:00Z",
        "2026-11-01T14:00:00Z",
        "2026-11-01T15:00:00Z",
    ]


def test_spring_forward_night_has_only_real_hours() -> None:
    night = hours(days=("sunday",), start="01:00", end="04:00")
    found = windows(
        availability=night, now=datetime(2026, 3, 1, tzinfo=UTC), start=date(2026, 3, 8)
    )
    # 01:00 CST = 07:00Z; 02:00-03:00 local does not exist; 04:00 CDT = 09:00Z.
    assert found == [
        ("2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z"),
        ("2026-03-08T08:00:00Z", "2026-03-08T09:00:00Z"),
    ]


# --- through the API -------------------------------------------------------------

MONDAY = "2026-12-14T00:00:00"


async def _windows(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(
        "/company/schedule_availability/booking_windows",
        params={"start_date": MONDAY, "show_for_days": 1, **params},
    )
    assert response.status_code == 200
    found: list[dict[str, Any]] = response.json()["booking_windows"]
    return found


async def _job_body(
    client: httpx.AsyncClient, window: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    cust = (await client.get("/customers")).json()["customers"][0]
    return {
        "customer_id": cust["id"],
        "address_id": cust["addresses"][0]["id"],
        "schedule": {"scheduled_start": window["start_time"], "scheduled_end": window["end_time"]},
        **extra,
    }


async def test_endpoint_shape_and_default_start(client: httpx.AsyncClient) -> None:
    body = (await client.get("/company/schedule_availability/booking_windows")).json()
    assert body["start_date"] == "2026-11-26"  # tomorrow; the clock is Wed 09:00 local
    assert body["show_for_days"] == 7
    assert all(w["available"] is True for w in body["booking_windows"])
    assert all(w["start_time"].endswith("Z") for w in body["booking_windows"])


@pytest.mark.hcp_deviation("price-book-list-data-array")
async def test_service_duration_and_service_id(client: httpx.AsyncClient) -> None:
    half_hours = await _windows(client)
    assert len(half_hours) == 18  # 30-minute default, 08:00-17:00
    two_hours = await _windows(client, service_duration=120)
    assert len(two_hours) == 4
    forms = (await client.get("/api/price_book/price_forms")).json()["data"]
    heater = next(f for f in forms if f["duration_in_minutes"] == 240)
    assert len(await _windows(client, service_id=heater["id"])) == 2


async def test_booking_removes_the_window(client: httpx.AsyncClient) -> None:
    techs = [
        e["id"]
        for e in (await client.get("/employees")).json()["employees"]
        if e["permissions"]["can_be_booked_online"]
    ]
    first = (await _windows(client, service_duration=60))[0]
    only_tech = {"employee_ids[]": techs[0], "service_duration": 60}
    assert first in await _windows(client, **only_tech)
    body = await _job_body(client, first, assigned_employee_ids=[techs[0]])
    assert (await client.post("/jobs", json=body)).status_code == 201
    assert first not in await _windows(client, **only_tech)
    assert first in await _windows(client, service_duration=60)  # others still free
    for tech in techs[1:]:
        body = await _job_body(client, first, assigned_employee_ids=[tech])
        assert (await client.post("/jobs", json=body)).status_code == 201
    assert first not in await _windows(client, service_duration=60)


async def test_unassigned_job_leaves_its_window_bookable(client: httpx.AsyncClient) -> None:
    # Live HCP stores a scheduled job sent without technicians unassigned; booking windows
    # come from each technician's open time, so such a job takes no window away.
    first = (await _windows(client, service_duration=60))[0]
    body = await _job_body(client, first)
    responses = await asyncio.gather(*(client.post("/jobs", json=body) for _ in range(6)))
    assert [r.status_code for r in responses] == [201] * 6  # more jobs than technicians
    for job in (r.json() for r in responses):
        assert job["assigned_employees"] == []
        assert job["work_status"] == "scheduled"
        assert job["schedule"]["scheduled_start"] == first["start_time"]
    assert first in await _windows(client, service_duration=60)


@pytest.mark.hcp_deviation("422-errors")
async def test_concurrent_bookings_never_double_book(client: httpx.AsyncClient) -> None:
    techs = [
        e["id"]
        for e in (await client.get("/employees")).json()["employees"]
        if e["permissions"]["can_be_booked_online"]
    ]
    window = (await _windows(client, service_duration=60))[0]
    bodies = [await _job_body(client, window, assigned_employee_ids=[t]) for t in techs] * 5
    responses = await asyncio.gather(*(client.post("/jobs", json=b) for b in bodies))
    created = [r.json() for r in responses if r.status_code == 201]
    refused = [r for r in responses if r.status_code == 422]
    assert len(created) == 4  # one per technician
    assert len(refused) == 16
    taken = {"errors": {"schedule": ["employee is already booked at this time"]}}
    assert refused[0].json() == taken
    assigned = [job["assigned_employees"][0]["id"] for job in created]
    assert len(set(assigned)) == 4
    assert window not in await _windows(client, service_duration=60)


@pytest.mark.hcp_deviation("422-errors")
async def test_concurrent_bookings_of_one_employee(client: httpx.AsyncClient) -> None:
    tech = (await client.get("/employees")).json()["employees"][0]["id"]
    window = (await _windows(client, service_duration=60))[0]
    body = await _job_body(client, window, assigned_employee_ids=[tech])
    responses = await asyncio.gather(*(client.post("/jobs", json=body) for _ in range(10)))
    assert sorted(r.status_code for r in responses) == [201] + [422] * 9
    overlapping = {
        "start_time": window["start_time"],
        "end_time": window["end_time"],
        "dispatched_employees_ids": [tech],
    }
    job_id = next(r.json()["id"] for r in responses if r.status_code == 201)
    clash = await client.post(f"/jobs/{job_id}/appointments", json=overlapping)
    assert clash.status_code == 422
