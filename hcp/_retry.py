"""Pure retry policy: what to retry and how long to wait. No sleeping here."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from hcp._constants import (
    IDEMPOTENT_METHODS,
    INITIAL_RETRY_DELAY,
    MAX_RETRY_AFTER,
    MAX_RETRY_DELAY,
)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


def is_idempotent(method: str) -> bool:
    """True for methods that are safe to repeat (GET, HEAD, OPTIONS, PUT, DELETE)."""
    return method.upper() in IDEMPOTENT_METHODS


def should_retry(
    *,
    idempotent: bool,
    status_code: int | None = None,
    connection_error: bool = False,
    request_sent: bool = True,
) -> bool:
    """Decide whether one failed attempt may be retried.

    Args:
        idempotent: Whether repeating the call is safe (GETs yes; POSTs never, unless the
            request certainly never reached the server).
        status_code: Response status, or None when no response arrived.
        connection_error: True when the attempt failed at the network level.
        request_sent: False when the failure happened before any byte was sent (connect
            error/timeout): then even a POST can be retried, because HCP never saw it.
    """
    if connection_error:
        return idempotent or not request_sent
    if status_code is None or not idempotent:
        return False
    return status_code in RETRYABLE_STATUS or 500 <= status_code < 600


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Parse a Retry-After header (delta-seconds or HTTP-date) into seconds, or None."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds or seconds < 0:  # NaN or in the past
        return 0.0
    return seconds


def jitter(delay: float, *, rand: Callable[[], float] = random.random) -> float:
    """Full-ish jitter: a delay between 50% and 100% of `delay`."""
    return delay * (0.5 + 0.5 * rand())


def retry_delay(
    attempt: int,
    headers: Mapping[str, str] | None = None,
    *,
    rand: Callable[[], float] = random.random,
    now: datetime | None = None,
) -> float | None:
    """Seconds to wait before retry number `attempt` (0-based), or None to give up.

    A Retry-After header wins when present; one above MAX_RETRY_AFTER means "give up"
    (a live phone turn cannot wait that long). Otherwise exponential backoff with jitter,
    capped at MAX_RETRY_DELAY.
    """
    if headers is not None:
        after = parse_retry_after(headers.get("retry-after") or headers.get("Retry-After"), now=now)
        if after is not None:
            return after if after <= MAX_RETRY_AFTER else None
    base = min(INITIAL_RETRY_DELAY * (2**attempt), MAX_RETRY_DELAY)
    return jitter(base, rand=rand)
