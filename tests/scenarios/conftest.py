"""Fixtures for caller scenarios: the owner's settings and a World on the sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from voice_agent.scenarios import World
from voice_agent.settings import Settings

ON_CALL = "+13125550111"
OFFICE = "+13125550100"


@pytest.fixture
def owner(settings: Settings, tmp_path: Path) -> Settings:
    """An owner's setup: an on-call and an office number, a lead source HCP knows."""
    return settings.model_copy(
        update={
            "on_call_number": ON_CALL,
            "office_number": OFFICE,
            "booking_lead_source": "Phone call",
            "data_dir": tmp_path / "owner",
        }
    )


@pytest.fixture
async def world(owner: Settings) -> AsyncIterator[World]:
    async with World(owner) as running:
        yield running
