"""The turn runner forgets finished turns after `RETAIN_SECONDS`, a few per new turn."""

from __future__ import annotations

import pytest

from tests.channels.conftest import FakeEngine
from voice_agent.channels import voice_turns
from voice_agent.channels.voice_turns import TurnRunner
from voice_agent.storage import SqlStore
from voice_agent.storage.base import NewConversation


async def test_finished_turns_are_dropped_oldest_first(
    store: SqlStore, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    conversation, _ = await store.create_conversation(
        NewConversation(channel="voice", external_id="CA-memory", caller="+13125550100")
    )
    runner = TurnRunner(engine, store)
    keys = [f"CA-memory:{n}" for n in range(1, 21)]
    for key in keys[:10]:
        runner.submit(conversation.id, key, "hello", {})
        assert await runner.outcome(conversation.id, key, 5) is not None
    assert all(runner.task(key) is not None for key in keys[:10])  # all within the window

    monkeypatch.setattr(voice_turns, "RETAIN_SECONDS", 0.0)
    for key in keys[10:]:
        runner.submit(conversation.id, key, "hello", {})
        assert await runner.outcome(conversation.id, key, 5) is not None

    assert all(runner.task(key) is None for key in keys[:10])  # dropped as new turns came
    assert runner.task(keys[-1]) is not None  # the newest is kept
    await runner.aclose()
