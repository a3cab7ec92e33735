"""Phrasing for the ear: times, money, addresses and the channel's own short lines.

Text-to-speech reads what it is given literally, so "$189.00", "8:00 AM-10:00 AM" or
"1234 Oak St" sound robotic. These helpers turn data into phrases a receptionist would say
("between 8 and 10 tomorrow morning", "$189", "12 34 Oak Street"). Line choices are
deterministic per key, so a repeated webhook gets the same words back.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

MAX_SAY_CHARS = 600

FILLERS = (
    "One moment while I check that.",
    "Let me look that up for you.",
    "Okay, give me just a second.",
    "Sure, checking now.",
    "Bear with me one moment.",
    "Alright, pulling that up.",
)
STILL_WORKING = (
    "Still working on it, thanks for waiting.",
    "Almost there, one more moment.",
    "Thanks for your patience, nearly done.",
)
REPROMPTS = (
    "Sorry, I didn't catch that. Could you say it again?",
    "I'm having a little trouble hearing you. Could you repeat that, maybe a bit closer to "
    "the phone?",
)
LOW_CONFIDENCE = (
    "Sorry, I'm not sure I heard that right. Could you say it once more?",
    "I didn't quite get that. Could you put it another way?",
)

_ABBREVIATIONS = {
    "st": "Street",
    "ave": "Avenue",
    "rd": "Road",
    "dr": "Drive",
    "blvd": "Boulevard",
    "ln": "Lane",
    "ct": "Court",
    "pl": "Place",
    "pkwy": "Parkway",
    "hwy": "Highway",
    "cir": "Circle",
    "trl": "Trail",
    "apt": "apartment",
    "ste": "suite",
    "n": "North",
    "s": "South",
    "e": "East",
    "w": "West",
    "ne": "Northeast",
    "nw": "Northwest",
    "se": "Southeast",
    "sw": "Southwest",
}
_LEADING = {"st": "Saint", "dr": "Doctor", "mt": "Mount", "ft": "Fort"}  # "St. Louis"
_UNITS_ES = {"apt": "apartamento"}
_STATE_CLASHES = frozenset({"ct", "ne"})  # state codes that are also street abbreviations
_WORD = re.compile(r"(?<![\w'’])([A-Za-z]+)\b\.?")  # not the "s" of "Mary's"
_ZIP = re.compile(r"(?<=\s)(\d{5})(?:-\d{4})?(?=\s*(?:,|$))")
_ZIP_NEXT = re.compile(r"\s+\d{5}\b")
_LEADS = re.compile(r"(?:^|,|\d)\s*$")  # the start of a part, or right after the house number
_NAME_NEXT = re.compile(r"\s*[A-Za-z]")
_UNIT_BEFORE = re.compile(r"(?:\b(?:apt|ste|unit|suite)\.?|#)\s*$", re.IGNORECASE)
_HOUSE_NUMBER = re.compile(r"^(\d{3,4})\b")
_MONEY = re.compile(r"\$(\d{1,3}(?:,\d{3})*|\d+)\.00\b")
_CLOCK = re.compile(r"\b(\d{1,2}):00\s*([AaPp])\.?\s*[Mm]\b")
_MARKUP = re.compile(r"[*_#`>]+|^\s*[-•]\s+", re.MULTILINE)
_URL = re.compile(r"https?://\S+")
_SPACES = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


def pick(options: Sequence[str], key: str) -> str:
    """Choose one of `options`, the same one every time for the same `key`."""
    digest = hashlib.sha256(key.encode()).digest()
    return options[int.from_bytes(digest[:4], "big") % len(options)]


def speak_money(cents: int) -> str:
    """Money as it is said: 18950 -> "$189.50", 18900 -> "$189", 125000 -> "$1,250"."""
    sign = "minus " if cents < 0 else ""
    dollars, rest = divmod(abs(cents), 100)
    return f"{sign}${dollars:,}" + (f".{rest:02d}" if rest else "")


def _hour(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d}" if moment.minute else str(hour)


def _part_of_day(moment: datetime) -> str:
    if moment.hour < 12:
        return "morning"
    return "afternoon" if moment.hour < 17 else "evening"


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def speak_day(day: date, today: date) -> str:
    """A date relative to today: "today", "tomorrow", "on Tuesday", "on Tuesday, December 9th"."""
    delta = (day - today).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if 1 < delta < 7:
        return f"on {day:%A}"
    return f"on {day:%A}, {day:%B} {_ordinal(day.day)}"


def speak_window(
    start: datetime, end: datetime, *, now: datetime, zone: ZoneInfo, language: str = "en"
) -> str:
    """An arrival window in the business's time zone, phrased for speech (English or Spanish).

    Examples: "between 8 and 10 tomorrow morning", "between 1 and 3 this afternoon",
    "between 11 AM and 1 PM on Friday", "between 8:30 and 10:30 on Tuesday, December 9th,
    in the morning".
    """
    start, end, today = start.astimezone(zone), end.astimezone(zone), now.astimezone(zone).date()
    if language == "es":
        return speak_window_es(start, end, today)
    same_half = (start.hour < 12) == (end.hour < 12 or (end.hour == 12 and end.minute == 0))
    if same_half:
        hours = f"between {_hour(start)} and {_hour(end)}"
    else:
        hours = (
            f"between {_hour(start)} {'AM' if start.hour < 12 else 'PM'} "
            f"and {_hour(end)} {'AM' if end.hour < 12 else 'PM'}"
        )
    day = speak_day(start.date(), today)
    part = _part_of_day(start)
    if not same_half:
        return f"{hours} {day}"
    if day == "today":
        return f"{hours} this {part}" if part != "evening" else f"{hours} this evening"
    if day == "tomorrow":
        return f"{hours} tomorrow {part}"
    if (start.date() - today).days < 7:
        return f"{hours} {day} {part}"
    return f"{hours} {day}, in the {part}"


_DAYS_ES = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
_MONTHS_ES = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
)  # fmt: skip


def _hour_es(moment: datetime) -> str:
    """ "la 1", "las 8", "las 8:30" (the article agrees with the hour)."""
    hour = moment.hour % 12 or 12
    shown = f"{hour}:{moment.minute:02d}" if moment.minute else str(hour)
    return f"la {shown}" if hour == 1 else f"las {shown}"


def _part_of_day_es(moment: datetime) -> str:
    if moment.hour < 12:
        return "de la mañana"
    return "de la tarde" if moment.hour < 19 else "de la noche"


def speak_day_es(day: date, today: date) -> str:
    """A date relative to today, in Spanish: "hoy", "mañana", "el martes", "el martes 9 de
    diciembre"."""
    delta = (day - today).days
    if delta == 0:
        return "hoy"
    if delta == 1:
        return "mañana"
    name = _DAYS_ES[day.weekday()]
    if 1 < delta < 7:
        return f"el {name}"
    return f"el {name} {day.day} de {_MONTHS_ES[day.month - 1]}"


def speak_window_es(start: datetime, end: datetime, today: date) -> str:
    """A window in Spanish, day first: "mañana entre las 8 y las 10 de la mañana", "el viernes
    entre las 11 de la mañana y la 1 de la tarde" (times already local)."""
    day = speak_day_es(start.date(), today)
    start_part, end_part = _part_of_day_es(start), _part_of_day_es(end)
    if start_part == end_part or (end.hour, end.minute) == (12, 0) and start.hour < 12:
        hours = f"entre {_hour_es(start)} y {_hour_es(end)} {start_part}"
    else:
        hours = f"entre {_hour_es(start)} {start_part} y {_hour_es(end)} {end_part}"
    return f"{day} {hours}"


def speak_address(address: str, *, language: str = "en") -> str:
    """A street address for speech: abbreviations expanded, house number and ZIP read nicely.

    "1234 Oak St., St. Louis, MO 63101" -> "12 34 Oak Street, Saint Louis, MO 6 3 1 0 1". A unit
    letter ("Apt E") and a state before its ZIP ("CT 06103") stay as written. In Spanish the
    house number stays whole (said as one number) and "Apt" is "apartamento"; street names keep
    their English words, as Spanish speakers in the US say them.
    """
    text = _WORD.sub(lambda m: _expand_word(m, language), address.strip())
    text = _ZIP.sub(lambda m: " ".join(m.group(1)), text)
    house = _HOUSE_NUMBER.match(text)
    number = house.group(1) if house else ""
    if language == "en" and len(number) == 4 and not number.endswith("00"):
        text = f"{number[:2]} {number[2:]}" + text[len(number) :]
    return _SPACES.sub(" ", text).strip()


def _expand_word(match: re.Match[str], language: str) -> str:
    """One word of an address as it is said, judged by the words around it."""
    word, key = match.group(1), match.group(1).lower()
    before, after = match.string[: match.start()], match.string[match.end() :]
    if len(word) == 1 and _UNIT_BEFORE.search(before):
        return match.group(0)
    if key in _STATE_CLASHES and word.isupper() and _ZIP_NEXT.match(after):
        return match.group(0)
    if key in _LEADING and _LEADS.search(before) and _NAME_NEXT.match(after):
        return _LEADING[key]
    if language == "es" and key in _UNITS_ES:
        return _UNITS_ES[key]
    return _ABBREVIATIONS.get(key, match.group(0))


def for_speech(text: str, *, limit: int = MAX_SAY_CHARS) -> str:
    """Clean model text for `<Say>`: no markup or URLs, round money and clock times, bounded.

    Text longer than `limit` is cut at the last sentence end that fits.
    """
    text = _URL.sub("the link we text you", text)
    text = _MARKUP.sub(" ", text)
    text = _MONEY.sub(r"$\1", text)
    text = _CLOCK.sub(lambda m: f"{m.group(1)} {m.group(2).upper()}M", text)
    text = _SPACES.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    ends = [m.end() for m in _SENTENCE_END.finditer(cut)]
    return cut[: ends[-1]] if ends else cut.rsplit(" ", 1)[0] + "."
