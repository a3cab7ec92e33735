"""The voice call flow with a scripted engine: greeting, turns, fillers, re-prompts, transfers."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest

from voice_agent.channels import voice_turns
from voice_agent.channels.twilio_sim import SimulatedCall
from voice_agent.channels.voice import MAX_CONTINUE_HOPS, MAX_SPEECH_CHARS, TOO_SLOW
from voice_agent.engine.events import TextDelta
from voice_agent.storage import SqlStore

from .conftest import (
    OFFICE,
    PUBLIC,
    QUICK,
    STAFF,
    TOKEN,
    FakeEngine,
    serving,
    signed,
    voice_settings,
)

pytestmark = pytest.mark.usefixtures("settings")
quick = pytest.mark.parametrize("vsettings", [QUICK], indirect=True)


async def test_greeting_listens_with_a_conversation_tuned_gather(call, store: SqlStore) -> None:
    sim = call()
    reply = await sim.start()
    root = ET.fromstring(reply.exchanges[0].body)
    gather = root.find("Gather")
    assert gather is not None
    assert gather.get("input") == "speech dtmf"
    assert gather.get("speechTimeout") == "auto"
    assert gather.get("speechModel") is None  # auto + a model is Twilio warning 13335
    assert gather.get("actionOnEmptyResult") == "true"
    assert gather.get("action") == "/twilio/voice/turn?seq=1"
    assert gather.get("language") == "en-US"
    assert "Bright Oak Home Services" in (gather.get("hints") or "")
    say = gather.find("Say")
    assert say is not None and say.get("voice") == "Polly.Joanna-Neural"
    assert "thanks for calling" in (say.text or "")
    [conversation] = await store.list_conversations()
    assert conversation.channel == "voice" and conversation.external_id == sim.call_sid
    assert conversation.caller == sim.caller and not conversation.test_mode


async def test_turns_answer_and_listen_for_the_next_turn(call, engine: FakeEngine) -> None:
    sim = call()
    await sim.start()
    first = await sim.say("my heater is broken")
    assert first.text == "You said: my heater is broken."
    assert first.gather is not None and first.gather["action"] == "/twilio/voice/turn?seq=2"
    second = await sim.say("it makes a noise")
    assert second.gather is not None and second.gather["action"] == "/twilio/voice/turn?seq=3"
    assert [(text, key) for _, text, key in engine.runs] == [
        ("my heater is broken", f"{sim.call_sid}:1"),
        ("it makes a noise", f"{sim.call_sid}:2"),
    ]


async def test_yes_no_questions_offer_keypad_and_keys_map_to_words(call, engine) -> None:
    sim = call()
    await sim.start()
    reply = await sim.say("please book me")
    assert "press 1 for yes" in reply.text
    pressed = await sim.press("1")
    assert pressed.text == "You said: yes."


async def test_duplicate_delivery_runs_the_turn_once(
    client: httpx.AsyncClient, call, engine: FakeEngine
) -> None:
    sim = call()
    await sim.start()
    params = {**sim.base_params(), "SpeechResult": "hello there", "Confidence": "0.9"}
    url = f"{PUBLIC}/twilio/voice/turn?seq=1"
    answers = [
        await client.post("/twilio/voice/turn?seq=1", data=params, headers=signed(url, params))
        for _ in range(3)
    ]
    assert {a.status_code for a in answers} == {200}
    assert len({a.text for a in answers}) == 1
    assert len(engine.runs) == 1


@quick
async def test_slow_turn_gets_a_filler_then_the_answer(
    client: httpx.AsyncClient, call, engine: FakeEngine
) -> None:
    engine.gate = asyncio.Event()
    heard: list[str] = []
    voice = client._transport.app.state.runtime.voice  # type: ignore[attr-defined]

    async def speak(text: str) -> None:  # while the filler plays, the work finishes
        heard.append(text)
        engine.gate.set()
        for _ in range(500):  # on a busy machine the turn may still be starting (slow storage)
            task = voice.runner.task(f"{sim.call_sid}:1")
            if task is not None:
                break
            await asyncio.sleep(0.01)
        assert task is not None
        await task

    sim = call(speak=speak)
    await sim.start()
    reply = await sim.say("what does a tune-up cost")
    assert len(reply.exchanges) >= 2
    filler = ET.fromstring(reply.exchanges[0].body)
    assert filler.find("Say") is not None and filler.find("Gather") is None
    redirect = filler.find("Redirect")
    assert redirect is not None and redirect.text == "/twilio/voice/continue?seq=1&hop=1"
    assert heard and heard[0]
    assert reply.said[-1] == "You said: what does a tune-up cost."
    assert reply.gather is not None and reply.gather["action"] == "/twilio/voice/turn?seq=2"
    assert len(engine.runs) == 1


@quick
async def test_turn_that_never_finishes_ends_in_an_honest_line(call, engine) -> None:
    engine.gate = asyncio.Event()  # never opened
    sim = call()
    await sim.start()
    reply = await sim.say("check my invoice")
    assert len(reply.exchanges) == 1 + MAX_CONTINUE_HOPS
    assert reply.said[-1] == TOO_SLOW
    assert reply.gather is not None and reply.gather["action"] == "/twilio/voice/turn?seq=2"
    assert all(e.status == 200 for e in reply.exchanges)
    assert len(engine.runs) == 1


async def test_engine_failure_is_apologised_for(call, engine: FakeEngine) -> None:
    engine.fail = True
    sim = call()
    await sim.start()
    reply = await sim.say("hello")
    assert reply.status == 200
    assert "something went wrong" in reply.text
    assert reply.gather is not None


async def test_empty_speech_reprompts_differently_then_offers_text_or_person(
    call, engine: FakeEngine, store: SqlStore
) -> None:
    sim = call()
    await sim.start()
    first = await sim.silence()
    second = await sim.silence()
    assert first.text != second.text
    assert first.gather is not None and first.gather["action"] == "/twilio/voice/turn?seq=1&miss=1"
    offer = await sim.silence()
    assert "Press 1" in offer.text and "press 0" in offer.text
    last = await sim.silence()
    assert last.hung_up
    [sms] = await store.list_outbox()
    assert sms.kind == "sms" and sms.payload["to"] == sim.caller
    assert engine.runs == []


async def test_press_zero_after_failures_transfers_to_the_office(call, engine) -> None:
    sim = call()
    await sim.start()
    for _ in range(3):
        await sim.silence()
    reply = await sim.press("0")
    assert reply.dial == OFFICE
    assert engine.runs == []


async def test_low_confidence_speech_is_not_sent_to_the_engine(call, engine) -> None:
    sim = call()
    await sim.start()
    reply = await sim.say("mumble", confidence=0.1)
    assert reply.gather is not None and "miss=1" in reply.gather["action"]
    assert engine.runs == []
    ok = await sim.say("my sink leaks", confidence=0.8)
    assert ok.text == "You said: my sink leaks."


async def test_huge_speech_result_is_truncated(call, engine: FakeEngine) -> None:
    sim = call()
    await sim.start()
    reply = await sim.say("word " * 3000)
    assert reply.status == 200
    [(_, text, _)] = engine.runs
    assert 0 < len(text) <= MAX_SPEECH_CHARS


async def test_transfer_dials_with_caller_id_and_takes_a_message_when_unanswered(
    call, store: SqlStore
) -> None:
    sim = call()
    await sim.start()
    reply = await sim.say("let me talk to a person")
    assert reply.dial == OFFICE
    attrs = reply.dial_attributes or {}
    assert attrs["callerId"] == sim.to and attrs["timeout"] == "20"
    assert attrs["action"] == "/twilio/voice/dial?seq=1"
    nobody = await sim.dial_ended("no-answer")
    assert "nobody could pick up" in nobody.text
    assert nobody.gather is not None
    done = await sim.say("please call me back about my furnace")
    assert done.hung_up
    [item] = await store.list_outbox()
    assert item.kind == "notify_office" and "furnace" in item.payload["text"]
    again = await sim.post(
        "/twilio/voice/message?seq=1",
        {**sim.base_params(), "SpeechResult": "please call me back about my furnace"},
    )
    assert again.status == 200
    assert len(await store.list_outbox()) == 1  # a duplicate delivery queues nothing more
    [conversation] = await store.list_conversations()
    assert conversation.outcome == "message"


async def test_answered_transfer_is_recorded(call, store: SqlStore) -> None:
    sim = call()
    await sim.start()
    await sim.say("a person please")
    reply = await sim.dial_ended("completed")
    assert reply.status == 200 and not reply.said
    [conversation] = await store.list_conversations()
    assert conversation.outcome == "transferred"


async def test_goodbye_hangs_up_politely(call) -> None:
    sim = call()
    await sim.start()
    reply = await sim.say("thanks, bye")
    assert reply.said == ["Thanks for calling, goodbye."]
    assert reply.hung_up


async def test_staff_number_runs_in_test_mode(call, store: SqlStore) -> None:
    reply = await call(caller=STAFF).start()
    assert "test call" in reply.text
    [conversation] = await store.list_conversations()
    assert conversation.test_mode


async def test_calls_to_a_test_number_run_in_test_mode(call, store: SqlStore) -> None:
    await call(to=STAFF).start()
    [conversation] = await store.list_conversations()
    assert conversation.test_mode


@pytest.mark.parametrize("caller", ["anonymous", "+86282452253", "+8656696"])
async def test_anonymous_caller_is_an_unknown_caller(call, store: SqlStore, caller: str) -> None:
    """Twilio's hidden-caller placeholders ("+86282452253" spells UNAVAILABLE) are no number."""
    await call(caller=caller).start()
    [conversation] = await store.list_conversations()
    assert conversation.caller == "unknown"


@quick
async def test_slow_caller_lookup_still_greets_at_once(
    call, engine: FakeEngine, store: SqlStore
) -> None:
    engine.start_delay = asyncio.Event()  # the lookup hangs
    reply = await call().start()
    assert reply.gather is not None and "How can I help" in reply.text
    assert len(await store.list_conversations()) == 1
    engine.start_delay.set()


@quick
async def test_slow_storage_at_the_greeting_still_greets_in_time(
    client: httpx.AsyncClient, call, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    voice = client._transport.app.state.runtime.voice  # type: ignore[attr-defined]
    database_free = asyncio.Event()
    create = store.create_conversation

    async def slow_create(*args: object) -> object:
        await database_free.wait()
        return await create(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "create_conversation", slow_create)
    sim = call()
    reply = await asyncio.wait_for(sim.start(), 10)
    assert reply.gather is not None and "How can I help" in reply.text
    database_free.set()
    for start in list(voice._background):  # the start carries on and records the call
        await start
    assert [c.external_id for c in await store.list_conversations()] == [sim.call_sid]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/twilio/voice", {"From": "+12125550100"}),
        ("/twilio/voice/turn?seq=1", {"CallSid": "not-a-sid", "SpeechResult": "hi"}),
        ("/twilio/voice/turn?seq=0", {"CallSid": "CA" + "a" * 32}),
        ("/twilio/voice/turn?seq=abc", {"CallSid": "CA" + "a" * 32}),
        ("/twilio/voice/turn", {"CallSid": "CA" + "a" * 32}),
        ("/twilio/voice/continue?seq=1&hop=99", {"CallSid": "CA" + "a" * 32}),
    ],
)
async def test_malformed_requests_are_refused_and_change_nothing(
    client: httpx.AsyncClient, store: SqlStore, engine: FakeEngine, path: str, params
) -> None:
    response = await client.post(path, data=params, headers=signed(PUBLIC + path, params))
    assert response.status_code in (400, 422)
    assert await store.list_conversations() == []
    assert engine.runs == []


async def test_unknown_call_sid_starts_over_without_running_a_turn(
    call, engine: FakeEngine, store: SqlStore
) -> None:
    sim = call()
    sim.action = sim.public("/twilio/voice/turn?seq=3")
    reply = await sim.say("hello?")
    first = ET.fromstring(reply.exchanges[0].body)
    redirect = first.find("Redirect")
    assert redirect is not None and redirect.text == "/twilio/voice"
    assert engine.runs == []
    assert reply.gather is not None  # the redirect greeted the caller afresh


async def test_finished_call_gets_goodbye_and_no_turn(call, engine, store: SqlStore) -> None:
    sim = call()
    await sim.start()
    await sim.hang_up(duration=5)
    sim.action = sim.public("/twilio/voice/turn?seq=1")
    reply = await sim.say("are you there")
    assert reply.hung_up and engine.runs == []


async def turn_left_running(client: httpx.AsyncClient) -> tuple[SimulatedCall, dict[str, str]]:
    """A call whose first turn is still running on this worker (the caller hears a filler)."""
    sim = SimulatedCall(client, auth_token=TOKEN, public_base_url=PUBLIC)
    await sim.start()
    params = {**sim.base_params(), "SpeechResult": "book a tune-up", "Confidence": "0.9"}
    first = await sim.post("/twilio/voice/turn?seq=1", params)
    assert ET.fromstring(first.body).find("Redirect") is not None
    return sim, params


async def test_another_worker_reruns_a_turn_whose_worker_died(
    tmp_path: Path, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_a = voice_settings(tmp_path, filler_after_seconds=QUICK)
    settings_b = voice_settings(tmp_path)
    engine_a, engine_b = FakeEngine(store), FakeEngine(store)
    engine_a.gate = asyncio.Event()  # worker A hangs mid-turn
    async with serving(settings_a, store, engine_a) as client_a:
        sim, _ = await turn_left_running(client_a)
        monkeypatch.setattr(voice_turns, "STALE_AFTER_SECONDS", 0.0)
        async with serving(settings_b, store, engine_b) as client_b:
            sim.client = client_b
            answer = await sim.post("/twilio/voice/continue?seq=1&hop=1", sim.base_params())
        root = ET.fromstring(answer.body)
        assert root.find("Gather") is not None
        assert "Shall I book Tuesday" in ET.tostring(root, encoding="unicode")
        assert [(text, key) for _, text, key in engine_b.runs] == [
            ("book a tune-up", f"{sim.call_sid}:1")
        ]


async def test_duplicate_on_another_worker_follows_the_claim_and_runs_nothing_twice(
    tmp_path: Path, store: SqlStore
) -> None:
    engine_a = FakeEngine(store)
    engine_a.gate = asyncio.Event()  # worker A is still working on the turn
    engine_b = FakeEngine(store, replays=engine_a.replays)  # B sees A's stored reply
    settings_a = voice_settings(tmp_path, filler_after_seconds=QUICK)
    async with serving(settings_a, store, engine_a) as client_a:
        sim, params = await turn_left_running(client_a)
        async with serving(voice_settings(tmp_path), store, engine_b) as client_b:
            sim.client = client_b
            duplicate = asyncio.create_task(sim.post("/twilio/voice/turn?seq=1", params))
            voice_b = client_b._transport.app.state.runtime.voice  # type: ignore[attr-defined]
            for _ in range(500):  # B's own task follows A's claim
                if voice_b.runner.task(f"{sim.call_sid}:1") is not None:
                    break
                await asyncio.sleep(0.01)
            engine_a.gate.set()  # A finishes; B's follower sees the claim processed
            answer = await duplicate
    assert "Shall I book Tuesday" in answer.body
    assert [key for _, _, key in engine_a.runs] == [f"{sim.call_sid}:1"]
    assert engine_b.runs == []


@quick
async def test_a_slow_claim_write_does_not_hold_up_the_filler(
    client: httpx.AsyncClient,
    call,
    engine: FakeEngine,
    store: SqlStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database_free = asyncio.Event()
    claim = store.record_webhook_event

    async def slow_claim(*args: object, **kwargs: object) -> bool:
        await database_free.wait()  # the write lock is busy elsewhere
        return await claim(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "record_webhook_event", slow_claim)

    voice = client._transport.app.state.runtime.voice  # type: ignore[attr-defined]

    async def speak(text: str) -> None:  # the caller hears the filler; the database frees up
        database_free.set()
        task = voice.runner.task(f"{sim.call_sid}:1")
        assert task is not None
        await task

    sim = call(speak=speak)
    await sim.start()
    reply = await asyncio.wait_for(sim.say("what does a tune-up cost"), 10)
    assert ET.fromstring(reply.exchanges[0].body).find("Redirect") is not None
    assert reply.said[-1] == "You said: what does a tune-up cost."
    assert len(engine.runs) == 1
    assert (await store.get_webhook_event("twilio", f"{sim.call_sid}:1")) is not None


@quick
@pytest.mark.parametrize(
    ("speech", "answer"),
    [("what does a tune-up cost", "You said: what does a tune-up cost."), ("", None)],
)
async def test_a_slow_lookup_of_the_call_gets_a_filler_and_loses_nothing(
    client: httpx.AsyncClient,
    call,
    engine: FakeEngine,
    store: SqlStore,
    monkeypatch: pytest.MonkeyPatch,
    speech: str,
    answer: str | None,
) -> None:
    voice = client._transport.app.state.runtime.voice  # type: ignore[attr-defined]
    database_free = asyncio.Event()
    find = store.find_conversation

    async def slow_find(*args: object) -> object:
        await database_free.wait()  # storage is swamped (e.g. a worker without this call)
        return await find(*args)  # type: ignore[arg-type]

    async def speak(text: str) -> None:  # the filler plays; storage catches up
        database_free.set()
        key = f"{sim.call_sid}:1"
        if (starting := voice._starting.get(key)) is not None:
            await starting
        if (task := voice.runner.task(key)) is not None:
            await task

    sim = call(speak=speak)
    await sim.start()
    voice.forget(sim.call_sid)  # as if this request reached another worker
    monkeypatch.setattr(store, "find_conversation", slow_find)
    reply = await asyncio.wait_for(sim.say(speech), 10)
    first = ET.fromstring(reply.exchanges[0].body)
    assert first.find("Redirect") is not None and first.find("Gather") is None
    assert reply.gather is not None
    if answer is None:  # nothing heard: the re-prompt still comes, for the same turn
        assert reply.gather["action"] == "/twilio/voice/turn?seq=1&miss=1"
        assert engine.runs == []
    else:
        assert reply.said[-1] == answer
        assert reply.gather["action"] == "/twilio/voice/turn?seq=2"
        assert len(engine.runs) == 1


async def test_open_questions_get_no_keypad_hint(call, engine: FakeEngine) -> None:
    engine.script = lambda text: [TextDelta("What would you like me to pass on?")]
    sim = call()
    await sim.start()
    reply = await sim.say("take a message")
    assert reply.said == ["What would you like me to pass on?"]


async def test_test_mode_calls_use_a_separate_sandbox_engine_when_hcp_is_real(
    tmp_path: Path, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import voice_agent.runtime as runtime_module
    from voice_agent.services import build_services

    async def no_hints(hcp: object, settings: object) -> tuple[str, ...]:
        return ()  # the real HCP client must not be called (no network in tests)

    monkeypatch.setattr(runtime_module, "load_hints", no_hints)

    settings = voice_settings(
        tmp_path, hcp_api_key="test-hcp-key-not-real", hcp_base_url="https://api.housecallpro.com"
    )
    services = build_services(settings, store)
    runtime = runtime_module.Runtime(services)
    await runtime.start(background=False)
    voice = runtime.voice
    assert voice is not None
    try:
        assert voice.test_engine is not voice.engine
        assert voice.test_hcp is not voice.hcp
        assert voice.test_hcp is not None
        assert voice.test_hcp.base_url.host == "sandbox.hcp.test"
    finally:
        await runtime.aclose()
        await services.aclose()
