"""The typed dependencies: async providers, and 503 until the runtime exists."""

from __future__ import annotations

import inspect
from types import SimpleNamespace
from typing import Annotated, Any, get_origin

import httpx
import pytest
from fastapi import HTTPException

from voice_agent import deps
from voice_agent.app import create_app
from voice_agent.settings import Settings
from voice_agent.web import guard


def _aliases(module: Any) -> dict[str, Any]:
    return {
        name: value
        for name, value in vars(module).items()
        if name.endswith("Dep") and get_origin(value) is Annotated
    }


def test_every_provider_is_async_so_no_request_hops_to_a_worker_thread() -> None:
    aliases = {**_aliases(deps), **_aliases(guard)}
    assert {"RuntimeDep", "StoreDep", "VoiceDep", "MessagingDep", "DashboardDep"} <= set(aliases)
    for name, alias in aliases.items():
        provider = alias.__metadata__[0].dependency
        assert inspect.iscoroutinefunction(provider), name


async def test_before_start_up_handlers_get_503_and_health_still_answers(
    settings: Settings,
) -> None:
    app = create_app(settings)  # lifespan not run: no runtime
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        health = await client.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    with pytest.raises(HTTPException) as refused:
        deps.app_runtime(SimpleNamespace(app=app))  # type: ignore[arg-type]
    assert refused.value.status_code == 503
