"""An LLM can play the caller (persona + goal) through the real `openai` SDK; without a key
the fixed lines are used."""

from __future__ import annotations

from typing import Any

import openai
from pydantic import SecretStr

from voice_agent.scenarios import World, parse_scenarios, run_scenario
from voice_agent.scenarios.runner import llm_callers, scripted
from voice_agent.scenarios.setup import caller_factory
from voice_agent.settings import Settings
from voice_agent.testing.fake_openai import FakeOpenAIServer

PERSONA = """
name: A busy homeowner books a furnace visit
caller: {phone: "+12125550190"}
simulated:
  persona: Dana Fox, busy, answers in few words
  goal: get someone out to look at a banging furnace this week
expect: {outcome: booked, job: {type: furnace}}
"""


def play_dana(body: dict[str, Any]) -> str:
    """Stands in for the LLM: answers the agent's last words as Dana would."""
    heard = str(body["messages"][-1]["content"]).lower()
    if "help you" in heard:
        return "My furnace keeps banging."
    if "name" in heard:
        return "Dana Fox."
    if "address" in heard:
        return "123 Main Street, Springfield, IL 62701."
    if "works best" in heard:
        return "The first one."
    if "shall i book" in heard:
        return "Yes."
    return "BYE"


async def test_llm_caller_plays_the_persona(world: World) -> None:
    [scenario] = parse_scenarios(PERSONA, "persona.yaml")
    with FakeOpenAIServer(responder=play_dana) as server:
        client = openai.AsyncOpenAI(api_key="test-openai-key-not-real", base_url=server.base_url)
        try:
            result = await run_scenario(scenario, world, llm_callers(client, "gpt-test"))
        finally:
            await client.close()
        system = server.requests[0].messages[0]["content"]
    assert result.status == "pass", (result.reasons, result.transcript)
    assert ("caller", "Dana Fox.") in result.transcript
    assert "Dana Fox, busy" in system and "banging furnace" in system


def test_without_a_key_callers_are_scripted(settings: Settings) -> None:
    make, client = caller_factory(settings)
    assert make is scripted and client is None
    keyed = settings.model_copy(update={"openai_api_key": SecretStr("test-openai-key-not-real")})
    make, client = caller_factory(keyed)
    assert make is not scripted and client is not None
