"""`RelayTurns` on its own: ordering of turns and barge-ins, tool-safe stopping, parsing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from voice_agent.channels.relay_session import RelayTurns, key_text, prompt_text
from voice_agent.engine.events import TextDelta, ToolFinished, ToolStarted
from voice_agent.storage.base import Conversation


def conversation() -> Conversation:
    now = datetime.now(UTC)
    return Conversation(
        id="c1",
        channel="voice",
        external_id="CA" + "1" * 32,
        caller="+12125550100",
        business_number=None,
        status="active",
        outcome=None,
        hcp_customer_id=None,
        language="en",
        test_mode=False,
        state={},
        version=1,
        started_at=now,
        updated_at=now,
        ended_at=None,
        duration_seconds=None,
    )


class GatedEngine:
    """Records what it is asked; a turn about `tool` runs a gated tool, others wait on `gate`."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.gate = asyncio.Event()
        self.tool_started = asyncio.Event()
        self.responding = asyncio.Event()
        self.tool_done = False

    async def respond(
        self,
        conversation_id: str,
        user_text: str,
        *,
        turn_key: str | None = None,
        on_token: Callable[[str], Awaitable[None]] | None = None,
        known: Conversation | None = None,
        on_saved: Callable[[Conversation], None] | None = None,
    ) -> AsyncIterator[Any]:
        self.log.append(f"respond:{user_text}")
        self.responding.set()
        if "tool" in user_text:
            yield ToolStarted("book_job", {})
            self.tool_started.set()
            await self.gate.wait()
            self.tool_done = True
            yield ToolFinished("book_job", {"job_id": "j1"}, None, 1.0)
            yield TextDelta("You're booked.")
            return
        await self.gate.wait()
        yield TextDelta(f"About {user_text}.")

    async def heard(self, conversation_id: str, heard: str, **_: Any) -> bool:
        self.log.append(f"heard:{heard}")
        return True


async def test_an_interrupt_applies_to_the_running_turn_before_a_queued_prompt() -> None:
    engine = GatedEngine()
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    turns = RelayTurns(engine, conversation(), send, session_id="VX1")
    turns.prompt("first")
    await engine.responding.wait()
    turns.prompt("second")  # queued behind the running turn
    turns.interrupt("About fi")
    engine.gate.set()
    await turns.drain()
    assert engine.log == ["respond:first", "heard:About fi", "respond:second"]
    assert sent[-1] == {"type": "text", "token": "", "last": True}


async def test_an_interrupt_during_a_tool_lets_it_finish() -> None:
    engine = GatedEngine()
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    turns = RelayTurns(engine, conversation(), send, session_id="VX1")
    turns.prompt("book it, tool")
    await engine.tool_started.wait()
    turns.interrupt("")
    await asyncio.sleep(0.01)
    assert not engine.tool_done  # still running, not cancelled
    engine.gate.set()
    await turns.drain()
    assert engine.tool_done
    assert engine.log == ["respond:book it, tool", "heard:"]
    spoken = "".join(m.get("token", "") for m in sent)
    assert "booked" not in spoken  # the reply after the barge-in is not spoken


def test_prompts_and_keys_are_read_like_twilio_sends_them() -> None:
    assert prompt_text({"voicePrompt": "  my  AC ", "last": True}) == "my AC"
    assert prompt_text({"voicePrompt": "my AC", "last": False}) is None
    assert prompt_text({"voicePrompt": "", "last": True}) is None
    assert prompt_text({"voicePrompt": "word " * 600}) is not None
    assert key_text("2", first_turn=True, spanish=True) == "español"
    assert key_text("2", first_turn=False, spanish=True) == "no"
    assert key_text("1", first_turn=True, spanish=True) == "yes"
    assert key_text("#", first_turn=False, spanish=False) is None
