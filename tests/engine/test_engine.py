"""Engine mechanics: replay, storage-only state, bounds, fallback, lookup deadline, HCP faults."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

import hcp
from hcp.sandbox import FaultRule, Faults, SandboxState
from tests.engine.conftest import EngineFactory
from tests.engine.fakes import FailingModel, ScriptedChatModel, call, say, talk, tool_results
from voice_agent.engine.dialogue import (
    LINE_TOO_LONG,
    LINE_TOO_MANY_STEPS,
    LINE_TOO_SLOW,
    EngineLimits,
)
from voice_agent.engine.events import (
    EndConversation,
    FallbackTaken,
    TextDelta,
    ToolFinished,
    ToolStarted,
)
from voice_agent.engine.guided import ASK_VERIFY
from voice_agent.engine.messages import ChatMessage, Completion, ToolSchema
from voice_agent.settings import Settings
from voice_agent.storage.base import Conversation, NewConversation
from voice_agent.storage.sql import SqlStore

JAMES = "+12175550100"


async def open_call(engine: object, caller: str = JAMES, external_id: str = "CA-x") -> str:
    started = await engine.start(  # type: ignore[attr-defined]
        NewConversation(channel="voice", external_id=external_id, caller=caller)
    )
    return str(started.conversation.id)


async def test_start_is_idempotent_per_external_id(
    make_engine: EngineFactory, store: SqlStore
) -> None:
    engine = make_engine()
    first = await engine.start(NewConversation(channel="voice", external_id="CA-s", caller=JAMES))
    again = await engine.start(NewConversation(channel="voice", external_id="CA-s", caller=JAMES))
    assert again.conversation.id == first.conversation.id
    assert again.greeting == first.greeting and not again.created
    assert [t.seq for t in await store.list_turns(first.conversation.id)] == [0]


async def test_repeated_turn_key_replays_without_running_tools(
    make_engine: EngineFactory, store: SqlStore
) -> None:
    model = ScriptedChatModel(call("record_problem", {"problem": "leaky faucet"}), say("Got it."))
    engine = make_engine(model)
    conv = await open_call(engine)
    reply, events = await talk(engine, conv, "my faucet leaks", turn_key="CA-x:1")
    again, replayed = await talk(engine, conv, "my faucet leaks", turn_key="CA-x:1")
    assert again == reply == "Got it."
    assert replayed == [TextDelta("Got it.")]
    assert len(model.requests) == 2
    assert [t.name for t in await store.list_tool_calls(conv)] == ["record_problem"]
    assert len([t for t in await store.list_turns(conv) if t.role == "caller"]) == 1


async def test_any_worker_continues_the_conversation_from_storage(
    make_engine: EngineFactory, store: SqlStore
) -> None:
    model = ScriptedChatModel()
    worker_a, worker_b = make_engine(model), make_engine(model)
    conv = await open_call(worker_a)
    model.add(call("record_problem", {"problem": "furnace makes noise"}), say("Address?"))
    await talk(worker_a, conv, "furnace makes noise")
    model.add(call("identify_caller"), say("ok"))
    _, events = await talk(worker_b, conv, "what do you know?")
    status = tool_results(events)["identify_caller"].result
    assert status["problem"] == "furnace makes noise"
    assert status["job_type"] == "Furnace tune-up"
    history = (await store.get_conversation(conv)).state["history"]  # type: ignore[union-attr]
    assert [m["role"] for m in history][:3] == ["assistant", "user", "assistant"]


async def test_tool_rounds_are_bounded(make_engine: EngineFactory) -> None:
    model = ScriptedChatModel(*[call("identify_caller") for _ in range(3)])
    engine = make_engine(model, limits=EngineLimits(max_tool_rounds=3))
    conv = await open_call(engine)
    reply, events = await talk(engine, conv, "hello?")
    assert reply == LINE_TOO_MANY_STEPS
    assert len([e for e in events if isinstance(e, ToolStarted)]) == 3


async def test_conversation_length_is_bounded(make_engine: EngineFactory) -> None:
    model = ScriptedChatModel(say("one"), say("two"))
    engine = make_engine(model, limits=EngineLimits(max_turns=2))
    conv = await open_call(engine)
    await talk(engine, conv, "a")
    await talk(engine, conv, "b")
    reply, events = await talk(engine, conv, "c")
    assert reply == LINE_TOO_LONG and isinstance(events[-1], EndConversation)


async def test_slow_tools_hit_the_turn_budget(make_engine: EngineFactory, faults: Faults) -> None:
    faults.replace([FaultRule("latency", path="booking_windows", seconds=5.0)])
    model = ScriptedChatModel(call("check_availability"))
    engine = make_engine(model, limits=EngineLimits(turn_seconds=0.2))
    conv = await open_call(engine)
    reply, events = await talk(engine, conv, "when can you come?")
    assert reply == LINE_TOO_SLOW
    assert tool_results(events)["check_availability"].error == "That took too long."


async def test_slow_lookup_gives_a_generic_greeting(
    make_engine: EngineFactory, faults: Faults
) -> None:
    faults.replace([FaultRule("latency", path="^/customers", seconds=5.0)])
    engine = make_engine(limits=EngineLimits(lookup_seconds=0.05))
    started = await engine.start(NewConversation(channel="voice", external_id="CA-l", caller=JAMES))
    assert started.greeting.startswith("Hi there")
    faults.replace([])
    model_state = started.conversation.state
    assert model_state["lookup_done"] is False and model_state["matched_customer_id"] is None


async def test_model_failure_falls_back_to_guided_intake_with_the_same_slots(
    make_engine: EngineFactory, store: SqlStore
) -> None:
    model = ScriptedChatModel(
        call("record_problem", {"problem": "AC blowing warm air"}),
        say("Thanks. Could you confirm your street address?"),
    )
    engine = make_engine(model)
    conv = await open_call(engine)
    await talk(engine, conv, "my AC is blowing warm air")
    from voice_agent.engine.messages import ChatModelError

    model.add(ChatModelError("model server answered HTTP 500"))
    reply, events = await talk(engine, conv, "ok")
    assert FallbackTaken("model server answered HTTP 500") in events
    assert reply == ASK_VERIFY  # guided continues: problem already known, verification next
    stored = await store.get_conversation(conv)
    assert stored is not None
    assert stored.state["mode"] == "guided" and stored.state["problem"] == "AC blowing warm air"
    system = [t for t in await store.list_turns(conv) if t.role == "system"]
    assert system and "fallback" in system[0].text
    reply, _ = await talk(engine, conv, "6420 Oak Street")
    assert reply.startswith("I have between")
    assert len(model.requests) == 3  # the failed LLM is not asked again


class HangingModel:
    """Never answers (ignores its timeout): the engine's own deadline must fire."""

    name = "hanging"

    async def complete(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSchema], *, timeout: float
    ) -> Completion:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_hanging_model_is_cut_off_and_guided_takes_over(
    make_engine: EngineFactory, business: Settings
) -> None:
    fast = business.model_copy(update={"openai_timeout": 0.05})
    engine = make_engine(HangingModel(), settings=fast)
    conv = await open_call(engine, "+15551230001")
    reply, events = await talk(engine, conv, "my drain is clogged")
    assert any(isinstance(e, FallbackTaken) for e in events)
    assert reply == "Can I have your first and last name, please?"


async def test_failing_llm_from_the_first_turn_books_through_guided(
    make_engine: EngineFactory, sandbox_state: SandboxState
) -> None:
    failing = FailingModel()
    engine = make_engine(failing)
    conv = await open_call(engine)
    for said in ("my AC is broken", "6420 Oak Street", "the second one"):
        await talk(engine, conv, said)
    reply, _ = await talk(engine, conv, "yes")
    assert reply.startswith("You're booked: AC repair")
    assert failing.calls == 1


async def test_hcp_outage_during_booking_is_queued_and_told_honestly(
    make_engine: EngineFactory, faults: Faults, store: SqlStore, sandbox_state: SandboxState
) -> None:
    engine = make_engine()
    conv = await open_call(engine)
    for said in ("my AC is broken", "6420 Oak Street", "the first one"):
        await talk(engine, conv, said)
    jobs_before = len(sandbox_state.all("jobs"))
    faults.replace([FaultRule("server_error", path="^/jobs$", method="POST")])
    reply, events = await talk(engine, conv, "yes")
    assert "office will confirm" in reply and "booked" not in reply.lower()
    assert len(sandbox_state.all("jobs")) == jobs_before
    writes = await store.list_hcp_writes(conv)
    assert [(w.operation, w.status) for w in writes] == [("create_job", "queued")]
    kinds = sorted(o.kind for o in await store.list_outbox())
    assert kinds == ["hcp_write", "notify_office"]


async def test_unknown_lead_source_is_retried_without_it_and_noted(
    make_engine: EngineFactory, sandbox_state: SandboxState, business: Settings
) -> None:
    engine = make_engine(settings=business.model_copy(update={"booking_lead_source": "Nope"}))
    conv = await open_call(engine)
    for said in ("my AC is broken", "6420 Oak Street", "the first one"):
        await talk(engine, conv, said)
    _, events = await talk(engine, conv, "yes")
    job = sandbox_state.get("jobs", tool_results(events)["book_job"].result["job_id"])
    assert job is not None
    assert not job.get("lead_source")
    assert "Lead source 'Nope' not found" in job["notes"][0]["content"]


async def test_a_retried_booking_never_creates_two_jobs(
    make_engine: EngineFactory,
    sandbox_state: SandboxState,
    store: SqlStore,
    hcp_client: hcp.HcpClient,
) -> None:
    engine = make_engine()
    conv = await open_call(engine)
    for said in ("my AC is broken", "6420 Oak Street", "the first one"):
        await talk(engine, conv, said)
    stored = await store.get_conversation(conv)
    assert stored is not None
    session = stored.state
    window = session["pending"]["data"]["window"]
    start = datetime.fromisoformat(window["start"])
    # A first attempt got as far as HCP (the job exists) and the worker died before finishing.
    key = f"{conv}:book:{start.isoformat()}"
    await store.begin_hcp_write(conv, "create_job", key, {"attempt": 1})
    await hcp_client.jobs.create(
        {
            "customer_id": session["customer_id"],
            "address_id": session["address_id"],
            "schedule": {
                "scheduled_start": start,
                "scheduled_end": datetime.fromisoformat(window["end"]),
            },
        }
    )
    jobs_before = len(sandbox_state.all("jobs"))
    reply, _ = await talk(engine, conv, "yes", turn_key="CA-x:4")
    again, _ = await talk(engine, conv, "yes", turn_key="CA-x:4")  # duplicate webhook delivery
    assert reply == again and reply.startswith("You're booked")
    assert len(sandbox_state.all("jobs")) == jobs_before
    writes = await store.list_hcp_writes(conv)
    assert [(w.operation, w.status) for w in writes] == [("create_job", "done")]


async def test_a_turn_closed_after_its_tools_is_saved_before_close_returns(
    make_engine: EngineFactory, store: SqlStore
) -> None:
    """A channel that stops reading after the tools (barge-in) closes the turn: the cut-short
    save must be done, and reported, when `aclose()` returns, not later in a finalizer task
    that races the channel's next write (a stale-version error on the relay)."""
    model = ScriptedChatModel(call("record_problem", {"problem": "leaky faucet"}), say("Got it."))
    engine = make_engine(model)
    conv = await open_call(engine, external_id="CA-close")
    saved: list[tuple[int, object]] = []  # (version, the task that saved it)

    def on_saved(conversation: Conversation) -> None:
        saved.append((conversation.version, asyncio.current_task()))

    events = engine.respond(conv, "my faucet leaks", on_saved=on_saved)
    async for event in events:
        if isinstance(event, ToolFinished):
            break
    await events.aclose()
    stored = await store.get_conversation(conv)
    assert stored is not None and saved == [(stored.version, asyncio.current_task())]
    [agent] = [t for t in await store.list_turns(conv) if t.role == "agent" and t.seq == 1]
    assert agent.meta.get("cut_short") is True


class _WriteCounter:
    """The store, counting the writes a turn makes by method."""

    def __init__(self, inner: SqlStore) -> None:
        self.inner = inner
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> object:
        attr = getattr(self.inner, name)
        if name in {"release_lease", "finish_turn", "acquire_lease"}:

            async def counted(*args: object, **kwargs: object) -> object:
                self.calls.append(name)
                return await attr(*args, **kwargs)

            return counted
        return attr


async def test_the_final_save_lets_the_turn_lease_go_in_the_same_write(
    make_engine: EngineFactory, store: SqlStore
) -> None:
    counter = _WriteCounter(store)
    engine = make_engine(ScriptedChatModel(say("Sure."), say("Tuesday works.")))
    engine.store = counter  # type: ignore[assignment]
    conv = await open_call(engine)
    counter.calls.clear()
    await talk(engine, conv, "can someone come out?")
    assert counter.calls == ["acquire_lease", "finish_turn"]  # no separate release
    assert await store.lease_owner(f"turn:{conv}", now=datetime.now().astimezone()) is None
    reply, _ = await talk(engine, conv, "Tuesday?")  # the next turn gets the lease at once
    assert reply == "Tuesday works."


async def test_a_failed_final_save_still_lets_the_lease_go(
    make_engine: EngineFactory, store: SqlStore
) -> None:
    engine = make_engine(ScriptedChatModel(say("Sure.")))
    conv = await open_call(engine)
    real = store.finish_turn

    async def broken(*args: object, **kwargs: object) -> int | None:
        raise RuntimeError("disk full")

    store.finish_turn = broken  # type: ignore[method-assign]
    try:
        try:
            await talk(engine, conv, "hello?")
        except RuntimeError:
            pass
    finally:
        store.finish_turn = real  # type: ignore[method-assign]
    assert await store.lease_owner(f"turn:{conv}", now=datetime.now().astimezone()) is None
