"""Score the understanding functions against the labelled corpus (`tests/engine/corpus/`).

A case is understood when the reading equals its label. A *wrong action* is a reading that
would make the dialogue do something the caller did not ask for: a yes that was not one, a
window other than the one chosen, or a request that leads to a write (book, reschedule,
cancel, estimate, message) other than the one asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from voice_agent.understanding.addresses import parse_address
from voice_agent.understanding.answers import closing, yes_no
from voice_agent.understanding.choices import Elsewhere, Option, choose
from voice_agent.understanding.names import parse_name
from voice_agent.understanding.numbers import digits_said
from voice_agent.understanding.requests import classify_request

WRITE_REQUESTS = frozenset({"book", "reschedule", "cancel", "estimate", "message"})
TODAY = date(2026, 11, 25)  # the windows below are "tomorrow" (Thursday) and Friday
WINDOWS = [
    Option(datetime(2026, 11, 26, 12), datetime(2026, 11, 26, 14), "between 12 and 2 tomorrow"),
    Option(datetime(2026, 11, 26, 14), datetime(2026, 11, 26, 16), "between 2 and 4 tomorrow"),
    Option(datetime(2026, 11, 27, 8), datetime(2026, 11, 27, 10), "between 8 and 10 on Friday"),
]


def _closing(said: str, lang: str) -> Any:
    request = classify_request(said)
    if request is not None and request not in ("emergency", "person"):
        return "request"
    return closing(said)


def _window(said: str, lang: str) -> Any:
    picked = choose(said, WINDOWS, TODAY)
    return "elsewhere" if isinstance(picked, Elsewhere) else picked


def _name(said: str, lang: str) -> Any:
    name = parse_name(said, lang)
    return list(name) if name else None


def _address(said: str, lang: str) -> Any:
    parsed = parse_address(said, lang)
    if parsed is None:
        return None
    return {"street": parsed.street, "city": parsed.city, "state": parsed.state, "zip": parsed.zip}


READERS: dict[str, Callable[[str, str], Any]] = {
    "intent": lambda said, lang: classify_request(said),
    "closing": _closing,
    "yes_no": lambda said, lang: yes_no(said),
    "window": _window,
    "name": _name,
    "address": _address,
    "number": digits_said,
}


def wrong_action(state: str, got: Any, expected: Any) -> bool:
    """Whether a misreading would act against the caller's wish."""
    if got == expected:
        return False
    if state == "yes_no":
        return bool(got == "yes")
    if state == "window":
        return isinstance(got, int)
    if state in ("intent",):
        return bool(got in WRITE_REQUESTS)
    return False  # closing words, names, addresses and numbers are read back before any write


@dataclass
class Score:
    """Results for one state."""

    total: int = 0
    understood: int = 0
    wrong_actions: int = 0
    spanish: int = 0
    misses: list[tuple[str, str, Any, Any]] = field(default_factory=list)


def load(folder: Path) -> list[tuple[str, str, str, Any]]:
    """(state, lang, said, expected) for every case in the corpus files."""
    cases: list[tuple[str, str, str, Any]] = []
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for lang, said, expected in data["cases"]:
            cases.append((data["state"], lang, str(said), expected))
    return cases


def score(folder: Path) -> dict[str, Score]:
    """Per-state scores over the corpus in `folder`."""
    scores: dict[str, Score] = {}
    for state, lang, said, expected in load(folder):
        got = READERS[state](said, lang)
        entry = scores.setdefault(state, Score())
        entry.total += 1
        entry.spanish += lang == "es"
        if got == expected:
            entry.understood += 1
        else:
            entry.misses.append((lang, said, got, expected))
            entry.wrong_actions += wrong_action(state, got, expected)
    return scores
