"""Bad input at the sandbox's edge: HCP's error shape, never a 500, nothing stored, and a
bad value (even one an older sandbox stored) never breaks later reads."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from hcp.sandbox import SandboxState, create_sandbox_app, seed_demo_company
from hcp.sandbox.testing import FakeClock, sandbox_client
from tests.sandbox.test_api_jobs import END, START

WINDOWS = "/company/schedule_availability/booking_windows"
READS = ("/jobs", WINDOWS, "/company/schedule_availability", "/estimates", "/leads")


def _everything(app: FastAPI) -> dict[str, Any]:
    state: SandboxState = app.state.sandbox.state
    return copy.deepcopy(state._cache)


async def _ids(client: httpx.AsyncClient) -> dict[str, str]:
    cust = (await client.get("/customers", params={"q": "2175550100"})).json()["customers"][0]
    job = (await client.get("/jobs", params={"work_status[]": "scheduled"})).json()["jobs"][0]
    estimate = (await client.get("/estimates")).json()["estimates"][0]
    return {
        "customer": cust["id"],
        "address": cust["addresses"][0]["id"],
        "job": job["id"],
        "estimate": estimate["id"],
        "option": estimate["options"][0]["id"],
    }


def _job(ids: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {"customer_id": ids["customer"], "address_id": ids["address"], **extra}


def _item(**extra: Any) -> dict[str, Any]:
    return {"name": "Part", "unit_price": 1000, **extra}


# (method, path with {placeholders}, body or query builder)
BAD_WRITES: list[tuple[str, str, Any]] = [
    ("POST", "/jobs", lambda i: _job(i, schedule={"scheduled_start": "tomorrow"})),
    ("POST", "/jobs", lambda i: _job(i, schedule={"scheduled_start": "9999-12-31T23:59:59-14:00"})),
    ("POST", "/jobs", lambda i: _job(i, schedule={"scheduled_start": START, "scheduled_end": 5})),
    ("POST", "/jobs", lambda i: _job(i, schedule="tomorrow")),
    ("POST", "/jobs", lambda i: _job(i, schedule={"scheduled_start": START, "arrival_window": -1})),
    ("POST", "/jobs", lambda i: _job(i, schedule={"anytime": True})),
    ("POST", "/jobs", lambda i: _job(i, line_items=[_item(quantity=1e308)])),
    ("POST", "/jobs", lambda i: _job(i, line_items=[_item(unit_price="lots")])),
    ("POST", "/jobs", lambda i: _job(i, line_items=["a line"])),
    ("POST", "/jobs", lambda i: _job(i, tags=["ok", {"not": "a name"}])),
    ("POST", "/jobs", lambda i: _job(i, invoice_number="abc")),
    ("POST", "/jobs", lambda i: _job(i, job_fields="AC repair")),
    ("POST", "/jobs", lambda i: _job(i, notes=["a", "b"], tags=["New tag"])),
    ("POST", "/jobs/{job}/line_items", lambda i: _item(quantity=1e308)),
    ("POST", "/jobs/{job}/line_items", lambda i: _item(unit_cost=float("1e300"))),
    (
        "PUT",
        "/jobs/{job}/line_items/bulk_update",
        lambda i: {"line_items": [_item(quantity=1e308)]},
    ),
    ("PUT", "/jobs/{job}/line_items/bulk_update", lambda i: {"line_items": [1, 2]}),
    ("POST", "/jobs/{job}/appointments", lambda i: {"start_time": "soon", "end_time": END}),
    ("PUT", "/jobs/{job}/schedule", lambda i: {"start_time": "tomorrow"}),
    (
        "PUT",
        "/jobs/{job}/schedule",
        lambda i: {"start_time": START, "arrival_window_in_minutes": 1e9},
    ),
    ("PUT", "/jobs/{job}/schedule", lambda i: {"start_time": START, "dispatched_employees": "x"}),
    ("POST", "/jobs/{job}/notes", lambda i: {"content": {"text": "hi"}}),
    (
        "PUT",
        "/company/schedule_availability",
        lambda i: {"availability_buffer_in_days": 1e12, "daily_schedule_windows": []},
    ),
    (
        "PUT",
        "/company/schedule_availability",
        lambda i: {
            "availability_buffer_in_days": 0,
            "daily_schedule_windows": [
                {
                    "day_name": "monday",
                    "schedule_windows": [{"start_time": "17:00", "end_time": "08:00"}],
                }
            ],
        },
    ),
    ("POST", "/customers", lambda i: {"first_name": "Al", "addresses": [{"street": "1 A St"}]}),
    ("POST", "/customers", lambda i: {"first_name": ["Al"]}),
    ("POST", "/customers", lambda i: {"first_name": "Al", "notifications_enabled": "yes"}),
    ("PUT", "/customers/{customer}", lambda i: {"tags": "VIP"}),
    (
        "POST",
        "/customers/{customer}/addresses",
        lambda i: {
            "street": "1 A St",
            "city": "X",
            "state": "IL",
            "zip": "62701",
            "country": "US",
            "latitude": 1e9,
        },
    ),
    (
        "POST",
        "/estimates",
        lambda i: _job(i, options=[{"name": "A", "line_items": [_item(quantity=float("1e308"))]}]),
    ),
    (
        "POST",
        "/estimates",
        lambda i: _job(i, tax={"taxable": True, "tax_rate": 7, "tax_name": "T"}),
    ),
    ("POST", "/estimates", lambda i: _job(i, schedule={"start_time": "next week"})),
    ("POST", "/estimates/{estimate}/options", lambda i: {"name": "B", "tax": {"tax_rate": "x"}}),
    ("POST", "/estimates/options/approve", lambda i: {"option_ids": []}),
    ("POST", "/estimates/options/approve", lambda i: {"option_ids": "est_1"}),
    (
        "POST",
        "/leads",
        lambda i: {"customer": {"first_name": "Al"}, "line_items": [_item(quantity=1e308)]},
    ),
    ("POST", "/leads", lambda i: {"customer": {"first_name": "Al"}, "tags": [None]}),
    ("POST", "/tags", lambda i: {"name": {"x": 1}}),
]


@pytest.mark.parametrize(("method", "path", "build"), BAD_WRITES)
async def test_bad_write_is_refused_and_stores_nothing(
    app: FastAPI, method: str, path: str, build: Any
) -> None:
    # Unvalidated client: HCP's 400/422 bodies are undocumented on most of these operations.
    async with sandbox_client(app) as client:
        ids = await _ids(client)
        before = _everything(app)
        response = await client.request(method, path.format(**ids), json=build(ids))
        assert response.status_code in (400, 422), response.text
        body = response.json()
        assert set(body) in ({"errors"}, {"message"}), body
        assert _everything(app) == before
        for read in READS:
            assert (await client.get(read)).status_code == 200


BAD_QUERIES: list[tuple[str, dict[str, Any], int]] = [
    (WINDOWS, {"show_for_days": 10**9}, 400),
    (WINDOWS, {"show_for_days": -5}, 400),
    (WINDOWS, {"show_for_days": "1e400"}, 400),
    (WINDOWS, {"service_duration": 10**12}, 422),
    (WINDOWS, {"start_date": "9999-12-31T00:00:00"}, 422),
    ("/jobs", {"page": "inf"}, 400),
    ("/jobs", {"page_size": "1e400"}, 400),
    ("/jobs", {"scheduled_start_min": "yesterday"}, 400),
    ("/invoices", {"amount_due_min": "1e400"}, 400),
]


@pytest.mark.parametrize(("path", "params", "status"), BAD_QUERIES)
async def test_bad_query_is_a_client_error(
    app: FastAPI, path: str, params: dict[str, Any], status: int
) -> None:
    async with sandbox_client(app) as client:  # unvalidated: 400s are spec slips here
        response = await client.get(path, params=params)
    assert response.status_code == status, response.text
    assert set(response.json()) in ({"errors"}, {"message"})


def _poison(path: Path, clock: FakeClock) -> tuple[str, str]:
    """Write what the old sandbox stored for `quantity: 1e308` and a 1e12-day buffer."""
    state = SandboxState.open(path)
    seed_demo_company(state, now=clock())
    job = next(j for j in state.all("jobs") if j["work_status"] == "scheduled")
    job["line_items"].append(
        {"id": "prli_poison", "name": "Part", "unit_price": int(1e308), "quantity": 1e308}
    )
    state.put("jobs", job)
    estimate = state.all("estimates")[0]
    estimate["options"][0]["tax"] = {"taxable": True, "tax_rate": "abc"}
    state.put("estimates", estimate)
    availability = state.meta("availability")
    state.set_meta("availability", {**availability, "availability_buffer_in_days": 1e12})
    state.close()
    return job["id"], estimate["id"]


async def test_rows_poisoned_by_an_older_sandbox_read_fine_after_restart(
    tmp_path: Path, clock: FakeClock
) -> None:
    db = tmp_path / "sandbox.db"
    job_id, estimate_id = _poison(db, clock)
    state = SandboxState.open(db)
    async with sandbox_client(create_sandbox_app(state=state, clock=clock)) as client:
        for path in (
            "/jobs",
            f"/jobs/{job_id}",
            f"/jobs/{job_id}/line_items",
            f"/estimates/{estimate_id}",
            WINDOWS,
            "/company/schedule_availability",
        ):
            response = await client.get(path)
            assert response.status_code == 200, (path, response.text)
        items = (await client.get(f"/jobs/{job_id}/line_items")).json()["data"]
        poisoned = next(i for i in items if i["id"] == "prli_poison")
        assert poisoned["quantity"] == 1_000_000 and poisoned["unit_price"] == 10**11
    state.close()
    # The repair was saved: the raw row no longer holds the bad values.
    raw = SandboxState.open(db)
    assert "1e+308" not in json.dumps(raw.get("jobs", job_id))
    assert raw.meta("availability")["availability_buffer_in_days"] == 365
