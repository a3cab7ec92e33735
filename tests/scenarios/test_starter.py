"""The starter set ships with the product and runs against the sandbox in `make test`."""

from __future__ import annotations

import pytest

from voice_agent.scenarios import World, run_scenario, starter_scenarios
from voice_agent.scenarios.model import STARTER_DIR

STARTER = {s.name: s for s in starter_scenarios()}


def test_the_starter_set_covers_the_calls_owners_get() -> None:
    files = {path.stem for path in STARTER_DIR.glob("*.yaml")}
    assert {"booking", "reschedule", "cancel", "emergency", "out_of_area", "spanish"} <= files
    assert "billing" in files
    assert all(s.expected_failure is None for s in STARTER.values()), "a starter gap is marked"


@pytest.mark.parametrize("name", sorted(STARTER))
async def test_starter_scenario_passes_on_the_sandbox(world: World, name: str) -> None:
    result = await run_scenario(STARTER[name], world)
    assert result.status == "pass", (result.reasons, result.transcript)
    assert result.turns >= 1 and result.transcript[0][0] == "agent"
