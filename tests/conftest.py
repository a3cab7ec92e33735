"""Shared fixtures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from voice_agent.settings import Settings
from voice_agent.storage.migrate import upgrade
from voice_agent.storage.sql import SqlStore, open_store


@pytest.fixture
def settings(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings on embedded defaults, isolated from the developer's environment and `.env`."""
    for name in list(__import__("os").environ):
        if name.startswith(
            ("OPENAI_", "HCP_", "TWILIO_", "DATABASE_URL", "VOICE_AGENT_", "BUSINESS_")
        ):
            monkeypatch.delenv(name, raising=False)
    return Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    """The real SqlStore on a fresh, migrated SQLite file."""
    url = f"sqlite+aiosqlite:///{(tmp_path / 'store.db').as_posix()}"
    await upgrade(url)
    opened = open_store(url)
    yield opened
    await opened.close()
