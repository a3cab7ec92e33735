"""Every ended conversation gets an outcome; unbooked calls are flagged with the reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from voice_agent.followups.digest import build_digest, render_email, render_sms
from voice_agent.outcomes import derive, unbooked_reason
from voice_agent.settings import Settings
from voice_agent.storage.base import Conversation, NewConversation, ToolCallRecord
from voice_agent.storage.sql import SqlStore

NOW = datetime(2026, 12, 1, 15, tzinfo=UTC)


def tool(name: str, error: str | None = None) -> ToolCallRecord:
    return ToolCallRecord("t", "c", 1, name, {}, None, error, 1.0, NOW)


def ended(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "outcome": None,
        "status": "completed",
        "state": {"ended": True},
        "tool_calls": [],
        "booked": False,
        "caller_turns": 3,
    }
    return {**values, **overrides}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"booked": True}, "booked"),
        ({"outcome": "message"}, "message"),
        ({"outcome": "no_booking", "booked": True}, "booked"),
        ({"state": {"ended": True, "out_of_area": "Chicago"}}, "out_of_area"),
        (
            {"tool_calls": [tool("check_availability", "No open times in the next week.")]},
            "no_capacity",
        ),
        (
            {
                "tool_calls": [
                    tool("check_availability", "No open times"),
                    tool("check_availability"),
                ]
            },
            "no_booking",
        ),
        ({"state": {"ended": True, "fallback_reason": "model timeout"}}, "error"),
        ({"status": "failed"}, "error"),
        ({"status": "abandoned"}, "abandoned"),
        ({"state": {}}, "abandoned"),  # the caller hung up before the agent closed
        ({"caller_turns": 0}, "abandoned"),
        ({}, "no_booking"),
    ],
)
def test_derive(overrides: dict[str, Any], expected: str) -> None:
    assert derive(**ended(**overrides)) == expected


async def make(
    store: SqlStore, n: int, outcome: str | None, status: str = "completed", **kw: Any
) -> Conversation:
    new = NewConversation(
        channel=kw.pop("channel", "voice"), external_id=f"CA{n}", caller=f"+1312555{n:04d}"
    )
    conversation, _ = await store.create_conversation(new)
    await store.update_conversation(conversation.id, outcome=outcome, status=status, **kw)
    found = await store.get_conversation(conversation.id)
    assert found is not None
    return found


async def seed(store: SqlStore) -> dict[str, Conversation]:
    return {
        "booked": await make(store, 1, "booked"),
        "out": await make(store, 2, "out_of_area"),
        "full": await make(store, 3, "no_capacity"),
        "hung": await make(store, 4, "abandoned"),
        "message": await make(store, 5, "message"),
        "live": await make(store, 6, None, status="active"),
    }


async def test_unbooked_reason(store: SqlStore) -> None:
    made = await seed(store)
    assert unbooked_reason(made["booked"]) is None and unbooked_reason(made["message"]) is None
    assert unbooked_reason(made["live"]) is None  # still running
    assert unbooked_reason(made["out"]) == "address outside the service area"
    assert unbooked_reason(made["full"]) == "no free arrival window"


async def test_digest_counts_unbooked_calls_with_reasons(
    store: SqlStore, settings: Settings
) -> None:
    await seed(store)
    start = datetime.now(UTC) - timedelta(hours=1)
    digest = await build_digest(store, settings, start, start + timedelta(hours=2))
    assert digest.unbooked_total == 3
    assert "Unbooked 3:" in render_sms(digest)
    subject, body = render_email(digest)
    assert "unbooked" not in subject  # the subject stays short (no header folding)
    assert "Calls without a booking or a message (3)" in body
    assert "- 1 no free arrival window" in body and "- 1 address outside the service area" in body
