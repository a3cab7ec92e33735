"""Models: aware UTC datetimes, naive refusal, cents, work_status spellings, overdue."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from hcp import (
    AppointmentCreate,
    BookingWindow,
    Customer,
    Invoice,
    Job,
    JobCreate,
    JobScheduleCreate,
    WorkStatus,
    format_utc,
)
from hcp.models import returned_spellings, to_filter

EST = timezone(timedelta(hours=-5))


def test_response_datetimes_are_aware_utc() -> None:
    w = BookingWindow.model_validate(
        {"start_time": "2026-03-02T14:00:00Z", "end_time": "2026-03-02T16:00:00-05:00"}
    )
    assert w.start_time == datetime(2026, 3, 2, 14, tzinfo=UTC)
    assert w.end_time.tzinfo is UTC and w.end_time.hour == 21


def test_lenient_metadata_timestamps() -> None:
    c = Customer.model_validate({"id": "cus_1", "created_at": "string", "updated_at": ""})
    assert c.created_at is None and c.updated_at is None
    c2 = Customer.model_validate(
        {"id": "cus_1", "created_at": "2026-01-02T03:04:05Z", "kind": "homeowner"}
    )
    assert c2.created_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert c2.model_extra == {"kind": "homeowner"}


def test_booking_window_times_are_strict() -> None:
    with pytest.raises(ValidationError):
        BookingWindow.model_validate({"start_time": "string", "end_time": "string"})


def test_outgoing_times_are_utc_z_without_fractions() -> None:
    body = JobCreate(
        customer_id="cus_1",
        address_id="adr_1",
        schedule=JobScheduleCreate(
            scheduled_start=datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=EST),
            scheduled_end=datetime(2026, 3, 2, 11, 0, tzinfo=EST),
            arrival_window=60,
        ),
    ).to_body()
    assert body == {
        "customer_id": "cus_1",
        "address_id": "adr_1",
        "schedule": {
            "scheduled_start": "2026-03-02T14:00:00Z",
            "scheduled_end": "2026-03-02T16:00:00Z",
            "arrival_window": 60,
        },
    }


def test_naive_outgoing_datetime_refused_clearly() -> None:
    with pytest.raises(ValidationError, match="naive datetime"):
        AppointmentCreate(
            start_time=datetime(2026, 3, 2, 9),
            end_time=datetime(2026, 3, 2, 10),
            dispatched_employees_ids=["pro_1"],
        )
    with pytest.raises(ValueError, match="naive"):
        format_utc(datetime(2026, 1, 1))


def test_schedule_checks() -> None:
    with pytest.raises(ValidationError, match="after"):
        JobScheduleCreate(
            scheduled_start=datetime(2026, 1, 1, 10, tzinfo=UTC),
            scheduled_end=datetime(2026, 1, 1, 9, tzinfo=UTC),
        )
    with pytest.raises(ValidationError, match="anytime_start_date"):
        JobScheduleCreate(anytime=True)
    ok = JobScheduleCreate(anytime=True, anytime_start_date=date(2026, 1, 5)).to_body()
    assert ok == {"anytime": True, "anytime_start_date": "2026-01-05"}


def test_money_is_integer_cents() -> None:
    job = Job.model_validate({"id": "job_1", "total_amount": 12550, "outstanding_balance": 0})
    assert job.total_amount == 12550 and isinstance(job.total_amount, int)
    with pytest.raises(ValidationError):
        Job.model_validate({"id": "job_1", "total_amount": 125.5})


@pytest.mark.parametrize(
    ("returned", "filter_value"),
    [
        ("needs scheduling", WorkStatus.UNSCHEDULED),
        ("scheduled", WorkStatus.SCHEDULED),
        ("in progress", WorkStatus.IN_PROGRESS),
        ("In_Progress", WorkStatus.IN_PROGRESS),
        ("complete rated", WorkStatus.COMPLETED),
        ("complete unrated", WorkStatus.COMPLETED),
        ("user canceled", WorkStatus.CANCELED),
        ("pro canceled", WorkStatus.CANCELED),
    ],
)
def test_work_status_spellings(returned: str, filter_value: WorkStatus) -> None:
    assert to_filter(returned) is filter_value
    assert Job.model_validate({"id": "j", "work_status": returned}).status_filter is filter_value


def test_work_status_round_trip_and_unknown() -> None:
    assert returned_spellings("completed") == ("complete rated", "complete unrated")
    assert returned_spellings(WorkStatus.UNSCHEDULED) == ("needs scheduling",)
    with pytest.raises(ValueError, match="unknown work_status"):
        to_filter("done-ish")
    assert Job.model_validate({"id": "j", "work_status": None}).status_filter is None
    assert Job.model_validate({"id": "j", "work_status": "weird"}).status_filter is None


def test_invoice_is_overdue() -> None:
    now = datetime(2026, 3, 10, tzinfo=UTC)
    due = "2026-03-01T00:00:00Z"
    assert Invoice.model_validate({"id": "i", "status": "open", "due_at": due}).is_overdue(now)
    assert not Invoice.model_validate({"id": "i", "status": "paid", "due_at": due}).is_overdue(now)
    assert not Invoice.model_validate(
        {"id": "i", "status": "open", "due_at": "2026-04-01T00:00:00Z"}
    ).is_overdue(now)
    assert not Invoice.model_validate({"id": "i", "status": "open"}).is_overdue(now)


def test_customer_helpers() -> None:
    c = Customer.model_validate(
        {"id": "c", "first_name": "Ann", "last_name": None, "home_number": "555"}
    )
    assert c.full_name == "Ann" and c.phone_numbers == ["555"]


def test_job_customer_notes_list_becomes_text() -> None:
    """Spec: a job's embedded customer has ``notes: [Note]``; a customer has ``notes: str``."""
    notes = [{"id": "nte_1", "content": "dog"}, {"id": "nte_2", "content": "gate 12"}]
    job = Job.model_validate({"id": "job_1", "customer": {"id": "cus_1", "notes": notes}})
    assert job.customer is not None and job.customer.notes == "dog\ngate 12"
    assert (
        Job.model_validate({"id": "j", "customer": {"id": "c", "notes": []}}).customer.notes is None
    )  # type: ignore[union-attr]
    assert Customer.model_validate({"id": "cus_1", "notes": "gate code"}).notes == "gate code"
