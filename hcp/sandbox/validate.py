"""Input checks at the sandbox's edge: a bad value is HCP's 422 (or 400), never a 500.

Body fields answer 422 `{"errors": {field: [message]}}` (HCP's Rails validation shape);
malformed query parameters answer 400 `{"message": ...}` (hcp/README §1 "Error bodies").
The bounds are the sandbox's own (live HCP publishes none); they keep every stored value
renderable, so a write can never poison later reads.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

from hcp.sandbox._common import ApiError, unprocessable
from hcp.sandbox.scheduling import parse_instant

MIN_YEAR, MAX_YEAR = 1970, 2199
MAX_TEXT = 10_000
MAX_CENTS = 10**11  # a billion dollars
MAX_QUANTITY = 1_000_000
MAX_MINUTES = 60 * 24 * 31  # arrival windows and service durations: a month at most
MAX_BUFFER_DAYS = 365
MAX_SHOW_FOR_DAYS = 90
MAX_LIST = 500


def invalid(field: str, message: str = "is invalid") -> ApiError:
    """The 422 for one body field."""
    return unprocessable(field, message)


def instant(value: Any, field: str) -> datetime:
    """An ISO-8601 time (naive = UTC) within years 1970-2199; 422 otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise invalid(field, "must be an ISO-8601 time")
    try:
        parsed = parse_instant(value)
    except (ValueError, OverflowError):
        raise invalid(field, "must be an ISO-8601 time") from None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise invalid(field, f"must be between {MIN_YEAR} and {MAX_YEAR}")
    return parsed


def in_year_range(value: date) -> bool:
    """True when the date lies in the years the sandbox schedules."""
    return MIN_YEAR <= value.year <= MAX_YEAR


def integer(value: Any, field: str, *, low: int = 0, high: int, default: int = 0) -> int:
    """A whole number in [low, high] (None/"" -> default); integral floats and digit
    strings are accepted as Rails coerces them."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise invalid(field, "must be a number")
    number: float | int
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        number = value
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise invalid(field, "must be a number") from None
    else:
        raise invalid(field, "must be a number")
    if isinstance(number, float) and (not math.isfinite(number) or not number.is_integer()):
        raise invalid(field, "must be a whole number")
    if not low <= number <= high:
        raise invalid(field, f"must be between {low} and {high}")
    return int(number)


def number(value: Any, field: str, *, low: float, high: float, default: float) -> float:
    """A finite number in [low, high] (None -> default)."""
    if value is None or value == "":
        return default
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise invalid(field, "must be a number")
    try:
        result = float(value)
    except ValueError:
        raise invalid(field, "must be a number") from None
    if not math.isfinite(result) or not low <= result <= high:
        raise invalid(field, f"must be between {low:g} and {high:g}")
    return result


def text(value: Any, field: str, *, required: bool = False) -> str | None:
    """A string (numbers are coerced as Rails does); None when absent and optional."""
    if value is None or value == "":
        if required:
            raise invalid(field, "can't be blank")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise invalid(field, "must be a string")
    out = str(value)
    if len(out) > MAX_TEXT:
        raise invalid(field, f"is too long (maximum is {MAX_TEXT} characters)")
    return out


def boolean(value: Any, field: str, *, default: bool) -> bool:
    """A JSON boolean (None -> default)."""
    if value is None:
        return default
    if not isinstance(value, bool):
        raise invalid(field, "must be true or false")
    return value


def obj(value: Any, field: str) -> dict[str, Any]:
    """A JSON object ({} when absent)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid(field, "must be an object")
    return value


def array(value: Any, field: str) -> list[Any]:
    """A JSON array ([] when absent), at most MAX_LIST items."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid(field, "must be an array")
    if len(value) > MAX_LIST:
        raise invalid(field, f"is too long (maximum is {MAX_LIST} items)")
    return value


def strings(value: Any, field: str) -> list[str]:
    """An array of non-empty strings (ids, tag names)."""
    out = []
    for item in array(value, field):
        if isinstance(item, bool) or not isinstance(item, str | int) or item == "":
            raise invalid(field, "must be an array of strings")
        out.append(str(item))
    return out


def objects(value: Any, field: str) -> list[dict[str, Any]]:
    """An array of JSON objects."""
    items = array(value, field)
    if not all(isinstance(i, dict) for i in items):
        raise invalid(field, "must be an array of objects")
    return items


def cents(value: Any, field: str) -> int:
    """A money amount in cents (the spec types it `number`: rounded to whole cents)."""
    return round(number(value, field, low=-MAX_CENTS, high=MAX_CENTS, default=0))


def quantity(value: Any, field: str) -> float:
    """A line-item quantity: finite, up to two decimals (rounded), default 1."""
    return round(number(value, field, low=-MAX_QUANTITY, high=MAX_QUANTITY, default=1), 2)


def minutes(value: Any, field: str) -> int:
    """A duration in whole minutes, 0..a month."""
    return integer(value, field, high=MAX_MINUTES)


def stored_int(value: Any, *, high: int, low: int = 0) -> int:
    """A stored whole number read back defensively: anything outside [low, high] (a value
    an older sandbox let through) reads as the nearest bound, never as an error."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return low
    if isinstance(value, float) and not math.isfinite(value):
        return high if value > 0 else low
    return int(min(max(value, low), high))
