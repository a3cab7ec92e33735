"""Which engine the browser test line talks to, and handing saved settings to every engine.

Dry-run mode gets its own engine on the real HCP account whose writes are answered locally
(`voice_agent.web.dryrun`).

The test line runs in test mode against the HCP sandbox. When the services already use the
sandbox (no HCP key) that is their own engine; when the voice channel built a sandbox engine
for test calls, that one; otherwise the dashboard builds its own sandbox engine once (sharing
the store and the model) so a browser test can never write to the real HCP account.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from fastapi import HTTPException, Request

from hcp import HcpClient
from voice_agent.settings import DEFAULT_HCP_BASE_URL, Settings
from voice_agent.web import hcp_probe
from voice_agent.web.dryrun import DryRunTransport
from voice_agent.web.guard import app_services, app_settings, app_store, dashboard_state
from voice_agent.web.overrides import effective_settings

log = logging.getLogger(__name__)


def _voice_engines(request: Request) -> tuple[Any, Any]:
    voice = getattr(request.app.state, "voice", None)
    return getattr(voice, "engine", None), getattr(voice, "test_engine", None)


async def sandbox_engine(request: Request) -> Any:
    """The engine for test-line conversations (always on the sandbox)."""
    services = app_services(request)
    settings = app_settings(request)
    if services.uses_sandbox:
        return services.engine
    real, test = _voice_engines(request)
    if test is not None and test is not real:
        return test
    state = dashboard_state(request)
    async with state.build_lock:
        if state.sandbox_engine is None:
            from voice_agent.services import build_sandbox_client, build_services

            client, sandbox = build_sandbox_client(settings)
            built = build_services(
                settings, services.store, hcp_client=client, model=services.model
            )
            state.sandbox_engine = built.engine
            state.closers.extend([client.aclose, _closer(sandbox)])
            log.info("test line: built a sandbox engine (real HCP is configured)")
    return state.sandbox_engine


async def dry_run_engine(request: Request) -> Any:
    """The engine for dry-run test-line conversations: real HCP reads, no HCP writes.

    Raises `HTTPException(409)` when no HCP key is configured (vault or `HCP_API_KEY`).
    """
    services = app_services(request)
    settings = app_settings(request)
    state = dashboard_state(request)
    async with state.build_lock:
        if state.dry_run_engine is None:
            key, _ = await hcp_probe.configured_key(app_store(request), settings)
            if key is None:
                raise HTTPException(status_code=409, detail="Dry-run needs an HCP API key.")
            from voice_agent.services import build_services

            transport = DryRunTransport(state.hcp_transport or httpx.AsyncHTTPTransport())
            client = HcpClient(
                key,
                base_url=str(settings.hcp_base_url or DEFAULT_HCP_BASE_URL),
                timeout=settings.hcp_timeout,
                allowed_domains=settings.hcp_allowed_domains,
                transport=transport,
                proxy=settings.hcp_proxy,
            )
            built = build_services(
                settings, services.store, hcp_client=client, model=services.model
            )
            state.dry_run_engine = built.engine
            state.closers.append(client.aclose)
            log.info("test line: built a dry-run engine on the real HCP account")
    return state.dry_run_engine


def _closer(sandbox: Any) -> Any:
    async def close() -> None:
        sandbox.close()

    return close


async def apply_profile(request: Request) -> Settings:
    """Give the running engines the effective settings (environment + stored profile).

    Called on save and when a test-line call starts, so a worker that has not seen a save
    yet catches up before its next test conversation; see `apply_saved_settings`.
    """
    return await apply_saved_settings(request.app)


async def apply_saved_settings(app: Any) -> Settings:
    """Hand the effective settings to every running engine (and the voice channel).

    Every engine that holds settings gets them: the services' engine (voice and SMS), the
    voice channel's engines (the test-mode one too) and the dashboard's sandbox and dry-run
    engines. Runs at startup (the dashboard router's lifespan) and on save.
    """
    services = app.state.services
    effective = await effective_settings(app.state.settings, services.store)
    voice = getattr(app.state, "voice", None)
    state = getattr(app.state, "dashboard", None)
    candidates = [
        services.engine,
        getattr(voice, "engine", None),
        getattr(voice, "test_engine", None),
        getattr(state, "sandbox_engine", None),
        getattr(state, "dry_run_engine", None),
    ]
    seen: list[Any] = []
    for engine in candidates:
        if engine is not None and hasattr(engine, "settings") and engine not in seen:
            engine.settings = effective
            seen.append(engine)
    if voice is not None and hasattr(voice, "settings"):
        voice.settings = effective  # phone test numbers, on-call and office numbers
    return effective
