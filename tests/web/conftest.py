"""Dashboard fixtures: the dashboard router on a real SQLite store with a scripted engine."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from voice_agent.runtime import Runtime
from voice_agent.settings import Settings
from voice_agent.settings_source import SettingsSource
from voice_agent.storage import SqlStore
from voice_agent.web import dashboard_router
from voice_agent.web.auth import LoginLimiter
from voice_agent.web.errors import install_error_pages
from voice_agent.web.guard import DashboardState

from .fakes import FakeServices, ScriptedEngine

ADMIN_PASSWORD = "test-admin-password-not-real"
MASTER_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # 32 bytes, test only


class Clock:
    """A hand-moved monotonic clock for the login limiter."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def web_settings(settings: Settings) -> Settings:
    """Embedded defaults plus an admin password and a vault master key."""
    return settings.model_copy(
        update={
            "admin_password": _secret(ADMIN_PASSWORD),
            "voice_agent_master_key": _secret(MASTER_KEY),
        }
    )


def _secret(value: str) -> Any:
    from pydantic import SecretStr

    return SecretStr(value)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def build_app(settings: Settings, services: Any, clock: Clock | None = None) -> FastAPI:
    """The dashboard alone, with the runtime and state set as `create_app` would."""
    app = FastAPI()
    app.state.settings = settings
    app.state.runtime = Runtime(services)
    app.state.dashboard = DashboardState(limiter=LoginLimiter(clock=clock or Clock()))
    app.include_router(dashboard_router())
    install_error_pages(app)
    return app


@pytest.fixture
def services(store: SqlStore, web_settings: Settings) -> FakeServices:
    source = SettingsSource(web_settings, store)
    return FakeServices(store=store, engine=ScriptedEngine(store, source))


@pytest.fixture
def app(web_settings: Settings, services: FakeServices, clock: Clock) -> FastAPI:
    return build_app(web_settings, services, clock)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An anonymous client."""
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def login(
    client: httpx.AsyncClient, user: str = "admin", password: str = ADMIN_PASSWORD
) -> httpx.Response:
    """Log in through the form (with its login CSRF token)."""
    form = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, form.text
    return await client.post(
        "/login",
        data={"username": user, "password": password, "csrf_token": token.group(1), "next": "/"},
    )


def csrf_of(page: str) -> str:
    """The session's CSRF token from a rendered page."""
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert match and match.group(1), "page has no CSRF token"
    return match.group(1)


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The client, logged in as admin."""
    response = await login(client)
    assert response.status_code == 303, response.text
    return client


def walk_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every APIRoute of an app, through included routers (old and new FastAPI layouts)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from walk_routes(list(included.routes))
        elif isinstance(route, APIRoute):
            yield route


def dashboard_routes(app: FastAPI) -> list[APIRoute]:
    """The routes served by `voice_agent.web`."""
    return [
        r
        for r in walk_routes(list(app.routes))
        if r.endpoint.__module__.startswith("voice_agent.web")
    ]
