"""A scripted `ChatModel` and small helpers for conversation tests."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from voice_agent.engine.dialogue import DialogueEngine
from voice_agent.engine.events import Event, ToolFinished, collect
from voice_agent.engine.messages import (
    ChatMessage,
    ChatModelError,
    Completion,
    ToolCall,
    ToolSchema,
    Usage,
)

Step = Completion | Exception | Callable[[Sequence[ChatMessage]], Completion]


def say(text: str) -> Completion:
    """The model answers with text."""
    return Completion(content=text, usage=Usage(10, 5))


def call(
    name: str, arguments: dict[str, Any] | str | None = None, *, text: str | None = None
) -> Completion:
    """The model calls one tool."""
    return calls((name, arguments or {}), text=text)


def calls(*items: tuple[str, dict[str, Any] | str], text: str | None = None) -> Completion:
    """The model calls several tools at once."""
    tool_calls = tuple(
        ToolCall(
            id=f"call_{name}_{i}_{abs(hash(json.dumps(args, default=str))) % 10_000}",
            name=name,
            arguments=args if isinstance(args, str) else json.dumps(args),
        )
        for i, (name, args) in enumerate(items)
    )
    return Completion(content=text, tool_calls=tool_calls, usage=Usage(10, 5))


class ScriptedChatModel:
    """Answers from a queue of steps; records what it was asked."""

    name = "scripted"

    def __init__(self, *steps: Step) -> None:
        self.steps: deque[Step] = deque(steps)
        self.requests: list[tuple[list[ChatMessage], list[str]]] = []

    def add(self, *steps: Step) -> None:
        """Queue more steps."""
        self.steps.extend(steps)

    async def complete(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSchema], *, timeout: float
    ) -> Completion:
        self.requests.append((list(messages), [t.name for t in tools]))
        if not self.steps:
            raise AssertionError("the scripted model ran out of steps")
        step = self.steps.popleft()
        if isinstance(step, Exception):
            raise step
        if callable(step) and not isinstance(step, Completion):
            return step(messages)
        return step

    def last_tool_results(self) -> list[dict[str, Any]]:
        """The tool messages the model saw in its latest request."""
        messages, _ = self.requests[-1]
        return [json.loads(m.content or "{}") for m in messages if m.role == "tool"]


class FailingModel:
    """A model that always fails (the LLM is down)."""

    name = "failing"

    def __init__(self, reason: str = "model server answered HTTP 500") -> None:
        self.reason = reason
        self.calls = 0

    async def complete(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSchema], *, timeout: float
    ) -> Completion:
        self.calls += 1
        raise ChatModelError(self.reason)


async def talk(
    engine: DialogueEngine, conversation_id: str, text: str, **kw: Any
) -> tuple[str, list[Event]]:
    """One caller turn: the reply text and the events."""
    return await collect(engine.respond(conversation_id, text, **kw))


def tool_results(events: list[Event]) -> dict[str, ToolFinished]:
    """The last `ToolFinished` per tool name."""
    return {e.name: e for e in events if isinstance(e, ToolFinished)}
