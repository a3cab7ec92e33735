"""Helpers shared by the tools: identity checks, reference data, matching and phrasing."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import hcp
from hcp.models.customers import Address, Customer
from hcp.models.reference import Company, JobType
from voice_agent.engine.toolbox import ToolContext
from voice_agent.speech import speak_address, speak_window
from voice_agent.storage.base import CALL_CHANNELS
from voice_agent.tools.registry import ToolError

NOT_VERIFIED = (
    "The caller is not verified. Ask for the service street address on the account with its "
    "house number (or the ZIP code and the house number) and call verify_caller first."
)
_STREET_WORDS = {
    "st": "street",
    "ave": "avenue",
    "av": "avenue",
    "rd": "road",
    "dr": "drive",
    "blvd": "boulevard",
    "ln": "lane",
    "ct": "court",
    "pl": "place",
    "pkwy": "parkway",
    "hwy": "highway",
    "cir": "circle",
    "n": "north",
    "s": "south",
    "e": "east",
    "w": "west",
}
_SYNONYMS: dict[str, tuple[str, ...]] = {  # English, then Spanish, as callers say them
    "ac": ("ac", "a c", "air condition", "cooling", "cool", "hvac", "aire acondicionado", "clima"),
    "air": ("air condition", "cooling", "ac ", "aire", "no enfría", "no enfria"),
    "furnace": ("furnace", "heat", "heating", "heater not", "no heat", "calefacci", "calentón"),
    "heating": ("furnace", "heat", "calefacci", "no calienta"),
    "water": ("water heater", "hot water", "calentador", "agua caliente", "boiler"),
    "heater": ("water heater", "hot water", "calentador", "agua caliente"),
    "drain": (
        "drain", "clog", "sink", "toilet", "backed up", "slow drain",
        "drenaje", "desag", "tapad", "fregadero", "lavabo", "inodoro", "excusado",
    ),
    "plumbing": ("leak", "pipe", "faucet", "toilet", "fuga", "gotea", "tuber", "llave de agua"),
    "electrical": (
        "electric", "outlet", "breaker", "panel", "wiring", "power", "light",
        "eléctric", "enchufe", "contacto", "cables", "se fue la luz", "sin luz",
    ),
    "panel": ("panel", "breaker", "caja de fusibles", "fusibles"),
    "tune": (
        "tune up", "tune-up", "maintenance", "check up", "checkup", "service",
        "mantenimiento", "revisión", "revision",
    ),
}  # fmt: skip


def require_account(ctx: ToolContext) -> str:
    """The verified caller's customer id, or a `ToolError` telling the model to verify."""
    customer_id = ctx.session.account_customer_id
    if customer_id is None:
        raise ToolError(NOT_VERIFIED)
    return customer_id


def norm_words(text: str) -> list[str]:
    """Lower-case words with street abbreviations expanded."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return [_STREET_WORDS.get(w, w) for w in words]


def street_matches(said: str, address: Address) -> bool:
    """Whether a spoken street address names this address (house number and street name)."""
    if not address.street:
        return False
    ours = norm_words(address.street)
    theirs = norm_words(said)
    if not ours or not theirs:
        return False
    number = ours[0] if ours[0].isdigit() else None
    names = [w for w in ours if not w.isdigit()]
    if number is not None and number not in theirs:
        return False
    return bool(names) and names[0] in theirs


def name_matches(said: str, customer: Customer) -> bool:
    """Whether a spoken full name equals the name on the account (first and last)."""
    words = norm_words(said)
    first = norm_words(customer.first_name or "")
    last = norm_words(customer.last_name or "")
    return bool(first and last) and first[0] in words and last[-1] in words


def address_text(address: Address) -> str:
    """A short spoken form: the street and the city."""
    parts = [p for p in (address.street, address.city) if p]
    return ", ".join(parts)


def service_address(customer: Customer) -> Address | None:
    """The customer's service address, or their only address."""
    service = [a for a in customer.addresses if (a.type or "service") == "service"]
    if len(service) >= 1:
        return service[0]
    return customer.addresses[0] if customer.addresses else None


async def company(ctx: ToolContext) -> Company:
    """The company record (cached)."""
    return await ctx.cache.get("company", lambda: ctx.hcp.company.get())


async def job_types(ctx: ToolContext) -> list[JobType]:
    """The company's job types (cached)."""

    async def load() -> list[JobType]:
        return list((await ctx.hcp.job_types.list()).items)

    return await ctx.cache.get("job_types", load)


def classify_job_type(problem: str, types: list[JobType]) -> JobType | None:
    """The job type whose name (or its usual synonyms) best fits the caller's words."""
    said = f" {problem.lower()} "
    best: tuple[int, JobType] | None = None
    for jt in types:
        name = (jt.name or "").lower()
        score = 0
        for word in re.findall(r"[a-z]+", name):
            if len(word) > 2 and word in said:
                score += 2
            for phrase in _SYNONYMS.get(word, ()):
                if phrase in said:
                    score += 1
        if score and (best is None or score > best[0]):
            best = (score, jt)
    return best[1] if best else None


def spoken_window(ctx: ToolContext, start: datetime, end: datetime) -> str:
    """A window in the business's time zone, phrased for speech in the caller's language."""
    return speak_window(
        start, end, now=ctx.now(), zone=ctx.settings.zone, language=ctx.session.language
    )


def spoken_address(ctx: ToolContext, text: str) -> str:
    """An address as this conversation says it.

    Phrased for the ear on a call ("12 Elm Street"); as written in a text or chat ("12 Elm St").
    """
    if ctx.conversation.channel not in CALL_CHANNELS:
        return text
    return speak_address(text, language=ctx.session.language)


_CITY_TAIL = re.compile(
    r"^(?P<city>.+?)(?:\s+(?P<state>[A-Z]{2}|[A-Za-z]{2}(?=\s+\d)))?(?:\s+(?P<zip>\d{5})(?:-\d{4})?)?$"
)
_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY".split()
)


def split_address(
    street: str, city: str | None, state: str | None, zip: str | None
) -> dict[str, Any]:
    """Address fields from what the caller said; "12 Oak St, Springfield, IL 62701" is split."""
    parts = [p.strip() for p in street.split(",") if p.strip()]
    fields: dict[str, Any] = {"street": parts[0] if parts else street.strip()}
    if len(parts) == 2 and not city:  # "Springfield IL 62704": state and ZIP after the city
        tail = _CITY_TAIL.match(parts[1])
        said_state = (tail["state"] or "").upper() if tail else ""
        if tail and said_state in _STATES | {""}:
            city, state, zip = tail["city"], state or said_state or None, zip or tail["zip"]
    if len(parts) > 1 and not city:
        city = parts[1]
    if len(parts) > 2 and not (state and zip):
        match = re.match(r"^([A-Za-z .]+?)\s*(\d{5})?$", parts[2])
        if match:
            state = state or match.group(1).strip()
            zip = zip or match.group(2)
    fields.update(city=city, state=state, zip=zip)
    return fields


async def fill_address_defaults(ctx: ToolContext, fields: dict[str, Any]) -> dict[str, Any]:
    """Fill a missing city/state/zip from the company's own address (the service area)."""
    if all(fields.get(k) for k in ("city", "state", "zip")):
        return fields
    try:
        home = (await company(ctx)).address
    except hcp.HcpError:
        home = None
    if home is not None:
        for key in ("city", "state", "zip"):
            fields[key] = fields.get(key) or getattr(home, key)
    return fields
