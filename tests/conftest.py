"""Shared fixtures."""

from __future__ import annotations

import pytest

from voice_agent.settings import Settings


@pytest.fixture
def settings(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings on embedded defaults, isolated from the developer's environment and `.env`."""
    for name in list(__import__("os").environ):
        if name.startswith(
            ("OPENAI_", "HCP_", "TWILIO_", "DATABASE_URL", "VOICE_AGENT_", "BUSINESS_")
        ):
            monkeypatch.delenv(name, raising=False)
    return Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
