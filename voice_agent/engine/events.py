"""What a turn produces, as a stream: text, tool activity, transfers, the end, fallbacks.

Channels render these (TwiML, SMS, JSON); turn-based channels collect a whole turn with
`collect`. A channel may play a filler when `ToolStarted` arrives before any `TextDelta`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TextDelta:
    """Text for the caller.

    `streamed`: its tokens already went out through the turn's `on_token` hook as they
    arrived (a streaming channel must not say it twice; others treat it like any text).
    """

    text: str
    streamed: bool = False


@dataclass(frozen=True)
class ToolStarted:
    """A tool began running."""

    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class ToolFinished:
    """A tool finished; `error` is the sentence the model saw when it failed."""

    name: str
    result: Any
    error: str | None
    duration_ms: float


@dataclass(frozen=True)
class Transfer:
    """Connect the caller to a person at `number`."""

    number: str
    reason: str


@dataclass(frozen=True)
class EndConversation:
    """The conversation is over (goodbye spoken)."""

    reason: str


@dataclass(frozen=True)
class FallbackTaken:
    """The LLM failed; guided intake continues the conversation."""

    reason: str


@dataclass(frozen=True)
class LanguageIs:
    """The caller's language after the turn (`"en"` or `"es"`).

    The last event of a turn that is not in English or that switched back to English.
    """

    language: str


Event = (
    TextDelta | ToolStarted | ToolFinished | Transfer | EndConversation | FallbackTaken | LanguageIs
)


async def collect(events: AsyncIterator[Event]) -> tuple[str, list[Event]]:
    """Drain a turn: the caller-facing text joined with spaces, and every event."""
    seen: list[Event] = []
    parts: list[str] = []
    async for event in events:
        seen.append(event)
        if isinstance(event, TextDelta) and event.text.strip():
            parts.append(event.text.strip())
    return " ".join(parts), seen
