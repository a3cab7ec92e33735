"""Overdue invoice → reminders at the right times (quiet hours, cadence, max) → paid → stop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from .test_e2e_estimates import a_customer
from .world import PAY_URL, World, world


async def invoice_for_new_job(w: World, cents: int = 25000) -> tuple[str, str]:
    customer, phone = await a_customer(w)
    job = await w.hcp.jobs.create(
        customer_id=customer["id"],
        address_id=customer["addresses"][0]["id"],
        line_items=[{"name": "Drain cleaning", "unit_price": cents, "quantity": 1}],
    )
    (invoice,) = await w.hcp.jobs.list_invoices(job.id)
    return invoice.id, phone


async def at(w: World, when: datetime) -> None:
    w.clock.now = when
    await w.settle()


async def test_reminders_follow_the_cadence_until_paid(tmp_path: Path) -> None:
    async with world(tmp_path) as w:  # Wed Nov 25 15:00 UTC; invoice due Dec 25 15:00 UTC
        invoice_id, phone = await invoice_for_new_job(w)
        await w.settle()
        due = (await w.hcp.invoices.get(invoice_id)).due_at
        assert due == datetime(2026, 12, 25, 15, tzinfo=UTC)

        await at(w, due - timedelta(minutes=1))
        assert w.texts_to(phone) == []
        await at(w, due)
        (first,) = w.texts_to(phone)
        assert "has $250 past due" in first and PAY_URL in first and "STOP" in first

        await at(w, due + timedelta(days=3) - timedelta(minutes=1))
        assert len(w.texts_to(phone)) == 1
        await at(w, due + timedelta(days=3))
        assert len(w.texts_to(phone)) == 2

        paid = await w.control.post(f"/sandbox/invoices/{invoice_id}/pay", json={})
        assert paid.status_code == 200
        await at(w, due + timedelta(days=30))
        assert len(w.texts_to(phone)) == 2
        reminders = [i for i in await w.store.list_outbox() if i.kind == "invoice_reminder"]
        assert {i.status for i in reminders} == {"done"}


async def test_reminders_stop_at_the_maximum(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        invoice_id, phone = await invoice_for_new_job(w)
        await w.settle()
        for day in range(0, 40):
            await at(w, datetime(2026, 12, 25, 15, tzinfo=UTC) + timedelta(days=day))
        assert len(w.texts_to(phone)) == 3


async def test_reminder_due_in_quiet_hours_waits_for_the_morning(tmp_path: Path) -> None:
    # Created at 03:30 UTC (21:30 in Chicago): due 30 days later, also at night.
    async with world(tmp_path, now=datetime(2026, 11, 26, 3, 30, tzinfo=UTC)) as w:
        invoice_id, phone = await invoice_for_new_job(w)
        await w.settle()
        await at(w, datetime(2026, 12, 26, 3, 31, tzinfo=UTC))
        await at(w, datetime(2026, 12, 26, 14, 59, tzinfo=UTC))  # 8:59 in Chicago
        assert w.texts_to(phone) == []
        await at(w, datetime(2026, 12, 26, 15, 0, tzinfo=UTC))  # 9:00 in Chicago
        assert len(w.texts_to(phone)) == 1


async def test_paid_event_before_created_event_schedules_nothing(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        invoice_id, phone = await invoice_for_new_job(w)
        await w.control.post(f"/sandbox/invoices/{invoice_id}/pay", json={})
        events = w.sandbox.state.sandbox.webhooks.events
        created = next(e for e in events if e["event"] == "invoice.created")
        await w.sandbox.state.sandbox.webhooks.drain()
        await w.event({"event": "invoice.paid", "invoice": created["invoice"] | {"x": 1}})
        await w.event(created | {"redelivered": True})  # late, stale copy of the creation
        await w.settle()
        await at(w, datetime(2027, 2, 1, 15, tzinfo=UTC))
        assert w.texts_to(phone) == []
        assert [i for i in await w.store.list_outbox() if i.kind == "invoice_reminder"] == []


async def test_stop_ends_reminders(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        invoice_id, phone = await invoice_for_new_job(w)
        await w.settle()
        await at(w, datetime(2026, 12, 25, 15, tzinfo=UTC))
        assert len(w.texts_to(phone)) == 1
        await w.text(phone, "STOP")
        await w.settle()
        for day in range(1, 15):
            await at(w, datetime(2026, 12, 25, 15, tzinfo=UTC) + timedelta(days=day))
        assert len(w.texts_to(phone)) == 1
        assert len(w.twilio.requests) == 1  # nothing was even attempted


async def test_twilio_outage_delays_a_reminder_but_sends_it_once(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        invoice_id, phone = await invoice_for_new_job(w)
        await w.settle()
        w.twilio.fail_next(503, times=2)
        w.twilio.accept_then_fail_next(500)  # the third try reaches the phone but answers 500
        await at(w, datetime(2026, 12, 25, 15, tzinfo=UTC))
        for minutes in (1, 2, 4, 8, 16):
            await at(w, datetime(2026, 12, 25, 15, tzinfo=UTC) + timedelta(minutes=minutes))
        assert len(w.texts_to(phone)) == 1
        assert len(w.twilio.requests) == 3
