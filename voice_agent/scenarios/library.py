"""The scenario set the dashboard runs: the starter set plus the owner's own scenarios.

The owner's scenarios are kept as YAML text in the store (one row per scenario), so they
are the same format as files and survive restarts and every worker sees them.
"""

from __future__ import annotations

import re
from typing import Any

from voice_agent.outcomes import OUTCOMES
from voice_agent.scenarios.model import (
    Caller,
    Expect,
    Scenario,
    ScenarioError,
    parse_scenarios,
    starter_scenarios,
    to_yaml,
)
from voice_agent.storage.base import ScenarioRecords, Store

HANDLED_EXPECTATIONS = frozenset(OUTCOMES) - {"error", "abandoned", "no_booking"}


def slug(name: str) -> str:
    """A stable key for a scenario name."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "scenario"


async def owner_scenarios(store: ScenarioRecords) -> list[Scenario]:
    """The owner's saved scenarios (a text that no longer parses is skipped)."""
    found: list[Scenario] = []
    for key, text in sorted((await store.owner_scenario_texts()).items()):
        try:
            found.extend(parse_scenarios(text, f"dashboard:{key}"))
        except ValueError:
            continue
    return found


async def all_scenarios(store: ScenarioRecords) -> list[Scenario]:
    """The starter set, then the owner's scenarios."""
    return [*starter_scenarios(), *await owner_scenarios(store)]


async def save_scenario(store: ScenarioRecords, text: str) -> Scenario:
    """Validate and save one scenario (replacing one of the same name); `ScenarioError`."""
    parsed = parse_scenarios(text, "new scenario")
    if len(parsed) != 1:
        raise ScenarioError("new scenario: save one scenario at a time")
    scenario = parsed[0]
    await store.put_owner_scenario(slug(scenario.name), text)
    return scenario


async def delete_scenario(store: ScenarioRecords, name: str) -> bool:
    return await store.delete_owner_scenario(slug(name))


async def from_conversation(store: Store, conversation_id: str) -> str | None:
    """A scenario replaying a real conversation's caller lines, expecting what happened."""
    conversation = await store.get_conversation(conversation_id)
    if conversation is None:
        return None
    turns = await store.list_turns(conversation_id)
    lines = [turn.text for turn in turns if turn.role == "caller" and turn.text.strip()]
    expect: dict[str, Any] = {}
    if conversation.outcome in HANDLED_EXPECTATIONS:
        expect["outcome"] = conversation.outcome
    job_type = (conversation.state or {}).get("job_type_name")
    if conversation.outcome == "booked" and isinstance(job_type, str) and job_type:
        expect["job"] = {"type": job_type, "within_days": 14}
    phone = conversation.caller if conversation.caller.startswith("+") else Caller().phone
    started = conversation.started_at.strftime("%b %d %H:%M")
    scenario = Scenario(
        name=f"Replay of the {conversation.channel} call on {started}",
        description="Made from a real conversation: check the lines and what must be true.",
        caller=Caller(phone=phone),
        say=lines,
        expect=Expect(**expect),
    )
    return to_yaml(scenario)
