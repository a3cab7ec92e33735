"""The dispatcher hands each handler its typed job; a row that fits no kind is failed, kept."""

from __future__ import annotations

from datetime import UTC, datetime

from voice_agent.messaging.dispatcher import OutboxDispatcher
from voice_agent.outbox import Job, NotifyOffice, Outbox, RetryHcpWrite, SendSms, SmsReceived
from voice_agent.storage.base import OutboxItem
from voice_agent.storage.sql import SqlStore

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


class Recorder:
    """Handlers that keep the jobs they were given."""

    def __init__(self) -> None:
        self.jobs: list[Job] = []

    async def handle(self, job: Job, item: OutboxItem, now: datetime) -> None:
        self.jobs.append(job)


def dispatcher_for(store: SqlStore, recorder: Recorder, *kinds: type[Job]) -> OutboxDispatcher:
    dispatcher = OutboxDispatcher(store, worker="w1", clock=lambda: NOW, jitter=lambda: 1.0)
    for kind in kinds:
        dispatcher.register(kind, recorder.handle)
    return dispatcher


async def test_a_put_job_reaches_its_handler_typed(store: SqlStore) -> None:
    sms = SendSms(to="+15125550100", body="Booked", purpose="booking_confirmation")
    assert await Outbox(store).put(sms, idempotency_key="k1", due_at=NOW)
    assert not await Outbox(store).put(sms, idempotency_key="k1", due_at=NOW)
    assert await Outbox(store).put(sms, due_at=NOW)  # no key: a new row every time
    recorder = Recorder()

    report = await dispatcher_for(store, recorder, SendSms).run_once()

    assert report.done == 2 and recorder.jobs == [sms, sms]


async def test_a_row_that_fits_no_kind_is_failed_with_its_reason_and_the_rest_go_on(
    store: SqlStore,
) -> None:
    await store.enqueue("sms", {"to": "+15125550100"}, idempotency_key="bad", due_at=NOW)
    await Outbox(store).put(SendSms(to="+15125550100", body="ok"), idempotency_key="ok", due_at=NOW)
    recorder = Recorder()

    report = await dispatcher_for(store, recorder, SendSms).run_once()

    assert (report.done, report.given_up) == (1, 1)
    assert recorder.jobs == [SendSms(to="+15125550100", body="ok")]
    [bad] = [i for i in await store.list_outbox() if i.idempotency_key == "bad"]
    assert bad.status == "failed" and bad.last_error == "sms job: missing field 'body'"
    assert bad.payload == {"to": "+15125550100"}  # kept as it was, for a person to look at


async def test_rows_queued_before_the_upgrade_are_still_delivered(store: SqlStore) -> None:
    old_rows = [
        ("notify_office", {"message": "Missed transfer", "to": "+1", "reason": "transfer"}),
        ("notify_office", {"text": "Enter by hand", "conversation_id": None}),
        ("sms_in", {"message_sid": "SM1", "from": "+15125550100", "to": "+1", "body": "yes"}),
        ("hcp_write", {"write_id": "w1", "operation": "add_note", "job_id": "j", "content": "c"}),
    ]
    for n, (kind, payload) in enumerate(old_rows):
        await store.enqueue(kind, payload, idempotency_key=f"old:{n}", due_at=NOW)
    recorder = Recorder()
    kinds = (NotifyOffice, SmsReceived, RetryHcpWrite)

    report = await dispatcher_for(store, recorder, *kinds).run_once()

    assert report.done == len(old_rows)
    assert sorted(recorder.jobs, key=repr) == sorted(
        [
            NotifyOffice(text="Missed transfer", reason="transfer"),
            NotifyOffice(text="Enter by hand"),
            SmsReceived(message_sid="SM1", sender="+15125550100", to="+1", body="yes"),
            RetryHcpWrite(
                operation="add_note", request={"job_id": "j", "content": "c"}, write_id="w1"
            ),
        ],
        key=repr,
    )
