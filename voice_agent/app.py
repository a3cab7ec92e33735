"""The application factory: `create_app(settings)` builds the FastAPI app."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from voice_agent.settings import Settings, load_settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; settings come from the environment unless given."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for name, state in settings.components().items():
            log.info("component %s: %s", name, state)
        yield

    app = FastAPI(title="hcp-voice-agent", lifespan=lifespan)
    app.state.settings = settings

    @app.get("/healthz")
    async def healthz() -> dict[str, object]:
        """Liveness plus which components are real and which are embedded defaults."""
        return {"status": "ok", "components": settings.components()}

    return app
