"""Helpers for tests that talk to the sandbox in-process (no sockets)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI

from hcp.sandbox.app import DEFAULT_API_KEY, create_sandbox_app
from hcp.sandbox.seed import seed_demo_company
from hcp.sandbox.store import SandboxState

SANDBOX_BASE_URL = "https://sandbox.hcp.test"


@dataclass
class FakeClock:
    """A settable clock: call it for the time, `advance()` to move it."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 25, 15, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move the clock forward by a timedelta given as keywords (hours=2...)."""
        self.now += timedelta(**delta)


def sandbox_transport(app: FastAPI) -> httpx.AsyncBaseTransport:
    """An httpx transport that calls the sandbox app directly."""
    return httpx.ASGITransport(app=app)


def sandbox_client(
    app: FastAPI,
    *,
    api_key: str = DEFAULT_API_KEY,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """An AsyncClient bound to `app`, authenticated as HCP expects."""
    return httpx.AsyncClient(
        transport=transport or sandbox_transport(app),
        base_url=SANDBOX_BASE_URL,
        headers={"Authorization": f"Token {api_key}"},
    )


def demo_sandbox(
    clock: FakeClock | None = None, *, strict_key: bool | int = False
) -> tuple[FastAPI, FakeClock]:
    """An in-memory sandbox seeded with the demo company at the clock's time (`strict_key`:
    refuse the application-key-only operations, see `create_sandbox_app`)."""
    clock = clock or FakeClock()
    state = SandboxState.open(None)
    seed_demo_company(state, now=clock())
    return create_sandbox_app(state=state, clock=clock, strict_key=strict_key), clock
