"""Outbound SMS through the outbox: once, retried, given up, never to an opted-out number."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from voice_agent.messaging.dispatcher import OutboxDispatcher, backoff_delay
from voice_agent.messaging.optout import OptOuts
from voice_agent.messaging.outbox import SmsOutbox
from voice_agent.messaging.sender import SmsSendError, TwilioSmsSender, is_retryable
from voice_agent.storage import SqlStore
from voice_agent.testing.fake_twilio import FakeTwilioServer

from .conftest import BUSINESS_NUMBER, Clock
from .helpers import all_messages, outbox_item, queue_sms

CUSTOMER = "+15551230001"
OFFICE = "+15551239999"


def make_dispatcher(
    store: SqlStore, sender: TwilioSmsSender, clock: Clock, worker: str = "w1"
) -> OutboxDispatcher:
    dispatcher = OutboxDispatcher(store, worker=worker, clock=clock, jitter=lambda: 1.0)
    SmsOutbox(
        store,
        sender,
        OptOuts(store, clock=clock),
        from_number=BUSINESS_NUMBER,
        office_number=OFFICE,
        status_callback_url="https://agent.example.com/twilio/sms/status",
    ).register(dispatcher)
    return dispatcher


async def test_sms_is_sent_once_and_recorded(
    store: SqlStore, sender: TwilioSmsSender, fake_twilio: FakeTwilioServer, clock: Clock
) -> None:
    assert await queue_sms(
        store, to=CUSTOMER, body="Booked for Tue.", key="booking:1", due_at=clock.now
    )
    assert not await queue_sms(
        store, to=CUSTOMER, body="Booked for Tue.", key="booking:1", due_at=clock.now
    )
    dispatcher = make_dispatcher(store, sender, clock)

    report = await dispatcher.run_once()
    again = await dispatcher.run_once(clock.advance(hours=1))

    assert (report.done, again.claimed) == (1, 0)
    assert fake_twilio.sent_to(CUSTOMER) == ["Booked for Tue."]
    assert fake_twilio.requests[0]["StatusCallback"].endswith("/twilio/sms/status")
    (message,) = await all_messages(store)
    assert (message.direction, message.provider_id, message.status) == (
        "out",
        fake_twilio.messages[0]["sid"],
        "queued",
    )


async def test_twilio_5xx_is_retried_with_backoff_then_sent_once(
    store: SqlStore, sender: TwilioSmsSender, fake_twilio: FakeTwilioServer, clock: Clock
) -> None:
    await queue_sms(store, to=CUSTOMER, body="Reminder", key="r:1", due_at=clock.now)
    fake_twilio.fail_next(503, times=2)
    dispatcher = make_dispatcher(store, sender, clock)

    first = await dispatcher.run_once()
    item = await outbox_item(store, "r:1")
    assert first.retried == 1 and item.status == "pending"
    assert item.next_attempt_at == clock.now + backoff_delay(1)
    assert (await dispatcher.run_once(clock.advance(seconds=10))).claimed == 0  # not due yet
    assert (await dispatcher.run_once(clock.advance(seconds=20))).retried == 1
    assert (await dispatcher.run_once(clock.advance(minutes=2))).done == 1

    assert fake_twilio.sent_to(CUSTOMER) == ["Reminder"]
    assert len(fake_twilio.requests) == 3


async def test_accepted_then_5xx_is_reconciled_not_resent(
    store: SqlStore, sender: TwilioSmsSender, fake_twilio: FakeTwilioServer, clock: Clock
) -> None:
    await queue_sms(store, to=CUSTOMER, body="Your invoice", key="inv:1", due_at=clock.now)
    fake_twilio.accept_then_fail_next(502)
    dispatcher = make_dispatcher(store, sender, clock)

    assert (await dispatcher.run_once()).retried == 1
    assert (await dispatcher.run_once(clock.advance(minutes=5))).done == 1

    assert fake_twilio.sent_to(CUSTOMER) == ["Your invoice"]
    assert len(fake_twilio.requests) == 1  # the retry asked Twilio first and found it
    assert [m.provider_id for m in await all_messages(store)] == [fake_twilio.messages[0]["sid"]]


async def test_worker_crash_between_claim_and_send_loses_nothing(
    store: SqlStore, sender: TwilioSmsSender, fake_twilio: FakeTwilioServer, clock: Clock
) -> None:
    await queue_sms(store, to=CUSTOMER, body="See you Tuesday", key="k:1", due_at=clock.now)
    # Worker 1 claims the item, then dies before sending.
    (claimed,) = await store.claim_due(clock.now, worker="dead", lease_seconds=120)
    survivor = make_dispatcher(store, sender, clock, worker="w2")

    assert (await survivor.run_once(clock.advance(seconds=60))).claimed == 0  # lease held
    assert (await survivor.run_once(clock.advance(seconds=61))).done == 1
    assert fake_twilio.sent_to(CUSTOMER) == ["See you Tuesday"]
    assert (await outbox_item(store, claimed.idempotency_key)).status == "done"


async def test_worker_crash_between_send_and_complete_sends_no_duplicate(
    store: SqlStore, sender: TwilioSmsSender, fake_twilio: FakeTwilioServer, clock: Clock
) -> None:
    await queue_sms(store, to=CUSTOMER, body="See you Tuesday", key="k:2", due_at=clock.now)
    # Worker 1 claims and sends, then dies before recording completion.
    (claimed,) = await store.claim_due(clock.now, worker="dead", lease_seconds=120)
    await sender.send(to=CUSTOMER, body="See you Tuesday")
    survivor = make_dispatcher(store, sender, clock, worker="w2")

    assert (await survivor.run_once(clock.advance(minutes=3))).done == 1
    assert fake_twilio.sent_to(CUSTOMER) == ["See you Tuesday"]
    assert (await outbox_item(store, claimed.idempotency_key)).status == "done"


async def test_opted_out_number_gets_nothing(
    store: SqlStore, sender: TwilioSmsSender, fake_twilio: FakeTwilioServer, clock: Clock
) -> None:
    await OptOuts(store, clock=clock).opt_out(CUSTOMER, source="STOP")
    await queue_sms(store, to=CUSTOMER, body="Reminder", key="r:2", due_at=clock.now)

    report = await make_dispatcher(store, sender, clock).run_once()

    assert report.given_up == 1 and fake_twilio.requests == []
    item = await outbox_item(store, "r:2")
    assert item.status == "failed" and "opted out" in (item.last_error or "")
    assert [m.status for m in await all_messages(store)] == ["suppressed"]


async def test_twilio_21610_records_the_opt_out_and_stops(
    store: SqlStore, sender: TwilioSmsSender, fake_twilio: FakeTwilioServer, clock: Clock
) -> None:
    fake_twilio.opted_out.add(CUSTOMER)
    await queue_sms(store, to=CUSTOMER, body="One", key="a", due_at=clock.now)
    await queue_sms(store, to=CUSTOMER, body="Two", key="b", due_at=clock.now)

    report = await make_dispatcher(store, sender, clock).run_once()

    assert report.given_up == 2
    assert len(fake_twilio.requests) == 1  # the second was suppressed without asking Twilio
    assert await OptOuts(store).is_opted_out(CUSTOMER)


async def test_permanent_error_is_given_up_at_once(
    store: SqlStore, sender: TwilioSmsSender, fake_twilio: FakeTwilioServer, clock: Clock
) -> None:
    fake_twilio.fail_next(400, 21614)
    await queue_sms(store, to=CUSTOMER, body="Hi", key="c", due_at=clock.now)

    report = await make_dispatcher(store, sender, clock).run_once()

    assert report.given_up == 1
    assert "21614" in ((await outbox_item(store, "c")).last_error or "")


async def test_retries_stop_after_max_attempts(
    store: SqlStore, sender: TwilioSmsSender, fake_twilio: FakeTwilioServer, clock: Clock
) -> None:
    fake_twilio.fail_next(500, times=50)
    await queue_sms(store, to=CUSTOMER, body="Hi", key="d", due_at=clock.now)
    dispatcher = make_dispatcher(store, sender, clock)
    for _ in range(12):
        await dispatcher.run_once(clock.advance(hours=2))
    item = await outbox_item(store, "d")
    assert item.status == "failed" and "after 10 attempts" in (item.last_error or "")


async def test_notify_office_goes_to_office_number(
    store: SqlStore, sender: TwilioSmsSender, fake_twilio: FakeTwilioServer, clock: Clock
) -> None:
    await store.enqueue(
        "notify_office", {"message": "Call back Ann"}, idempotency_key="n:1", due_at=clock.now
    )
    await store.enqueue("hcp_write", {"op": "create_job"}, idempotency_key="h:1", due_at=clock.now)

    report = await make_dispatcher(store, sender, clock).run_once()

    assert fake_twilio.sent_to(OFFICE) == ["[Agent] Call back Ann"]
    assert (report.done, report.skipped) == (1, 1)  # hcp_write is another handler's kind
    assert (await outbox_item(store, "h:1")).status == "pending"


@pytest.mark.parametrize(
    ("status", "code", "retry"),
    [
        (500, 20500, True),
        (429, 20429, True),
        (None, None, True),
        (400, 21211, False),
        (400, 21610, False),
        (404, 20404, False),
    ],
)
def test_retry_classification(status: int | None, code: int | None, retry: bool) -> None:
    assert is_retryable(status, code) is retry


def test_opted_out_error_flag() -> None:
    assert SmsSendError("x", retryable=False, code=21610).opted_out


def test_backoff_is_capped() -> None:
    assert backoff_delay(1) == timedelta(seconds=30)
    assert backoff_delay(3) == timedelta(minutes=2)
    assert backoff_delay(40) == timedelta(hours=1)


async def test_two_workers_at_once_send_each_message_once(
    store: SqlStore, sender: TwilioSmsSender, fake_twilio: FakeTwilioServer, clock: Clock
) -> None:
    numbers = [f"+1312555{n:04d}" for n in range(30)]
    for number in numbers:
        await queue_sms(store, to=number, body="Hello", key=f"hello:{number}", due_at=clock.now)
    first = make_dispatcher(store, sender, clock, worker="w1")
    second = make_dispatcher(store, sender, clock, worker="w2")

    reports = await asyncio.gather(first.run_once(), second.run_once())

    assert sum(r.done for r in reports) == 30
    assert sorted(m["to"] for m in fake_twilio.messages) == numbers
