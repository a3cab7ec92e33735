"""Saved profile settings reach every running engine and the voice channel."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from voice_agent.settings import Settings
from voice_agent.storage.sql import SqlStore
from voice_agent.web.engines import apply_saved_settings


class Holder:
    """Anything that holds settings (an engine, the voice channel)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings


async def test_saved_profile_reaches_every_engine_and_the_voice_channel(
    settings: Settings, store: SqlStore
) -> None:
    await store.set_setting("business_name", "Saved Plumbing")
    applied: list[Any] = []
    # Services offering an `apply_settings` (nothing defines it; the old code then returned
    # early and left the voice channel and the dashboard's engines on the old settings).
    services = SimpleNamespace(store=store, engine=Holder(settings), apply_settings=applied.append)
    voice = SimpleNamespace(engine=services.engine, test_engine=Holder(settings), settings=settings)
    dashboard = SimpleNamespace(sandbox_engine=Holder(settings), dry_run_engine=Holder(settings))
    app = SimpleNamespace(
        state=SimpleNamespace(
            settings=settings, services=services, voice=voice, dashboard=dashboard
        )
    )

    effective = await apply_saved_settings(app)

    assert effective.business_name == "Saved Plumbing"
    holders = (services.engine, voice.test_engine, dashboard.sandbox_engine)
    for holder in (*holders, dashboard.dry_run_engine, voice):
        assert holder.settings is effective
