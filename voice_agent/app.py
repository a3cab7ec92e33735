"""The application factory: `create_app(settings, services)` builds the FastAPI app."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from voice_agent.channels import hcp_webhooks, recording_callback, sms, voice_fallback
from voice_agent.channels import routes as voice_routes
from voice_agent.channels.voice_followup import CallFollowUps
from voice_agent.channels.voice_setup import start_voice
from voice_agent.followups.runtime import start_messaging
from voice_agent.recording_purge import start_recording_purge
from voice_agent.services import Services, start_services
from voice_agent.settings import Settings, load_settings
from voice_agent.web import dashboard_router
from voice_agent.web.errors import install_error_pages

log = logging.getLogger(__name__)


async def _replay_fallback_spool(settings: Settings, running: Services) -> None:
    """Messages the Fallback URL spooled while the database was down go to the outbox now."""
    try:
        await voice_fallback.replay_spool(settings, running.store)
    except Exception:  # a bad spool must not stop the server; the file stays for next time
        log.exception("could not move the fallback spool into the outbox")


def create_app(
    settings: Settings | None = None,
    services: Services | None = None,
    *,
    freeze_startup: bool | None = None,
) -> FastAPI:
    """Build the app; settings come from the environment unless given.

    `services` (store, engine, hcp client; see `voice_agent.services`) are built in the
    lifespan from `settings` unless given, and closed on shutdown only when built here.
    They are exposed as `app.state.services`; the voice channel as `app.state.voice`.

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
        app.state.services = running
        await _replay_fallback_spool(settings, running)
        voice = await start_voice(settings, running)
        app.state.voice = voice
        messaging = start_messaging(settings, running, run_scheduler=False)
        CallFollowUps(voice).register(messaging.dispatcher)  # status callback's summary jobs
        app.state.messaging = messaging
        if services is None:  # injected services (tests) drive the outbox by hand
            messaging.scheduler.start()
        app.state.recordings = start_recording_purge(settings, running, run=services is None)
        if freeze:
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            await app.state.messaging.aclose()
            await app.state.recordings.aclose()
            await voice.aclose()
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
    app.include_router(voice_routes.router)
    app.include_router(recording_callback.router)
    app.include_router(sms.router)
    app.include_router(hcp_webhooks.router)
    app.include_router(dashboard_router())  # dashboard and browser test line (voice_agent/web)
    install_error_pages(app)  # HTML error pages for browsers, JSON for API clients

    @app.get("/healthz")
    async def healthz() -> dict[str, object]:
        """Liveness plus which components are real and which are embedded defaults."""
        running: Services | None = getattr(app.state, "services", None)
        components = running.components() if running else settings.components()
        return {"status": "ok", "components": components}

    return app
