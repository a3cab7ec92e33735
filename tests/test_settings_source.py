"""`SettingsSource`: the environment plus the saved profile, with change notification."""

from __future__ import annotations

from voice_agent.settings import Settings
from voice_agent.settings_source import SettingsSource
from voice_agent.storage.sql import SqlStore


async def test_reload_applies_the_saved_profile_and_tells_subscribers_once(
    settings: Settings, store: SqlStore
) -> None:
    source = SettingsSource(settings, store)
    heard: list[str] = []
    source.subscribe(lambda current: heard.append(current.business_name))
    assert source.current() is settings

    await store.set_setting("business_name", "Saved Plumbing")
    assert (await source.reload()).business_name == "Saved Plumbing"
    assert source.current().business_name == "Saved Plumbing"
    assert source.base is settings  # the environment's values stay the base
    await source.reload()
    assert heard == ["Saved Plumbing"]


async def test_without_a_store_the_base_holds_until_updated(settings: Settings) -> None:
    source = SettingsSource(settings)
    heard: list[Settings] = []
    source.subscribe(heard.append)
    assert await source.reload() is settings and heard == []
    changed = settings.model_copy(update={"business_name": "Elsewhere"})
    source.update(changed)
    assert source.current() is changed and heard == [changed]


async def test_a_bad_saved_value_is_skipped(settings: Settings, store: SqlStore) -> None:
    await store.set_setting("business_timezone", "Not/AZone")
    await store.set_setting("business_name", "Saved Plumbing")
    current = await SettingsSource(settings, store).reload()
    assert current.business_name == "Saved Plumbing"
    assert current.business_timezone == settings.business_timezone
