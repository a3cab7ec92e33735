"""Engine fixtures: the real SqlStore on SQLite, the seeded HCP sandbox in-process, a clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

import hcp
from hcp.sandbox import Faults, SandboxState, create_sandbox_app, seed_demo_company
from hcp.sandbox.testing import SANDBOX_BASE_URL, FakeClock
from voice_agent.engine.dialogue import DialogueEngine, EngineLimits
from voice_agent.engine.guided import GuidedIntakeModel
from voice_agent.engine.messages import ChatModel
from voice_agent.settings import Settings
from voice_agent.storage.sql import SqlStore
from voice_agent.tools import default_registry

OFFICE = "+13125550190"
ON_CALL = "+13125550191"


class CountingTransport(httpx.AsyncBaseTransport):
    """Wraps a transport and records every request (method, path)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, request.url.path))
        return await self.inner.handle_async_request(request)

    def writes(self) -> list[tuple[str, str]]:
        """The non-GET requests."""
        return [r for r in self.requests if r[0] != "GET"]


@pytest.fixture
def clock() -> FakeClock:
    """Wed 2026-11-25 15:00Z = 09:00 in America/Chicago (business hours)."""
    return FakeClock()


@pytest.fixture
def sandbox_state(clock: FakeClock) -> SandboxState:
    """The seeded demo company, in memory."""
    state = SandboxState.open(None)
    seed_demo_company(state, now=clock())
    return state


@pytest.fixture
def faults() -> Faults:
    """Fault rules for the sandbox (none by default; tests swap some in)."""
    return Faults()


@pytest.fixture
def transport(sandbox_state: SandboxState, clock: FakeClock, faults: Faults) -> CountingTransport:
    """An in-process transport to the sandbox that counts requests."""
    app = create_sandbox_app(state=sandbox_state, clock=clock, faults=faults)
    return CountingTransport(httpx.ASGITransport(app=app))


@pytest.fixture
async def hcp_client(transport: CountingTransport) -> AsyncIterator[hcp.HcpClient]:
    """An `HcpClient` on the sandbox."""
    client = hcp.HcpClient(
        "sandbox",
        base_url=SANDBOX_BASE_URL,
        allowed_domains=("sandbox.hcp.test",),
        transport=transport,
        max_retries=0,
    )
    yield client
    await client.aclose()


@pytest.fixture
def business(settings: Settings) -> Settings:
    """Settings with office, on-call numbers and a pay URL."""
    return settings.model_copy(
        update={
            "office_number": OFFICE,
            "on_call_number": ON_CALL,
            "pay_url": "https://pay.example.com/brightoak",
        }
    )


EngineFactory = Callable[..., DialogueEngine]


@pytest.fixture
def make_engine(
    store: SqlStore, hcp_client: hcp.HcpClient, business: Settings, clock: FakeClock
) -> EngineFactory:
    """Build an engine on the shared store/sandbox with a given model (guided by default)."""

    def build(model: ChatModel | None = None, **options: Any) -> DialogueEngine:
        settings = options.pop("settings", business)
        return DialogueEngine(
            store=store,
            hcp_client=hcp_client,
            model=model or GuidedIntakeModel(),
            settings=settings,
            tools=options.pop("tools", default_registry()),
            clock=clock,
            limits=options.pop("limits", EngineLimits()),
            **options,
        )

    return build
