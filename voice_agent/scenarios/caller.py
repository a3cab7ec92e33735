"""The caller's side of a scenario: rules, fixed lines, or an LLM playing a persona."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from voice_agent.scenarios.model import Rule, Scenario

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Line:
    """What the caller does next: speak `text`, or press `digits`."""

    text: str = ""
    digits: str | None = None

    @property
    def shown(self) -> str:
        return f"[presses {self.digits}]" if self.digits else self.text


class Caller(Protocol):
    """Chooses the caller's next line from what the agent just said (None: hang up)."""

    async def next_line(self, heard: str) -> Line | None: ...


def fill(template: str, values: dict[str, str]) -> str:
    """`{address}`-style placeholders filled from the caller's HCP record (unknown left)."""
    out = template
    for key, value in values.items():
        out = out.replace("{" + key + "}", value)
    return out


@dataclass
class ScriptedCaller:
    """Rules first ("if the agent asks about X, say Y"), then the fixed lines in order."""

    scenario: Scenario
    values: dict[str, str] = field(default_factory=dict)
    _used: dict[int, int] = field(default_factory=dict)
    _next: int = 0

    def _rule(self, heard: str) -> Rule | None:
        lowered = heard.lower()
        for index, rule in enumerate(self.scenario.when):
            if self._used.get(index, 0) >= rule.times:
                continue
            if any(phrase.lower() in lowered for phrase in rule.asks):
                self._used[index] = self._used.get(index, 0) + 1
                return rule
        return None

    async def next_line(self, heard: str) -> Line | None:
        rule = self._rule(heard)
        if rule is not None:
            return Line(fill(rule.say or "", self.values), rule.press)
        if self._next < len(self.scenario.say):
            line = self.scenario.say[self._next]
            self._next += 1
            return Line(fill(line, self.values))
        return None


SIMULATED_SYSTEM = (
    "You are role-playing a caller phoning a home-service business. Persona: {persona}. "
    "Your goal: {goal}. Answer the receptionist in one short spoken sentence, as a person "
    "on the phone would. When your goal is reached or cannot be reached, reply exactly BYE."
)


@dataclass
class SimulatedCaller:
    """An LLM plays the caller (OpenAI-compatible server, through the `openai` SDK).

    Rules of the scenario still win, so a known customer's verification answer stays exact.
    """

    scenario: Scenario
    client: Any  # openai.AsyncOpenAI
    model: str
    values: dict[str, str] = field(default_factory=dict)
    history: list[dict[str, str]] = field(default_factory=list)
    _rules: ScriptedCaller | None = None

    async def next_line(self, heard: str) -> Line | None:
        if self._rules is None:
            rules_only = self.scenario.model_copy(update={"say": []})
            self._rules = ScriptedCaller(rules_only, self.values)
        scripted = self._rules
        persona = self.scenario.simulated
        assert persona is not None
        if not self.history:
            system = SIMULATED_SYSTEM.format(persona=persona.persona, goal=persona.goal)
            self.history.append({"role": "system", "content": system})
        self.history.append({"role": "user", "content": heard})
        ruled = await scripted.next_line(heard)
        if ruled is not None:
            self.history.append({"role": "assistant", "content": ruled.shown})
            return ruled
        response = await self.client.chat.completions.create(
            model=self.model, messages=self.history, max_tokens=80
        )
        text = (response.choices[0].message.content or "").strip()
        self.history.append({"role": "assistant", "content": text})
        if not text or text.upper().startswith("BYE"):
            return None
        return Line(text)
