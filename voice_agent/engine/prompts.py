"""Prompt templates: `prompts/<name>.md` loaded once, `{placeholders}` filled per use.

Where the prompts live: the top-level `prompts/` directory of the repository (as the design
lays out), found next to the `voice_agent` package. That covers running from a checkout and
editable installs (`pip install -e .`, the supported deployment). A different directory can be
passed to `PromptLibrary` (tests, or a deployment that keeps its own wording).

Template syntax: `{name}` (a Python identifier in braces) is a placeholder; any other brace is
literal text, so prompts may show JSON. HTML comments (`<!-- ... -->`) document a template for
its editors and are removed before rendering.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal

from voice_agent.engine.intents import SAFETY_INSTRUCTIONS
from voice_agent.engine.language import SPANISH_MARKER
from voice_agent.errors import AgentError
from voice_agent.settings import OpeningHours, Settings

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
"""The repository's `prompts/` directory."""

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_COMMENT = re.compile(r"<!--.*?-->\n?", re.DOTALL)
_NAME = re.compile(r"^[a-z0-9_]+$")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

Channel = Literal["voice", "sms"]


class PromptError(AgentError):
    """A prompt does not exist or a placeholder has no value."""


class PromptLibrary:
    """The prompt templates of one directory, read once each."""

    def __init__(self, directory: Path = PROMPTS_DIR) -> None:
        self.directory = directory

    def names(self) -> list[str]:
        """Every available prompt name, sorted."""
        return sorted(path.stem for path in self.directory.glob("*.md"))

    def template(self, name: str) -> str:
        """The raw template text (comments removed).

        Raises:
            PromptError: No prompt has this name.
        """
        if not _NAME.match(name):
            raise PromptError(f"prompt name {name!r} must be lower_snake_case, without '.md'")
        return _read(self.directory / f"{name}.md")

    def placeholders(self, name: str) -> set[str]:
        """The placeholder names a template uses."""
        return set(_PLACEHOLDER.findall(self.template(name)))

    def load(self, name: str, /, **values: object) -> str:
        """Render prompt `name` with `values` (extra values are ignored).

        Raises:
            PromptError: Unknown prompt, or a placeholder without a value.
        """
        return render(self.template(name), values, name=name)


@lru_cache(maxsize=64)
def _read(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        known = ", ".join(sorted(p.stem for p in path.parent.glob("*.md"))) or "none"
        raise PromptError(
            f"no prompt {path.stem!r} in {path.parent} (available: {known})"
        ) from None
    return _COMMENT.sub("", text).strip()


def render(template: str, values: Mapping[str, object], *, name: str = "template") -> str:
    """Fill `{placeholders}` in `template` from `values`.

    Raises:
        PromptError: A placeholder has no value (all missing ones are named).
    """
    missing = sorted(set(_PLACEHOLDER.findall(template)) - values.keys())
    if missing:
        raise PromptError(f"prompt {name!r} needs a value for: {', '.join(missing)}")
    return _PLACEHOLDER.sub(lambda match: str(values[match.group(1)]), template)


_default = PromptLibrary()


def load_prompt(name: str, /, **values: object) -> str:
    """Render `prompts/<name>.md` with `values`; see `PromptLibrary.load`."""
    return _default.load(name, **values)


# -- values drawn from settings -------------------------------------------------------------


def _clock(value: object) -> str:
    hour, minute = getattr(value, "hour", 0), getattr(value, "minute", 0)
    suffix = "AM" if hour < 12 else "PM"
    if hour == 0 and minute == 0:
        return "midnight"
    if hour == 12 and minute == 0:
        return "noon"
    shown = hour % 12 or 12
    return f"{shown} {suffix}" if minute == 0 else f"{shown}:{minute:02d} {suffix}"


def spoken_hours(hours: OpeningHours) -> str:
    """Opening hours as people say them: "Monday to Friday, 8 AM to 5 PM; Saturday, ..."."""
    parts: list[str] = []
    day = 0
    while day < 7:
        span = hours.days.get(day)
        if span is None:
            day += 1
            continue
        last = day
        while last + 1 < 7 and hours.days.get(last + 1) == span:
            last += 1
        days = _DAY_NAMES[day] if last == day else f"{_DAY_NAMES[day]} to {_DAY_NAMES[last]}"
        parts.append(f"{days}, {_clock(span[0])} to {_clock(span[1])}")
        day = last + 1
    return "; ".join(parts) or "by appointment only"


def business_values(settings: Settings) -> dict[str, str]:
    """Placeholder values for `business_facts.md` drawn from the business profile settings."""
    area = ", ".join(settings.service_area)
    return {
        "business_name": settings.business_name,
        "hours": spoken_hours(settings.opening_hours),
        "timezone": settings.business_timezone,
        "service_area": area or "not restricted (take every address; the office will confirm)",
        "on_call": (
            "an on-call technician can be reached by transfer at any hour"
            if settings.on_call_number
            else "no on-call line is set up; for emergencies give the safety line, then "
            "tell the caller the office will call back as soon as possible"
            if settings.office_number
            else "no on-call line (and no office line) is set up; for emergencies give the "
            "safety line, then tell the caller the office will see their message first thing "
            "(never promise a call-back)"
        ),
        "office": (
            "calls can be transferred to the office during opening hours"
            if settings.office_number
            else "no office line is set up for transfers; take a message instead"
        ),
        "payments": f"customers can pay online at {settings.pay_url}"
        if settings.pay_url
        else "no online payment link",
    }


def safety_values() -> dict[str, str]:
    """Placeholder values for `safety.md`: the fixed lines of `intents.SAFETY_INSTRUCTIONS`."""
    return {str(kind): line for kind, line in SAFETY_INSTRUCTIONS.items()}


def system_prompt(
    settings: Settings,
    channel: Channel = "voice",
    *,
    now: datetime | None = None,
    language: str = "en",
    library: PromptLibrary = _default,
) -> str:
    """The full system prompt for a channel: persona, business facts and safety rules.

    Args:
        settings: Business profile source.
        channel: `"voice"` or `"sms"`.
        now: Current time (aware or naive local); defaults to now in the business time zone.
        language: The caller's language; `"es"` appends `language_es.md` after
            `language.SPANISH_MARKER` (guided intake reads the marker).
        library: Where to read templates from.
    """
    moment = now or datetime.now(settings.zone)
    today, clock = f"{moment:%A, %B} {moment.day}, {moment.year}", _clock(moment.time())
    key = (id(settings), id(library), channel, language, today, clock)
    built = _built.get(key)
    if built is not None and built[0] is settings and built[1] is library:
        return built[2]  # the same prompt for every turn of the same minute
    values = {
        "business_name": settings.business_name,
        "today": today,
        "now": clock,
        "business_facts": library.load("business_facts", **business_values(settings)),
        "safety": library.load("safety", **safety_values()),
    }
    prompt = library.load(f"{channel}_system", **values)
    if language == "es":
        prompt += f"\n\n{SPANISH_MARKER}\n" + library.load("language_es", channel=channel)
    if len(_built) >= _MAX_BUILT:
        _built.clear()
    _built[key] = (settings, library, prompt)  # holding both keeps their ids unique
    return prompt


_built: dict[tuple[int, int, str, str, str, str], tuple[Settings, PromptLibrary, str]] = {}
"""Prompts built this minute, by settings (frozen: a saved change is a new object),
library, channel, language, date and time."""
_MAX_BUILT = 64


DISCLOSURE = "You're speaking with an automated assistant."
"""The built-in disclosure sentence (`DISCLOSURE_TEXT` replaces it)."""
RECORDING_NOTICE = "This call is recorded."
"""Said whenever `CALL_RECORDING` is on, even with the disclosure off."""


def disclosure(settings: Settings, *, language: str = "en") -> str:
    """The disclosure sentences of the opening line: assistant and/or recording (may be "")."""
    from voice_agent.engine.i18n import t

    parts: list[str] = []
    if settings.disclosure_enabled:
        own = " ".join(settings.disclosure_text.split())
        parts.append(own if own and language == "en" else t(DISCLOSURE, language))
    if settings.call_recording:
        parts.append(t(RECORDING_NOTICE, language))
    return " ".join(parts)


def greeting(
    settings: Settings,
    *,
    first_name: str | None = None,
    test_mode: bool = False,
    library: PromptLibrary = _default,
) -> str:
    """The opening line: by first name when the caller is known, the disclosure sentences
    (automated assistant, call recording) and, in test mode, the test notice."""
    notice = disclosure(settings)
    return library.load(
        "greeting",
        business_name=settings.business_name,
        salutation=f"Hi {first_name}" if first_name else "Hi there",
        disclosure=" " + notice if notice else "",
        test_notice=" " + library.load("test_notice") if test_mode else "",
    )
