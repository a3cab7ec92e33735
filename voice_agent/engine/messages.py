"""Chat messages, tool schemas and the `ChatModel` protocol every dialogue policy implements.

Both the OpenAI-backed model and the deterministic guided intake speak this protocol, so the
engine never knows which one it is talking to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True)
class ToolCall:
    """A tool the model asked for; `arguments` is the raw JSON string the model produced."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class ChatMessage:
    """One message of the conversation as the model sees it."""

    role: Role
    content: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None  # set on role="tool" answers

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form, for storage."""
        data: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            data["tool_calls"] = [
                {"id": c.id, "name": c.name, "arguments": c.arguments} for c in self.tool_calls
            ]
        if self.tool_call_id:
            data["tool_call_id"] = self.tool_call_id
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChatMessage:
        """Inverse of `to_dict`."""
        return cls(
            role=data["role"],
            content=data.get("content"),
            tool_calls=tuple(ToolCall(**c) for c in data.get("tool_calls", ())),
            tool_call_id=data.get("tool_call_id"),
        )


@dataclass(frozen=True)
class ToolSchema:
    """A tool as offered to the model: name, description and JSON-schema parameters."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class Usage:
    """Token usage reported by the model server."""

    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True)
class Completion:
    """The model's answer: text and/or tool calls, with usage and the model's name."""

    content: str | None
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = field(default_factory=Usage)
    model: str = ""

    def as_message(self) -> ChatMessage:
        """The assistant message to append to the history."""
        return ChatMessage(role="assistant", content=self.content, tool_calls=self.tool_calls)


class ChatModelError(Exception):
    """The model failed or ran out of time; the engine falls back to guided intake."""


class ChatModel(Protocol):
    """A dialogue policy: given the history and the tools, produce the next assistant message."""

    name: str

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSchema],
        *,
        timeout: float,
    ) -> Completion:
        """Return the next assistant message; raise `ChatModelError` on any failure or timeout."""
        ...
