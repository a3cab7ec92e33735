"""The --strict-key switch: the spec's application-key/OAuth-only operations are refused."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

import hcp
from hcp.sandbox import SandboxState, create_sandbox_app
from hcp.sandbox.strict_key import company_key_refused, refuses
from hcp.sandbox.testing import FakeClock, demo_sandbox, sandbox_client
from tests.sandbox.test_api_jobs import START


def test_refused_operations_come_from_the_spec() -> None:
    refused = set(company_key_refused())
    assert len(refused) == 14  # hcp/README §1: "14 ops list only Application key + OAuth"
    for op in (
        ("PUT", "/jobs/{job_id}/schedule"),
        ("DELETE", "/jobs/{job_id}/schedule"),
        ("PUT", "/jobs/{job_id}/dispatch"),
        ("GET", "/estimates/{estimate_id}"),
        ("GET", "/api/price_book/services"),
        ("GET", "/service_zones"),
    ):
        assert op in refused
    assert refuses("PUT", "/jobs/job_1/schedule")
    assert not refuses("GET", "/jobs/job_1")
    assert not refuses("GET", "/estimates")
    assert not refuses("PUT", "/jobs/job_1/appointments/appt_1")


async def _ids(client: httpx.AsyncClient) -> dict[str, str]:
    job = (await client.get("/jobs", params={"work_status[]": "scheduled"})).json()["jobs"][0]
    estimate = (await client.get("/estimates")).json()["estimates"][0]
    return {"job": job["id"], "estimate": estimate["id"]}


async def _statuses(client: httpx.AsyncClient, ids: dict[str, str]) -> dict[str, int]:
    calls: dict[str, Any] = {
        "schedule": client.put(f"/jobs/{ids['job']}/schedule", json={"start_time": START}),
        "unschedule": client.delete(f"/jobs/{ids['job']}/schedule"),
        "estimate": client.get(f"/estimates/{ids['estimate']}"),
        "zones": client.get("/service_zones"),
        "job": client.get(f"/jobs/{ids['job']}"),
        "estimates": client.get("/estimates"),
        "windows": client.get("/company/schedule_availability/booking_windows"),
    }
    return {name: (await call).status_code for name, call in calls.items()}


ALLOWED = {"job": 200, "estimates": 200, "windows": 200}


async def test_python_option_refuses_with_401(state: SandboxState, clock: FakeClock) -> None:
    app = create_sandbox_app(state=state, clock=clock, strict_key=True)
    async with sandbox_client(app) as client:
        ids = await _ids(client)
        before = state.get("jobs", ids["job"])
        statuses = await _statuses(client, ids)
        refused = await client.put(f"/jobs/{ids['job']}/schedule", json={"start_time": START})
    assert statuses == {"schedule": 401, "unschedule": 401, "estimate": 401, "zones": 401} | ALLOWED
    assert refused.json() == {"message": "Unauthorized"}
    assert state.get("jobs", ids["job"]) == before  # nothing changed


async def test_off_by_default(app: FastAPI) -> None:
    async with sandbox_client(app) as client:
        statuses = await _statuses(client, await _ids(client))
    assert set(statuses.values()) == {200}


async def test_control_api_switches_it_on_403_and_off(app: FastAPI) -> None:
    async with sandbox_client(app) as client:
        ids = await _ids(client)
        on = await client.put("/sandbox/settings", json={"strict_key": 403})
        assert on.json()["strict_key"] == 403
        assert (await client.get("/sandbox/settings")).json()["strict_key"] == 403
        refused = await client.get(f"/estimates/{ids['estimate']}")
        assert refused.status_code == 403 and refused.json() == {"message": "Forbidden"}
        off = await client.put("/sandbox/settings", json={"strict_key": False})
        assert off.json()["strict_key"] is False
        assert (await client.get(f"/estimates/{ids['estimate']}")).status_code == 200
        bad = await client.put("/sandbox/settings", json={"strict_key": 500})
        assert bad.status_code == 422


def test_bad_python_option_is_refused(state: SandboxState) -> None:
    with pytest.raises(ValueError, match="strict_key"):
        create_sandbox_app(state=state, strict_key=500)


async def test_client_sees_authentication_and_permission_errors(
    state: SandboxState, clock: FakeClock
) -> None:
    for status, error in ((401, hcp.HcpAuthenticationError), (403, hcp.HcpPermissionDeniedError)):
        app = create_sandbox_app(state=state, clock=clock, strict_key=status)
        async with sandbox_client(app) as raw:
            ids = await _ids(raw)
        async with hcp.HcpClient(
            "sandbox",
            base_url="https://sandbox.hcp.test",
            allowed_domains=("sandbox.hcp.test",),
            transport=httpx.ASGITransport(app=app),
        ) as api:
            with pytest.raises(error):
                await api.jobs.update_schedule(ids["job"], {"start_time": START})
            assert (await api.jobs.get(ids["job"])).id == ids["job"]


async def test_demo_sandbox_helper_takes_the_switch() -> None:
    app, _ = demo_sandbox(strict_key=403)
    async with sandbox_client(app) as client:
        assert (await client.get("/service_zones")).status_code == 403
        assert (await client.get("/employees")).status_code == 200


@pytest.mark.parametrize("value", [[403], {"status": 403}, "403"])
async def test_a_strict_key_of_the_wrong_type_is_a_422_not_a_500(app: FastAPI, value: Any) -> None:
    async with sandbox_client(app) as client:
        bad = await client.put("/sandbox/settings", json={"strict_key": value})
        assert bad.status_code == 422 and "strict_key" in bad.text
