"""Benchmark the HCP client against a local zero-latency server.

Prints: requests per second (sequential and concurrent), the client's overhead per request
over raw httpx, its in-process cost with a MockTransport, and how many HCP requests the
booking flow uses (lookup -> windows -> create customer if new -> create job).

Run: .venv/bin/python bench/hcp_client.py [--requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import uvicorn

from hcp import HcpClient, JobCreate, JobScheduleCreate

KEY = "test-hcp-key-not-real"
CUSTOMER = {
    "id": "cus_1",
    "first_name": "Ann",
    "last_name": "Lee",
    "mobile_number": "5551234567",
    "tags": ["voice"],
    "addresses": [{"id": "adr_1", "street": "1 Main St", "city": "Austin", "state": "TX"}],
    "created_at": "2026-01-02T03:04:05Z",
}
START = datetime(2026, 3, 2, 14, tzinfo=UTC)
WINDOWS = {
    "booking_windows": [
        {
            "start_time": (START + timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end_time": (START + timedelta(hours=h + 2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "available": True,
        }
        for h in range(0, 48, 2)
    ],
    "show_for_days": 2,
    "start_date": "2026-03-02T00:00:00",
}
Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]


class FakeHcp:
    """A tiny ASGI app answering the calls the booking flow makes; counts requests."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.known_phone = "5551234567"

    def route(self, method: str, path: str, query: str) -> tuple[int, Any]:
        self.calls[f"{method} {path}"] += 1
        if method == "GET" and path == "/customers":
            hit = f"q={self.known_phone}" in query
            rows = [CUSTOMER] if hit else [{"id": "cus_other", "mobile_number": "5559990000"}]
            return 200, {
                "page": 1,
                "page_size": 50,
                "total_pages": 1,
                "total_items": 1,
                "customers": rows,
            }
        if method == "GET" and path == "/company/schedule_availability/booking_windows":
            return 200, WINDOWS
        if method == "POST" and path == "/customers":
            return 201, dict(CUSTOMER, id="cus_new")
        if method == "POST" and path == "/jobs":
            return 201, {"id": "job_1", "work_status": "scheduled", "customer": CUSTOMER}
        if method == "GET" and path == "/company":
            return 200, {"id": "co_1", "name": "Bench Plumbing", "time_zone": "America/Chicago"}
        return 404, {"error": {"message": "not found"}}

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        status, body = self.route(scope["method"], scope["path"], scope["query_string"].decode())
        payload = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": payload})


def start_server(app: FakeHcp) -> tuple[uvicorn.Server, threading.Thread, int]:
    """Run uvicorn on 127.0.0.1 in a thread (its own event loop) on a free port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.01)
    return server, thread, port


async def timed(n: int, call: Callable[[], Awaitable[Any]]) -> float:
    """Mean seconds per call over `n` sequential calls (after a short warm-up)."""
    for _ in range(20):
        await call()
    start = time.perf_counter()
    for _ in range(n):
        await call()
    return (time.perf_counter() - start) / n


async def concurrent_rps(n: int, workers: int, call: Callable[[], Awaitable[Any]]) -> float:
    per_worker = n // workers

    async def worker() -> None:
        for _ in range(per_worker):
            await call()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return per_worker * workers / (time.perf_counter() - start)


async def booking_flow(hcp: HcpClient, phone: str) -> str:
    """lookup -> windows -> create customer if new -> create job; returns the job id."""
    matches = await hcp.customers.find_by_phone(phone)
    windows = await hcp.schedule.booking_windows(show_for_days=2)
    if matches:
        customer = matches[0]
    else:
        customer = await hcp.customers.create(
            first_name="New",
            mobile_number=phone,
            addresses=[{"street": "2 Oak St", "city": "Austin", "state": "TX", "zip": "78701"}],
        )
    window = windows[0]
    job = await hcp.jobs.create(
        JobCreate(
            customer_id=customer.id,
            address_id=customer.addresses[0].id,
            schedule=JobScheduleCreate(
                scheduled_start=window.start_time, scheduled_end=window.end_time, arrival_window=60
            ),
            notes="bench",
        )
    )
    return job.id


async def main(n: int) -> None:
    app = FakeHcp()
    server, thread, port = start_server(app)
    base = f"http://127.0.0.1:{port}"
    try:
        async with (
            HcpClient(KEY, base_url=base, allowed_domains=("127.0.0.1",), max_retries=0) as hcp,
            httpx.AsyncClient(base_url=base) as raw,
        ):
            raw_get = lambda: raw.get("/company", headers={"Authorization": f"Token {KEY}"})  # noqa: E731
            samples_raw, samples_hcp = [], []
            for _ in range(3):  # interleave to even out noise
                samples_raw.append(await timed(n // 3, raw_get))
                samples_hcp.append(await timed(n // 3, hcp.company.get))
            t_raw, t_hcp = statistics.median(samples_raw), statistics.median(samples_hcp)
            rps_conc = await concurrent_rps(n, 16, hcp.company.get)
            rps_list = 1 / await timed(n // 3, lambda: hcp.customers.list(q="5551234567"))

            app.calls.clear()
            await booking_flow(hcp, "(555) 123-4567")
            existing = dict(app.calls)
            app.calls.clear()
            await booking_flow(hcp, "(555) 765-4321")
            new = dict(app.calls)
            flow_time = await timed(50, lambda: booking_flow(hcp, "(555) 123-4567"))

        body = json.dumps(WINDOWS).encode()
        mock = httpx.MockTransport(lambda r: httpx.Response(200, content=body))
        async with (
            HcpClient(KEY, transport=mock) as inproc,
            httpx.AsyncClient(transport=mock, base_url="https://api.housecallpro.com") as raw_mock,
        ):
            url = "/company/schedule_availability/booking_windows"
            t_mock = await timed(n, lambda: inproc.schedule.booking_windows(show_for_days=2))
            t_mock_raw = await timed(
                n, lambda: raw_mock.get(url, params={"show_for_days": 2}, headers={"a": "b"})
            )
    finally:
        server.should_exit = True
        thread.join(timeout=5)

    print(f"HCP client benchmark ({n} requests per measurement, local uvicorn on 127.0.0.1)")
    print(f"  raw httpx GET /company          {1 / t_raw:8.0f} req/s  {t_raw * 1e6:7.0f} us/req")
    print(f"  HcpClient company.get()         {1 / t_hcp:8.0f} req/s  {t_hcp * 1e6:7.0f} us/req")
    print(f"  client overhead over raw httpx  {(t_hcp - t_raw) * 1e6:8.0f} us/req")
    print(f"  HcpClient, 16 concurrent tasks  {rps_conc:8.0f} req/s")
    print(f"  customers.list (1 customer)     {rps_list:8.0f} req/s")
    print("  in-process, no network (MockTransport), booking_windows with 24 windows:")
    print(f"    raw httpx get + nothing parsed  {t_mock_raw * 1e6:8.0f} us/call")
    print(f"    HcpClient (check, models)       {t_mock * 1e6:8.0f} us/call")
    print(f"    client overhead                 {(t_mock - t_mock_raw) * 1e6:8.0f} us/call")
    print(f"  booking flow wall time (local)  {flow_time * 1e3:8.2f} ms")
    print(f"  booking flow, known caller: {sum(existing.values())} HCP requests {existing}")
    print(f"  booking flow, new caller:   {sum(new.values())} HCP requests {new}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1500, help="calls per measurement")
    args = parser.parse_args()
    asyncio.run(main(max(30, min(args.requests, 20_000))))
