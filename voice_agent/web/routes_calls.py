"""The calls and messages list (`/`) and the conversation page (`/calls/{id}`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import HTTPException, Request, Response

from voice_agent.deps import RuntimeDep, SettingsDep, StoreDep
from voice_agent.outcomes import OUTCOMES, is_unbooked, unbooked_reason
from voice_agent.runtime import Runtime
from voice_agent.settings import Settings
from voice_agent.storage.base import Channel, Conversation, Store, Turn
from voice_agent.web import format as fmt
from voice_agent.web.guard import page
from voice_agent.web.routes_auth import guarded

PAGE_SIZE = 50
SCAN_LIMIT = 1000  # filters other than channel are applied to the newest SCAN_LIMIT rows
CHANNELS: tuple[Channel, ...] = ("voice", "sms", "web", "console")
PERIODS = {"day": 1, "week": 7, "month": 30, "quarter": 90}
UNBOOKED = "unbooked"  # the outcome filter's value for calls without a booking or a message
_ROLE_ORDER = {"system": 0, "caller": 1, "tool": 2, "agent": 3}


def _row(conversation: Conversation, now: datetime) -> dict[str, Any]:
    return {
        "id": conversation.id,
        "started": conversation.started_at,
        "caller": conversation.caller,
        "name": fmt.caller_name(conversation),
        "channel": conversation.channel,
        "duration": fmt.duration_seconds(conversation, now),
        "outcome": fmt.outcome_of(conversation),
        "test_mode": conversation.test_mode,
        "active": conversation.status == "active",
        "unbooked": unbooked_reason(conversation),
    }


def describe_filters(
    *, channel: str = "", outcome: str = "", test: str = "", q: str = "", period: str = ""
) -> list[str]:
    """The active filters in words (for the empty state): `['search "0147"', 'channel sms']`."""
    words = []
    if q.strip():
        words.append(f"search \u201c{q.strip()}\u201d")
    if channel in CHANNELS:
        words.append(f"channel {channel}")
    if outcome:
        words.append(f"outcome {outcome}")
    if test == "only":
        words.append("test only")
    elif test == "exclude":
        words.append("live only")
    if period in PERIODS:
        words.append(f"last {period}")
    return words


def _matches(conversation: Conversation, q: str) -> bool:
    q = q.strip().lower()
    digits = "".join(ch for ch in q if ch.isdigit())
    caller_digits = "".join(c for c in conversation.caller if c.isdigit())
    if len(digits) >= 3 and digits in caller_digits:
        return True
    haystack = " ".join(
        filter(None, [fmt.caller_name(conversation), conversation.outcome, conversation.id])
    ).lower()
    return bool(q) and q in haystack


async def filtered_conversations(
    store: Store,
    *,
    channel: str = "",
    outcome: str = "",
    test: str = "",
    q: str = "",
    period: str = "",
    now: datetime | None = None,
) -> list[Conversation]:
    """Conversations newest first, filtered the way the list page's form asks."""
    now = now or datetime.now(UTC)
    chosen: Channel | None = next((c for c in CHANNELS if c == channel), None)
    rows = await store.list_conversations(limit=SCAN_LIMIT, channel=chosen)
    since = now - timedelta(days=PERIODS[period]) if period in PERIODS else None
    result = []
    for conversation in rows:
        if since and conversation.started_at < since:
            continue
        if outcome == UNBOOKED:
            if not is_unbooked(conversation):
                continue
        elif outcome and fmt.outcome_of(conversation) != outcome:
            continue
        if test == "only" and not conversation.test_mode:
            continue
        if test == "exclude" and conversation.test_mode:
            continue
        if q.strip() and not _matches(conversation, q):
            continue
        result.append(conversation)
    return result


@guarded.get("/")
async def calls_list(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    channel: str = "",
    outcome: str = "",
    test: str = "",
    q: str = "",
    period: str = "",
    page_no: int = 1,
) -> Response:
    """Every call, SMS thread and test-line session, newest first, with filters and search."""
    now = datetime.now(UTC)
    rows = await filtered_conversations(
        store, channel=channel, outcome=outcome, test=test, q=q, period=period, now=now
    )
    page_no = max(1, page_no)
    shown = rows[(page_no - 1) * PAGE_SIZE : page_no * PAGE_SIZE]
    zone = settings.zone
    return page(
        request,
        "calls.html",
        {
            "rows": [_row(c, now) for c in shown],
            "total": len(rows),
            "page_no": page_no,
            "pages": max(1, -(-len(rows) // PAGE_SIZE)),
            "filters": {
                "channel": channel,
                "outcome": outcome,
                "test": test,
                "q": q,
                "period": period,
            },
            "base_query": urlencode(
                {"channel": channel, "outcome": outcome, "test": test, "q": q, "period": period}
            ),
            "channels": CHANNELS,
            "outcomes": (UNBOOKED, *OUTCOMES, "in progress"),
            "periods": PERIODS,
            "zone": zone,
            "local_time": fmt.local_time,
            "any_active": any(c.status == "active" for c in shown),
            "active_filters": describe_filters(
                channel=channel, outcome=outcome, test=test, q=q, period=period
            ),
        },
    )


async def conversation_context(
    runtime: Runtime, settings: Settings, conversation_id: str
) -> dict[str, Any]:
    """Everything the conversation page shows, in transcript order."""
    store = runtime.store
    conversation = await store.get_conversation(conversation_id)
    if conversation is None:
        raise HTTPException(status_code=404, detail="no such conversation")
    turns = await store.list_turns(conversation_id)
    tools = await store.list_tool_calls(conversation_id)
    writes = await store.list_hcp_writes(conversation_id)
    messages = await store.list_messages(conversation_id)
    # Sandbox writes link into the dashboard. What runs decides (a key may be in the vault,
    # not the environment); test mode never writes to HCP.
    sandbox = runtime.services.uses_sandbox or conversation.test_mode
    items: list[tuple[tuple[int, int, float], dict[str, Any]]] = []
    metas = fmt.turn_metas(turns)
    languages = turn_languages(turns)
    for turn, meta in zip(turns, metas, strict=True):
        entry = {
            "kind": "turn",
            "turn": turn,
            "meta": meta,
            "stats": fmt.turn_stats(meta),
            "language": languages.get(turn.seq) if turn.role in ("caller", "agent") else None,
        }
        items.append(((turn.seq, _ROLE_ORDER.get(turn.role, 9), 0.0), entry))
    for call in tools:
        key = (call.turn_seq, _ROLE_ORDER["tool"], call.created_at.timestamp())
        items.append((key, {"kind": "tool", "call": call}))
    items.sort(key=lambda pair: pair[0])
    totals = fmt.conversation_totals(metas)
    return {
        "conversation": conversation,
        "name": fmt.caller_name(conversation),
        "caller": conversation.caller,
        "outcome": fmt.outcome_of(conversation),
        "language": conversation_language(conversation, languages),
        "duration": fmt.duration_seconds(conversation, datetime.now(UTC)),
        "items": [entry for _, entry in items],
        "writes": [{"write": w, "link": fmt.hcp_link(w, sandbox=sandbox)} for w in writes],
        "messages": messages,
        "recordings": [r for r in await store.list_recordings(conversation_id) if r.media_url],
        "unbooked": unbooked_reason(conversation),
        "fallbacks": fmt.fallbacks(conversation, metas),
        "totals": totals,
        "zone": settings.zone,
        "local_time": fmt.local_time,
        "sandbox": sandbox,
    }


def turn_languages(turns: list[Turn]) -> dict[int, str]:
    """The language of each turn number, from its agent turn's meta (the engine records it)."""
    found: dict[int, str] = {}
    for turn in turns:
        language = (turn.meta or {}).get("language")
        if turn.role == "agent" and isinstance(language, str):
            found[turn.seq] = language
    return found


def conversation_language(conversation: Conversation, languages: dict[int, str]) -> str:
    """ "es" when any part of the conversation was in Spanish (the session or a turn)."""
    state = conversation.state or {}
    if conversation.language == "es" or state.get("language") == "es":
        return "es"
    if "es" in languages.values():
        return "es"
    return "en"


@guarded.get("/calls/{conversation_id}")
async def conversation_page(
    request: Request, runtime: RuntimeDep, settings: SettingsDep, conversation_id: str
) -> Response:
    """One conversation: transcript, tool calls, HCP writes, SMS, fallbacks, latency and cost."""
    context = await conversation_context(runtime, settings, conversation_id)
    return page(request, "conversation.html", context)


@guarded.get("/calls/{conversation_id}/live")
async def conversation_live(
    request: Request, runtime: RuntimeDep, settings: SettingsDep, conversation_id: str
) -> Response:
    """The conversation's body alone; the page polls it while the call is in progress."""
    context = await conversation_context(runtime, settings, conversation_id)
    response = page(request, "_conversation_body.html", context)
    response.headers["X-Conversation-Status"] = context["conversation"].status
    return response


@guarded.get("/calls/{conversation_id}/hcp/{write_id}")
async def hcp_record(
    request: Request, runtime: RuntimeDep, conversation_id: str, write_id: str
) -> Response:
    """An HCP write as recorded (request and HCP's answer); the sandbox's record link."""
    writes = await runtime.store.list_hcp_writes(conversation_id)
    write = next((w for w in writes if w.id == write_id), None)
    if write is None:
        raise HTTPException(status_code=404, detail="no such HCP write")
    return page(
        request,
        "hcp_record.html",
        {
            "write": write,
            "conversation_id": conversation_id,
            "sandbox": runtime.services.uses_sandbox,
        },
    )
