"""hcp.HcpClient over real HTTP against the sandbox (uvicorn on a free 127.0.0.1 port).

Every response still passes the spec check: the client's transport is wrapped.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from hcp import (
    CustomerCreate,
    HcpAuthenticationError,
    HcpBadRequestError,
    HcpClient,
    HcpUnprocessableError,
)
from hcp.sandbox import FaultRule, Faults
from tests.sandbox.contract import ContractLog, ValidatingTransport


@pytest.fixture
async def base_url(app: FastAPI) -> AsyncIterator[str]:
    """Serve `app` with uvicorn on a pre-bound socket (no waiting for startup: the
    kernel queues connections until the server accepts them)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_config=None, lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task
    sock.close()


def hcp_client(base_url: str, log: ContractLog, key: str = "sandbox", **kw: object) -> HcpClient:
    transport = ValidatingTransport(httpx.AsyncHTTPTransport(), log)
    return HcpClient(
        key,
        base_url=base_url,
        allowed_domains=["127.0.0.1"],
        transport=transport,
        **kw,  # type: ignore[arg-type]
    )


async def test_intake_and_booking_flow(base_url: str, contract: ContractLog) -> None:
    async with hcp_client(base_url, contract) as hcp:
        company = await hcp.company.get()
        assert company.time_zone == "America/Chicago"
        known = await hcp.customers.find_by_phone("(217) 555-0100")
        assert len(known) == 1
        new = await hcp.customers.create(
            CustomerCreate(
                first_name="Casey",
                last_name="Ng",
                mobile_number="3125550198",
                addresses=[
                    {"street": "3 Pine Rd", "city": "Springfield", "state": "IL", "zip": "62701"}
                ],
            )
        )
        assert new.id.startswith("cus_")
        assert [c.id for c in await hcp.customers.find_by_phone("312-555-0198")] == [new.id]

        windows = await hcp.schedule.booking_windows(
            start_date=date(2026, 12, 14), show_for_days=1, service_duration=60
        )
        first = windows[0]
        job = await hcp.jobs.create(
            customer_id=new.id,
            address_id=new.addresses[0].id,
            schedule={"scheduled_start": first.start_time, "scheduled_end": first.end_time},
            lead_source="Phone call",
            notes="Furnace makes a banging noise",
        )
        assert job.work_status == "scheduled"
        again = await hcp.jobs.get(job.id)
        assert again.id == job.id
        listed = await hcp.jobs.list(customer_id=new.id, work_status=["scheduled"])
        assert [j.id for j in listed.items] == [job.id]
        appts = await hcp.jobs.list_appointments(job.id)
        assert len(appts) == 1
    assert contract.validated >= 8


@pytest.mark.hcp_deviation("400-lead-source-not-found", "401-message-unauthorized")
async def test_errors_map_to_client_exceptions(base_url: str, contract: ContractLog) -> None:
    async with hcp_client(base_url, contract) as hcp:
        customer = (await hcp.customers.list(page_size=1)).items[0]
        with pytest.raises(HcpBadRequestError):
            await hcp.jobs.create(
                customer_id=customer.id,
                address_id=customer.addresses[0].id,
                lead_source="Billboard",
            )
    async with hcp_client(base_url, contract, key="test-hcp-key-not-real") as wrong:
        with pytest.raises(HcpAuthenticationError):
            await wrong.company.get()


@pytest.mark.hcp_deviation("422-errors")
async def test_double_booking_is_refused(base_url: str, contract: ContractLog) -> None:
    async with hcp_client(base_url, contract) as hcp:
        tech = (await hcp.employees.list()).items[0].id
        customer = (await hcp.customers.list(page_size=1)).items[0]
        window = (
            await hcp.schedule.booking_windows(
                start_date=date(2026, 12, 14), show_for_days=1, employee_ids=[tech]
            )
        )[0]
        body = {
            "customer_id": customer.id,
            "address_id": customer.addresses[0].id,
            "assigned_employee_ids": [tech],
            "schedule": {"scheduled_start": window.start_time, "scheduled_end": window.end_time},
        }
        results = await asyncio.gather(
            *(hcp.jobs.create(body) for _ in range(5)), return_exceptions=True
        )
        assert sum(not isinstance(r, BaseException) for r in results) == 1
        assert sum(isinstance(r, HcpUnprocessableError) for r in results) == 4


async def test_sales_flows(base_url: str, contract: ContractLog) -> None:
    async with hcp_client(base_url, contract) as hcp:
        customer = (await hcp.customers.list(page_size=1)).items[0]
        estimate = await hcp.estimates.create(
            customer_id=customer.id,
            address_id=customer.addresses[0].id,
            options=[{"name": "Repair", "line_items": [{"name": "Igniter", "unit_price": 32500}]}],
        )
        decision = await hcp.estimates.approve_options([estimate.options[0].id])
        assert decision.status == "pro approved"
        assert decision.copied_on_approval_to_job_id
        lead = await hcp.leads.create(
            customer={
                "first_name": "Lee",
                "mobile_number": "7735550111",
                "addresses": [
                    {"street": "8 Oak St", "city": "Chatham", "state": "IL", "zip": "62629"}
                ],
            },
            lead_source="Yelp",
        )
        converted = await hcp.leads.convert(lead.id, "job")
        assert converted.job_id
        invoices = await hcp.invoices.list(status=["open"])
        assert invoices.items and all(i.status == "open" for i in invoices.items)
        assert (await hcp.invoices.get(invoices.items[0].id)).id == invoices.items[0].id


@pytest.mark.hcp_deviation("429-retry-after")
async def test_client_honours_retry_after(
    base_url: str, contract: ContractLog, faults: Faults
) -> None:
    faults.replace([FaultRule(kind="rate_limit", path="^/company$", retry_after=3, times=1)])
    slept: list[float] = []

    async def record(seconds: float) -> None:
        slept.append(seconds)

    async with hcp_client(base_url, contract, sleep=record) as hcp:
        company = await hcp.company.get()
    assert company.name == "Bright Oak Home Services"
    assert slept and slept[0] >= 3
