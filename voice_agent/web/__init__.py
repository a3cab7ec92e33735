"""The office dashboard and browser test line, served by the same app.

`dashboard_router()` is included by `create_app`; every route except `/login` and
`/static/*` requires a session (see `voice_agent.web.guard`). Its lifespan runs inside the
app's (after the services exist): it hands the saved business profile to the engines at
startup and closes what the dashboard built at shutdown. `effective_settings` merges the
office's stored profile over the environment's settings.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter

from voice_agent.errors import StorageError
from voice_agent.web import (  # noqa: F401 - importing a routes module registers its routes
    routes_calls,
    routes_recordings,
    routes_scenarios,
    routes_setup,
    routes_stats,
    routes_status,
    routes_testline,
)
from voice_agent.web.engines import apply_saved_settings
from voice_agent.web.guard import DashboardState
from voice_agent.web.overrides import PROFILE_FIELDS, effective_settings
from voice_agent.web.routes_auth import guarded, public

__all__ = ["PROFILE_FIELDS", "dashboard_router", "effective_settings"]
log = logging.getLogger(__name__)


@asynccontextmanager
async def _lifespan(app: Any) -> AsyncIterator[None]:
    """Nested inside the app's lifespan: apply the saved profile at startup, close at shutdown."""
    if getattr(app.state, "services", None) is not None:
        try:
            settings = await apply_saved_settings(app)
            log.info("dashboard: business profile applied (%s)", settings.business_name)
        except StorageError as exc:  # e.g. not migrated yet: serve on environment settings
            log.warning("dashboard: saved business profile not applied: %s", exc)
    try:
        yield
    finally:
        state = getattr(app.state, "dashboard", None)
        if isinstance(state, DashboardState):
            await state.aclose()


def dashboard_router() -> APIRouter:
    """The dashboard's routes: public (login, static) and guarded (everything else)."""
    router = APIRouter(include_in_schema=False, lifespan=_lifespan)
    router.include_router(public)
    router.include_router(guarded)
    return router
