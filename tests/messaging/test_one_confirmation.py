"""One confirmation per phone booking, whatever lead source HCP finally took.

When the agent's lead source is not configured in HCP the job is created without one; HCP's
`job.created`/`job.scheduled` echo of that job must still be recognised as ours, so the
customer gets the call's confirmation only, not a schedule notice on top.
"""

from __future__ import annotations

from pathlib import Path

from voice_agent.channels.voice import VoiceChannel
from voice_agent.channels.voice_calls import call_ended
from voice_agent.channels.voice_followup import run_call_follow_ups
from voice_agent.engine.events import collect
from voice_agent.services import build_services
from voice_agent.storage.base import NewConversation

from .world import world

JAMES = "+12175550100"  # seeded: James Smith, 6420 Oak St
SID = "CA" + "1" * 32
LINES = ("My AC is blowing warm air", "6420 Oak Street", "the first one", "yes")


async def test_a_booking_with_a_missing_lead_source_texts_once(tmp_path: Path) -> None:
    async with world(tmp_path, booking_lead_source="Not configured in HCP") as w:
        services = build_services(w.settings, w.store, hcp_client=w.hcp, clock=w.clock)
        engine = services.engine
        started = await engine.start(
            NewConversation(channel="voice", external_id=SID, caller=JAMES)
        )
        conv = started.conversation.id
        for line in LINES:
            reply, _ = await collect(engine.respond(conv, line))
        assert "booked" in reply.lower()
        [write] = [w_ for w_ in await w.store.list_hcp_writes(conv) if w_.operation == "create_job"]
        job = w.sandbox.state.sandbox.state.get("jobs", write.hcp_id)
        assert job is not None and job["lead_source"] is None  # HCP did not know ours

        await w.settle()  # HCP's job.created / job.scheduled webhooks reach the follow-ups

        assert await w.store.list_unprocessed_webhooks("hcp") == []  # all of them handled
        voice = VoiceChannel(w.settings, w.store, engine, hcp=w.hcp)
        await call_ended(voice, {"CallSid": SID, "CallStatus": "completed"})
        await run_call_follow_ups(voice)  # the call's own confirmation SMS
        await w.settle()

        texts = [i for i in await w.store.list_outbox() if i.kind == "sms"]
        assert [i.payload.get("to") for i in texts] == [JAMES]
        assert texts[0].payload.get("purpose") == "booking_confirmation"
