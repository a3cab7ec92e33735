"""Building the voice channel from the running services (called by the app's lifespan)."""

from __future__ import annotations

import logging
from typing import Any

from voice_agent.channels.voice import VoiceChannel
from voice_agent.channels.voice_hints import load_hints
from voice_agent.settings import Settings

log = logging.getLogger(__name__)


async def start_voice(settings: Settings, services: Any) -> VoiceChannel:
    """The `VoiceChannel` over `services` (store, engine, hcp).

    When a real HCP account is configured, test-mode calls (TEST_NUMBERS) get their own
    engine on the in-process sandbox, sharing the store and the model, so a staff test call
    runs the same flow without touching real bookings.
    """
    hints = await load_hints(services, settings)
    if services.uses_sandbox or not settings.test_numbers:
        hcp = getattr(services, "hcp", None)
        return VoiceChannel(settings, services.store, services.engine, hints=hints, hcp=hcp)
    from voice_agent.services import build_sandbox_client, build_services

    client, state = build_sandbox_client(settings)
    sandbox = build_services(settings, services.store, hcp_client=client, model=services.model)
    log.info("voice: test-mode calls use the HCP sandbox")

    async def close_sandbox() -> None:
        await client.aclose()
        state.close()

    return VoiceChannel(
        settings,
        services.store,
        services.engine,
        hints=hints,
        hcp=services.hcp,
        test_engine=sandbox.engine,
        test_hcp=client,
        closers=(close_sandbox,),
    )
