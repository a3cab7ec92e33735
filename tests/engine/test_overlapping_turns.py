"""A caller turn that arrives while the previous one still runs (a hanging LLM) is kept and
answered after it, from the state that turn left: no utterance lost, no stale write."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

from hcp.sandbox import SandboxState
from tests.engine.conftest import EngineFactory
from tests.engine.fakes import talk
from voice_agent.channels.voice_turns import TurnRunner
from voice_agent.engine.guided import GuidedIntakeModel
from voice_agent.engine.messages import ChatMessage, Completion, ToolSchema
from voice_agent.engine.session import Session
from voice_agent.settings import Settings
from voice_agent.storage.base import NewConversation
from voice_agent.storage.sql import SqlStore

NEW_CALLER = "+15551230077"


class HangsOnce(GuidedIntakeModel):
    """Guided intake whose first answer to `line` hangs until released (a stuck LLM call)."""

    def __init__(self, line: str) -> None:
        self.line = line
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def step(
        self,
        session: Session,
        settings: Settings,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSchema],
        *,
        now: datetime,
    ) -> Completion:
        if messages[-1].role == "user" and messages[-1].content == self.line:
            if not self.entered.is_set():
                self.entered.set()
                await self.release.wait()
        return await super().step(session, settings, messages, tools, now=now)


async def test_an_utterance_during_a_hanging_turn_is_answered_after_it(
    make_engine: EngineFactory, sandbox_state: SandboxState, store: SqlStore
) -> None:
    model = HangsOnce("Jane Doe")
    engine = make_engine(model, fallback=model)
    started = await engine.start(
        NewConversation(channel="voice", external_id="CA-overlap", caller=NEW_CALLER)
    )
    conv = started.conversation.id
    await talk(engine, conv, "my kitchen drain is clogged")

    hanging = asyncio.create_task(talk(engine, conv, "Jane Doe"))
    await asyncio.wait_for(model.entered.wait(), 10)
    overlapping = asyncio.create_task(talk(engine, conv, "12 Birch Drive, Chatham IL 62629"))
    await asyncio.wait([overlapping], timeout=0.3)  # it must not run on the hung turn's state
    model.release.set()
    first, second = await asyncio.gather(hanging, overlapping)
    third, _ = await talk(engine, conv, "12 Birch Drive, Chatham IL 62629")

    turns = await store.list_turns(conv)
    said = [t.text for t in turns if t.role == "caller"]
    assert said == [
        "my kitchen drain is clogged",
        "Jane Doe",
        "12 Birch Drive, Chatham IL 62629",
        "12 Birch Drive, Chatham IL 62629",
    ]
    answered = sorted(t.seq for t in turns if t.role == "agent" and t.seq > 0)
    assert answered == [1, 2, 3, 4]
    assert "address" in first[0].lower()  # the name was taken; the address asked next
    names = [
        (c.get("first_name"), c.get("last_name"))
        for c in sandbox_state.all("customers")
        if c.get("mobile_number") == "5551230077"
    ]
    assert names == [("Jane", "Doe")]
    assert not any(
        "Birch" in f"{c.get('first_name')} {c.get('last_name')}"
        for c in sandbox_state.all("customers")
    )


async def test_the_voice_runner_keeps_a_turn_that_arrives_during_a_hanging_one(
    make_engine: EngineFactory, sandbox_state: SandboxState, store: SqlStore
) -> None:
    model = HangsOnce("Jane Doe")
    engine = make_engine(model, fallback=model)
    started = await engine.start(
        NewConversation(channel="voice", external_id="CA-runner", caller=NEW_CALLER)
    )
    conv = started.conversation.id
    runner = TurnRunner(engine, store)
    lines = ["my kitchen drain is clogged", "Jane Doe", "12 Birch Drive, Chatham IL 62629"]
    runner.submit(conv, "CA-runner:1", lines[0], {})
    assert await runner.outcome(conv, "CA-runner:1", 10) is not None
    runner.submit(conv, "CA-runner:2", lines[1], {})
    await asyncio.wait_for(model.entered.wait(), 10)
    runner.submit(conv, "CA-runner:3", lines[2], {})  # the caller spoke again meanwhile
    assert await runner.outcome(conv, "CA-runner:3", 0.2) is None  # waits for turn 2
    model.release.set()

    second = await runner.outcome(conv, "CA-runner:2", 10)
    third = await runner.outcome(conv, "CA-runner:3", 10)

    assert second is not None and not second.failed and "address" in second.text.lower()
    assert third is not None and not third.failed
    said = [t.text for t in await store.list_turns(conv) if t.role == "caller"]
    assert said == lines
    names = [
        (c.get("first_name"), c.get("last_name"))
        for c in sandbox_state.all("customers")
        if c.get("mobile_number") == "5551230077"
    ]
    assert names == [("Jane", "Doe")]
    await runner.aclose()
