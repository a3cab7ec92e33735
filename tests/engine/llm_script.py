"""A caller-agnostic booking policy for the fake OpenAI server (tests and `bench/dialogue.py`).

It reads the request like a model would: the last user line decides which tools to call
(two of them in parallel on the first turn), the tool results decide what to say.
"""

from __future__ import annotations

import json
from typing import Any

from voice_agent.testing import FakeToolCall, Reply

OPENING = "My AC is blowing warm air. I'm at 6420 Oak Street."
CALLER_LINES = (OPENING, "The first one, please.", "Yes.", "No, that's all. Bye!")


def _since_user(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    last_user = max(i for i, m in enumerate(messages) if m["role"] == "user")
    return messages[last_user + 1 :]


def booking_responder(body: dict[str, Any]) -> Reply:
    """The next reply of a model that books the caller's first offered window."""
    messages: list[dict[str, Any]] = body["messages"]
    last = messages[-1]
    if last["role"] == "user":
        said = (last.get("content") or "").lower()
        if "ac" in said.split() or "warm air" in said:
            return Reply.calls(
                FakeToolCall("record_problem", {"problem": "AC blowing warm air"}, "c1"),
                FakeToolCall("verify_caller", {"street_address": "6420 Oak Street"}, "c2"),
            )
        if "first" in said:
            return Reply.tool_call("propose_booking", {"window_id": "w1"}, "c3")
        if said.startswith("yes"):
            return Reply.tool_call("book_job", {}, "c4")
        if "bye" in said:
            return Reply.tool_call("end_call", {"reason": "caller done"}, "c5")
        return Reply.text("Sorry, could you say that again?")
    results = [json.loads(m["content"]) for m in _since_user(messages) if m["role"] == "tool"]
    latest = results[-1] if results else {}
    if "error" in latest:
        return Reply.text(f"Sorry, {latest['error']}")
    if "windows" in latest:
        whens = [w["when"] for w in latest["windows"]]
        return Reply.text(f"I have {', '.join(whens)}. Which works best?")
    if "read_back" in latest:
        return Reply.text(latest["read_back"])
    if "confirmation" in latest:
        return Reply.text(latest["confirmation"] + " Anything else?")
    if any(r.get("verified") for r in results) and not any("windows" in r for r in results):
        return Reply.tool_call("check_availability", {}, "c6")
    return Reply.text("Okay.")
