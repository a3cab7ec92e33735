"""US addresses as callers say them, parsed into street / city / state / ZIP with `usaddress`.

Speech arrives without commas and with numbers as words ("fourteen hundred Oak Street
Springfield six two seven oh four"); digits are put back first, the house number's and the
ZIP's pieces joined ("64 20" -> 6420), then `usaddress` labels the parts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import usaddress

from voice_agent.understanding.numbers import join_runs, spoken_digits

STATES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "florida": "FL", "georgia": "GA",
    "hawaii": "HI", "idaho": "ID", "illinois": "IL", "indiana": "IN", "iowa": "IA",
    "kansas": "KS", "kentucky": "KY", "louisiana": "LA", "maine": "ME", "maryland": "MD",
    "massachusetts": "MA", "michigan": "MI", "minnesota": "MN", "mississippi": "MS",
    "missouri": "MO", "montana": "MT", "nebraska": "NE", "nevada": "NV", "new hampshire": "NH",
    "new jersey": "NJ", "new mexico": "NM", "new york": "NY", "north carolina": "NC",
    "north dakota": "ND", "ohio": "OH", "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA",
    "rhode island": "RI", "south carolina": "SC", "south dakota": "SD", "tennessee": "TN",
    "texas": "TX", "utah": "UT", "vermont": "VT", "virginia": "VA", "washington": "WA",
    "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY", "district of columbia": "DC",
}  # fmt: skip
_CODES = frozenset(STATES.values())
_LEAD = re.compile(
    r"^(?:(?:um+|uh+|er|oh|well|so|yes|yeah|sure|okay|ok|it's|it is|that's|that is|"
    r"the address is|my address is|address is|i'm at|i am at|we're at|we are at|i live at|"
    r"it's at|at|si|sí|bueno|pues|este|es|mi direccion es|mi dirección es|la direccion es|"
    r"la dirección es|vivo en|estoy en|en el|en la|en|el)[\s,.]+)*",
    re.IGNORECASE,
)
_TAIL = re.compile(r"[\s,.!?]*(?:please|thanks|thank you|por favor|gracias)?[\s,.!?]*$", re.I)
_STREET_PARTS = (
    "AddressNumber", "StreetNamePreDirectional", "StreetNamePreModifier", "StreetNamePreType",
    "StreetName", "StreetNamePostType", "StreetNamePostDirectional", "OccupancyType",
    "OccupancyIdentifier", "SubaddressType", "SubaddressIdentifier",
)  # fmt: skip
MAX_HOUSE_DIGITS = 6
_UNIT = re.compile(
    r"^(?P<unit>(?:apartment|apt|unit|suite|ste|apartamento|depto)\.? ?#?\s*\w+)\s*(?P<city>.*)$",
    re.IGNORECASE,
)
_IN = re.compile(r"^(?:in|en)\s+", re.IGNORECASE)  # "15 Elm Street in Rochester"
# Spanish order, street type first and number last: "calle Oak 6420" is 6420 Oak Street.
_ES_ORDER = re.compile(
    r"^(?:la\s+)?(?P<type>calle|avenida|camino|bulevar)\s+(?P<name>[^\d,]+?)\s+(?P<number>\d{1,6})\b(?P<rest>.*)$",
    re.IGNORECASE,
)
_ES_TYPES = {"calle": "Street", "avenida": "Avenue", "camino": "Road", "bulevar": "Boulevard"}


@dataclass(frozen=True)
class SpokenAddress:
    """An address the caller said; any part may be missing except the street."""

    street: str
    city: str | None = None
    state: str | None = None
    zip: str | None = None

    def one_line(self) -> str:
        """ "1400 Oak Street, Springfield, IL 62704" (missing parts left out)."""
        tail = " ".join(p for p in (self.state, self.zip) if p)
        return ", ".join(p for p in (self.street, self.city, tail) if p)


def parse_address(said: str, lang: str = "en") -> SpokenAddress | None:
    """The address in `said`, or None when there is no house number and street name."""
    text = _TAIL.sub("", _LEAD.sub("", said.strip(), count=1))
    text = _regroup(spoken_digits(text, lang))
    spanish = _ES_ORDER.match(text) if lang == "es" else None
    if spanish:
        kind = _ES_TYPES[spanish["type"].lower()]
        text = f"{spanish['number']} {spanish['name']} {kind}{spanish['rest']}"
    if not text:
        return None
    try:
        tagged, _ = usaddress.tag(text)
    except usaddress.RepeatedLabelError:
        return None
    number = tagged.get("AddressNumber", "")
    if not number.isdigit() or not tagged.get("StreetName"):
        return None
    street = " ".join(_tidy(tagged[k]) for k in _STREET_PARTS if tagged.get(k))
    state = _state(tagged.get("StateName"))
    zip_code = re.sub(r"\D", "", tagged.get("ZipCode", ""))[:5] or None
    city = _tidy(_IN.sub("", tagged["PlaceName"])) if tagged.get("PlaceName") else None
    if tagged.get("StateName") and state is None:  # "Springfield Ill" or a mislabelled word
        city = " ".join(p for p in (city, _tidy(tagged["StateName"])) if p)
    unit = _UNIT.match(city or "")
    if unit:  # usaddress sometimes puts a spoken "apartment 4" into the city
        street, city = f"{street} {_tidy(unit['unit'])}", unit["city"] or None
    if zip_code is not None and len(zip_code) != 5:
        return None
    return SpokenAddress(street=street, city=city, state=state, zip=zip_code)


def _regroup(text: str) -> str:
    """Join the pieces of the house number at the start and of a ZIP at the end."""
    tokens = text.replace(",", " , ").split()
    if not tokens:
        return ""
    house, end = join_runs(tokens, 0, max_digits=MAX_HOUSE_DIGITS)
    if house:
        tokens = [house, *tokens[end:]]
    start = len(tokens)
    while start > 1 and tokens[start - 1].isdigit():
        start -= 1
    tail = "".join(tokens[start:])
    if start > 1 and len(tail) == 5 and start < len(tokens):
        tokens = [*tokens[:start], tail]
    return " ".join(tokens).replace(" , ", ", ")


def _state(raw: str | None) -> str | None:
    if not raw:
        return None
    word = raw.strip(" .").lower()
    if word.upper() in _CODES and len(word) == 2:
        return word.upper()
    return STATES.get(word)


def _tidy(part: str) -> str:
    part = part.strip(" ,.")
    return " ".join(w[:1].upper() + w[1:] if w.islower() else w for w in part.split())
