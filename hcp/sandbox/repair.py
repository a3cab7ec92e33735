"""Repair values an older sandbox stored unchecked, so a poisoned row never breaks reads.

Before the edge checks (hcp/sandbox/validate.py), a write such as a line item with
`quantity: 1e308` or a tax rate of "abc" was stored as sent and every later read of it
answered 500, even after a restart. `repair_state` runs when the app is built: each such
value is brought back into the range the edge now enforces (numbers clamped, bad taxes
dropped, unreadable visits removed) and the document is saved again.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from hcp.sandbox import validate as V
from hcp.sandbox.scheduling import parse_instant
from hcp.sandbox.store import Doc, SandboxState

logger = logging.getLogger(__name__)


def _number(value: Any, low: float, high: float, default: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            value = float(str(value))
        except ValueError:
            return default
    if isinstance(value, float) and math.isnan(value):
        return default
    return float(min(max(value, low), high))


def _line_item(item: Any) -> bool:
    """Clamp one stored line item in place; True when something changed."""
    if not isinstance(item, dict):
        return False
    before = dict(item)
    for key in ("unit_price", "unit_cost"):
        item[key] = round(_number(item.get(key, 0), -V.MAX_CENTS, V.MAX_CENTS, 0))
    quantity = _number(item.get("quantity", 1), -V.MAX_QUANTITY, V.MAX_QUANTITY, 1)
    item["quantity"] = round(quantity, 2)
    return item != before


def _tax(option: Doc) -> bool:
    tax = option.get("tax")
    if tax is None:
        return False
    try:
        rate = float(tax.get("tax_rate") or 0) if isinstance(tax, dict) else math.nan
    except (TypeError, ValueError):
        rate = math.nan
    if math.isfinite(rate) and 0 <= rate <= 1:
        return False
    option["tax"] = None
    return True


def _visit_ok(appt: Any) -> bool:
    try:
        start, end = parse_instant(appt["start_time"]), parse_instant(appt["end_time"])
    except (KeyError, TypeError, ValueError, OverflowError):
        return False
    return V.MIN_YEAR <= start.year <= V.MAX_YEAR and V.MIN_YEAR <= end.year <= V.MAX_YEAR


def _repair_doc(doc: Doc) -> bool:
    changed = False
    for item in doc.get("line_items") or []:
        changed |= _line_item(item)
    for option in doc.get("options") or []:
        for item in option.get("line_items") or []:
            changed |= _line_item(item)
        changed |= _tax(option)
    visits = doc.get("appointments")
    if isinstance(visits, list):
        kept = [a for a in visits if _visit_ok(a)]
        if len(kept) != len(visits):
            doc["appointments"] = kept
            changed = True
    arrival = doc.get("arrival_window")
    if arrival is not None and V.stored_int(arrival, high=V.MAX_MINUTES) != arrival:
        doc["arrival_window"] = V.stored_int(arrival, high=V.MAX_MINUTES)
        changed = True
    return changed


def repair_state(state: SandboxState) -> list[str]:
    """Repair every poisoned document of `state` and save it; returns the repaired ids."""
    repaired: list[str] = []
    for collection in ("jobs", "estimates", "leads"):
        for doc in state.iter(collection):
            if _repair_doc(doc):
                state.put(collection, doc)
                repaired.append(str(doc["id"]))
    availability = state.meta("availability")
    buffer_days = availability.get("availability_buffer_in_days")
    if buffer_days is not None:
        fixed = V.stored_int(buffer_days, high=V.MAX_BUFFER_DAYS)
        if fixed != buffer_days:
            state.set_meta("availability", {**availability, "availability_buffer_in_days": fixed})
            repaired.append("availability")
    if repaired:
        logger.warning("sandbox: repaired %d stored documents with invalid values", len(repaired))
    return repaired
