"""Phone normalisation and exact matching (HCP's `q` search is fuzzy)."""

from __future__ import annotations

from collections.abc import Iterable

import phonenumbers

DEFAULT_REGION = "US"


def normalize_phone(raw: str | None, region: str = DEFAULT_REGION) -> str | None:
    """Return the E.164 form of `raw` (e.g. ``"+15551234567"``), or None if it is not a number."""
    if not raw or not raw.strip():
        return None
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def search_digits(e164: str) -> str:
    """The national digits HCP stores (``"5551234567"`` for a US number) for a ``q`` search."""
    parsed = phonenumbers.parse(e164, None)
    return phonenumbers.national_significant_number(parsed)


def matches_any(e164: str, candidates: Iterable[str | None], region: str = DEFAULT_REGION) -> bool:
    """True if any candidate number normalises to exactly `e164`."""
    return any(normalize_phone(c, region) == e164 for c in candidates if c)


def mask_phone(raw: str | None) -> str:
    """A log-safe form keeping only the last two digits."""
    digits = "".join(ch for ch in raw or "" if ch.isdigit())
    return f"***{digits[-2:]}" if digits else "<none>"
