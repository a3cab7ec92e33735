"""A whole phone call on the real engine (guided intake) and the HCP sandbox, over signed webhooks.

incoming -> several turns -> booking -> status callback -> summary note + SMS queued, with
a worker restart between two turns and a duplicate delivery of the confirming turn.
"""

from __future__ import annotations

import pytest

from voice_agent.channels.twilio_sim import SimulatedCall
from voice_agent.services import build_sandbox_client
from voice_agent.settings import Settings
from voice_agent.storage import SqlStore

from .conftest import PUBLIC, TOKEN, follow_up, serving

pytestmark = pytest.mark.usefixtures("settings")

NEW_CALLER = "+12125550142"


async def sandbox_jobs(settings: Settings, customer_id: str) -> list[dict[str, object]]:
    client, state = build_sandbox_client(settings)
    try:
        page = await client.jobs.list(customer_id=customer_id)
        return [job.model_dump() for job in page.items]
    finally:
        await client.aclose()
        state.close()


async def test_new_caller_books_a_job_by_phone(vsettings: Settings, store: SqlStore) -> None:
    async with serving(vsettings, store) as client:
        sim = SimulatedCall(client, auth_token=TOKEN, public_base_url=PUBLIC, caller=NEW_CALLER)
        greeting = await sim.start()
        assert "How can I help" in greeting.text
        asked_name = await sim.say("my furnace is making a loud banging noise")
        assert "name" in asked_name.said[-1]
        asked_address = await sim.say("Jane Doe")
        assert "address" in asked_address.said[-1]
        windows = await sim.say("123 Main Street, Springfield, IL 62701")
        assert "works best" in windows.said[-1]

    # The worker restarts between turns: a new app on the same database carries on.
    async with serving(vsettings, store) as client:
        sim.client = client
        read_back = await sim.say("the first one")
        assert "Shall I book that" in read_back.said[-1]
        assert "press 1 for yes" in read_back.said[-1]
        confirm_action = sim.action
        booked = await sim.press("1")
        assert "You're booked: Furnace" in booked.said[-1]
        assert "123 Main Street" in booked.said[-1]
        assert booked.gather is not None

        # Twilio delivers the confirming turn again: same answer, no second job.
        sim.action = confirm_action
        again = await sim.press("1")
        assert again.said[-1] == booked.said[-1]

        ended = await sim.hang_up(duration=184)
        assert ended.status == 200
        await follow_up(client)  # the summary job the callback queued

    [conversation] = await store.list_conversations()
    assert conversation.status == "completed" and conversation.outcome == "booked"
    assert conversation.duration_seconds == 184
    assert conversation.hcp_customer_id
    jobs = await sandbox_jobs(vsettings, conversation.hcp_customer_id)
    assert len(jobs) == 1
    [job] = jobs
    notes = " ".join(str(note) for note in job.get("notes") or [])
    assert "Outcome: booked" in notes and "Caller: Jane Doe" in notes
    writes = {w.operation: w for w in await store.list_hcp_writes(conversation.id)}
    assert writes["create_job"].status == "done"
    assert writes["add_note"].status == "done"
    sms = [item for item in await store.list_outbox() if item.kind == "sms"]
    assert len(sms) == 1
    assert sms[0].payload["to"] == NEW_CALLER and "booked" in sms[0].payload["body"]
