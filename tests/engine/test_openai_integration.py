"""`OpenAIChatModel` (real SDK) against the fake server, through the engine, to the sandbox."""

from __future__ import annotations

import pytest

from hcp.sandbox import SandboxState
from tests.engine.conftest import EngineFactory
from tests.engine.fakes import talk, tool_results
from tests.engine.llm_script import CALLER_LINES, booking_responder
from voice_agent.engine.events import EndConversation, FallbackTaken, ToolStarted
from voice_agent.engine.guided import ASK_VERIFY
from voice_agent.engine.openai_model import OpenAIChatModel
from voice_agent.settings import Settings
from voice_agent.storage.base import NewConversation
from voice_agent.storage.sql import SqlStore
from voice_agent.testing import FakeOpenAIServer, Reply

JAMES = "+12175550100"


def model_for(server: FakeOpenAIServer) -> OpenAIChatModel:
    return OpenAIChatModel(
        api_key="test-openai-key-not-real",
        model="gpt-fake",
        base_url=server.base_url,
        max_retries=0,
    )


async def test_llm_books_a_job_with_parallel_tool_calls(
    make_engine: EngineFactory, sandbox_state: SandboxState, store: SqlStore
) -> None:
    async with FakeOpenAIServer(responder=booking_responder) as server:
        model = model_for(server)
        engine = make_engine(model)
        started = await engine.start(
            NewConversation(channel="voice", external_id="CA-llm", caller=JAMES)
        )
        conv = started.conversation.id
        _, events = await talk(engine, conv, CALLER_LINES[0])
        started_tools = [e.name for e in events if isinstance(e, ToolStarted)]
        assert started_tools[:2] == ["record_problem", "verify_caller"]  # one parallel round
        assert "check_availability" in started_tools
        reply, _ = await talk(engine, conv, CALLER_LINES[1])
        assert reply.startswith("Just to confirm: AC repair at 64 20 Oak Street, Springfield")
        reply, events = await talk(engine, conv, CALLER_LINES[2])
        booked = tool_results(events)["book_job"]
        assert booked.error is None and reply.startswith("You're booked: AC repair")
        _, events = await talk(engine, conv, CALLER_LINES[3])
        assert isinstance(events[-1], EndConversation)
        await model.aclose()
        first = server.requests[0]
        assert not first.stream and "record_problem" in first.tool_names  # Gather: read whole
        assert "list_my_appointments" not in first.tool_names  # not verified yet
        assert first.messages[0]["role"] == "system"
        assert "Bright Oak Home Services" in first.messages[0]["content"]
    job = sandbox_state.get("jobs", booked.result["job_id"])
    assert job is not None and job["appointments"]
    stored = await store.get_conversation(conv)
    assert stored is not None and stored.state["mode"] == "llm" and stored.outcome == "booked"
    agent_turns = [t for t in await store.list_turns(conv) if t.role == "agent" and t.seq > 0]
    first_turn = agent_turns[0].meta
    assert first_turn["llm_calls"] >= 2 and first_turn["model"] == "gpt-fake"
    assert first_turn["prompt_tokens"] > 0 and first_turn["completion_tokens"] > 0
    expected = (
        first_turn["prompt_tokens"] * 0.40 + first_turn["completion_tokens"] * 1.60
    ) / 1_000_000
    assert first_turn["cost_usd"] == pytest.approx(expected, abs=1e-6)
    assert first_turn["latency_ms"] >= first_turn["model_ms"] > 0


@pytest.mark.parametrize("failure", [Reply.error(500), Reply.hang(30.0)], ids=["500", "hang"])
async def test_guided_takes_over_when_the_llm_fails_mid_call(
    make_engine: EngineFactory, business: Settings, store: SqlStore, failure: Reply
) -> None:
    fast = business.model_copy(update={"openai_timeout": 0.5})
    async with FakeOpenAIServer(responder=booking_responder) as server:
        model = model_for(server)
        engine = make_engine(model, settings=fast)
        started = await engine.start(
            NewConversation(channel="voice", external_id="CA-fail", caller=JAMES)
        )
        conv = started.conversation.id
        server.enqueue(
            Reply.tool_call("record_problem", {"problem": "AC blowing warm air"}), failure
        )
        reply, events = await talk(engine, conv, "My AC is blowing warm air")
        assert [type(e) for e in events].count(FallbackTaken) == 1
        assert reply == ASK_VERIFY
        requests_so_far = len(server.requests)
        await talk(engine, conv, "6420 Oak Street")
        await talk(engine, conv, "the first one")
        reply, _ = await talk(engine, conv, "yes")
        assert reply.startswith("You're booked: AC repair")
        assert len(server.requests) == requests_so_far  # the failed LLM is not asked again
        await model.aclose()
    stored = await store.get_conversation(conv)
    assert stored is not None and stored.state["mode"] == "guided"
    assert stored.state["fallback_reason"]
