"""Live-like behaviour the issue asked for: schedule update rules, messages, the material
categories route, seeds in the past, the product's lead source (responses spec-validated)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

import hcp
from hcp.sandbox import SandboxState, seed_demo_company
from hcp.sandbox.testing import FakeClock
from tests.sandbox.test_api_jobs import END, START, _create, _employees
from voice_agent.settings import Settings


async def test_schedule_update_with_start_time_only_keeps_the_duration(
    client: httpx.AsyncClient,
) -> None:
    tech = (await _employees(client))[0]
    job = (await _create(client, assigned_employee_ids=[tech])).json()
    first = {"start_time": START, "end_time": END, "arrival_window_in_minutes": 60}
    assert (await client.put(f"/jobs/{job['id']}/schedule", json=first)).status_code == 200
    moved = await client.put(
        f"/jobs/{job['id']}/schedule", json={"start_time": "2026-12-15T16:00:00Z"}
    )
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert (body["start_time"], body["end_time"]) == (
        "2026-12-15T16:00:00Z",
        "2026-12-15T18:00:00Z",
    )
    assert body["arrival_window_minutes"] == 60  # kept too
    assert [e["id"] for e in body["assigned_employees"]] == [tech]  # and the technician


async def test_schedule_update_of_an_unscheduled_job_with_start_time_only(
    client: httpx.AsyncClient,
) -> None:
    job = (await _create(client)).json()
    moved = await client.put(f"/jobs/{job['id']}/schedule", json={"start_time": START})
    assert moved.status_code == 200, moved.text
    assert moved.json()["end_time"] == "2026-12-14T16:00:00Z"  # one hour
    assert moved.json()["assigned_employees"] == []


@pytest.mark.hcp_deviation("422-errors")
async def test_schedule_update_refuses_a_multi_appointment_job(client: httpx.AsyncClient) -> None:
    techs = await _employees(client)
    job = (await _create(client)).json()
    for start, end, tech in (
        (START, END, techs[0]),
        ("2026-12-15T15:00:00Z", END[:9] + "5T17:00:00Z", techs[1]),
    ):
        visit = {"start_time": start, "end_time": end, "dispatched_employees_ids": [tech]}
        assert (await client.post(f"/jobs/{job['id']}/appointments", json=visit)).status_code == 201
    before = (await client.get(f"/jobs/{job['id']}", params={"expand[]": "appointments"})).json()
    refused = await client.put(f"/jobs/{job['id']}/schedule", json={"start_time": START})
    assert refused.status_code == 422
    assert "appointments endpoints" in refused.json()["errors"]["schedule"][0]
    after = (await client.get(f"/jobs/{job['id']}", params={"expand[]": "appointments"})).json()
    assert len(after["schedule"]["appointments"]) == 2
    assert after["schedule"] == before["schedule"]


@pytest.mark.hcp_deviation("422-errors")
async def test_empty_option_ids_says_blank_not_array(client: httpx.AsyncClient) -> None:
    empty = await client.post("/estimates/options/approve", json={"option_ids": []})
    assert empty.status_code == 422
    assert empty.json() == {"errors": {"option_ids": ["can't be blank"]}}
    bare = await client.post("/estimates/options/decline", json={"option_ids": "est_1"})
    assert bare.json() == {"errors": {"option_ids": ["must be an array"]}}


@pytest.mark.hcp_deviation("price-book-category-list-object-integer", "price-book-list-data-array")
async def test_material_categories_root_and_children(client: httpx.AsyncClient) -> None:
    root = await client.get("/api/price_book/material_categories")
    assert root.status_code == 200
    body = root.json()
    assert body["object"] == "list" and body["total_count"] == 2
    names = {c["name"]: c for c in body["data"]}
    assert set(names) == {"Plumbing parts", "HVAC parts"}
    assert all(c["parent_uuid"] is None for c in body["data"])
    plumbing = names["Plumbing parts"]["uuid"]
    children = await client.get(
        "/api/price_book/material_categories", params={"parent_uuid": plumbing}
    )
    assert [c["name"] for c in children.json()["data"]] == ["Fittings"]
    materials = await client.get(
        "/api/price_book/materials", params={"material_category_uuid": plumbing}
    )
    assert materials.json()["total_count"] == 3


@pytest.mark.hcp_deviation("price-book-category-list-object-integer")
async def test_client_lists_material_categories(client: httpx.AsyncClient) -> None:
    transport = client._transport  # the spec-validating in-process transport
    async with hcp.HcpClient(
        "sandbox",
        base_url=str(client.base_url),
        allowed_domains=(client.base_url.host,),
        transport=transport,
    ) as api:
        page = await api.price_book.list_material_categories()
        assert sorted(c.name or "" for c in page.items) == ["HVAC parts", "Plumbing parts"]


def test_seeded_records_lie_in_the_past() -> None:
    for now in (
        datetime(2026, 11, 25, 15, 0, tzinfo=UTC),
        datetime(2026, 11, 30, 13, 0, tzinfo=UTC),
    ):
        state = SandboxState.open(None)
        seed_demo_company(state, now=now)
        stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        for collection in ("customers", "jobs", "estimates", "lead_sources", "tags"):
            for doc in state.all(collection):
                for key in ("created_at", "updated_at"):
                    if doc.get(key):
                        assert doc[key] <= stamp, (collection, key, doc[key])
        for invoice in state.all("invoices"):
            for key in ("created_at", "sent_at", "paid_at", "invoice_date"):
                assert (invoice.get(key) or "") <= stamp, (key, invoice[key])
        for job in state.all("jobs"):
            if job["work_status"].startswith("complete"):
                assert job["work_timestamps"]["completed_at"] <= stamp


async def test_seed_has_the_products_booking_lead_source(client: httpx.AsyncClient) -> None:
    default = Settings.model_fields["booking_lead_source"].default
    sources = (await client.get("/lead_sources", params={"q": default})).json()["lead_sources"]
    assert [s["name"] for s in sources] == [default]


async def test_online_booking_assigns_a_free_technician(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    booking = {
        "name": "Jordan Reyes",
        "phone": "2175550177",
        "address": {"street": "77 Birch Dr", "city": "Springfield", "state": "IL", "zip": "62701"},
    }
    job = (await client.post("/sandbox/online_booking", json=booking)).json()["job"]
    assert len(job["assigned_employees"]) == 1
