"""The office dashboard and browser test line, served by the same app.

`dashboard_router()` is included by `create_app`; every route except `/login` and
`/static/*` requires a session (see `voice_agent.web.guard`). Its lifespan closes what the
dashboard built (`DashboardState`) at shutdown. `effective_settings` merges the office's
stored profile over the environment's settings (what `SettingsSource.reload` puts in force).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter

from voice_agent.overrides import PROFILE_FIELDS, effective_settings
from voice_agent.web import (  # noqa: F401 - importing a routes module registers its routes
    routes_calls,
    routes_recordings,
    routes_scenarios,
    routes_setup,
    routes_stats,
    routes_status,
    routes_testline,
)
from voice_agent.web.guard import DashboardState
from voice_agent.web.routes_auth import guarded, public

__all__ = ["PROFILE_FIELDS", "dashboard_router", "effective_settings"]


@asynccontextmanager
async def _lifespan(app: Any) -> AsyncIterator[None]:
    """Nested inside the app's lifespan: close what the dashboard built at shutdown."""
    try:
        yield
    finally:
        state: DashboardState = app.state.dashboard
        await state.aclose()


def dashboard_router() -> APIRouter:
    """The dashboard's routes: public (login, static) and guarded (everything else)."""
    router = APIRouter(include_in_schema=False, lifespan=_lifespan)
    router.include_router(public)
    router.include_router(guarded)
    return router
