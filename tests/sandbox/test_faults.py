"""Fault injection: per path and rate, via the constructor and the control endpoint."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from hcp.sandbox import FaultRule, Faults
from tests.sandbox.conftest import client_for
from tests.sandbox.contract import ContractLog


@pytest.mark.hcp_deviation("429-retry-after")
async def test_rate_limit_on_one_path(client: httpx.AsyncClient, faults: Faults) -> None:
    faults.replace([FaultRule(kind="rate_limit", path=r"^/customers", retry_after=7)])
    limited = await client.get("/customers")
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "7"
    assert (await client.get("/jobs")).status_code == 200  # other paths untouched


@pytest.mark.hcp_deviation("5xx-server-error")
async def test_server_error_by_method(client: httpx.AsyncClient, faults: Faults) -> None:
    faults.replace([FaultRule(kind="server_error", path="^/jobs$", method="POST")])
    assert (await client.get("/jobs")).status_code == 200
    assert (await client.post("/jobs", json={})).status_code == 500


@pytest.mark.hcp_deviation("429-retry-after")
async def test_rate_is_seeded_and_reproducible(app: FastAPI, contract: ContractLog) -> None:
    async def run() -> list[int]:
        app.state.sandbox.faults.replace([FaultRule(kind="rate_limit", rate=0.3)], seed=42)
        async with client_for(app, contract) as c:
            return [(await c.get("/company")).status_code for _ in range(40)]

    first, second = await run(), await run()
    assert first == second
    assert 4 <= first.count(429) <= 20  # about 30 % of 40


@pytest.mark.hcp_deviation("5xx-server-error")
async def test_latency_and_timeout_sleep_before_answering(
    client: httpx.AsyncClient, faults: Faults
) -> None:
    slept: list[float] = []

    async def record(seconds: float) -> None:
        slept.append(seconds)

    faults.sleep = record
    faults.replace([FaultRule(kind="latency", path="^/company$", seconds=1.5)])
    assert (await client.get("/company")).status_code == 200
    faults.replace([FaultRule(kind="timeout", path="^/company$", seconds=30)])
    timed_out = await client.get("/company")
    assert timed_out.status_code == 504  # after hanging for `seconds`
    assert slept == [1.5, 30]
    assert faults.hits == 2


async def test_control_endpoint(client: httpx.AsyncClient, faults: Faults) -> None:
    rules = {"rules": [{"kind": "server_error", "path": "^/leads", "rate": 0.5}], "seed": 3}
    put = await client.put("/sandbox/faults", json=rules)
    assert put.status_code == 200
    assert faults.rules == [FaultRule(kind="server_error", path="^/leads", rate=0.5)]
    listed = (await client.get("/sandbox/faults")).json()
    assert listed["rules"][0]["rate"] == 0.5 and listed["seed"] == 3
    assert (await client.delete("/sandbox/faults")).json()["rules"] == []
    bad = await client.put("/sandbox/faults", json={"rules": [{"kind": "x", "bogus": 1}]})
    assert bad.status_code == 422
