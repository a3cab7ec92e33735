"""Caller scenarios: YAML scripts played as phone calls through the real app and graded."""

from voice_agent.scenarios.model import (
    Scenario,
    ScenarioError,
    load_scenarios,
    parse_scenarios,
    starter_scenarios,
    to_yaml,
)
from voice_agent.scenarios.runner import ScenarioResult, run_all, run_scenario
from voice_agent.scenarios.world import World

__all__ = [
    "Scenario",
    "ScenarioError",
    "ScenarioResult",
    "World",
    "load_scenarios",
    "parse_scenarios",
    "run_all",
    "run_scenario",
    "starter_scenarios",
    "to_yaml",
]
