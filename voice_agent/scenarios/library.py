"""The scenario set the dashboard runs: the starter set plus the owner's own scenarios.

The owner's scenarios are kept as YAML text in the store (one internal record), so they
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
from voice_agent.storage.base import Store

OWNER_KEY = "scenarios:owner"  # {slug: yaml text}; the ":" keeps it out of office settings
HANDLED_EXPECTATIONS = frozenset(OUTCOMES) - {"error", "abandoned", "no_booking"}


def slug(name: str) -> str:
    """A stable key for a scenario name."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "scenario"


async def owner_texts(store: Store) -> dict[str, str]:
    stored = await store.get_setting(OWNER_KEY)
    return {str(k): str(v) for k, v in stored.items()} if isinstance(stored, dict) else {}


async def owner_scenarios(store: Store) -> list[Scenario]:
    """The owner's saved scenarios (a text that no longer parses is skipped)."""
    found: list[Scenario] = []
    for key, text in sorted((await owner_texts(store)).items()):
        try:
            found.extend(parse_scenarios(text, f"dashboard:{key}"))
        except ValueError:
            continue
    return found


async def all_scenarios(store: Store) -> list[Scenario]:
    """The starter set, then the owner's scenarios."""
    return [*starter_scenarios(), *await owner_scenarios(store)]


async def save_scenario(store: Store, text: str) -> Scenario:
    """Validate and save one scenario (replacing one of the same name); `ScenarioError`."""
    parsed = parse_scenarios(text, "new scenario")
    if len(parsed) != 1:
        raise ScenarioError("new scenario: save one scenario at a time")
    scenario = parsed[0]
    texts = await owner_texts(store)
    texts[slug(scenario.name)] = text
    await store.set_setting(OWNER_KEY, texts)
    return scenario


async def delete_scenario(store: Store, name: str) -> bool:
    texts = await owner_texts(store)
    if texts.pop(slug(name), None) is None:
        return False
    await store.set_setting(OWNER_KEY, texts)
    return True


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
