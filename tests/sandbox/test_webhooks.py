"""Outbound webhooks (signed, HCP-shaped, retried) and the online-booking control path."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from hcp.sandbox import WebhookDispatcher, sign
from tests.sandbox.conftest import WEBHOOK_SECRET, WEBHOOK_URL, WebhookRecorder


async def _drain(app: FastAPI) -> None:
    await app.state.sandbox.webhooks.drain()


def _events(recorder: WebhookRecorder) -> list[dict[str, Any]]:
    return [json.loads(body) for _, body, _ in recorder.deliveries]


def test_signature_matches_hcp_construction() -> None:
    body = b'{"event":"job.created"}'
    expected = hmac.new(b"s3cret", b"1784871495." + body, hashlib.sha256).hexdigest()
    assert sign("s3cret", "1784871495", body) == expected


async def test_state_changes_are_delivered_signed(
    client: httpx.AsyncClient, app: FastAPI, webhooks: WebhookRecorder
) -> None:
    cust = (await client.get("/customers")).json()["customers"][0]
    body = {
        "customer_id": cust["id"],
        "address_id": cust["addresses"][0]["id"],
        "schedule": {
            "scheduled_start": "2026-12-14T15:00:00Z",
            "scheduled_end": "2026-12-14T16:00:00Z",
        },
        "line_items": [{"name": "Tune-up", "unit_price": 12900}],
    }
    job = (await client.post("/jobs", json=body)).json()
    await _drain(app)
    events = _events(webhooks)
    assert [e["event"] for e in events] == ["job.created", "job.scheduled", "invoice.created"]
    created = events[0]
    assert created["job"]["id"] == job["id"]
    assert created["company_id"] == (await client.get("/company")).json()["id"]
    assert created["event_occurred_at"] == "2026-11-25T15:00:00Z"
    assert events[2]["invoice"]["job_id"] == job["id"]
    for url, raw, headers in webhooks.deliveries:
        assert url == WEBHOOK_URL
        assert headers["Api-Timestamp"] == str(
            int(datetime(2026, 11, 25, 15, tzinfo=UTC).timestamp())
        )
        assert headers["Api-Signature"] == sign(WEBHOOK_SECRET, headers["Api-Timestamp"], raw)


async def test_estimate_approval_and_lead_events(
    client: httpx.AsyncClient, app: FastAPI, webhooks: WebhookRecorder
) -> None:
    est = (await client.get("/estimates")).json()["estimates"][0]
    option = est["options"][1]
    await client.post("/estimates/options/approve", json={"option_ids": [option["id"]]})
    lead = {"customer_id": est["customer"]["id"], "lead_source": "Yelp"}
    await client.post("/leads", json=lead)
    await _drain(app)
    events = _events(webhooks)
    names = [e["event"] for e in events]
    assert "estimate.option.approval_status_changed" in names
    assert names[-1] == "lead.created"
    changed = next(e for e in events if e["event"] == "estimate.option.approval_status_changed")
    assert changed["estimate"]["options"][0]["id"] == option["id"]
    assert changed["estimate"]["options"][0]["approval_status"] == "pro approved"
    assert "job.created" in names and "estimate.copy_to_job" in names


async def test_failed_delivery_is_retried_and_never_fails_the_request(
    client: httpx.AsyncClient, app: FastAPI, webhooks: WebhookRecorder
) -> None:
    app.state.sandbox.webhooks.retry_delay = 0  # no waiting in tests
    webhooks.statuses = [500, 503]  # two failures, then 200
    created = await client.post("/tags", json={"name": "no webhook for tags"})
    assert created.status_code == 201
    lead = {"customer_id": (await client.get("/customers")).json()["customers"][0]["id"]}
    assert (await client.post("/leads", json=lead)).status_code == 201
    await _drain(app)
    assert [json.loads(b)["event"] for _, b, _ in webhooks.deliveries] == ["lead.created"] * 3


async def test_sender_exceptions_are_swallowed() -> None:
    calls = 0

    async def broken(url: str, body: bytes, headers: dict[str, str]) -> int:
        nonlocal calls
        calls += 1
        raise httpx.ConnectError("refused")

    dispatcher = WebhookDispatcher(
        url=WEBHOOK_URL,
        secret=None,
        company_id=lambda: "c",
        clock=lambda: datetime(2026, 1, 1, tzinfo=UTC),
        sender=broken,
        retry_delay=0,
    )
    dispatcher.emit("job.created", "job", {"id": "job_1"})
    await dispatcher.drain()
    assert calls == 3


@pytest.mark.hcp_deviation("price-book-list-data-array")
async def test_online_booking(
    client: httpx.AsyncClient, app: FastAPI, webhooks: WebhookRecorder
) -> None:
    forms = (await client.get("/api/price_book/price_forms")).json()["data"]
    tune_up = next(f for f in forms if f["name"] == "Furnace tune-up")
    booking = {
        "name": "Jordan Reyes",
        "phone": "(217) 555-0177",
        "email": "jordan@example.com",
        "address": {"street": "77 Birch Dr", "city": "Springfield", "state": "IL", "zip": "62701"},
        "price_form_id": tune_up["id"],
        "notes": "Booked on the website at 11pm",
    }
    response = await client.post("/sandbox/online_booking", json=booking)
    assert response.status_code == 201
    job = response.json()["job"]
    assert job["lead_source"] == "Online Booking"
    assert job["tags"] == ["Online booking"]
    assert job["work_status"] == "scheduled"
    assert job["schedule"]["scheduled_start"] == "2026-11-26T14:00:00Z"  # first open window
    assert job["total_amount"] == tune_up["price"]
    assert job["customer"]["mobile_number"] == "2175550177"
    fetched = await client.get(f"/jobs/{job['id']}")  # and it is a real HCP job
    assert fetched.json()["id"] == job["id"]
    await _drain(app)
    assert {"customer.created", "job.created", "job.scheduled"} <= {
        e["event"] for e in _events(webhooks)
    }


async def test_recorded_events_endpoint(client: httpx.AsyncClient) -> None:
    await client.post(
        "/leads",
        json={"customer_id": (await client.get("/customers")).json()["customers"][0]["id"]},
    )
    events = (await client.get("/sandbox/webhooks")).json()["events"]
    assert events[-1]["event"] == "lead.created"


async def test_pay_invoice_fires_paid_events(
    client: httpx.AsyncClient, app: FastAPI, webhooks: WebhookRecorder
) -> None:
    open_invoice = (await client.get("/invoices", params={"status[]": "open"})).json()["invoices"][
        0
    ]
    paid = await client.post(f"/sandbox/invoices/{open_invoice['id']}/pay", json={})
    assert paid.json()["status"] == "paid" and paid.json()["due_amount"] == 0
    job = (await client.get(f"/jobs/{open_invoice['job_id']}")).json()
    assert job["outstanding_balance"] == 0
    await _drain(app)
    assert [e["event"] for e in _events(webhooks)] == ["invoice.paid", "job.paid"]


async def test_field_status_changes_fire_job_events(
    client: httpx.AsyncClient, app: FastAPI, webhooks: WebhookRecorder
) -> None:
    scheduled = (await client.get("/jobs", params={"work_status[]": "scheduled"})).json()["jobs"]
    job_id = scheduled[0]["id"]
    for status in ("in progress", "complete unrated"):
        changed = await client.post(
            f"/sandbox/jobs/{job_id}/work_status", json={"work_status": status}
        )
        assert changed.json()["work_status"] == status
    job = (await client.get(f"/jobs/{job_id}")).json()
    assert job["work_timestamps"]["completed_at"] == "2026-11-25T15:00:00Z"
    completed = (await client.get("/jobs", params={"work_status[]": "completed"})).json()
    assert job_id in {j["id"] for j in completed["jobs"]}
    await _drain(app)
    assert [e["event"] for e in _events(webhooks)] == ["job.started", "job.completed"]
    bad = await client.post(f"/sandbox/jobs/{job_id}/work_status", json={"work_status": "done"})
    assert bad.status_code == 422


async def test_appointment_events_carry_job_and_employees(
    client: httpx.AsyncClient, app: FastAPI, webhooks: WebhookRecorder
) -> None:
    cust = (await client.get("/customers")).json()["customers"][0]
    tech = (await client.get("/employees")).json()["employees"][0]
    job = (
        await client.post(
            "/jobs", json={"customer_id": cust["id"], "address_id": cust["addresses"][0]["id"]}
        )
    ).json()
    body = {
        "start_time": "2026-12-14T15:00:00Z",
        "end_time": "2026-12-14T16:00:00Z",
        "dispatched_employees_ids": [tech["id"]],
    }
    appt = (await client.post(f"/jobs/{job['id']}/appointments", json=body)).json()
    await client.delete(f"/jobs/{job['id']}/appointments/{appt['id']}")
    await _drain(app)
    events = {e["event"]: e for e in _events(webhooks)}
    scheduled = events["job.appointment.scheduled"]["appointment"]
    assert scheduled["job_id"] == job["id"]
    assert [e["id"] for e in scheduled["dispatched_employees"]] == [tech["id"]]
    discarded = events["job.appointment.appointment_discarded"]["appointment"]
    assert discarded == {"id": appt["id"], "job_id": job["id"]}
