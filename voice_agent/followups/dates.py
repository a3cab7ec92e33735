"""Reading a requested day out of a short text ("can we do Friday", "tomorrow", "12/4")."""

from __future__ import annotations

import re
from datetime import date, timedelta

_WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}  # fmt: skip
_MONTHS = {
    m: n
    for n, names in enumerate(
        (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
         ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
         ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
         ("dec", "december")),
        1,
    )
    for m in names
}  # fmt: skip
_NUMERIC = re.compile(r"\b(\d{1,2})/(\d{1,2})\b")
_MONTH_DAY = re.compile(r"\b([a-z]{3,9})\.? (\d{1,2})(?:st|nd|rd|th)?\b")
_WORD = re.compile(r"[a-z]+")


def _future(candidate: date, today: date) -> date:
    return candidate if candidate >= today else candidate.replace(year=candidate.year + 1)


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def requested_day(text: str, today: date) -> date | None:
    """The day a customer asks for, relative to local `today`; None when none is named.

    Understands "today", "tomorrow", weekday names (the next such day after today, "next
    friday" the same), "12/4" and "Dec 4". Past dates roll to next year.
    """
    said = text.lower()
    numeric = _NUMERIC.search(said)
    if numeric:
        found = _safe(today.year, int(numeric[1]), int(numeric[2]))
        if found:
            return _future(found, today)
    for match in _MONTH_DAY.finditer(said):
        month = _MONTHS.get(match[1])
        if month:
            found = _safe(today.year, month, int(match[2]))
            if found:
                return _future(found, today)
    for word in _WORD.findall(said):
        if word == "today":
            return today
        if word == "tomorrow":
            return today + timedelta(days=1)
        if word in _WEEKDAYS:
            ahead = (_WEEKDAYS[word] - today.weekday()) % 7 or 7
            return today + timedelta(days=ahead)
    return None
