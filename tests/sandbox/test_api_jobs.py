"""Jobs and their sub-resources (all responses spec-validated)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

START = "2026-12-14T15:00:00Z"  # Monday 09:00 in America/Chicago, past the seeded visits
END = "2026-12-14T17:00:00Z"


async def _customer(client: httpx.AsyncClient) -> dict[str, Any]:
    found = await client.get("/customers", params={"q": "2175550100"})
    customer: dict[str, Any] = found.json()["customers"][0]
    return customer


async def _employees(client: httpx.AsyncClient) -> list[str]:
    body = (await client.get("/employees")).json()
    return [e["id"] for e in body["employees"] if e["permissions"]["can_be_booked_online"]]


async def _job_type(client: httpx.AsyncClient, name: str) -> str:
    body = (await client.get("/job_fields/job_types", params={"name": name})).json()
    job_type_id: str = body["job_types"][0]["id"]
    return job_type_id


async def _create(client: httpx.AsyncClient, **extra: Any) -> httpx.Response:
    cust = await _customer(client)
    body = {"customer_id": cust["id"], "address_id": cust["addresses"][0]["id"], **extra}
    return await client.post("/jobs", json=body)


async def test_create_full_job(client: httpx.AsyncClient) -> None:
    tech = (await _employees(client))[0]
    created = await _create(
        client,
        schedule={"scheduled_start": START, "scheduled_end": END, "arrival_window": 60},
        assigned_employee_ids=[tech],
        line_items=[{"name": "AC diagnostic", "unit_price": 18900, "quantity": 1}],
        tags=["Voice agent"],
        notes="Caller says the AC blows warm air.",
        lead_source="Phone call",
        job_fields={"job_type_id": await _job_type(client, "AC repair")},
    )
    assert created.status_code == 201
    job = created.json()
    assert job["id"].startswith("job_")
    assert job["work_status"] == "scheduled"
    assert job["schedule"]["scheduled_start"] == START
    assert job["schedule"]["arrival_window"] == 60
    assert [e["id"] for e in job["assigned_employees"]] == [tech]
    assert job["total_amount"] == 18900 and job["outstanding_balance"] == 18900
    assert job["tags"] == ["Voice agent"]
    assert job["notes"][0]["id"].startswith("nte_")
    assert job["lead_source"] == "Phone call"
    assert job["job_fields"]["job_type"]["name"] == "AC repair"
    assert int(job["invoice_number"]) > 1000

    got = (await client.get(f"/jobs/{job['id']}", params={"expand[]": "appointments"})).json()
    appts = got["schedule"]["appointments"]
    assert len(appts) == 1 and appts[0]["id"].startswith("appt_")
    assert appts[0]["dispatched_employees_ids"] == [tech]


async def test_unscheduled_job(client: httpx.AsyncClient) -> None:
    job = (await _create(client, notes="Call back to schedule")).json()
    assert job["work_status"] == "needs scheduling"
    assert "scheduled_start" not in job["schedule"]
    assert job["assigned_employees"] == []


@pytest.mark.hcp_deviation("400-lead-source-not-found", "422-errors", "404-error-message")
async def test_create_job_errors(client: httpx.AsyncClient) -> None:
    bad_source = await _create(client, lead_source="Billboard")
    assert bad_source.json() == {"message": "Lead source not found"}
    missing = await client.post("/jobs", json={"customer_id": "cus_x"})
    assert missing.status_code == 422
    assert missing.json() == {"errors": {"address_id": ["can't be blank"]}}
    unknown = await client.post("/jobs", json={"customer_id": "cus_x", "address_id": "adr_x"})
    assert unknown.status_code == 404


async def test_get_unknown_job_is_404_empty_object(client: httpx.AsyncClient) -> None:
    response = await client.get("/jobs/job_missing")
    assert response.status_code == 404
    assert response.json() == {}


async def test_list_filters(client: httpx.AsyncClient) -> None:
    cust = await _customer(client)
    tech = (await _employees(client))[0]
    scheduled = await _create(
        client,
        schedule={"scheduled_start": START, "scheduled_end": END},
        assigned_employee_ids=[tech],
    )
    unscheduled = await _create(client)
    ids = {scheduled.json()["id"], unscheduled.json()["id"]}

    async def listed(**params: Any) -> set[str]:
        body = (await client.get("/jobs", params={"page_size": 200, **params})).json()
        return {j["id"] for j in body["jobs"]} & ids

    assert await listed(customer_id=cust["id"]) == ids
    assert await listed(**{"work_status[]": "unscheduled"}) == {unscheduled.json()["id"]}
    assert await listed(**{"work_status[]": "scheduled"}) == {scheduled.json()["id"]}
    # The returned spelling is not a filter value: it matches nothing.
    assert await listed(**{"work_status[]": "needs scheduling"}) == set()
    window = {"scheduled_start_min": "2026-12-14T00:00:00Z", "scheduled_start_max": END}
    assert await listed(**window) == {scheduled.json()["id"]}
    assert [e["id"] for e in scheduled.json()["assigned_employees"]] == [tech]
    assert scheduled.json()["id"] in await listed(**{"employee_ids[]": tech})
    completed = (await client.get("/jobs", params={"work_status[]": "completed"})).json()
    assert completed["total_items"] == 30
    assert {j["work_status"] for j in completed["jobs"]} <= {"complete rated", "complete unrated"}


async def test_appointments_crud(client: httpx.AsyncClient) -> None:
    techs = await _employees(client)
    job = (await _create(client)).json()
    body = {
        "start_time": START,
        "end_time": END,
        "arrival_window_minutes": 30,
        "dispatched_employees_ids": [techs[1]],
    }
    created = await client.post(f"/jobs/{job['id']}/appointments", json=body)
    assert created.status_code == 201
    appt = created.json()
    assert appt["id"].startswith("appt_") and appt["start_date"] == "2026-12-14"
    assert (await client.get(f"/jobs/{job['id']}")).json()["work_status"] == "scheduled"

    moved = {**body, "start_time": "2026-12-15T15:00:00Z", "end_time": "2026-12-15T16:00:00Z"}
    updated = await client.put(f"/jobs/{job['id']}/appointments/{appt['id']}", json=moved)
    assert updated.json()["start_time"] == "2026-12-15T15:00:00Z"
    listed = (await client.get(f"/jobs/{job['id']}/appointments")).json()
    assert [a["id"] for a in listed["appointments"]] == [appt["id"]]

    deleted = await client.delete(f"/jobs/{job['id']}/appointments/{appt['id']}")
    assert deleted.status_code == 200 and deleted.content == b""
    after = (await client.get(f"/jobs/{job['id']}")).json()
    assert after["work_status"] == "needs scheduling"


async def test_schedule_put_and_delete(client: httpx.AsyncClient) -> None:
    techs = await _employees(client)
    job = (await _create(client)).json()
    body = {
        "start_time": START,
        "end_time": END,
        "arrival_window_in_minutes": 120,
        "dispatched_employees": [{"employee_id": techs[2]}],
    }
    scheduled = (await client.put(f"/jobs/{job['id']}/schedule", json=body)).json()
    assert scheduled["arrival_window_minutes"] == 120
    assert [e["id"] for e in scheduled["assigned_employees"]] == [techs[2]]
    unscheduled = await client.delete(f"/jobs/{job['id']}/schedule")
    assert unscheduled.json() == {"object": "schedule", "deleted": True}
    after = (await client.get(f"/jobs/{job['id']}")).json()
    assert after["work_status"] == "needs scheduling"


async def test_notes_and_tags(client: httpx.AsyncClient) -> None:
    job = (await _create(client)).json()
    note = await client.post(f"/jobs/{job['id']}/notes", json={"content": "Gate code 1234"})
    assert note.status_code == 201 and note.json()["id"].startswith("nte_")
    tags = (await client.get("/tags", params={"page_size": 50})).json()["tags"]
    vip = next(t for t in tags if t["name"] == "VIP")
    added = await client.post(f"/jobs/{job['id']}/tags", json={"tag_id": vip["id"]})
    assert added.status_code == 201 and added.json()["tags"] == [vip]
    removed = await client.delete(f"/jobs/{job['id']}/tags/{vip['id']}")
    assert removed.json() == {"tags": []}
    gone = await client.delete(f"/jobs/{job['id']}/notes/{note.json()['id']}")
    assert gone.status_code == 200
    assert (await client.get(f"/jobs/{job['id']}")).json()["notes"] == []


async def test_line_items_and_invoice(client: httpx.AsyncClient) -> None:
    job = (await _create(client)).json()
    assert (await client.get(f"/jobs/{job['id']}/invoices")).json() == {"invoices": []}
    items = [
        {"name": "Drain cleaning", "unit_price": 24900, "quantity": 1, "kind": "labor"},
        {"name": "P-trap", "unit_price": 1499, "quantity": 2, "kind": "materials"},
    ]
    put = await client.put(f"/jobs/{job['id']}/line_items/bulk_update", json={"line_items": items})
    data = put.json()["data"]
    assert [li["amount"] for li in data] == [24900, 2998]
    listed = (await client.get(f"/jobs/{job['id']}/line_items")).json()
    assert listed["object"] == "list" and len(listed["data"]) == 2

    invoices = (await client.get(f"/jobs/{job['id']}/invoices")).json()["invoices"]
    assert len(invoices) == 1
    assert invoices[0]["status"] == "open" and invoices[0]["amount"] == 27898
    assert "job_id" not in invoices[0]

    # Update one item by id, append a new one; the invoice follows.
    change = {
        "line_items": [{"id": data[1]["id"], "name": "P-trap", "unit_price": 1499, "quantity": 1}],
        "append_line_items": True,
    }
    after = (await client.put(f"/jobs/{job['id']}/line_items/bulk_update", json=change)).json()
    assert [li["amount"] for li in after["data"]] == [24900, 1499]
    invoice = (await client.get(f"/api/invoices/{invoices[0]['id']}")).json()
    assert invoice["amount"] == 26399 and invoice["job_id"] == job["id"]
    refreshed = (await client.get(f"/jobs/{job['id']}")).json()
    assert refreshed["total_amount"] == 26399


async def test_invoices_list_filters(client: httpx.AsyncClient) -> None:
    paid = (await client.get("/invoices", params={"status[]": "paid", "page_size": 200})).json()
    open_ = (await client.get("/invoices", params={"status[]": "open", "page_size": 200})).json()
    assert paid["total_items"] == 20 and open_["total_items"] == 10
    assert all(i["paid_at"] and i["due_amount"] == 0 for i in paid["invoices"])
    overdue = (
        await client.get(
            "/invoices",
            params={"status[]": "open", "due_at_max": "2026-11-25T15:00:00Z", "page_size": 200},
        )
    ).json()
    assert overdue["total_items"] == 8  # two seeded open invoices are not due yet
    by_amount = await client.get("/invoices", params={"sort_by": "amount", "sort_direction": "asc"})
    amounts = [i["amount"] for i in by_amount.json()["invoices"]]
    assert amounts == sorted(amounts)
    missing = await client.get("/api/invoices/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404
