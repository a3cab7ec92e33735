"""Which offered option the caller means: by order, weekday, part of day, clock time or range.

"the 12 to 2 one" is the window from 12 to 2 (numbers next to "to" are hours, not order),
"the later one" the last, "Friday at 3" the Friday window that covers 3 o'clock. A time that
fits none of the offers ("anything Thursday afternoon?") is a place to look instead (`Elsewhere`).
Anything else is `None`: the dialogue asks again rather than guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from voice_agent.engine.intents import normalise


@dataclass(frozen=True)
class Option:
    """One offered choice: local start/end when known, and how it was said."""

    start: datetime | None
    end: datetime | None
    spoken: str


@dataclass(frozen=True)
class Elsewhere:
    """The caller asked for a time none of the options fits; look there."""

    preference: str


Check = Callable[["Option"], bool]
_HOURS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "noon": 12, "uno": 1, "una": 1, "dos": 2,
    "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10,
    "once": 11, "doce": 12, "mediodia": 12,
}  # fmt: skip
_DAYS = (
    ("monday", "lunes"), ("tuesday", "martes"), ("wednesday", "miercoles"),
    ("thursday", "jueves"), ("friday", "viernes"), ("saturday", "sabado"), ("sunday", "domingo"),
)  # fmt: skip
_ORDINALS = {
    "first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "primera": 0, "primero": 0,
    "segunda": 1, "segundo": 1, "tercera": 2, "tercero": 2, "earliest": 0, "earlier": 0,
    "sooner": 0, "soonest": 0, "last": -1, "latest": -1, "later": -1, "ultima": -1, "ultimo": -1,
    "middle": 1, "temprano": 0, "pronto": 0,
}  # fmt: skip
_BARE = re.compile(
    r"^(?:(?:the|option|number|el|la|opcion|numero|um|uh)\s)*(1|2|3|one|two|three|uno|una|dos|tres)"
    r"(?:\s(?:one|please|por favor))?$"
)
_NUM = r"(\d{1,2}|" + "|".join(_HOURS) + r")"
_RANGE = re.compile(
    rf"\b(?:from |between |de |entre (?:las? )?)?{_NUM}(?::\d\d)?(?: ?[ap] ?m)? ?"
    rf"(?:to|till|until|and|through|a|y|hasta|-) (?:las? )?{_NUM}\b"
)
_AT = re.compile(
    rf"\b(?:at|around|about|a las?|de las?|las|tipo|como a las?|after|despues de las?) {_NUM}\b"
)
_CLOCK = re.compile(rf"\b{_NUM}(?::\d\d)? ?(?:([ap]) ?m\b|o'?clock\b|de la (manana|tarde))")
_MORNING = re.compile(
    r"\b(?:morning|a ?m|manana temprano|de la manana|en la manana|por la manana)\b"
)
_AFTERNOON = re.compile(
    r"\b(?:afternoon|evening|p ?m|tarde|de la tarde|en la tarde|por la tarde)\b"
)
_TOMORROW = re.compile(r"\b(?:tomorrow|manana)\b(?! (?:temprano|por la|en la))")


_ASKING = re.compile(
    r"\b(?:anything|any time|something|do you have|have you got|got any|what about|how about|"
    r"is there|tiene algo|hay algo|algo (?:el|para|en)|que tal)\b"
)


def _starts_at(option: Option, words: str) -> bool:
    clock = _CLOCK.search(words) or _AT.search(words)
    return bool(clock and option.start and _clock12(option.start.hour) == _hour(clock.group(1)))


def _hour(token: str) -> int:
    return int(token) if token.isdigit() else _HOURS[token]


def choose(
    said: str, options: Sequence[Option], today: date | None = None
) -> int | Elsewhere | None:
    """The index of the option the caller chose, a place to look instead, or None."""
    words = re.sub(r"\b(?:noon|mediodia)\b", "at 12", normalise(said))
    if not words or not options:
        return None
    bare = _BARE.match(words)
    if bare:
        index = _hour(bare.group(1)) - 1
        return index if index < len(options) else None
    constraints = _constraints(words, today)
    if constraints:
        fits = [i for i, o in enumerate(options) if all(c(o) for c in constraints)]
        starting = [i for i in fits if _starts_at(options[i], words)]
        if len(fits) > 1 and len(starting) == 1:
            return starting[0]
        order = [_ORDINALS[t] for t in words.split() if t in _ORDINALS]
        if len(fits) > 1 and order and -len(fits) <= order[0] < len(fits):
            return fits[order[0]]  # "the later one tomorrow"
        if len(fits) == 1:
            return fits[0]
        if not fits or _ASKING.search(words):
            return Elsewhere(said.strip())
    tokens = words.split()
    for token in tokens:
        if token in _ORDINALS:
            index = _ORDINALS[token]
            if -len(options) <= index < len(options):
                picked = index % len(options)
                if not constraints or all(c(options[picked]) for c in constraints):
                    return picked
    return None


def _constraints(words: str, today: date | None) -> list[Check]:  # noqa: C901 - a rule a line
    checks: list[Check] = []
    span = _RANGE.search(words)
    if span:
        first, second = _hour(span.group(1)), _hour(span.group(2))
        checks.append(partial(_hours_are, first=first, second=second))
    else:
        clock = _CLOCK.search(words) or _AT.search(words)
        if clock:
            hour = _hour(clock.group(1))
            half = clock.group(2) if clock.re is _CLOCK else None
            afternoon = (half == "p") or (clock.re is _CLOCK and clock.group(3) == "tarde")
            checks.append(partial(_covers, hour=hour, pm=afternoon))
    for english, spanish in _DAYS:
        if re.search(rf"\b(?:{english}|{spanish})\b", words):
            checks.append(partial(_names_day, english=english, spanish=spanish))
            break
    else:
        if _TOMORROW.search(words):
            checks.append(partial(_is_tomorrow, today=today))
        elif re.search(r"\b(?:today|hoy)\b", words):
            checks.append(partial(_is_today, today=today))
    if _MORNING.search(words) and not span:
        checks.append(lambda o: _part(o) == "morning")
    elif _AFTERNOON.search(words) and not span:
        checks.append(lambda o: _part(o) == "afternoon")
    return checks


def _clock12(hour: int) -> int:
    return hour % 12 or 12


def _hours_are(option: Option, first: int, second: int) -> bool:
    if option.start is None or option.end is None:
        return False
    return (_clock12(option.start.hour), _clock12(option.end.hour)) == (
        _clock12(first),
        _clock12(second),
    )


def _covers(option: Option, hour: int, pm: bool) -> bool:
    if option.start is None or option.end is None:
        return False
    candidates = {hour + 12} if pm and hour < 12 else {hour, hour + 12} if hour < 12 else {hour}
    return any(
        option.start.hour <= h < option.end.hour or h == option.start.hour for h in candidates
    )


def _names_day(option: Option, english: str, spanish: str) -> bool:
    if option.start is not None:
        return option.start.strftime("%A").lower() == english
    return bool(re.search(rf"\b(?:{english}|{spanish})\b", normalise(option.spoken)))


def _is_tomorrow(option: Option, today: date | None) -> bool:
    if option.start is not None and today is not None:
        return (option.start.date() - today).days == 1
    return bool(re.search(r"\b(?:tomorrow|manana)\b", normalise(option.spoken)))


def _is_today(option: Option, today: date | None) -> bool:
    if option.start is not None and today is not None:
        return option.start.date() == today
    return bool(re.search(r"\b(?:today|hoy)\b", normalise(option.spoken)))


def _part(option: Option) -> str:
    if option.start is None:
        return "afternoon" if re.search(r"\b(?:afternoon|tarde)\b", option.spoken) else "morning"
    return "morning" if option.start.hour < 12 else "afternoon"


def preference(said: str) -> str:
    """The caller's wish in the words `check_availability` reads ("friday afternoon")."""
    words = normalise(said)
    parts = [
        english for english, spanish in _DAYS if re.search(rf"\b(?:{english}|{spanish})\b", words)
    ]
    if not parts and _TOMORROW.search(words):
        parts.append("tomorrow")
    clock = _CLOCK.search(words) or _AT.search(words)
    if _MORNING.search(words):
        parts.append("morning")
    elif _AFTERNOON.search(words):
        parts.append("afternoon")
    elif clock:
        hour = _hour(clock.group(1))
        parts.append("morning" if 7 <= hour < 12 else "afternoon")
    return " ".join(parts[:2])
