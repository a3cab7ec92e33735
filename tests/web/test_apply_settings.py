"""A profile saved on the Setup page reaches every engine mode through the one settings source."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

import voice_agent.runtime as runtime_module
from voice_agent.runtime import Mode, Runtime
from voice_agent.services import build_services
from voice_agent.settings import Settings
from voice_agent.storage.sql import SqlStore

MODES: tuple[Mode, ...] = ("voice", "sms", "test_call", "test_line", "dry_run")


async def test_a_saved_setting_reaches_every_engine_mode_through_the_source(
    settings: Settings, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_hints(hcp: object, settings: object) -> tuple[str, ...]:
        return ()  # the real HCP client must not be called (no network in tests)

    monkeypatch.setattr(runtime_module, "load_hints", no_hints)
    real = settings.model_copy(
        update={
            "hcp_api_key": SecretStr("test-hcp-key-not-real"),
            "hcp_base_url": "https://api.housecallpro.com",
            "test_numbers": ("+15125550142",),
        }
    )
    services = build_services(real, store)
    runtime = Runtime(services)
    await runtime.start(background=False)
    try:
        engines = {mode: await runtime.engine(mode) for mode in MODES}
        assert len({id(engine) for engine in engines.values()}) == 3  # live, sandbox, dry run
        assert runtime.voice is not None and runtime.voice.test_engine is engines["test_call"]
        changes: list[Settings] = []
        runtime.settings.subscribe(changes.append)

        await store.set_setting("business_name", "Saved Plumbing")
        await runtime.settings.reload()

        for mode, engine in engines.items():
            assert engine.settings.business_name == "Saved Plumbing", mode
        assert runtime.voice.settings.business_name == "Saved Plumbing"
        assert [s.business_name for s in changes] == ["Saved Plumbing"]
        await runtime.settings.reload()  # nothing changed: nobody is told again
        assert len(changes) == 1
    finally:
        await runtime.aclose()
        await services.aclose()
