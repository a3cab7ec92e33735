"""Reactions with an in-memory HCP: agent-made estimates, notices, echoes, vanished records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from .fake_hcp import FakeHcp, window
from .helpers import outbox_by_kind
from .world import world

NOW = datetime(2026, 12, 1, 15, tzinfo=UTC)  # Tuesday 9:00 in Chicago
ANN = "+13125550177"
CUSTOMER = {"id": "cus_1", "first_name": "Ann", "mobile_number": "3125550177"}


def estimate(fake: FakeHcp, lead_source: str | None) -> None:
    fake.add_estimate(
        id="csr_1",
        lead_source=lead_source,
        customer=CUSTOMER,
        address={"id": "adr_1"},
        options=[{"id": "est_1", "name": "Repair", "total_amount": 18950}],
    )


async def test_estimate_made_on_a_call_is_not_texted_twice_but_yes_still_works(
    tmp_path: Path,
) -> None:
    fake = FakeHcp(windows=[window(NOW + timedelta(days=1))])
    estimate(fake, "Phone agent")
    async with world(tmp_path, hcp=fake, now=NOW) as w:
        await w.event({"event": "estimate.created", "estimate": {"id": "csr_1"}})
        await w.settle()
        assert w.texts_to(ANN) == []
        await w.text(ANN, "yes")
        await w.settle()
        assert ("approve_option", "est_1") in fake.calls
        assert w.texts_to(ANN)[0].startswith("Great, Repair is approved! We can come: 1) Wed Dec 2")


async def test_office_reschedule_gets_one_notice_and_our_own_write_none(tmp_path: Path) -> None:
    fake = FakeHcp()
    created = NOW - timedelta(days=3)
    job = {"id": "job_1", "customer": CUSTOMER, "created_at": created, "lead_source": None}
    fake.add_job(**job, schedule={"scheduled_start": NOW + timedelta(days=2),
                                  "arrival_window": 120})  # fmt: skip
    async with world(tmp_path, hcp=fake, now=NOW) as w:
        appointment = {"appointment": {"id": "appt_1", "job_id": "job_1"}}
        await w.event({"event": "job.appointment.rescheduled", **appointment})
        await w.event({"event": "job.scheduled", "job": {"id": "job_1"}})  # same change, twice
        await w.settle()
        (notice,) = w.texts_to(ANN)
        assert "scheduled for Thu Dec 3, 9-11 AM" in notice

        await w.runtime.marks.mark_own_write("job_1", w.clock())
        fake.add_job(**job, schedule={"scheduled_start": NOW + timedelta(days=4)})
        await w.event({"event": "job.scheduled", "job": {"id": "job_1", "v": 2}})
        await w.settle()
        assert len(w.texts_to(ANN)) == 1


async def test_event_for_a_vanished_record_is_closed_not_retried(tmp_path: Path) -> None:
    async with world(tmp_path, hcp=FakeHcp(), now=NOW) as w:
        await w.event({"event": "job.created", "job": {"id": "job_gone"}})
        await w.settle()
        (item,) = await outbox_by_kind(w.store, "hcp_event")
        assert item.status == "done"
        assert await w.store.list_unprocessed_webhooks("hcp") == []


async def test_online_lead_gets_a_request_confirmation(tmp_path: Path) -> None:
    async with world(tmp_path, hcp=FakeHcp(), now=NOW) as w:
        lead = {"id": "lea_1", "lead_source": "Online Booking", "customer": CUSTOMER}
        await w.event({"event": "lead.created", "lead": lead})
        await w.event({"event": "lead.created", "lead": {**lead, "customer": {"id": "x"}}})
        await w.settle()
        (text,) = w.texts_to(ANN)
        assert text.startswith("Hi Ann, thanks for contacting Bright Oak Home Services!")
