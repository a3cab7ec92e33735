"""Whole calls over ConversationRelay: booking, barge-in, emergency, dropped socket, duplicates."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.engine.llm_script import CALLER_LINES, OPENING
from voice_agent.channels.voice_followup import run_call_follow_ups
from voice_agent.recordings import RECORDING_PATH
from voice_agent.storage import SqlStore

from .relay_helpers import ON_CALL, relay_world

pytestmark = pytest.mark.usefixtures("settings")


async def test_booking_call_streams_tokens_with_a_filler_and_ends_with_end(
    tmp_path: Path, store: SqlStore
) -> None:
    async with relay_world(tmp_path, store) as world:
        call = world.call()
        relay = await call.answer()
        assert relay["url"] == "wss://voice.example.test/twilio/relay"
        assert relay["dtmfDetection"] == "true" and relay["interruptible"] == "any"
        assert relay["ttsProvider"] == "Google" and relay["voice"] == "en-US-Chirp3-HD-Aoede"
        assert "Bright Oak Home Services" in relay["welcomeGreeting"]
        assert "James" in relay["welcomeGreeting"]  # looked up by caller ID before greeting
        await call.open()

        windows = await call.say(OPENING)
        assert windows.fillers, "tools ran with no filler"
        assert "Which works best?" in windows.text
        [spoken] = [u for u in windows.utterances if u.text not in windows.fillers]
        assert len(spoken.tokens) > 5 and any(tok.endswith(" ") for tok in spoken.tokens)
        assert spoken.last and windows.end is None
        assert all(r.stream for r in world.model.requests)  # the relay speaks tokens as they come

        read_back = await call.say(CALLER_LINES[1])
        assert read_back.text.startswith("Just to confirm: AC repair at 64 20 Oak Street")
        booked = await call.say(CALLER_LINES[2])
        assert booked.text.startswith("You're booked: AC repair")
        bye = await call.say(CALLER_LINES[3])
        assert bye.end is not None and bye.end["reasonCode"] == "end"
        assert "Goodbye" in bye.end["say"]
        await call.close()

        after = await call.session_over("ended", bye.end)
        assert after.dial is None and after.hung_up and "Goodbye" in after.text
        ended = await call.webhooks.hang_up(duration=95)
        assert ended.status == 200
        await run_call_follow_ups(world.app.state.runtime.voice)  # the job the callback queued

    [conversation] = await store.list_conversations()
    assert conversation.status == "completed" and conversation.outcome == "booked"
    assert conversation.duration_seconds == 95
    assert conversation.hcp_customer_id
    assert len(await world.jobs(conversation.hcp_customer_id)) == 1
    turns = await store.list_turns(conversation.id)
    agent = [t for t in turns if t.role == "agent" and t.seq > 0]
    assert [t.seq for t in agent] == [1, 2, 3, 4]
    assert all(t.meta["latency_ms"] > 0 and t.meta["llm_calls"] >= 1 for t in agent)
    assert agent[0].text.endswith("Which works best?")
    sms = [item for item in await store.list_outbox() if item.kind == "sms"]
    assert len(sms) == 1 and sms[0].payload["purpose"] == "booking_confirmation"


async def test_barge_in_mid_read_back_keeps_what_was_heard_and_needs_a_new_yes(
    tmp_path: Path, store: SqlStore
) -> None:
    async with relay_world(tmp_path, store) as world:
        world.model.tokens_per_second = 40  # the read-back is still streaming when they cut in
        call = world.call()
        await call.answer()
        await call.open()
        await call.say(OPENING)
        await call.send({"type": "prompt", "voicePrompt": CALLER_LINES[1], "last": True})
        said = await call.hear_words(6)  # the caller hears a few words, then talks
        assert said.startswith("Just to confirm")
        await call.interrupt(said, ms=1200)
        world.model.tokens_per_second = None

        refused = await call.say("Yes.")
        assert "Read the details back" in refused.text  # no yes to a read-back never heard
        [conversation] = await store.list_conversations()
        assert await world.jobs(conversation.hcp_customer_id or "") == []

        # The model's next request knew exactly what the caller heard.
        request = next(r for r in world.model.requests if r.messages[-1].get("content") == "Yes.")
        history = request.messages
        note = next(m for m in history if m["role"] == "system" and "interrupted" in m["content"])
        assert said in note["content"] and "read it back again" in note["content"]
        assistant = [m for m in history if m["role"] == "assistant" and m.get("content")]
        assert assistant[-1]["content"] == said  # the rest was never said
        turns = {(t.seq, t.role): t.text for t in await store.list_turns(conversation.id)}
        assert turns[(2, "agent")] == said

        again = await call.say(CALLER_LINES[1])
        assert again.text.startswith("Just to confirm")
        booked = await call.say("Yes.")
        assert booked.text.startswith("You're booked")
    assert len(await world.jobs(conversation.hcp_customer_id or "")) == 1


async def test_emergency_is_transferred_by_the_action_callback_only_on_handoff(
    tmp_path: Path, store: SqlStore
) -> None:
    async with relay_world(tmp_path, store) as world:
        call = world.call()
        await call.answer()
        await call.open()
        reply = await call.say("I smell gas in the kitchen")
        assert reply.end is not None and reply.end["reasonCode"] == "live-agent-handoff"
        assert reply.end["number"] == ON_CALL
        assert "leave the house" in reply.end["say"]
        assert not reply.text  # the safety line is spoken by the TwiML, so `end` cannot cut it
        await call.close()

        hung_up = await call.session_over("completed")
        assert hung_up.dial is None and not hung_up.said
        forged = await call.session_over("ended", {**reply.end, "number": "+19005550000"})
        assert forged.dial is None  # never dial a number we did not hand off to
        transfer = await call.session_over("ended", reply.end)
        assert transfer.dial == ON_CALL
        assert "leave the house" in transfer.text and "connecting you" in transfer.text
    [conversation] = await store.list_conversations()
    assert conversation.outcome == "emergency"
    notices = [item for item in await store.list_outbox() if item.kind == "notify_office"]
    assert notices


async def test_dropped_socket_is_rescued_over_gather_from_storage(
    tmp_path: Path, store: SqlStore
) -> None:
    async with relay_world(tmp_path, store) as world:
        call = world.call()
        await call.answer()
        await call.open()
        await call.say(OPENING)
        await call.send({"type": "prompt", "voicePrompt": CALLER_LINES[1], "last": True})
        await call.close()  # the network drops before the answer comes back

        rescued = await call.session_over("failed", error="64105")
        assert rescued.dial is None and rescued.gather is not None
        assert rescued.text.startswith("Sorry, we got cut off for a moment.")
        assert "Just to confirm: AC repair" in rescued.text  # the turn landed, then was read
        booked = await call.webhooks.say("yes")
        assert "You're booked: AC repair" in booked.text
    [conversation] = await store.list_conversations()
    assert conversation.outcome == "booked"
    assert len(await world.jobs(conversation.hcp_customer_id or "")) == 1


async def test_duplicate_prompt_runs_once(tmp_path: Path, store: SqlStore) -> None:
    async with relay_world(tmp_path, store) as world:
        call = world.call()
        await call.answer()
        await call.open()
        await call.say(OPENING)
        await call.say(CALLER_LINES[1])
        yes = {"type": "prompt", "voicePrompt": "Yes.", "lang": "en-US", "last": True}
        await call.send(yes)
        await call.send(yes)  # the same final transcript delivered twice
        booked = await call.reply()
        assert booked.text.startswith("You're booked")
        bye = await call.say(CALLER_LINES[3])  # the next reply is this one's, not a second
        assert bye.end is not None
    [conversation] = await store.list_conversations()
    turns = await store.list_turns(conversation.id)
    assert [t.text for t in turns if t.role == "caller"].count("Yes.") == 1
    calls = await store.list_tool_calls(conversation.id)
    assert [c.name for c in calls].count("book_job") == 1
    assert len(await world.jobs(conversation.hcp_customer_id or "")) == 1


async def test_messages_twilio_may_send_are_handled(tmp_path: Path, store: SqlStore) -> None:
    async with relay_world(tmp_path, store) as world:
        call = world.call()
        await call.answer()
        await call.open()
        await call.send({"type": "prompt", "voicePrompt": "my AC", "last": False})  # partial
        await call.send({"type": "info", "name": "agentSpeaking", "value": "on"})  # unknown
        await call.send({"type": "error", "description": "Invalid message received: x"})
        await call.interrupt("Hi James", ms=300)  # over the greeting: nothing of ours to stop
        reply = await call.say(OPENING)
        assert "Which works best?" in reply.text
        person = await call.press("0")  # keypad: 0 asks for a person (office hours decide how)
        assert person.end is not None or "message" in person.text
    [conversation] = await store.list_conversations()
    caller = [t.text for t in await store.list_turns(conversation.id) if t.role == "caller"]
    assert caller == [OPENING, "I'd like to talk to a person"]
    greeting = [t for t in await store.list_turns(conversation.id) if t.seq == 0][0]
    assert greeting.text == "Hi James"  # the greeting as heard


async def test_barge_in_while_the_booking_write_runs_lets_it_finish_and_records_it(
    tmp_path: Path, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from voice_agent.operations import booking  # the job is created by the domain layer

    original = booking.create_in_window
    writing, release = asyncio.Event(), asyncio.Event()

    async def slow_create(*args: Any, **kwargs: Any) -> Any:
        writing.set()
        await release.wait()
        return await original(*args, **kwargs)

    monkeypatch.setattr(booking, "create_in_window", slow_create)
    async with relay_world(tmp_path, store) as world:
        call = world.call()
        await call.answer()
        await call.open()
        await call.say(OPENING)
        await call.say(CALLER_LINES[1])
        await call.send({"type": "prompt", "voicePrompt": "Yes.", "last": True})
        await writing.wait()  # the HCP write has started
        await call.interrupt("")  # the caller talks over the filler
        release.set()
        after = await call.say("Hello?")
        assert after.text
        [conversation] = await store.list_conversations()
        calls = [c for c in await store.list_tool_calls(conversation.id) if c.name == "book_job"]
        assert len(calls) == 1 and calls[0].error is None and calls[0].result["job_id"]
        agent = {t.seq: t for t in await store.list_turns(conversation.id) if t.role == "agent"}
        assert agent[3].meta.get("cut_short") is True  # the reply after the write was not sent
        request = world.model.requests[-1]
        tool_answers = [m["content"] for m in request.messages if m["role"] == "tool"]
        assert any("job_id" in answer for answer in tool_answers)  # the model knows it landed
        assert any(
            m["role"] == "system" and "before hearing any of it" in m["content"]
            for m in request.messages
        )
    assert len(await world.jobs(conversation.hcp_customer_id or "")) == 1
    stored = await store.get_conversation(conversation.id)
    assert stored is not None and stored.outcome == "booked"


async def test_turns_start_without_reading_storage(
    tmp_path: Path, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[str] = []
    original = SqlStore.get_conversation

    async def counted(self: SqlStore, conversation_id: str) -> Any:
        reads.append(conversation_id)
        return await original(self, conversation_id)

    monkeypatch.setattr(SqlStore, "get_conversation", counted)
    async with relay_world(tmp_path, store) as world:
        call = world.call()
        await call.answer()
        await call.open()
        reads.clear()  # from here on the socket is this conversation's only writer
        await call.say(OPENING)
        await call.interrupt("I have")  # a cut is saved too, from the kept state
        await call.say(CALLER_LINES[1])
        booked = await call.say("Yes.")
        assert "You're booked" in booked.text or "Read the details back" in booked.text
    assert reads == []


async def test_a_recorded_relay_handoff_reports_its_recording_like_any_transfer(
    tmp_path: Path, store: SqlStore
) -> None:
    async with relay_world(tmp_path, store, call_recording=True) as world:
        call = world.call()
        await call.answer()
        await call.open()
        reply = await call.say("I smell gas in the kitchen")
        assert reply.end is not None
        await call.close()
        transfer = await call.session_over("ended", reply.end)
        assert transfer.dial == ON_CALL
        attributes = transfer.dial_attributes or {}
        assert attributes.get("record")
        assert attributes.get("recordingStatusCallback", "").endswith(RECORDING_PATH)
