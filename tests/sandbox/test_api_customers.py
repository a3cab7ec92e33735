"""Customers, addresses, reference data, auth and error shapes (all spec-validated)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.sandbox.conftest import client_for
from tests.sandbox.contract import ContractLog

NEW_CUSTOMER = {
    "first_name": "Pat",
    "last_name": "Quinn",
    "email": "pat.quinn@example.com",
    "mobile_number": "2175550199",
    "lead_source": "Google",
    "tags": ["VIP"],
    "addresses": [
        {
            "street": "12 Lake Rd",
            "city": "Springfield",
            "state": "IL",
            "zip": "62701",
            "country": "US",
        }
    ],
}


async def test_create_get_update_customer(client: httpx.AsyncClient) -> None:
    created = await client.post("/customers", json=NEW_CUSTOMER)
    assert created.status_code == 201
    body = created.json()
    assert body["id"].startswith("cus_")
    assert body["addresses"][0]["id"].startswith("adr_")
    assert body["mobile_number"] == "2175550199"
    assert body["created_at"].endswith("Z")

    got = await client.get(f"/customers/{body['id']}")
    assert got.json()["email"] == "pat.quinn@example.com"
    assert "do_not_service" not in got.json()
    params = {"expand[]": ["do_not_service", "attachments"]}
    full = (await client.get(f"/customers/{body['id']}", params=params)).json()
    assert full["do_not_service"] is False and full["attachments"] == []

    updated = await client.put(f"/customers/{body['id']}", json={"last_name": "Quinn-Lee"})
    assert updated.status_code == 200
    assert updated.json()["last_name"] == "Quinn-Lee"
    assert updated.json()["addresses"] == body["addresses"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("2175550199", 1),  # mobile number digits
        ("555-0199", 1),  # formatted part of the number
        ("pat.quinn@", 1),  # email
        ("pat quinn", 1),  # full name
        ("12 lake rd", 1),  # address
        ("nobody-matches-this", 0),
    ],
)
async def test_search_by_q(client: httpx.AsyncClient, q: str, expected: int) -> None:
    await client.post("/customers", json=NEW_CUSTOMER)
    found = await client.get("/customers", params={"q": q, "page_size": 200})
    matches = [c for c in found.json()["customers"] if c["last_name"] == "Quinn"]
    assert len(matches) == expected


async def test_pagination_envelope(client: httpx.AsyncClient) -> None:
    first = (await client.get("/customers", params={"page_size": 20})).json()
    assert (first["page"], first["page_size"], first["total_items"]) == (1, 20, 56)
    assert first["total_pages"] == 3
    last = (await client.get("/customers", params={"page": 3, "page_size": 20})).json()
    assert len(last["customers"]) == 16
    capped = (await client.get("/customers", params={"page_size": 5000})).json()
    assert capped["page_size"] == 200


async def test_addresses(client: httpx.AsyncClient) -> None:
    cust = (await client.post("/customers", json=NEW_CUSTOMER)).json()
    new = {"street": "9 Hill St", "city": "Chatham", "state": "IL", "zip": "62629", "country": "US"}
    added = await client.post(f"/customers/{cust['id']}/addresses", json=new)
    assert added.status_code == 200
    listed = (await client.get(f"/customers/{cust['id']}/addresses")).json()
    assert listed["total_items"] == 2
    one = await client.get(f"/customers/{cust['id']}/addresses/{added.json()['id']}")
    assert one.json()["street"] == "9 Hill St"


@pytest.mark.hcp_deviation("400-lead-source-not-found")
async def test_unknown_lead_source_is_400(client: httpx.AsyncClient) -> None:
    bad = await client.post("/customers", json={**NEW_CUSTOMER, "lead_source": "Billboard"})
    assert bad.status_code == 400
    assert bad.json() == {"message": "Lead source not found"}


@pytest.mark.hcp_deviation("404-error-message")
async def test_unknown_customer_is_404(client: httpx.AsyncClient) -> None:
    missing = await client.get("/customers/cus_doesnotexist")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"message": "Customer not found"}}


@pytest.mark.hcp_deviation("404-html-unknown-route")
async def test_unknown_routes_are_html_404(client: httpx.AsyncClient) -> None:
    for method, path in [("GET", "/v1/customers"), ("DELETE", "/customers/cus_x")]:
        response = await client.request(method, path)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")


@pytest.mark.hcp_deviation("401-message-unauthorized")
async def test_wrong_or_missing_key_is_401(app: FastAPI, contract: ContractLog) -> None:
    async with client_for(app, contract, api_key="test-hcp-key-not-real") as wrong:
        response = await wrong.get("/customers")
        assert response.status_code == 401
        assert response.json() == {"message": "Unauthorized"}
        no_key = await wrong.get("/company", headers={"Authorization": ""})
        assert no_key.status_code == 401


async def test_bearer_prefix_is_tolerated(client: httpx.AsyncClient) -> None:
    response = await client.get("/company", headers={"Authorization": "Bearer sandbox"})
    assert response.status_code == 200


@pytest.mark.hcp_deviation("422-errors")
async def test_bare_array_params_are_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/invoices", params={"status": "paid"})
    assert response.status_code == 422
    assert response.json() == {"errors": {"status": ["must be an array"]}}
    jobs = await client.get("/jobs", params={"work_status": "scheduled"})
    assert jobs.json() == {"errors": {"work_status": ["must be an array"]}}


async def test_reference_data(client: httpx.AsyncClient) -> None:
    company = (await client.get("/company")).json()
    assert company["time_zone"] == "America/Chicago"
    employees = (await client.get("/employees")).json()["employees"]
    assert 4 <= len(employees) <= 6
    assert all(e["id"].startswith("pro_") for e in employees)
    job_types = (await client.get("/job_fields/job_types")).json()["job_types"]
    assert {"Furnace tune-up", "AC repair", "Water heater", "Drain cleaning"} <= {
        j["name"] for j in job_types
    }
    assert all(j["id"].startswith("jbt_") for j in job_types)
    named = (await client.get("/job_fields/job_types", params={"name": "drain"})).json()
    assert [j["name"] for j in named["job_types"]] == ["Drain cleaning"]
    sources = (await client.get("/lead_sources", params={"q": "online"})).json()
    assert sources["lead_sources"][0]["id"].startswith("lsrc_")
    assert sources["lead_sources"][0]["editable"] is False
    tag = await client.post("/tags", json={"name": "Spring promo"})
    assert tag.status_code == 201
    renamed = await client.put(f"/tags/{tag.json()['id']}", json={"name": "Fall promo"})
    assert renamed.json()["name"] == "Fall promo"
    created = await client.post("/job_fields/job_types", json={"name": "Sump pump"})
    assert created.status_code == 200
    source = await client.post("/lead_sources", json={"name": "Radio"})
    assert source.status_code == 201


@pytest.mark.hcp_deviation("price-book-list-data-array", "price-form-id-prefixed")
async def test_price_book(client: httpx.AsyncClient) -> None:
    forms = (await client.get("/api/price_book/price_forms")).json()
    assert forms["object"] == "list"
    assert forms["total_count"] == 6
    first = forms["data"][0]
    one = (await client.get(f"/api/price_book/price_forms/{first['id']}")).json()
    assert one["duration_in_minutes"] > 0
    assert isinstance(one["price"], int)


async def test_schedule_availability_round_trip(client: httpx.AsyncClient) -> None:
    hours = (await client.get("/company/schedule_availability")).json()
    days = {d["day_name"] for d in hours["daily_availabilities"]["data"]}
    assert "monday" in days and "sunday" not in days
    new = {
        "availability_buffer_in_days": 1,
        "daily_schedule_windows": [
            {
                "day_name": "sunday",
                "schedule_windows": [{"start_time": "10:00", "end_time": "14:00"}],
            }
        ],
    }
    put = await client.put("/company/schedule_availability", json=new)
    assert put.status_code == 200
    assert put.json()["daily_availabilities"]["data"] == [
        {"day_name": "sunday", "schedule_windows": [{"start_time": "10:00", "end_time": "14:00"}]}
    ]


@pytest.mark.hcp_deviation("price-book-list-data-array", "422-errors")
async def test_materials_and_renames(client: httpx.AsyncClient, app: FastAPI) -> None:
    category = app.state.sandbox.state.meta("material_category")["uuid"]
    params = {"material_category_uuid": category}
    materials = (await client.get("/api/price_book/materials", params=params)).json()
    assert materials["total_count"] == 3
    assert all(isinstance(m["price"], int) for m in materials["data"])
    assert (await client.get("/api/price_book/materials")).status_code == 422
    job_type = (await client.get("/job_fields/job_types")).json()["job_types"][0]
    renamed = await client.put(f"/job_fields/job_types/{job_type['id']}", json={"name": "Tune-up"})
    assert renamed.json() == {"id": job_type["id"], "name": "Tune-up"}
    sources = (await client.get("/lead_sources", params={"page_size": 50})).json()["lead_sources"]
    fixed = next(s for s in sources if not s["editable"])
    refused = await client.put(f"/lead_sources/{fixed['id']}", json={"name": "Website"})
    assert refused.status_code == 422
    editable = next(s for s in sources if s["editable"])
    ok = await client.put(f"/lead_sources/{editable['id']}", json={"name": "Google Ads"})
    assert ok.json()["name"] == "Google Ads"
