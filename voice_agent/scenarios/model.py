"""The scenario file format: who calls, what they say, what must be true afterwards.

A scenario is a small YAML document an owner can read and write (see the README):

    name: New caller books a furnace repair
    caller: {phone: "+12125550142"}
    say: [my furnace is banging, Jane Doe, "12 Elm St, Springfield IL 62704", the first one, yes]
    when:
      - asks: street address on your account
        say: "{address}"
    expect:
      outcome: booked
      job: {type: Furnace, within_days: 14}
      heard: [booked]

One file holds one scenario, or a list of them under `scenarios:`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from voice_agent.outcomes import OUTCOMES


class ScenarioError(ValueError):
    """A scenario file that cannot be read; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def spoken(value: Any) -> Any:
    """A line as typed: YAML reads a bare yes/no as a boolean and 2 as a number."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    return value


class Caller(_Strict):
    """Who calls: a phone number (a known customer's, or a new one) and the caller's name."""

    phone: str = "+12125550142"
    name: str | None = None


class Rule(_Strict):
    """If the agent asks about X, say Y: `asks` is matched in the agent's last words.

    `asks` is one phrase or several (any matches), case-insensitive. `say` may use
    `{address}`, `{first_name}`, `{last_name}` and `{name}` of the caller's HCP record.
    `press` sends keypad digits instead. A rule answers at most `times` times.
    """

    asks: list[str]
    say: str | None = None
    press: str | None = None
    times: int = Field(default=1, ge=1, le=10)

    @field_validator("asks", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [spoken(value)] if not isinstance(value, list) else [spoken(v) for v in value]

    @field_validator("say", "press", mode="before")
    @classmethod
    def _as_typed(cls, value: Any) -> Any:
        return spoken(value)


class Job(_Strict):
    """A job this call created: its type (words in the job type or description) and when."""

    type: str | None = None
    within_days: int | None = Field(default=None, ge=0, le=365)
    starts_between: str | None = None  # local "HH:MM-HH:MM" the arrival window starts in

    @field_validator("starts_between")
    @classmethod
    def _range(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            start, end = (part.strip() for part in value.split("-"))
            for part in (start, end):
                hours, minutes = part.split(":")
                if not (0 <= int(hours) < 24 and 0 <= int(minutes) < 60):
                    raise ValueError
        except ValueError:
            raise ValueError("expected a local time range such as 08:00-12:00") from None
        return f"{start}-{end}"


class Expect(_Strict):
    """What must be true after the call; every given check must hold."""

    outcome: Literal[OUTCOMES] | None = None  # type: ignore[valid-type]
    job: Job | None = None
    no_job: bool = False
    message: bool | None = None  # a message for the office was queued (or not)
    transfer: bool | None = None  # the agent put the caller through (or not)
    heard: list[str] = Field(default_factory=list)
    never_heard: list[str] = Field(default_factory=list)


class Persona(_Strict):
    """An LLM plays the caller (only with an LLM key); fixed lines are used otherwise."""

    persona: str
    goal: str


class Scenario(_Strict):
    """One caller scenario."""

    name: str = Field(min_length=1, max_length=120)
    description: str = ""
    caller: Caller = Field(default_factory=Caller)
    say: list[str] = Field(default_factory=list)
    when: list[Rule] = Field(default_factory=list)
    simulated: Persona | None = None
    transfer_answered: bool = True  # whether the office picks up when the agent transfers
    max_turns: int = Field(default=16, ge=1, le=60)
    expect: Expect = Field(default_factory=Expect)
    expected_failure: str | None = None  # a known gap: the run reports it, does not fail
    source: str = ""  # the file it came from (set by the loader)

    @field_validator("say", mode="before")
    @classmethod
    def _lines_as_typed(cls, value: Any) -> Any:
        return [spoken(v) for v in value] if isinstance(value, list) else value


class _File(_Strict):
    scenarios: list[Scenario]


def parse_scenarios(text: str, source: str = "<text>") -> list[Scenario]:
    """The scenarios in a YAML document; `ScenarioError` names what is wrong."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{source}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: expected a scenario (a mapping with a name)")
    try:
        items = (
            _File.model_validate(data).scenarios
            if "scenarios" in data
            else [Scenario.model_validate(data)]
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'scenario'}: {e['msg']}" for e in exc.errors()
        )
        raise ScenarioError(f"{source}: {problems}") from None
    return [item.model_copy(update={"source": source}) for item in items]


def load_scenarios(paths: list[Path]) -> list[Scenario]:
    """Scenarios from files and folders (every `*.yaml`/`*.yml` in a folder, sorted)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml")))
        elif path.exists():
            files.append(path)
        else:
            raise ScenarioError(f"{path}: no such file")
    scenarios: list[Scenario] = []
    for file in files:
        scenarios.extend(parse_scenarios(file.read_text(encoding="utf-8"), str(file)))
    return scenarios


STARTER_DIR = Path(__file__).parent / "starter"


def starter_scenarios() -> list[Scenario]:
    """The starter set that ships with the product."""
    return load_scenarios([STARTER_DIR])


def to_yaml(scenario: Scenario) -> str:
    """The scenario as YAML, defaults left out (what "make this a test" offers)."""
    data = scenario.model_dump(exclude_defaults=True, exclude={"source"})
    data = {"name": scenario.name, **data}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
