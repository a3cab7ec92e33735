"""GET /service_zones: seeded zones cover the demo customers; filters; refused for a company key."""

from __future__ import annotations

import httpx
import pytest

import hcp
from hcp.sandbox import SandboxState
from hcp.sandbox.testing import SANDBOX_BASE_URL


async def test_zones_cover_every_demo_customer(
    client: httpx.AsyncClient, state: SandboxState
) -> None:
    body = (await client.get("/service_zones", params={"page_size": 50})).json()
    zones = body["service_zones"]
    assert [z["name"] for z in zones] == ["Springfield", "South county"]
    assert body["total_items"] == 2
    zips = {code for z in zones for code in z["zip_codes"]}
    cities = {c["city"] for z in zones for c in z["cities"]}
    for customer in state.all("customers"):
        address = customer["addresses"][0]
        assert address["zip"] in zips and address["city"] in cities
    assert all(z["service_pros"] for z in zones)


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"zip_code": "62629"}, ["South county"]),
        ({"zip_code": "62704"}, ["Springfield"]),
        ({"zip_code": "60601"}, []),
        ({"address": "12 Main St, Rochester, IL"}, ["South county"]),
        ({"address": "9 Lake Shore Dr, Chicago, IL 60601"}, []),
    ],
)
async def test_filters(client: httpx.AsyncClient, params: dict[str, str], names: list[str]) -> None:
    zones = (await client.get("/service_zones", params=params)).json()["service_zones"]
    assert [z["name"] for z in zones] == names


@pytest.mark.hcp_deviation("401-message-unauthorized")
async def test_refused_like_a_company_key(client: httpx.AsyncClient) -> None:
    assert (await client.put("/sandbox/settings", json={"service_zones_refused": True})).is_success
    refused = await client.get("/service_zones")
    assert refused.status_code == 401 and refused.json() == {"message": "Unauthorized"}
    assert (await client.get("/customers")).status_code == 200  # only the zones are refused
    await client.put("/sandbox/settings", json={"service_zones_refused": False})
    assert (await client.get("/service_zones")).status_code == 200


async def test_client_lists_and_is_refused(app: object) -> None:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with hcp.HcpClient(
        "sandbox", base_url=SANDBOX_BASE_URL, allowed_domains=("sandbox.hcp.test",),
        transport=transport, max_retries=0,
    ) as client:  # fmt: skip
        page = await client.service_zones.list(zip_code="62701")
        assert [z.name for z in page.items] == ["Springfield"]
        assert page.items[0].cities[0].city == "Springfield"
        assert "62701" in page.items[0].zip_codes
        everything = [z async for z in hcp.iter_all(lambda p: client.service_zones.list(page=p))]
        assert len(everything) == 2
        app.state.sandbox.state.set_meta(  # type: ignore[attr-defined]
            "settings", {"service_zones_refused": True}
        )
        with pytest.raises(hcp.HcpAuthenticationError):
            await client.service_zones.list()
