"""Guided intake's building blocks: the tools it ran this turn and how it speaks and asks."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from voice_agent.engine.messages import ChatMessage, Completion, ToolCall
from voice_agent.engine.session import GuidedState, Session
from voice_agent.lines import join_list, line
from voice_agent.settings import Settings

MAX_MISSES = 2


@dataclass(frozen=True)
class Action:
    """A tool the engine ran for guided intake in this turn, with its parsed result."""

    name: str
    arguments: dict[str, Any]
    result: dict[str, Any]

    @property
    def error(self) -> str | None:
        """The tool's error sentence, if it failed."""
        value = self.result.get("error")
        return str(value) if value else None


def actions_since_caller(turn: Sequence[ChatMessage]) -> list[Action]:
    """The tool calls made since the caller spoke, with their parsed results."""
    calls: dict[str, ToolCall] = {}
    actions: list[Action] = []
    for message in turn:
        for call in message.tool_calls:
            calls[call.id] = call
        if message.role == "tool" and message.tool_call_id in calls:
            call = calls[message.tool_call_id]
            actions.append(Action(call.name, _json(call.arguments), _json(message.content or "")))
    return actions


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except json.JSONDecodeError:
        return {"text": text}
    return value if isinstance(value, dict) else {"value": value}


@dataclass
class Step:
    """One step of guided intake for one turn: the facts, and how to speak and ask."""

    session: Session
    settings: Settings
    said: str
    actions: list[Action]
    offered: set[str]
    now: datetime
    call_id: str

    @property
    def lang(self) -> str:
        """The caller's language."""
        return self.session.language

    @property
    def state(self) -> GuidedState:
        """Guided intake's own place in the dialogue."""
        return self.session.guided

    def call(self, tool: str, /, **arguments: Any) -> Completion:
        if tool not in self.offered:
            return self.ask("message", line("guided.ask_message", self.lang))
        call = ToolCall(id=f"{self.call_id}-{tool}", name=tool, arguments=json.dumps(arguments))
        return Completion(content=None, tool_calls=(call,), model="guided")

    def ask(self, asked: str | None, *parts: str) -> Completion:
        """Say `parts` and remember what the caller is now answering."""
        self.state.asked = asked
        return Completion(content=" ".join(p for p in parts if p), model="guided")

    def t(self, key: str, **values: object) -> str:
        return line(key, self.lang, **values)

    def anything_else(self, *before: str) -> Completion:
        self.state.task, self.state.misses = None, 0
        return self.ask("anything_else", *before, self.t("guided.anything_else"))

    def offer_message(self, *before: str) -> Completion:
        self.state.task = "message"
        return self.ask("message", *before, self.t("guided.ask_message"))

    def missed(self, reask: Completion) -> Completion:
        """Ask again, or after `MAX_MISSES` offer a message instead of guessing."""
        self.state.misses += 1
        if self.state.misses > MAX_MISSES:
            self.state.misses = 0
            return self.offer_message(self.t("guided.didnt_catch"))
        return reask

    def propose(self, tool: str, /, **arguments: Any) -> Completion:
        self.state.proposal = {"name": tool, "arguments": arguments}
        return self.call(tool, **arguments)

    def offer_windows(self, *before: str) -> Completion:
        if self.state.task == "reschedule":  # never offer the visit the time it already has
            now = self._moving_when()
            others = [w for w in self.session.windows if w.spoken != now]
            self.session.windows = others or self.session.windows
        whens = [w.spoken for w in self.session.windows]
        if self.state.task == "reschedule":
            offer = self.t("guided.move_to", list=join_list(whens, self.lang))
        else:
            offer = self.t("guided.i_have", list=join_list(whens, self.lang))
        return self.ask("window", *before, offer, self.t("guided.ask_window"))

    def _moving_when(self) -> str | None:
        """When the visit being moved is now, as read back (the same words as a window's)."""
        for visit in self.state.appointments or []:
            if visit["job_id"] == self.state.job_id:
                return visit["when"]
        return None

    def which_appointment(self) -> Completion:
        items = [f"{a['service']} {a['when']}" for a in self.state.appointments or []]
        return self.ask(
            "appointment", self.t("guided.which_appointment", list=join_list(items, self.lang))
        )

    def _name_arg(self) -> dict[str, str]:
        name = self.state.name
        return {"name": " ".join(p for p in name if p)} if name else {}
