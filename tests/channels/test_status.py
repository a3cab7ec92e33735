"""The status callback: completion recorded at once; the summary note and booking SMS are
an outbox job, run once however often Twilio repeats the callback."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from voice_agent.channels.voice_followup import CallFollowUps, run_call_follow_ups
from voice_agent.engine.events import Event, TextDelta
from voice_agent.messaging.dispatcher import DispatchReport
from voice_agent.outbox import CallEnded
from voice_agent.storage import SqlStore

from .conftest import PUBLIC, FakeEngine, default_script, signed

pytestmark = pytest.mark.usefixtures("settings")

JOB = {
    "id": "job_123",
    "invoice_number": "1042",
    "address": {"street": "12 Elm St", "city": "Austin"},
    "schedule": {
        "scheduled_start": "2026-12-01T14:00:00Z",
        "scheduled_end": "2026-12-01T16:00:00Z",
        "arrival_window": 120,
    },
}


def app_of(client: httpx.AsyncClient) -> FastAPI:
    """The app behind the test client."""
    app: FastAPI = client._transport.app  # type: ignore[attr-defined]
    return app


async def run_follow_ups(client: httpx.AsyncClient, store: SqlStore) -> DispatchReport:
    """Run the due "call_ended" jobs as the server's dispatcher would (other kinds wait)."""
    return await run_call_follow_ups(app_of(client).state.runtime.voice)


def booking_engine(engine: FakeEngine, store: SqlStore, job: dict[str, Any] = JOB) -> None:
    """On "yes" the scripted agent books a job the way the real engine records it."""

    async def book(conversation_id: str) -> None:
        write, _ = await store.begin_hcp_write(
            conversation_id, "create_job", f"{conversation_id}:window-1", {"window": 1}
        )
        await store.finish_hcp_write(write.id, status="done", hcp_id=job["id"], response=job)
        await store.update_conversation(conversation_id, outcome="booked")

    original = engine.respond

    async def respond(conversation_id: str, user_text: str, *, turn_key: str | None = None):
        if user_text == "yes" and turn_key not in engine.replays:
            await book(conversation_id)
        async for event in original(conversation_id, user_text, turn_key=turn_key):
            yield event

    def script(text: str) -> list[Event]:
        if text == "yes":
            return [TextDelta("You're booked for Tuesday between 8 and 10.")]
        return default_script(text)

    engine.script = script
    engine.respond = respond  # type: ignore[method-assign]


async def test_booking_call_ends_with_summary_note_and_one_sms(
    call, client: httpx.AsyncClient, engine: FakeEngine, store: SqlStore
) -> None:
    booking_engine(engine, store)
    sim = call()
    await sim.start()
    await sim.say("book me please")
    reply = await sim.press("1")
    assert "booked" in reply.text
    ended = await sim.hang_up(duration=95)
    assert ended.status == 200 and ended.root is not None and len(ended.root) == 0
    [conversation] = await store.list_conversations()
    assert conversation.status == "completed"
    assert conversation.duration_seconds == 95
    assert conversation.outcome == "booked"
    assert conversation.ended_at is not None
    [queued] = await store.list_outbox()
    assert queued.kind == CallEnded.kind  # the callback only queued the follow-up
    assert (await run_follow_ups(client, store)).done == 1
    items = {item.kind: item for item in await store.list_outbox() if item.kind != CallEnded.kind}
    assert set(items) == {"sms", "hcp_write"}
    sms = items["sms"].payload
    assert sms["to"] == sim.caller and sms["conversation_id"] == conversation.id
    assert "Tue Dec 1" in sms["body"] and "8:00 AM and 10:00 AM" in sms["body"]
    assert "12 Elm St" in sms["body"] and "STOP" in sms["body"]
    note = items["hcp_write"].payload
    assert note["operation"] == "add_note" and note["request"]["job_id"] == "job_123"
    content = note["request"]["content"]
    assert "Outcome: booked" in content and "1 min 35 s" in content

    first_end = conversation.ended_at
    again = await sim.hang_up(duration=95)  # Twilio retries the callback
    assert again.status == 200
    assert (await run_follow_ups(client, store)).claimed == 0
    assert len(await store.list_outbox()) == 3
    [conversation] = await store.list_conversations()
    assert conversation.ended_at == first_end


async def test_call_without_booking_queues_no_sms(
    call, client: httpx.AsyncClient, store: SqlStore
) -> None:
    sim = call()
    await sim.start()
    await sim.say("just a question")
    await sim.hang_up(duration=30)
    [conversation] = await store.list_conversations()
    assert conversation.status == "completed"
    await run_follow_ups(client, store)
    [conversation] = await store.list_conversations()
    assert conversation.outcome == "abandoned"  # hung up mid-way
    assert [item.kind for item in await store.list_outbox()] == [CallEnded.kind]


async def test_non_final_status_changes_nothing(call, store: SqlStore) -> None:
    sim = call()
    await sim.start()
    exchange = await sim.hang_up(duration=0, status="in-progress")
    assert exchange.status == 200
    [conversation] = await store.list_conversations()
    assert conversation.status == "active" and conversation.ended_at is None


async def test_status_for_unknown_call_is_ignored(
    client: httpx.AsyncClient, store: SqlStore
) -> None:
    params = {"CallSid": "CA" + "b" * 32, "CallStatus": "completed", "CallDuration": "3"}
    path = "/twilio/voice/status"
    response = await client.post(path, data=params, headers=signed(PUBLIC + path, params))
    assert response.status_code == 200
    assert await store.list_conversations() == []
    assert await store.list_outbox() == []


async def test_canceled_call_is_abandoned(call, store: SqlStore) -> None:
    sim = call()
    await sim.start()
    await sim.hang_up(duration=0, status="canceled")
    [conversation] = await store.list_conversations()
    assert conversation.status == "abandoned"
    assert conversation.ended_at is not None and conversation.ended_at <= datetime.now(UTC)


async def test_callback_does_no_hcp_work_and_the_job_writes_the_note_once(
    call, client: httpx.AsyncClient, engine: FakeEngine, store: SqlStore, monkeypatch
) -> None:
    """HCP (the sandbox) is only asked by the outbox job, once, whatever Twilio repeats."""
    hcp = app_of(client).state.runtime.voice.hcp
    job = (await hcp.jobs.list(page_size=1)).items[0]
    booking_engine(engine, store, job.model_dump(mode="json"))
    notes_asked: list[str] = []
    add_note = hcp.jobs.add_note

    async def counting(job_id: str, content: str, **kwargs: Any) -> Any:
        notes_asked.append(job_id)
        return await add_note(job_id, content, **kwargs)

    monkeypatch.setattr(hcp.jobs, "add_note", counting)
    before = len((await hcp.jobs.get(job.id)).notes)
    sim = call()
    await sim.start()
    await sim.say("book me please")
    await sim.press("1")
    await sim.hang_up(duration=95)
    await sim.hang_up(duration=95)  # a retried callback
    await sim.hang_up(duration=95, status="canceled")  # a late, different final status
    assert notes_asked == []  # the callback itself never waited on HCP
    [queued] = await store.list_outbox()
    assert queued.kind == CallEnded.kind

    assert (await run_follow_ups(client, store)).done == 1
    assert notes_asked == [job.id]
    notes = (await hcp.jobs.get(job.id)).notes
    assert len(notes) == before + 1
    assert any("Outcome: booked" in (note.content or "") for note in notes)
    [sms] = [item for item in await store.list_outbox() if item.kind == "sms"]
    assert sms.payload["to"] == sim.caller

    # the same job delivered again (a lease expired mid-run) writes nothing twice
    ended = CallEnded.from_payload(queued.payload)
    voice = app_of(client).state.runtime.voice
    await CallFollowUps(voice).handle(ended, queued, datetime.now(UTC))
    assert notes_asked == [job.id]
    assert len((await hcp.jobs.get(job.id)).notes) == before + 1
    assert len([i for i in await store.list_outbox() if i.kind == "sms"]) == 1
