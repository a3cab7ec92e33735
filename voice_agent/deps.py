"""Typed FastAPI dependencies: what request handlers receive from the running app.

`create_app` keeps the environment's settings as `app.state.settings` and, once its
lifespan has built it, the one `Runtime` as `app.state.runtime`; nothing else is read from
`app.state`. Handlers declare what they need with the `Annotated` aliases below
(`store: StoreDep`); tests may swap a provider through `app.dependency_overrides`.

The providers are `async def` on purpose: FastAPI runs a plain `def` dependency in a worker
thread, a thread hop per provider per request on the calls' hot path. `app_settings` and
`app_runtime` are the plain accessors for code outside a handler (the dashboard's guard).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException
from starlette.requests import HTTPConnection

from voice_agent.channels.voice import VoiceChannel
from voice_agent.followups.runtime import MessagingRuntime
from voice_agent.runtime import Runtime
from voice_agent.settings import Settings
from voice_agent.storage.base import Store


def app_settings(conn: HTTPConnection) -> Settings:
    """The environment's settings the app was built with (the saved profile: `runtime.settings`)."""
    value: Settings = conn.app.state.settings
    return value


def app_runtime(conn: HTTPConnection) -> Runtime:
    """The running `Runtime`; 503 while the app has none."""
    running: Runtime | None = conn.app.state.runtime
    if running is None:
        raise HTTPException(status_code=503, detail="not started")
    return running


async def settings(conn: HTTPConnection) -> Settings:
    """The environment's settings the app was built with."""
    return app_settings(conn)


async def maybe_runtime(conn: HTTPConnection) -> Runtime | None:
    """The running `Runtime`, or None before the lifespan built it (or when start-up failed)."""
    value: Runtime | None = conn.app.state.runtime
    return value


async def runtime(conn: HTTPConnection) -> Runtime:
    """The running `Runtime`; 503 while the app has none."""
    return app_runtime(conn)


RuntimeDep = Annotated[Runtime, Depends(runtime)]
MaybeRuntimeDep = Annotated[Runtime | None, Depends(maybe_runtime)]
SettingsDep = Annotated[Settings, Depends(settings)]


async def store(running: RuntimeDep) -> Store:
    """The store."""
    return running.store


async def maybe_store(running: MaybeRuntimeDep) -> Store | None:
    """The store, or None when start-up never finished (the voice Fallback URL still works)."""
    return running.store if running is not None else None


async def voice(running: RuntimeDep) -> VoiceChannel:
    """The voice channel; 503 while it is not running."""
    if running.voice is None:
        raise HTTPException(status_code=503, detail="voice channel not started")
    return running.voice


async def messaging(running: RuntimeDep) -> MessagingRuntime:
    """The SMS and follow-up machinery; 503 while it is not running."""
    if running.messaging is None:
        raise HTTPException(status_code=503, detail="messaging not started")
    return running.messaging


StoreDep = Annotated[Store, Depends(store)]
MaybeStoreDep = Annotated[Store | None, Depends(maybe_store)]
VoiceDep = Annotated[VoiceChannel, Depends(voice)]
MessagingDep = Annotated[MessagingRuntime, Depends(messaging)]
