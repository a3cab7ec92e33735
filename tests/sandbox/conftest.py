"""Sandbox fixtures: a seeded in-memory sandbox behind a spec-validating transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from hcp.sandbox import Faults, SandboxState, create_sandbox_app, seed_demo_company
from hcp.sandbox.testing import FakeClock, sandbox_client, sandbox_transport
from tests.sandbox.contract import DEVIATIONS, ContractLog, ValidatingTransport

WEBHOOK_URL = "http://127.0.0.1:9/hooks"  # never dialled: the recorder below delivers
WEBHOOK_SECRET = "test-webhook-secret-not-real"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "hcp_deviation(*names): the test provokes these recorded live deviations"
    )


class WebhookRecorder:
    """Stands in for the receiving server: records (url, body, headers), answers `status`."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[str, bytes, dict[str, str]]] = []
        self.statuses: list[int] = []

    async def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        self.deliveries.append((url, body, headers))
        return self.statuses.pop(0) if self.statuses else 200


@pytest.fixture
def clock() -> FakeClock:
    """Wed 2026-11-25 15:00Z (09:00 in the demo company's America/Chicago)."""
    return FakeClock()


@pytest.fixture
def state(clock: FakeClock) -> SandboxState:
    """The demo company, in memory."""
    st = SandboxState.open(None)
    seed_demo_company(st, now=clock())
    return st


@pytest.fixture
def webhooks() -> WebhookRecorder:
    return WebhookRecorder()


@pytest.fixture
def faults() -> Faults:
    return Faults()


@pytest.fixture
def app(
    state: SandboxState, clock: FakeClock, webhooks: WebhookRecorder, faults: Faults
) -> FastAPI:
    return create_sandbox_app(
        state=state,
        clock=clock,
        webhook_url=WEBHOOK_URL,
        webhook_secret=WEBHOOK_SECRET,
        webhook_sender=webhooks,
        faults=faults,
    )


@pytest.fixture
def contract(request: pytest.FixtureRequest) -> Any:
    """The contract log; at teardown, every deviation seen must be declared by the test."""
    log = ContractLog()
    yield log
    declared = {n for m in request.node.iter_markers("hcp_deviation") for n in m.args}
    unknown = declared - DEVIATIONS.keys()
    assert not unknown, f"undeclared deviation names: {unknown}"
    undeclared = log.deviations - declared
    assert not undeclared, f"test hit deviations it does not declare: {sorted(undeclared)}"
    unused = declared - log.deviations
    assert not unused, f"test declares deviations it never hit: {sorted(unused)}"


def client_for(app: FastAPI, log: ContractLog, api_key: str = "sandbox") -> httpx.AsyncClient:
    """An in-process client whose every response passes the contract check."""
    return sandbox_client(
        app, api_key=api_key, transport=ValidatingTransport(sandbox_transport(app), log)
    )


@pytest.fixture
async def client(app: FastAPI, contract: ContractLog) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app, contract) as c:
        yield c
