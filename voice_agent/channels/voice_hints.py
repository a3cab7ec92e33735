"""Speech-recognition hints: the business's own words, so "tune-up" is not heard as "tuna"."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from voice_agent.settings import Settings

log = logging.getLogger(__name__)

HINTS_TIMEOUT_SECONDS = 3.0
TRADE_HINTS = (
    "air conditioning",
    "AC",
    "furnace",
    "heat pump",
    "thermostat",
    "tune-up",
    "water heater",
    "tankless",
    "drain",
    "clog",
    "leak",
    "sewer",
    "sump pump",
    "garbage disposal",
    "breaker",
    "outlet",
    "panel",
    "estimate",
    "invoice",
    "reschedule",
    "appointment",
    "technician",
)


async def _job_type_names(services: Any) -> list[str]:
    hcp = getattr(services, "hcp", None)
    job_types = getattr(hcp, "job_types", None)
    if job_types is None or not hasattr(job_types, "list"):
        return []
    page = await job_types.list()
    items = getattr(page, "items", page)
    return [str(getattr(item, "name", "")) for item in items or () if getattr(item, "name", "")]


async def load_hints(services: Any, settings: Settings) -> tuple[str, ...]:
    """Business name, the company's job types from HCP (best effort, bounded) and trade words."""
    names: list[str] = []
    try:
        names = await asyncio.wait_for(_job_type_names(services), HINTS_TIMEOUT_SECONDS)
    except Exception as exc:  # hints are an optimisation; never block start-up on them
        log.warning("speech hints: job types unavailable (%s)", type(exc).__name__)
    return (settings.business_name, *names, *TRADE_HINTS)
