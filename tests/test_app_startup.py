"""A real server freezes what start-up made, so full GC passes do not pause calls, and
collects young objects less often."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from voice_agent.app import GC_YOUNG_THRESHOLD, create_app
from voice_agent.settings import Settings
from voice_agent.storage import upgrade


@pytest.fixture
def app_settings(tmp_path: Path) -> Iterator[Settings]:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    asyncio.run(upgrade(settings.effective_database_url))
    gc.unfreeze()
    threshold = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # CPython's default (another test's server may have set it)
    yield settings
    gc.unfreeze()  # the rest of the suite collects as usual
    gc.set_threshold(*threshold)


def test_a_server_building_its_own_services_freezes_start_up(app_settings: Settings) -> None:
    with TestClient(create_app(app_settings)) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() > 10_000  # modules, settings, engine, app: all of it
        assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD  # fewer young collections


def test_freezing_can_be_turned_off(app_settings: Settings) -> None:
    with TestClient(create_app(app_settings, freeze_startup=False)) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() == 0
        assert gc.get_threshold()[0] != GC_YOUNG_THRESHOLD
