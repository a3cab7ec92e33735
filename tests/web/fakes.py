"""A small scripted engine with the real engine's surface, writing through the real store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from voice_agent.engine.events import Event, TextDelta, ToolFinished, ToolStarted
from voice_agent.settings import Settings
from voice_agent.settings_source import SettingsSource
from voice_agent.storage.base import Conversation, NewConversation, Store


@dataclass
class Started:
    """What `DialogueEngine.start` answers."""

    conversation: Conversation
    greeting: str
    created: bool = True


@dataclass
class ScriptedEngine:
    """Greets, then books on "book", echoing otherwise; records turns, tools and HCP writes."""

    store: Store
    source: SettingsSource
    turns: list[str] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        return self.source.current()

    async def start(self, new: NewConversation) -> Started:
        conversation, created = await self.store.create_conversation(new)
        greeting = f"Thanks for calling {self.settings.business_name}."
        await self.store.add_turn(conversation.id, 0, "agent", greeting, {"latency_ms": 5})
        return Started(conversation, greeting, created)

    async def respond(
        self, conversation_id: str, user_text: str, *, turn_key: str | None = None
    ) -> AsyncIterator[Event]:
        self.turns.append(user_text)
        seq = len(self.turns)
        await self.store.add_turn(conversation_id, seq, "caller", user_text)
        if "book" in user_text.lower():
            arguments: dict[str, Any] = {"window_id": "w1"}
            yield ToolStarted("book_job", arguments)
            write, _ = await self.store.begin_hcp_write(
                conversation_id, "create_job", f"{conversation_id}:w1", {"window": "w1"}
            )
            await self.store.finish_hcp_write(
                write.id, status="done", hcp_id="job_abc123", response={"id": "job_abc123"}
            )
            result = {"job_id": "job_abc123"}
            await self.store.add_tool_call(
                conversation_id, seq, "book_job", arguments, result, None, 12.5
            )
            yield ToolFinished("book_job", result, None, 12.5)
            await self.store.update_conversation(conversation_id, outcome="booked")
            reply = "You're booked for Tuesday between 8 and 10."
        else:
            reply = f"You said: {user_text}"
        meta = {
            "latency_ms": 420,
            "prompt_tokens": 900,
            "completion_tokens": 40,
            "cost_usd": 0.0012,
        }
        await self.store.add_turn(conversation_id, seq, "agent", reply, meta)
        yield TextDelta(reply)


@dataclass
class FakeServices:
    """The parts of `Services` the dashboard uses."""

    store: Store
    engine: ScriptedEngine
    hcp: Any = None
    source: SettingsSource = field(init=False)
    uses_sandbox: bool = True  # the scripted engine stands for the sandbox-backed one

    def __post_init__(self) -> None:
        self.source = self.engine.source

    async def aclose(self) -> None:
        await self.store.close()
