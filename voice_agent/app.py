"""The application factory: `create_app(settings, services)` builds the FastAPI app."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from voice_agent.channels import hcp_webhooks, recording_callback, sms, voice_fallback
from voice_agent.channels import routes as voice_routes
from voice_agent.channels.twilio_auth import ArrivalStamp
from voice_agent.deps import MaybeRuntimeDep
from voice_agent.errors import StorageError
from voice_agent.runtime import Runtime
from voice_agent.services import Services, start_services
from voice_agent.settings import Settings, load_settings
from voice_agent.storage.base import Store
from voice_agent.web import dashboard_router
from voice_agent.web.errors import install_error_pages
from voice_agent.web.guard import DashboardState

log = logging.getLogger(__name__)

GC_YOUNG_THRESHOLD = 10_000
"""Allocations between young collections (CPython's default is 700): a turn allocates
tens of thousands of short-lived objects, most gone before a collection would find them."""


async def _replay_fallback_spool(settings: Settings, store: Store) -> None:
    """Messages the Fallback URL spooled while the database was down go to the outbox now."""
    try:
        await voice_fallback.replay_spool(settings, store)
    except Exception:  # a bad spool must not stop the server; the file stays for next time
        log.exception("could not move the fallback spool into the outbox")


async def _load_profile(runtime: Runtime) -> None:
    """Put the office's saved profile in force before the first call."""
    try:
        current = await runtime.settings.reload()
        log.info("business profile applied (%s)", current.business_name)
    except StorageError as exc:  # e.g. not migrated yet: serve on environment settings
        log.warning("saved business profile not applied: %s", exc)


def create_app(
    settings: Settings | None = None,
    services: Services | None = None,
    *,
    freeze_startup: bool | None = None,
) -> FastAPI:
    """Build the app; settings come from the environment unless given.

    The lifespan builds the one `Runtime` (`voice_agent.runtime`) over `services` (store,
    engine, HCP client; see `voice_agent.services`), which are built from `settings` unless
    given and closed on shutdown only when built here. Handlers reach the runtime's parts
    through `voice_agent.deps`; it is kept as `app.state.runtime`.

    `freeze_startup` (default: when the app builds its own services, i.e. a real server)
    moves everything alive after start-up out of the garbage collector's reach
    (`gc.freeze`), so a full collection no longer walks every module and pauses all calls
    for ~100 ms.
    """
    settings = settings or load_settings()
    freeze = services is None if freeze_startup is None else freeze_startup

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for name, state in settings.components().items():
            log.info("component %s: %s", name, state)
        running = services if services is not None else await start_services(settings)
        runtime = Runtime(running)
        await _load_profile(runtime)
        await _replay_fallback_spool(settings, running.store)
        # Injected services (tests) drive the outbox by hand; no background sweeps either.
        await runtime.start(background=services is None)
        app.state.runtime = runtime
        if freeze:
            gc.collect()
            gc.freeze()
            gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
        try:
            yield
        finally:
            app.state.runtime = None
            await runtime.aclose()
            if services is None:
                await running.aclose()

    docs = settings.api_docs  # off unless API_DOCS: the schema maps every route for a prober
    app = FastAPI(
        title="hcp-voice-agent",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.settings = settings
    app.state.runtime = None  # set by the lifespan
    app.state.dashboard = DashboardState()
    app.include_router(voice_routes.router)
    app.include_router(recording_callback.router)
    app.include_router(sms.router)
    app.include_router(hcp_webhooks.router)
    app.include_router(dashboard_router())  # dashboard and browser test line (voice_agent/web)
    install_error_pages(app)  # HTML error pages for browsers, JSON for API clients
    app.add_middleware(ArrivalStamp)  # silence budgets count from here

    @app.get("/healthz")
    async def healthz(running: MaybeRuntimeDep) -> dict[str, object]:
        """Liveness plus which components are real and which are embedded defaults."""
        components = running.services.components() if running else settings.components()
        return {"status": "ok", "components": components}

    return app
