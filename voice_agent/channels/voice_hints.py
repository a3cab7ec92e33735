"""Hints for the phone line: recognition hints (the business's own words, so "tune-up" is not
heard as "tuna") and whether a reply asks a yes/no question (only those get the keypad hint)."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from hcp import HcpClient
from voice_agent.settings import Settings

log = logging.getLogger(__name__)

HINTS_TIMEOUT_SECONDS = 3.0
_YES_NO_QUESTION = re.compile(
    r"(?:^|[.!?]\s+)(shall|should|can|could|may|is|are|does|do|did|would|will|was|ok|okay)\b"
    r"[^.!?]*\?$",
    re.IGNORECASE,
)
_YES_NO_QUESTION_ES = re.compile(
    r"¿\s*(?:se lo|se la|le|lo|la|quiere|desea|est[aá]|es|fue|hay|puedo|confirmo|reservo|"
    r"agendo|prefiere)\b[^¿?]*\?$",
    re.IGNORECASE,
)
_ASKS_FOR_WORDS = re.compile(  # "Can I have your name?" wants words, not a yes
    r"(?:^|[.!?]\s+)(?:can|could|may) (?:i|we) (?:have|get|take)\b|"
    r"(?:^|[.!?]\s+)(?:can|could|would) you (?:tell|give|say|spell|repeat|describe|read)\b|"
    r"\b(?:your|the) (?:name|first and last name|address|street|zip|phone|number|email)\b|"
    r"¿\s*(?:me (?:da|dice|puede decir|puede dar)|cu[aá]l|qu[eé]|d[oó]nde|c[oó]mo)\b|"
    r"\b(?:su|el) (?:nombre|direcci[oó]n|apellido|n[uú]mero)\b",
    re.IGNORECASE,
)


def asks_yes_no(text: str, lang: str = "en") -> bool:
    """Whether the reply ends with a yes/no question (not a request for a name or an address)."""
    question = (_YES_NO_QUESTION_ES if lang == "es" else _YES_NO_QUESTION).search(text)
    if question is None:
        return False
    return _ASKS_FOR_WORDS.search(text[question.start() :]) is None


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


async def _job_type_names(hcp: Any) -> list[str]:
    job_types = getattr(hcp, "job_types", None)
    if job_types is None or not hasattr(job_types, "list"):
        return []
    page = await job_types.list()
    items = getattr(page, "items", page)
    return [str(getattr(item, "name", "")) for item in items or () if getattr(item, "name", "")]


async def load_hints(hcp: HcpClient | None, settings: Settings) -> tuple[str, ...]:
    """Business name, the company's job types from HCP (best effort, bounded) and trade words."""
    names: list[str] = []
    try:
        names = await asyncio.wait_for(_job_type_names(hcp), HINTS_TIMEOUT_SECONDS)
    except Exception as exc:  # hints are an optimisation; never block start-up on them
        log.warning("speech hints: job types unavailable (%s)", type(exc).__name__)
    return (settings.business_name, *names, *TRADE_HINTS)
