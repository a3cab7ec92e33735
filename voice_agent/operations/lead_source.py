"""HCP answers 400 "Lead source not found" when a lead source name is not configured in the
account; every write that sends one retries once without it (see shared HCP notes §1).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import hcp

log = logging.getLogger(__name__)
T = TypeVar("T")


def is_unknown_lead_source(exc: hcp.HcpError) -> bool:
    """Whether HCP refused the write only because of its lead source name."""
    return isinstance(exc, hcp.HcpBadRequestError) and "lead source" in str(exc).lower()


async def without_unknown_lead_source(
    create: Callable[[dict[str, Any]], Awaitable[T]],
    body: dict[str, Any],
    *,
    note_field: str | None = None,
) -> T:
    """`create(body)`, retried once without `lead_source` if HCP does not know it.

    With `note_field`, the retried body's text in that field says the lead source was dropped,
    so the office can see it on the record.
    """
    try:
        return await create(body)
    except hcp.HcpBadRequestError as exc:
        if not body.get("lead_source") or not is_unknown_lead_source(exc):
            raise
    log.warning("lead source %r unknown to HCP; writing without it", body["lead_source"])
    retry = {k: v for k, v in body.items() if k != "lead_source"}
    if note_field and retry.get(note_field):
        retry[note_field] = (
            f"{retry[note_field]} (Lead source {body['lead_source']!r} not found in HCP.)"
        )
    return await create(retry)
