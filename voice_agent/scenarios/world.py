"""An isolated copy of the product for scenario calls: its own database and HCP.

Each scenario call runs the real app (`create_app`: voice webhooks, engine, tools) on a
fresh SQLite database, driven in-process by `SimulatedCall`, which signs every webhook
with the Twilio SDK's validator exactly like Twilio. HCP is either a fresh copy of the
seeded sandbox (every scenario starts from the same demo company) or, in dry-run, the
real HCP account behind `DryRunTransport`: reads are real, writes are answered locally
and nothing is created or changed in HCP.

The webhook path (not the engine API) is used so a scenario exercises what a phone call
does: the signature check, speech handling, fillers, transfers, the status callback and
the outcome it records.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

import hcp
from hcp.sandbox import SandboxState, seed_demo_company
from voice_agent.services import (
    SANDBOX_FILE,
    Services,
    build_dry_run_client,
    build_sandbox_client,
    build_services,
)
from voice_agent.settings import Settings
from voice_agent.storage.migrate import upgrade
from voice_agent.storage.sql import SqlStore, open_store

# Used only between the runner and its own in-process app; never sent anywhere.
LOCAL_TOKEN = "scenario-runner-local-token"
PUBLIC_URL = "https://scenarios.invalid"
BUSINESS_NUMBER = "+12175559000"
DATABASE = "voice-agent.db"  # where `Settings.effective_database_url` looks in `data_dir`


@dataclass
class Stage:
    """One scenario call's running app: an HTTP client on it, its store and services."""

    client: httpx.AsyncClient
    store: SqlStore
    services: Services
    settings: Settings
    app: Any = None  # the FastAPI app (its voice channel runs the calls' follow-ups)


class World:
    """Builds a `Stage` per scenario; use as `async with World(settings) as world`."""

    def __init__(
        self,
        settings: Settings,
        *,
        dry_run_key: str | None = None,
        hcp_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base = settings
        self.dry_run_key = dry_run_key
        self.hcp_transport = hcp_transport
        self._dir: Path | None = None

    @property
    def mode(self) -> str:
        """Either sandbox, or dry-run (the real HCP account, nothing written)."""
        return "dry-run" if self.dry_run_key else "sandbox"

    async def __aenter__(self) -> World:
        self._dir = Path(tempfile.mkdtemp(prefix="voice-agent-scenarios-"))
        template = self._dir / "template"
        template.mkdir()
        await upgrade(f"sqlite+aiosqlite:///{(template / DATABASE).as_posix()}")
        if self.dry_run_key is None:
            state = SandboxState.open(template / SANDBOX_FILE)
            seed_demo_company(state)
            state.close()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)

    def settings_for(self, folder: Path) -> Settings:
        """The owner's settings, pointed at the scenario's own data and Twilio stand-ins."""
        update: dict[str, Any] = {
            "data_dir": folder,
            "database_url": None,
            "twilio_auth_token": SecretStr(LOCAL_TOKEN),
            "twilio_phone_number": self.base.twilio_phone_number or BUSINESS_NUMBER,
            "public_base_url": PUBLIC_URL,
            "test_numbers": (),
            "owner_digest_phone": None,
            "owner_digest_email": None,
            # nothing leaves the process: no Twilio REST (texts, recordings), no e-mail
            "twilio_account_sid": None,
            "twilio_api_base_url": None,
            "smtp_url": None,
        }
        return self.base.model_copy(update=update)

    @asynccontextmanager
    async def stage(self) -> AsyncIterator[Stage]:
        """A running app on a fresh copy of the template database (and sandbox)."""
        from voice_agent.app import create_app

        assert self._dir is not None, "use World as an async context manager"
        folder = self._dir / uuid.uuid4().hex[:12]
        shutil.copytree(self._dir / "template", folder)
        settings = self.settings_for(folder)
        store = open_store(settings.effective_database_url)
        client, state = self._hcp(settings)
        services = build_services(settings, store, hcp_client=client)
        app = create_app(settings, services, freeze_startup=False)
        try:
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://scenario.local"
                ) as http:
                    yield Stage(http, store, services, settings, app)
        finally:
            await services.aclose()  # closes the HCP client too
            if state is not None:
                state.close()
            await store.close()

    def _hcp(self, settings: Settings) -> tuple[hcp.HcpClient, SandboxState | None]:
        if self.dry_run_key is None:
            return build_sandbox_client(settings)
        return build_dry_run_client(settings, self.dry_run_key, self.hcp_transport), None
