"""Guided intake: a deterministic dialogue policy over the session, no LLM needed.

It is the embedded default and the fallback when the LLM fails. It reads the session directly
(identity, problem, offered windows, the pending yes) plus its own place in the dialogue
(`Session.guided`), recognises what the caller asks for at any point and runs it to its end.
Every write is a tool call the engine executes, so the same guards hold as for the LLM: a
recorded yes before a write, the write journal, verified callers' own records only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from voice_agent.engine.guided.policy import Policy, actions_since_caller
from voice_agent.engine.messages import ChatMessage, ChatModelError, Completion, ToolSchema
from voice_agent.engine.session import Session
from voice_agent.lines.en import EN
from voice_agent.settings import Settings

ASK_PROBLEM = EN["guided.ask_problem"]
ASK_VERIFY = EN["guided.ask_verify"]
ASK_NAME = EN["guided.ask_name"]
ASK_ADDRESS = EN["guided.ask_address"]
ASK_WINDOW = EN["guided.ask_window"]
ASK_ANYTHING_ELSE = EN["guided.anything_else"]
ASK_MESSAGE = EN["guided.ask_message"]
OUT_OF_AREA = EN["guided.out_of_area"]
INTAKE_FIRST = EN["guided.intake_first"]
INTAKE_REASK = EN["guided.intake_reask"]


class GuidedIntakeModel:
    """The guided policy; the engine calls `step` with the live session."""

    name = "guided"

    async def step(
        self,
        session: Session,
        settings: Settings,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSchema],
        *,
        now: datetime,
    ) -> Completion:
        """The next step for this turn: a tool call or what to say; never raises."""
        last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=-1)
        said = (messages[last_user].content or "") if last_user >= 0 else ""
        policy = Policy(
            session=session,
            settings=settings,
            said=said,
            actions=actions_since_caller(messages[last_user + 1 :]),
            offered={t.name for t in tools},
            now=now,
            call_id=f"guided-{len(messages)}",
        )
        return policy.next()

    async def complete(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSchema], *, timeout: float
    ) -> Completion:
        """Guided intake needs the session: the engine calls `step` instead."""
        raise ChatModelError("guided intake runs through DialogueEngine (it reads the session)")
