"""The composition root: one `Runtime` per process owns what the app and the CLI run.

It holds the settings (one `SettingsSource`), the services (store, HCP client, model, the
live engine), the voice channel, the SMS/follow-up machinery and the recordings sweep, and
hands out engines by mode. The app's lifespan and the CLI commands build it once; request
handlers receive its parts through the typed dependencies in `voice_agent.deps`.

Engines by mode (all built by `Services.build_engine`, sharing store, model and settings):

- `voice`, `sms`: the live engine on the configured HCP account (real or sandbox);
- `test_call`, `test_line`: staff test calls and the browser test line, always on the HCP
  sandbox (the live engine when that already is the sandbox, else one built on first use);
- `dry_run`: the real HCP account with every write answered locally.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Literal

import httpx

from hcp import HcpClient
from voice_agent.channels.voice import VoiceChannel
from voice_agent.channels.voice_followup import CallFollowUps
from voice_agent.channels.voice_hints import load_hints
from voice_agent.engine.dialogue import DialogueEngine
from voice_agent.errors import ConfigError
from voice_agent.followups.runtime import MessagingRuntime, messaging_runtime
from voice_agent.recording_purge import RecordingPurge, start_recording_purge
from voice_agent.services import (
    Services,
    build_dry_run_client,
    build_sandbox_client,
    start_services,
)
from voice_agent.settings import Settings
from voice_agent.settings_source import SettingsSource
from voice_agent.storage.base import Store
from voice_agent.vault import configured_key

log = logging.getLogger(__name__)

Mode = Literal["voice", "sms", "test_call", "test_line", "dry_run"]
Closer = Callable[[], Awaitable[None]]


class Runtime:
    """Everything one process runs, built once; `start` brings up the channels, `aclose` ends.

    Args:
        services: The store, HCP client, model and live engine (`voice_agent.services`).
        hcp_transport: The transport dry runs reach the real HCP account through (tests
            inject one; default: the network).
    """

    def __init__(
        self, services: Services, *, hcp_transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.services = services
        self.settings: SettingsSource = services.source
        self.store: Store = services.store
        self.hcp_transport = hcp_transport
        self.voice: VoiceChannel | None = None
        self.messaging: MessagingRuntime | None = None
        self.recordings = RecordingPurge()
        self._sandbox: DialogueEngine | None = None
        self._dry_run: DialogueEngine | None = None
        self._lock = asyncio.Lock()
        self._closers: list[Closer] = []

    async def engine(self, mode: Mode) -> DialogueEngine:
        """The engine for `mode` (see the module docstring); built once, on first use.

        Raises `ConfigError` for `dry_run` when no HCP key is configured.
        """
        live = mode in ("voice", "sms")
        if live or (mode != "dry_run" and self.services.uses_sandbox):
            return self.services.engine
        async with self._lock:
            if mode == "dry_run":
                if self._dry_run is None:
                    client = await self._dry_run_client()
                    self._dry_run = self.services.build_engine(client)
                    log.info("test line: built a dry-run engine on the real HCP account")
                return self._dry_run
            if self._sandbox is None:
                client, state = build_sandbox_client(self.settings.base)
                self._sandbox = self.services.build_engine(client)
                self._closers.append(client.aclose)
                self._closers.append(_async(state.close))
                log.info("built a sandbox engine for test calls and the test line")
            return self._sandbox

    async def _dry_run_client(self) -> HcpClient:
        settings = self.settings.base
        key, _ = await configured_key(self.store, settings)
        if key is None:
            raise ConfigError("Dry-run needs an HCP API key.")
        client = build_dry_run_client(settings, key, self.hcp_transport)
        self._closers.append(client.aclose)
        return client

    async def start(self, *, background: bool) -> None:
        """Build the voice channel, the messaging runtime and the recordings sweep.

        `background` starts the outbox scheduler and the recordings sweep (a real server);
        without it the outbox is driven by hand (`messaging.run_once()`, as tests do).
        """
        self.voice = await self._start_voice()
        self.messaging = messaging_runtime(self.settings, self.services)
        CallFollowUps(self.voice).register(self.messaging.dispatcher)  # call summary jobs
        if background:
            self.messaging.scheduler.start()
        self.recordings = start_recording_purge(self.settings, self.store, run=background)

    async def _start_voice(self) -> VoiceChannel:
        """The voice channel; with real HCP and test numbers, test calls use the sandbox."""
        settings, services = self.settings.base, self.services
        hints = await load_hints(services.hcp, settings)
        if services.uses_sandbox or not settings.test_numbers:
            return VoiceChannel(
                self.settings, self.store, services.engine, hints=hints, hcp=services.hcp
            )
        test = await self.engine("test_call")
        log.info("voice: test-mode calls use the HCP sandbox")
        return VoiceChannel(
            self.settings,
            self.store,
            services.engine,
            hints=hints,
            hcp=services.hcp,
            test_engine=test,
            test_hcp=test.hcp,
        )

    async def aclose(self) -> None:
        """Stop the background work and close what the runtime built (not the services)."""
        if self.messaging is not None:
            await self.messaging.aclose()
        await self.recordings.aclose()
        if self.voice is not None:
            await self.voice.aclose()
        while self._closers:
            await self._closers.pop()()
        self._sandbox = self._dry_run = None


def _async(close: Callable[[], None]) -> Closer:
    async def closer() -> None:
        close()

    return closer


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Runtime]:
    """A `Runtime` on services built from `settings` (the CLI's entry), closed on exit."""
    services = await start_services(settings)
    runtime = Runtime(services)
    try:
        yield runtime
    finally:
        await runtime.aclose()
        await services.aclose()
