"""Estimates (options, approve/decline, copy to job) and leads (create, convert)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest


async def _customer(client: httpx.AsyncClient) -> dict[str, Any]:
    customer: dict[str, Any] = (await client.get("/customers")).json()["customers"][0]
    return customer


async def _estimate(client: httpx.AsyncClient) -> dict[str, Any]:
    cust = await _customer(client)
    body = {
        "customer_id": cust["id"],
        "address_id": cust["addresses"][0]["id"],
        "lead_source": "Referral",
        "options": [
            {
                "name": "Repair",
                "line_items": [{"name": "Replace igniter", "unit_price": 32500, "quantity": 1}],
            },
            {
                "name": "Replace",
                "line_items": [{"name": "New furnace", "unit_price": 480000, "quantity": 1}],
            },
        ],
    }
    response = await client.post("/estimates", json=body)
    assert response.status_code == 200  # the spec documents 200 for POST /estimates
    estimate: dict[str, Any] = response.json()
    return estimate


async def test_create_and_read_estimate(client: httpx.AsyncClient) -> None:
    est = await _estimate(client)
    assert est["id"].startswith("csr_")
    assert [o["id"][:4] for o in est["options"]] == ["est_", "est_"]
    assert [o["total_amount"] for o in est["options"]] == [32500, 480000]
    assert est["options"][0]["option_number"] == "1"
    assert "approval_status" not in est["options"][0]  # null until acted on
    got = (await client.get(f"/estimates/{est['id']}")).json()
    assert got["options"] == est["options"]
    listed = (await client.get("/estimates", params={"customer_id": est["customer"]["id"]})).json()
    assert est["id"] in {e["id"] for e in listed["estimates"]}


@pytest.mark.hcp_deviation("404-error-message")
async def test_option_id_is_not_an_estimate_id(client: httpx.AsyncClient) -> None:
    est = await _estimate(client)
    response = await client.get(f"/estimates/{est['options'][0]['id']}")
    assert response.status_code == 404
    assert response.json() == {"error": {"message": "Estimate not found"}}


async def test_add_option_with_tax(client: httpx.AsyncClient) -> None:
    est = await _estimate(client)
    body = {
        "name": "Premium",
        "line_items": [{"name": "Heat pump", "unit_price": 1000000, "quantity": 1}],
        "tax": {"taxable": True, "tax_rate": 0.0825, "tax_name": "IL sales tax"},
    }
    added = await client.post(f"/estimates/{est['id']}/options", json=body)
    assert added.status_code == 201
    assert added.json()["total_amount"] == 1082500
    assert added.json()["option_number"] == "3"


async def test_approve_copies_to_job_when_setting_on(client: httpx.AsyncClient) -> None:
    est = await _estimate(client)
    option = est["options"][0]
    approved = (
        await client.post("/estimates/options/approve", json={"option_ids": [option["id"]]})
    ).json()
    assert approved["status"] == "pro approved"
    job_id = approved["copied_on_approval_to_job_id"]
    job = (await client.get(f"/jobs/{job_id}")).json()
    assert job["original_estimate_id"] == option["id"]
    assert job["total_amount"] == 32500
    after = (await client.get(f"/estimates/{est['id']}")).json()
    assert after["options"][0]["approval_status"] == "pro approved"


@pytest.mark.hcp_deviation("approve-copied-job-id-null")
async def test_approve_without_auto_copy(client: httpx.AsyncClient) -> None:
    await client.put("/sandbox/settings", json={"auto_copy_approved_estimates": False})
    est = await _estimate(client)
    ids = [est["options"][1]["id"]]
    approved = (await client.post("/estimates/options/approve", json={"option_ids": ids})).json()
    assert approved["copied_on_approval_to_job_id"] is None


async def test_decline(client: httpx.AsyncClient) -> None:
    est = await _estimate(client)
    ids = [est["options"][1]["id"]]
    declined = (await client.post("/estimates/options/decline", json={"option_ids": ids})).json()
    assert declined["status"] == "pro declined"
    assert "copied_on_approval_to_job_id" not in declined
    after = (await client.get(f"/estimates/{est['id']}")).json()
    assert after["options"][1]["approval_status"] == "pro declined"


async def test_seeded_pending_estimates(client: httpx.AsyncClient) -> None:
    body = (await client.get("/estimates", params={"page_size": 50})).json()
    assert body["total_items"] >= 5
    assert all("approval_status" not in o for e in body["estimates"] for o in e["options"])


LEAD = {
    "customer": {
        "first_name": "Robin",
        "last_name": "Vega",
        "mobile_number": "7735550188",
        "addresses": [{"street": "5 Elm St", "city": "Rochester", "state": "IL", "zip": "62563"}],
    },
    "lead_source": "Phone call",
    "note": "Water heater leaking, wants a quote.",
    "tags": ["Voice agent"],
    "line_items": [{"name": "Water heater replacement", "unit_price": 189900, "quantity": 1}],
}


async def test_lead_create_list_get(client: httpx.AsyncClient) -> None:
    created = await client.post("/leads", json=LEAD)
    assert created.status_code == 201
    lead = created.json()
    assert lead["id"].startswith("lea_") and lead["status"] == "open"
    assert lead["customer"]["id"].startswith("cus_")
    assert lead["address"]["street"] == "5 Elm St"
    found = (await client.get("/customers", params={"q": "7735550188"})).json()
    assert found["total_items"] == 1  # the inline customer was created
    listed = (await client.get("/leads", params={"status": "open"})).json()
    assert [x["id"] for x in listed["leads"]] == [lead["id"]]
    assert (await client.get(f"/leads/{lead['id']}")).json()["number"] == lead["number"]
    items = (await client.get(f"/leads/{lead['id']}/line_items")).json()
    assert items["line_items"][0]["amount"] == 189900


@pytest.mark.hcp_deviation("400-message", "400-lead-source-not-found")
async def test_lead_errors(client: httpx.AsyncClient) -> None:
    empty = await client.post("/leads", json={"note": "no customer"})
    assert empty.json() == {"message": "Customer is required"}
    bad = await client.post("/leads", json={**LEAD, "lead_source": "Billboard"})
    assert bad.json() == {"message": "Lead source not found"}


@pytest.mark.parametrize("kind", ["job", "estimate"])
async def test_convert_lead(client: httpx.AsyncClient, kind: str) -> None:
    lead = (await client.post("/leads", json=LEAD)).json()
    converted = await client.post(f"/leads/{lead['id']}/convert", json={"type": kind})
    assert converted.status_code == 201
    new_id = converted.json()[f"{kind}_id"]
    path = f"/jobs/{new_id}" if kind == "job" else f"/estimates/{new_id}"
    target = (await client.get(path)).json()
    assert target["customer"]["id"] == lead["customer"]["id"]
    assert (await client.get(f"/leads/{lead['id']}")).json()["status"] == "won"
