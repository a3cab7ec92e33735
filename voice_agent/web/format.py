"""Small display helpers shared by the dashboard's pages (registered as Jinja filters)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from voice_agent import phones
from voice_agent.storage.base import Conversation, HcpWrite, Turn

HCP_WEB_BASE = "https://pro.housecallpro.com/app"
# HCP write operation -> the record kind in HCP's web app.
_HCP_KINDS = {
    "job": "jobs",
    "customer": "customers",
    "estimate": "estimates",
    "lead": "leads",
}


def mask_phone(number: str | None) -> str:
    """A phone number with all but the last four digits hidden: `"•••-•••-0001"`."""
    return phones.mask(number, hidden="•••-•••-")


def display_phone(number: str | None) -> str:
    """A number as staff read it: `(512) 555-0147` for US numbers, international otherwise."""
    if not number or not number.strip():
        return "unknown"
    return phones.display(number) or number.strip()


def tel_uri(number: str | None) -> str | None:
    """`tel:+15125550147` for a dialable number (None for "unknown" or junk)."""
    e164 = phones.e164(number)
    return None if e164 is None else f"tel:{e164}"


def phone_link(number: str | None) -> Markup:
    """The full number as a click-to-call link, for logged-in staff (escaped)."""
    shown = escape(display_phone(number))
    uri = tel_uri(number)
    if uri is None:
        return Markup('<span class="phone">{}</span>').format(shown)
    return Markup('<a class="phone" href="{}">{}</a>').format(uri, shown)


def duration_seconds(conversation: Conversation, now: datetime) -> int:
    """The conversation's length so far (or in total when it has ended)."""
    if conversation.duration_seconds is not None:
        return conversation.duration_seconds
    end = conversation.ended_at or (now if conversation.status == "active" else None)
    end = end or conversation.updated_at
    return max(0, int((end - conversation.started_at).total_seconds()))


def format_duration(seconds: int | None) -> str:
    """`"3:07"` for 187 seconds."""
    if seconds is None:
        return "—"
    return f"{seconds // 60}:{seconds % 60:02d}"


def outcome_of(conversation: Conversation) -> str:
    """The outcome label for lists: the recorded outcome, else the status."""
    if conversation.outcome:
        return conversation.outcome
    if conversation.status == "active":
        return "in progress"
    if conversation.status in ("abandoned", "failed"):
        return conversation.status
    return "—"


def caller_name(conversation: Conversation) -> str | None:
    """The HCP customer's name as the engine recorded it in the conversation state."""
    state = conversation.state or {}
    for key in ("customer_name", "caller_name", "name"):
        value = state.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    first, last = state.get("first_name"), state.get("last_name")
    if isinstance(first, str) and first.strip():
        return f"{first} {last}".strip() if isinstance(last, str) else first.strip()
    customer = state.get("customer")
    if isinstance(customer, dict):
        name = " ".join(
            str(customer.get(k) or "") for k in ("first_name", "last_name")
        ).strip() or str(customer.get("name") or "")
        return name or None
    slots = state.get("slots")
    if isinstance(slots, dict) and isinstance(slots.get("name"), str):
        return str(slots["name"]) or None
    return None


def local_time(value: datetime | None, zone: ZoneInfo, fmt: str = "%b %d %H:%M") -> str:
    """A timestamp in the business's time zone."""
    if value is None:
        return "—"
    return value.astimezone(zone).strftime(fmt)


def money(value: float | None) -> str:
    """`"$0.0123"` for small LLM costs, `"$12.50"` otherwise."""
    if value is None:
        return "—"
    return f"${value:.4f}" if abs(value) < 1 else f"${value:,.2f}"


def pretty_json(value: Any) -> str:
    """Indented JSON for tool arguments and results."""
    try:
        return json.dumps(value, indent=2, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(value)


def hcp_kind(operation: str) -> str | None:
    """The HCP web-app collection for a write operation (`create_job` -> `jobs`)."""
    for word, kind in _HCP_KINDS.items():
        if word in operation:
            return kind
    return None


def hcp_link(write: HcpWrite, *, sandbox: bool) -> str | None:
    """Where staff can see the written record: HCP's web app, or the dashboard for the sandbox."""
    if not write.hcp_id:
        return None
    if sandbox or write.hcp_id.startswith("dryrun_"):
        return f"/calls/{write.conversation_id}/hcp/{write.id}"
    kind = hcp_kind(write.operation)
    return f"{HCP_WEB_BASE}/{kind}/{write.hcp_id}" if kind else None


def _number(meta: dict[str, Any], *keys: str) -> float | None:
    for key in keys:
        value = meta.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    usage = meta.get("usage")
    if isinstance(usage, dict):
        return _number(usage, *keys)
    return None


def turn_stats(meta: dict[str, Any]) -> dict[str, float | None]:
    """Latency, tokens and cost of one turn from its recorded `meta`."""
    return {
        "latency_ms": _number(meta, "latency_ms", "silence_ms", "duration_ms"),
        "prompt_tokens": _number(meta, "prompt_tokens", "input_tokens"),
        "completion_tokens": _number(meta, "completion_tokens", "output_tokens"),
        "cost_usd": _number(meta, "cost_usd", "cost"),
    }


def conversation_totals(metas: list[dict[str, Any]]) -> dict[str, float | None]:
    """Sums of tokens and cost and the mean latency over a conversation's turns."""
    stats = [turn_stats(m) for m in metas]
    latencies = [s["latency_ms"] for s in stats if s["latency_ms"] is not None]

    def total(name: str) -> float | None:
        values = [s[name] for s in stats if s[name] is not None]
        return sum(v for v in values if v is not None) if values else None

    return {
        "prompt_tokens": total("prompt_tokens"),
        "completion_tokens": total("completion_tokens"),
        "cost_usd": total("cost_usd"),
        "mean_latency_ms": sum(latencies) / len(latencies) if latencies else None,
    }


def fallbacks(conversation: Conversation, metas: list[dict[str, Any]]) -> list[str]:
    """Reasons the engine fell back (e.g. to guided intake), from state and turn meta."""
    found: list[str] = []
    for meta in [conversation.state or {}, *metas]:
        for key in ("fallback", "fallback_reason", "fallback_taken"):
            value = meta.get(key)
            if isinstance(value, str) and value and value not in found:
                found.append(value)
            elif value is True and key not in found:
                found.append("fallback taken")
    return found


def turn_metas(turns: list[Turn]) -> list[dict[str, Any]]:
    """Each turn's meta; an agent turn the engine did not time gets `latency_ms` from the
    store's timestamps (caller turn recorded → agent turn recorded, server-side)."""
    said_at = {t.seq: t.created_at for t in turns if t.role == "caller"}
    metas = []
    for turn in turns:
        meta = dict(turn.meta or {})
        if turn.role == "agent" and turn.seq in said_at and turn_stats(meta)["latency_ms"] is None:
            meta["latency_ms"] = (turn.created_at - said_at[turn.seq]).total_seconds() * 1000
        metas.append(meta)
    return metas
