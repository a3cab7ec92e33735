"""Answers guided intake gives from settings alone: opening hours and the service area."""

from __future__ import annotations

from datetime import time

from voice_agent.lines import join_list, line
from voice_agent.settings import Settings

_DAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}
_TO = {"en": "to", "es": "a"}


def _clock(moment: time, lang: str) -> str:
    hour = moment.hour % 12 or 12
    shown = f"{hour}:{moment.minute:02d}" if moment.minute else str(hour)
    if lang == "es":
        return shown
    return f"{shown} {'AM' if moment.hour < 12 else 'PM'}"


def hours_line(settings: Settings, lang: str) -> str:
    """ "We're open Monday to Friday, 8 AM to 5 PM, and Saturday, 9 AM to 1 PM."."""
    days = settings.opening_hours.days
    groups: list[tuple[int, int, tuple[time, time]]] = []
    for day in sorted(days):
        if groups and groups[-1][1] == day - 1 and groups[-1][2] == days[day]:
            groups[-1] = (groups[-1][0], day, days[day])
        else:
            groups.append((day, day, days[day]))
    names, to = _DAYS["es" if lang == "es" else "en"], _TO["es" if lang == "es" else "en"]
    parts = []
    for first, last, (opens, closes) in groups:
        span = names[first] if first == last else f"{names[first]} {to} {names[last]}"
        parts.append(f"{span}, {_clock(opens, lang)} {to} {_clock(closes, lang)}")
    conjunction = " y " if lang == "es" else " and "
    text = conjunction.join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)
    return line("guided.hours", lang, hours=text)


def area_line(settings: Settings, lang: str) -> str:
    """The places the business lists as its service area, or that an address will be checked."""
    places = [p.strip() for p in settings.service_area if p.strip()]
    if not places:
        return line("guided.area_check", lang)
    return line("guided.area", lang, places=join_list(places, lang))
