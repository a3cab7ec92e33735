"""Service area: does the business serve an address? Settings first, then HCP service zones.

`SERVICE_AREA` (settings) lists ZIP codes and/or city names ("62701, Springfield, Chatham IL");
empty means not restricted. A ZIP matches a listed ZIP (first five digits); a city matches a
listed city case-insensitively (a listed "Chatham IL" also needs the state, when it is known).
When the settings cannot decide (empty, or they list only ZIPs and the caller named only a
city), the company's HCP service zones decide, fetched once per `REFERENCE_TTL_SECONDS` through
the shared `ReferenceCache`. HCP may refuse `/service_zones` to a company key (401/403/404):
that is cached as "no zones". Anything still undecided is "unknown", which is allowed.

The zones are fetched with a short timeout and no retry (`ZONES_TIMEOUT_SECONDS`): a booking
checks its address up to four times, and a slow zones endpoint must not eat the caller's turn.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import hcp
from hcp.models.reference import ServiceZone
from voice_agent.engine.toolbox import ToolContext

log = logging.getLogger(__name__)

Verdict = Literal["yes", "no", "unknown"]
ZONES_CACHE_KEY = "service_zones"
ZONE_PAGES = 5
ZONES_TIMEOUT_SECONDS = 1.5
_ZIP = re.compile(r"^(\d{5})(?:-\d{4})?$")
_REFUSED = (hcp.HcpAuthenticationError, hcp.HcpPermissionDeniedError, hcp.HcpNotFoundError)
OUT_OF_AREA_SAY = "Sorry, we don't serve {place}."
OUT_OF_AREA_NEXT = (
    "Do not book this address. Tell the caller politely that we don't serve {place}, and offer "
    "to take a message for the office (take_message). Another address may be checked."
)


@dataclass(frozen=True)
class AreaCheck:
    """The answer for one address.

    Attributes:
        verdict: "yes" (served), "no" (not served) or "unknown" (allowed).
        place: What to name when refusing: the city, else the ZIP code.
        source: What decided: "settings", "zones" or "none".
    """

    verdict: Verdict
    place: str
    source: Literal["settings", "zones", "none"]


@dataclass(frozen=True)
class _Area:
    zips: frozenset[str]
    cities: frozenset[tuple[str, str | None]]  # (city, state or None), normalised


def _norm(text: str | None) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", (text or "").lower()))


def _zip5(text: str | None) -> str | None:
    match = _ZIP.match((text or "").strip())
    return match.group(1) if match else None


def settings_area(entries: Iterable[str]) -> _Area:
    """The listed ZIP codes and cities; a trailing two-letter word is the city's state."""
    zips: set[str] = set()
    cities: set[tuple[str, str | None]] = set()
    for entry in entries:
        code = _zip5(entry)
        if code:
            zips.add(code)
            continue
        words = _norm(entry).split()
        if len(words) > 1 and len(words[-1]) == 2:
            cities.add((" ".join(words[:-1]), words[-1]))
        elif words:
            cities.add((" ".join(words), None))
    return _Area(frozenset(zips), frozenset(cities))


def zones_area(zones: Iterable[ServiceZone]) -> _Area:
    """Every ZIP code and city of the zones."""
    zips = {code for z in zones for code in (_zip5(c) for c in z.zip_codes) if code}
    cities = {(_norm(c.city), _norm(c.state) or None) for z in zones for c in z.cities}
    return _Area(frozenset(zips), frozenset(cities))


def verdict(area: _Area, *, city: str | None, state: str | None, zip: str | None) -> Verdict:
    """Whether the address is in `area`: "unknown" when nothing comparable is known."""
    code, town, st = _zip5(zip), _norm(city), _norm(state)
    if code and code in area.zips:
        return "yes"
    if town and any(town == c and (s is None or not st or s == st) for c, s in area.cities):
        return "yes"
    comparable = (code and area.zips) or (town and area.cities)
    return "no" if comparable else "unknown"


async def service_zones(ctx: ToolContext) -> list[ServiceZone]:
    """The company's HCP service zones (cached; [] when HCP refuses them to this key).

    Raises:
        hcp.HcpError: HCP failed otherwise (timeout, 5xx); not cached, tried again next time.
    """

    client = ctx.hcp.with_options(timeout=ZONES_TIMEOUT_SECONDS, max_retries=0)

    async def load() -> list[ServiceZone]:
        try:
            return [
                zone
                async for zone in hcp.iter_all(
                    lambda page: client.service_zones.list(page=page, page_size=100),
                    max_pages=ZONE_PAGES,
                )
            ]
        except _REFUSED as exc:
            log.info("HCP service zones not available (%s); settings only", type(exc).__name__)
            return []

    return await ctx.cache.get(ZONES_CACHE_KEY, load)


async def in_service_area(
    ctx: ToolContext, *, city: str | None, state: str | None = None, zip: str | None = None
) -> AreaCheck:
    """Whether the business serves this address; see the module docstring."""
    place = (city or "").strip() or (zip or "").strip()
    if not place:
        return AreaCheck("unknown", "", "none")
    said = verdict(settings_area(ctx.settings.service_area), city=city, state=state, zip=zip)
    if said != "unknown":
        return AreaCheck(said, place, "settings")
    try:
        zones = await service_zones(ctx)
    except hcp.HcpError as exc:
        log.info("service zones unavailable (%s); treating the address as allowed", exc)
        return AreaCheck("unknown", place, "none")
    found = verdict(zones_area(zones), city=city, state=state, zip=zip)
    return AreaCheck(found, place, "zones" if found != "unknown" else "none")


def refuse(ctx: ToolContext, check: AreaCheck) -> dict[str, Any]:
    """Record the refusal in the session and tell the model (and guided intake) what to say."""
    session = ctx.session
    session.out_of_area = check.place
    session.outcome = session.outcome or "out_of_area"
    return {
        "out_of_area": True,
        "place": check.place,
        "say": OUT_OF_AREA_SAY.format(place=check.place),
        "next": OUT_OF_AREA_NEXT.format(place=check.place),
    }


async def session_refusal(ctx: ToolContext) -> dict[str, Any] | None:
    """The refusal for the session's service address, or None when it may be booked."""
    session = ctx.session
    if session.address_id is None:
        return None
    check = await in_service_area(ctx, city=session.address_city, zip=session.address_zip)
    return refuse(ctx, check) if check.verdict == "no" else None
