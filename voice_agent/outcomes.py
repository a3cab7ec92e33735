"""Every conversation's outcome, settled when it ends, and why an unbooked call is flagged.

Outcomes set during the conversation by the tools (booked, rescheduled, message, …) stand.
When a conversation ends without one, `derive` names what happened from what was recorded:
a job created (booked), the address refused (out of area), no free window (no capacity),
the agent failing (error), the caller hanging up mid-way (abandoned), or the agent closing
without a booking or a message (no booking).

A call is *unbooked* when it ended without a booking, a move, a message or a person for
the caller; `unbooked_reason` says why in words the owner can act on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from voice_agent.storage.base import Conversation, Store, ToolCallRecord

HANDLED_OUTCOMES = (
    "booked",
    "rescheduled",
    "estimate",
    "message",
    "transferred",
    "emergency",  # the office was alerted
    "cancel_requested",
)
HANDLED = frozenset(HANDLED_OUTCOMES)
REASONS = {
    "out_of_area": "address outside the service area",
    "no_capacity": "no free arrival window",
    "abandoned": "caller hung up before anything was settled",
    "error": "the agent ran into an error",
    "no_booking": "ended without a booking or a message",
}
UNBOOKED = tuple(REASONS)
OUTCOMES = (*HANDLED_OUTCOMES, *UNBOOKED)
"""Every outcome a conversation can end with."""
NO_WINDOWS_TOOL = "check_availability"
NO_WINDOWS_WORDS = "no open times"


def _no_capacity(tool_calls: Sequence[ToolCallRecord]) -> bool:
    """The last availability check found no window (and none was found after it)."""
    checks = [c for c in tool_calls if c.name == NO_WINDOWS_TOOL]
    return bool(checks) and NO_WINDOWS_WORDS in (checks[-1].error or "").lower()


def derive(
    *,
    outcome: str | None,
    status: str,
    state: dict[str, Any],
    tool_calls: Sequence[ToolCallRecord],
    booked: bool,
    caller_turns: int,
) -> str:
    """The outcome of a conversation that has just ended (`status`: completed, failed, …)."""
    if booked:
        return outcome if outcome in HANDLED else "booked"
    if outcome and outcome != "no_booking":
        return outcome
    if status == "failed" or state.get("fallback_reason"):
        return "error"
    if state.get("out_of_area"):
        return "out_of_area"
    if _no_capacity(tool_calls):
        return "no_capacity"
    if status == "abandoned" or caller_turns == 0 or not state.get("ended"):
        return "abandoned"
    return "no_booking"


async def settle(store: Store, conversation: Conversation, *, status: str, booked: bool) -> str:
    """`derive` from what `store` holds for `conversation`."""
    tool_calls = await store.list_tool_calls(conversation.id)
    turns = await store.list_turns(conversation.id)
    return derive(
        outcome=conversation.outcome,
        status=status,
        state=conversation.state or {},
        tool_calls=tool_calls,
        booked=booked,
        caller_turns=sum(1 for turn in turns if turn.role == "caller"),
    )


def unbooked_reason(conversation: Conversation) -> str | None:
    """Why an ended conversation produced no booking or message; None when it did (or runs)."""
    if conversation.status == "active" or conversation.outcome in HANDLED:
        return None
    return REASONS.get(conversation.outcome or "no_booking", REASONS["no_booking"])


def is_unbooked(conversation: Conversation) -> bool:
    return unbooked_reason(conversation) is not None
