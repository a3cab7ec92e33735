"""Phone numbers, in one place: parse to E.164, format for display, mask for logs.

Built on `phonenumbers`. Numbers without a `+` are read in the business's region
(`Settings.phone_region`: the region of `TWILIO_PHONE_NUMBER`, else the US). A number
only has to be *possible*, not *valid*: fictional 555 numbers must work in tests and demos
(`strict_e164` asks for a valid one, for settings). Twilio's placeholders for a hidden
caller ID ("anonymous", "+266696687" = ANONYMOUS on a keypad, …) are never numbers.
`hcp/` keeps its own normaliser, since it must stay standalone.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberFormat
from phonenumbers import timezone as phone_timezone

DEFAULT_REGION = "US"
UNKNOWN = "unknown"
MAX_INPUT = 64  # longer than any written phone number; longer input is not one
# Twilio's From for hidden caller IDs, as words and as the digits that spell them.
_HIDDEN = frozenset(
    {
        "anonymous",
        "restricted",
        "unknown",
        "unavailable",
        "private",
        "blocked",
        "266696687",  # ANONYMOUS
        "7378742833",  # RESTRICTED
        "8656696",  # UNKNOWN
        "86282452253",  # UNAVAILABLE
    }
)


def parse(raw: str | None, region: str = DEFAULT_REGION) -> PhoneNumber | None:
    """The number in `raw` (national numbers read in `region`), or None; never raises."""
    text = (raw or "").strip()
    if not text or len(text) > MAX_INPUT or text.lower().lstrip("+") in _HIDDEN:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(number) else None


def e164(raw: str | None, region: str = DEFAULT_REGION) -> str | None:
    """`raw` as E.164 (`"+12175550100"`), or None when it is not a phone number."""
    number = parse(raw, region)
    return None if number is None else phonenumbers.format_number(number, PhoneNumberFormat.E164)


def e164_or_unknown(raw: str | None, region: str = DEFAULT_REGION) -> str:
    """A caller number as E.164; hidden caller IDs and garbage become `"unknown"`."""
    return e164(raw, region) or UNKNOWN


def strict_e164(raw: str, region: str = DEFAULT_REGION) -> str:
    """A *valid* number as E.164 (for settings); ValueError naming the problem otherwise."""
    number = parse(raw, region)
    if number is None:
        raise ValueError(f"{raw!r} is not a phone number")
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{raw!r} is not a valid phone number")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def display(raw: str | None, region: str = DEFAULT_REGION) -> str | None:
    """The number as people write it: national at home (`"(217) 555-0100"`), else
    international (`"+52 55 1234 5678"`); None when it is not a number."""
    number = parse(raw, region)
    if number is None:
        return None
    home = number.country_code == phonenumbers.country_code_for_region(region)
    style = PhoneNumberFormat.NATIONAL if home else PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)


def national(raw: str | None, region: str = DEFAULT_REGION) -> str | None:
    """The number as HCP stores it: national digits at home (`"2175550100"`), else E.164."""
    number = parse(raw, region)
    if number is None:
        return None
    if number.country_code == phonenumbers.country_code_for_region(region):
        return phonenumbers.national_significant_number(number)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def region_of(raw: str | None, fallback: str = DEFAULT_REGION) -> str:
    """The region (`"US"`, `"MX"`) a number belongs to, else `fallback`."""
    number = parse(raw, fallback)
    region = phonenumbers.region_code_for_number(number) if number is not None else None
    return region if region and region != "001" else fallback


def zone_of(raw: str | None, fallback: ZoneInfo) -> ZoneInfo:
    """The time zone of a number's area, when it has exactly one; else `fallback`."""
    number = parse(raw)
    if number is None:
        return fallback
    zones = [z for z in phone_timezone.time_zones_for_number(number) if z != "Etc/Unknown"]
    if len(zones) != 1:
        return fallback
    try:
        return ZoneInfo(zones[0])
    except (KeyError, ValueError):
        return fallback


def mask(raw: str | None, *, hidden: str = "***") -> str:
    """Only the last 4 digits, after `hidden`, for logs (`"+12175550100"` -> `"***0100"`)
    and screens (`hidden="•••-•••-"`); `"unknown"` when there are fewer than 4 digits."""
    digits = "".join(ch for ch in (raw or "")[:MAX_INPUT] if ch.isdigit())
    return f"{hidden}{digits[-4:]}" if len(digits) >= 4 else UNKNOWN
