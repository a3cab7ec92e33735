"""The owner digest: what it says, when it goes out, and that it goes out once."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr
from sqlalchemy import Table, update
from typer.testing import CliRunner

from voice_agent.cli import app
from voice_agent.followups.digest import (
    MAX_LATE,
    Booking,
    Digest,
    OwnerDigest,
    build_digest,
    due_digest,
    last_closed_period,
    period_ending,
    render_email,
    render_sms,
)
from voice_agent.followups.runtime import build_runtime
from voice_agent.messaging.sender import TwilioSmsSender
from voice_agent.settings import Settings
from voice_agent.storage import SqlStore, open_store, upgrade
from voice_agent.storage.base import Conversation, NewConversation
from voice_agent.storage.sql import conversations, hcp_writes, messages
from voice_agent.testing.fake_twilio import FakeTwilioServer

from .conftest import Clock
from .helpers import outbox_by_kind

CHICAGO = ZoneInfo("America/Chicago")
OWNER = "+15125550199"
# The period that closes at 18:00 on Tuesday, December 1 2026 (Chicago, CST = UTC-6).
START = datetime(2026, 11, 30, 18, 0, tzinfo=CHICAGO)
END = datetime(2026, 12, 1, 18, 0, tzinfo=CHICAGO)
EXPECTED_SMS = (
    "Bright Oak Home Services daily summary, Tue Dec 1: 4 calls, 1 text chat. "
    "Booked 1: Dana, Water heater repair, between 8 and 10 tomorrow morning. "
    "Emergencies 1: Lee 2:14 PM, put through to on-call. "
    "Waiting for you 2: Pat (message); Kim (cancellation request). "
    "Problems: 1 text not sent; 1 conversation fell back to guided intake; 1 text undelivered."
)


def local(hour: int, minute: int = 0, day: int = 1) -> datetime:
    """A Chicago time on December `day`, 2026."""
    return datetime(2026, 12, day, hour, minute, tzinfo=CHICAGO)


def with_digest(settings: Settings, **values: Any) -> Settings:
    return settings.model_copy(update=values)


async def _stamp(store: SqlStore, table: Table, row_id: str, **values: Any) -> None:
    async with store.engine.begin() as conn:
        await conn.execute(update(table).where(table.c.id == row_id).values(**values))


async def seed_conversation(
    store: SqlStore,
    external_id: str,
    at: datetime,
    *,
    channel: str = "voice",
    caller: str = "+15125550101",
    state: dict[str, Any] | None = None,
    outcome: str | None = None,
    status: str = "completed",
    test_mode: bool = False,
) -> Conversation:
    new = NewConversation(
        channel=channel,  # type: ignore[arg-type]
        external_id=external_id,
        caller=caller,
        test_mode=test_mode,
    )
    conversation, _ = await store.create_conversation(new)
    if state:
        await store.save_state(conversation.id, state, expected_version=conversation.version)
    fields: dict[str, Any] = {"status": status}
    if outcome:
        fields["outcome"] = outcome
    await store.update_conversation(conversation.id, **fields)
    await _stamp(store, conversations, conversation.id, started_at=at)
    found = await store.get_conversation(conversation.id)
    assert found is not None
    return found


async def seed_booking(
    store: SqlStore, conversation: Conversation, start: datetime, *, booked_at: datetime
) -> None:
    request = {
        "schedule": {
            "scheduled_start": start.astimezone(UTC).isoformat(),
            "scheduled_end": (start + timedelta(hours=2)).astimezone(UTC).isoformat(),
        }
    }
    key = f"{conversation.id}:book:{start.isoformat()}"
    write, _ = await store.begin_hcp_write(conversation.id, "create_job", key, request)
    await store.finish_hcp_write(write.id, status="done", hcp_id=f"job_{conversation.external_id}")
    await _stamp(store, hcp_writes, write.id, created_at=booked_at, updated_at=booked_at)


async def seed_day(store: SqlStore) -> None:
    """A day with a booking, an emergency, two waiting messages and three failures."""
    dana = await seed_conversation(
        store,
        "CA-dana",
        local(9),
        caller="+15125550111",
        state={"first_name": "Dana", "job_type_name": "Water heater repair", "outcome": "booked"},
        outcome="booked",
    )
    await seed_booking(store, dana, local(8, day=2), booked_at=local(9, 4))
    await seed_conversation(
        store,
        "CA-lee",
        local(14, 14),
        caller="+15125550122",
        state={"first_name": "Lee", "outcome": "emergency"},
        outcome="transferred",  # the on-call tech picked up
    )
    pat = await seed_conversation(
        store,
        "CA-pat",
        local(15, 5),
        caller="+15125550133",
        state={"first_name": "Pat Quinn", "outcome": "message"},
        outcome="message",
    )
    await store.add_tool_call(
        pat.id,
        2,
        "take_message",
        {"message": "Please call me about the invoice"},
        {"message_taken": True},
        None,
        4.0,
    )
    await seed_conversation(
        store,
        "CA-kim",
        local(16, 10),
        state={"first_name": "Kim", "outcome": "cancel_requested"},
        outcome="cancel_requested",
    )
    await seed_conversation(
        store,
        "sms-sam",
        local(11),
        channel="sms",
        state={"first_name": "Sam", "mode": "guided", "fallback_reason": "model timed out"},
        status="active",
    )
    # Left out: a test-line booking, and a call before the period.
    test = await seed_conversation(
        store, "web-test", local(10), channel="web", state={"first_name": "Tess"}, test_mode=True
    )
    await seed_booking(store, test, local(10, day=3), booked_at=local(10, 5))
    await seed_conversation(store, "CA-old", START - timedelta(minutes=1), outcome="message")
    # A text given up in the period (and a test-line one, left out), and one undelivered.
    await store.enqueue("sms", {"to": "+1", "body": "x"}, idempotency_key="s1", due_at=local(12))
    await store.enqueue(
        "sms", {"to": "+1", "body": "y", "conversation_id": test.id}, idempotency_key="s2",
        due_at=local(12),
    )  # fmt: skip
    for item in await store.claim_due(local(12), worker="w"):
        await store.give_up(item.id, "twilio answered 400 (code 21211)")
    sent, _ = await store.record_message(
        direction="out", from_number="+1500", to_number="+1555", body="hi", status="undelivered"
    )
    await _stamp(store, messages, sent.id, created_at=local(13))


# -- content -------------------------------------------------------------------------------


async def test_digest_of_a_seeded_day(store: SqlStore, settings: Settings) -> None:
    await seed_day(store)

    digest = await build_digest(store, settings, START, END)

    assert (digest.calls, digest.texts) == (4, 1)
    assert [(b.first_name, b.job_type, b.when) for b in digest.bookings] == [
        ("Dana", "Water heater repair", "between 8 and 10 tomorrow morning")
    ]
    assert [(e.first_name, e.result) for e in digest.emergencies] == [
        ("Lee", "put through to on-call")
    ]
    assert [(w.first_name, w.what, w.note) for w in digest.waiting] == [
        ("Pat", "message", "Please call me about the invoice"),
        ("Kim", "cancellation request", ""),
    ]
    assert render_sms(digest) == EXPECTED_SMS
    assert not re.search(r"\d{4,}", render_sms(digest).replace("2026", ""))  # no numbers


async def test_email_digest_lists_everything(store: SqlStore, settings: Settings) -> None:
    await seed_day(store)

    subject, body = render_email(await build_digest(store, settings, START, END))

    assert subject == (
        "Bright Oak Home Services: daily summary, Tue Dec 1 "
        "(4 calls, 1 booked, 2 waiting, 3 problems)"
    )
    assert "Mon Nov 30 6:00 PM to Tue Dec 1 6:00 PM (CST)" in body
    for line in (
        "Calls answered: 4",
        "Text conversations: 1",
        "- Dana: Water heater repair, between 8 and 10 tomorrow morning",
        "- 2:14 PM Lee: put through to on-call",
        '- 3:05 PM Pat: message - "Please call me about the invoice"',
        "- 4:10 PM Kim: cancellation request",
        "- 1 text not sent",
        "- 1 conversation fell back to guided intake",
        "- 1 text undelivered",
    ):
        assert line in body.splitlines(), line
    assert "Tess" not in body and "5550111" not in body


async def test_failed_hcp_write_and_failed_call_are_problems(
    store: SqlStore, settings: Settings
) -> None:
    call = await seed_conversation(store, "CA-1", local(10), status="failed")
    write, _ = await store.begin_hcp_write(call.id, "create_lead", "lead-1", {})
    await store.finish_hcp_write(write.id, status="failed", error="HCP said 500")
    await _stamp(store, hcp_writes, write.id, updated_at=local(10, 1))

    digest = await build_digest(store, settings, START, END)

    assert digest.failures.lines() == [
        "1 HCP write failed (create_lead)",
        "1 conversation ended in error",
    ]
    assert render_sms(digest).endswith(
        "Problems: 1 HCP write failed (create_lead); 1 conversation ended in error."
    )


def test_long_digest_fits_three_sms_segments() -> None:
    bookings = tuple(
        Booking(f"Customer{i}", "Air conditioner tune-up", "between 1 and 3 on Thursday", END)
        for i in range(12)
    )
    digest = Digest("Bright Oak Home Services", START, END, calls=12, bookings=bookings)

    text = render_sms(digest)

    assert len(text) <= 459
    assert "Booked 12: Customer0, Air conditioner tune-up" in text
    assert re.search(r"\+\d+ more\.", text)


def test_sms_folds_accents_and_keeps_other_scripts_short() -> None:
    accented = (Booking("José", "Reparación", "between 1 and 3 on Thursday", END),)
    other = tuple(
        Booking(f"\u738b{i}", "Drain cleaning", "between 1 and 3 on Thursday", END)
        for i in range(6)
    )

    folded = render_sms(Digest("Peña’s Plumbing", START, END, calls=1, bookings=accented))
    unicode = render_sms(Digest("Demo", START, END, calls=6, bookings=other))

    assert folded.startswith("Pena's Plumbing daily summary") and "Jose, Reparacion" in folded
    assert folded.isascii()
    assert len(unicode) <= 201 and "\u738b0, Drain cleaning" in unicode  # 3 UCS-2 segments


# -- periods -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "hours"),
    [
        (date(2026, 3, 8), 23),  # clocks go forward at 2:00 on Sunday, March 8
        (date(2026, 11, 1), 25),  # clocks go back at 2:00 on Sunday, November 1
        (date(2026, 12, 1), 24),
    ],
)
def test_periods_close_at_local_time_across_dst(settings: Settings, day: date, hours: int) -> None:
    period = period_ending(day, settings)

    assert period.end.astimezone(CHICAGO).timetuple()[:5] == (*day.timetuple()[:3], 18, 0)
    assert period.start.astimezone(CHICAGO).hour == 18
    # Aware datetimes in one zone subtract as wall-clock times: measure the real hours in UTC.
    assert period.end.astimezone(UTC) - period.start.astimezone(UTC) == timedelta(hours=hours)


def test_a_digest_time_skipped_by_dst_moves_forward(settings: Settings) -> None:
    at_half_two = with_digest(settings, owner_digest_time="02:30")

    period = period_ending(date(2026, 3, 8), at_half_two)

    assert period.end == datetime(2026, 3, 8, 8, 30, tzinfo=UTC)  # 03:30 CDT
    assert period.start == datetime(2026, 3, 7, 8, 30, tzinfo=UTC)  # 02:30 CST


def test_due_digest_is_the_period_that_just_closed(settings: Settings) -> None:
    owner = with_digest(settings, owner_digest_phone=OWNER)

    assert due_digest(local(18, 0), settings) is None  # no destination set
    early = due_digest(local(5, 0), owner)  # 11 hours after Monday's close: still sent
    assert early is not None and early.end == START
    assert due_digest(local(17, 59), owner) is None  # Monday's is too late, Tuesday's not due
    after = due_digest(local(18, 0), owner)
    assert after is not None and (after.start, after.end) == (START, END)
    assert after.key("sms") == "digest:daily:2026-11-30:sms"
    assert due_digest(END + MAX_LATE + timedelta(minutes=1), owner) is None  # too late


def test_weekly_period_closes_on_sunday(settings: Settings) -> None:
    weekly = with_digest(settings, owner_digest_period="weekly")

    period = last_closed_period(local(12), weekly)  # Tuesday noon

    assert period.end == datetime(2026, 11, 29, 18, 0, tzinfo=CHICAGO)  # Sunday
    assert period.start == datetime(2026, 11, 22, 18, 0, tzinfo=CHICAGO)
    assert period.key("email") == "digest:weekly:2026-11-22:email"


# -- enqueueing ------------------------------------------------------------------------------


async def test_nothing_to_say_enqueues_nothing(store: SqlStore, settings: Settings) -> None:
    owner = with_digest(settings, owner_digest_phone=OWNER)
    await seed_conversation(store, "web-1", local(10), channel="web", test_mode=True)

    async def source() -> Settings:
        return owner

    result = await OwnerDigest(store, source).check(END + timedelta(minutes=1))

    assert result is not None and result.skipped == "nothing to say"
    assert await store.list_outbox() == []
    # The period is recorded as handled, so a later tick (another worker) does not rebuild it.
    await seed_conversation(store, "CA-late", local(11))
    assert await OwnerDigest(store, source).check(END + timedelta(minutes=2)) is None
    assert await store.list_outbox() == []


async def test_ticks_and_workers_enqueue_one_digest_per_period(
    store: SqlStore, settings: Settings
) -> None:
    owner = with_digest(
        settings,
        owner_digest_phone=OWNER,
        owner_digest_email="owner@example.com",
        smtp_url=SecretStr("smtp://127.0.0.1:2525"),
        email_from="agent@example.com",
    )
    await seed_conversation(store, "CA-1", local(10), state={"first_name": "Ann"})

    async def source() -> Settings:
        return owner

    first, second = OwnerDigest(store, source), OwnerDigest(store, source)
    results = await asyncio.gather(
        first.check(END + timedelta(seconds=1)), second.check(END + timedelta(seconds=1))
    )
    await first.check(END + timedelta(seconds=20))
    await second.check(END + timedelta(hours=3))

    assert sorted(q for r in results if r for q in r.queued) == ["email", "sms"]
    (sms,) = await outbox_by_kind(store, "sms")
    (email,) = await outbox_by_kind(store, "email")
    assert sms.payload["to"] == OWNER and sms.payload["purpose"] == "owner_digest"
    assert sms.payload["body"].startswith(
        "Bright Oak Home Services daily summary, Tue Dec 1: 1 call"
    )
    assert email.idempotency_key == "digest:daily:2026-11-30:email"
    assert email.payload["subject"].startswith("Bright Oak Home Services: daily summary, Tue Dec 1")
    # The next day's period gets its own digest.
    await seed_conversation(store, "CA-2", local(10, day=2))
    await first.check(local(18, 1, day=2))
    assert len(await outbox_by_kind(store, "sms")) == 2


async def test_runtime_sends_the_sms_digest_once_even_in_quiet_hours(
    store: SqlStore,
    settings: Settings,
    sender: TwilioSmsSender,
    fake_twilio: FakeTwilioServer,
) -> None:
    owner = with_digest(
        settings,
        owner_digest_phone=OWNER,
        owner_digest_time="22:00",  # inside the default quiet hours (21:00-09:00)
        twilio_phone_number="+15005550006",
    )
    await seed_conversation(store, "CA-1", local(10), state={"first_name": "Ann"})
    clock = Clock(local(22, 0, day=1) + timedelta(seconds=5))
    runtime = build_runtime(owner, store=store, hcp=None, sender=sender, clock=clock)

    await runtime.run_once()
    clock.advance(minutes=1)
    await runtime.run_once()

    (body,) = fake_twilio.sent_to(OWNER)
    assert body.startswith(
        "Bright Oak Home Services daily summary, Tue Dec 1: 1 call, 0 text chats."
    )


async def test_opted_out_owner_gets_no_sms_digest(
    store: SqlStore,
    settings: Settings,
    sender: TwilioSmsSender,
    fake_twilio: FakeTwilioServer,
) -> None:
    owner = with_digest(settings, owner_digest_phone=OWNER, twilio_phone_number="+15005550006")
    await seed_conversation(store, "CA-1", local(10))
    clock = Clock(END + timedelta(seconds=5))
    runtime = build_runtime(owner, store=store, hcp=None, sender=sender, clock=clock)
    await runtime.optouts.opt_out(OWNER, source="keyword")

    await runtime.run_once()

    assert fake_twilio.sent_to(OWNER) == []
    (item,) = await outbox_by_kind(store, "sms")
    assert item.status == "failed" and "opted out" in (item.last_error or "")


async def test_saved_dashboard_settings_reach_the_digest(
    store: SqlStore, settings: Settings
) -> None:
    await store.set_setting("owner_digest_phone", OWNER)
    await store.set_setting("owner_digest_time", "07:30")
    await seed_conversation(store, "CA-1", local(6), state={"first_name": "Ann"})
    clock = Clock(local(7, 31))
    runtime = build_runtime(settings, store=store, hcp=None, sender=None, clock=clock)

    await runtime.run_once()

    (item,) = await outbox_by_kind(store, "sms")
    assert item.payload["to"] == OWNER
    assert item.idempotency_key == "digest:daily:2026-11-30:sms"


# -- command line ----------------------------------------------------------------------------


def test_cli_previews_then_queues_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_PHONE_NUMBER", "DATABASE_URL",
                 "HCP_API_KEY", "HCP_BASE_URL", "OPENAI_API_KEY", "BUSINESS_TIMEZONE",
                 "BUSINESS_NAME", "OWNER_DIGEST_EMAIL", "OWNER_DIGEST_TIME",
                 "OWNER_DIGEST_PERIOD"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OWNER_DIGEST_PHONE", OWNER)
    monkeypatch.chdir(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path / 'voice-agent.db'}"

    async def prepare() -> None:
        await upgrade(url)
        store = open_store(url)
        try:
            await seed_day(store)
        finally:
            await store.close()

    asyncio.run(prepare())
    runner = CliRunner()

    preview = runner.invoke(app, ["digest", "--preview", "--date", "2026-12-01"])
    queued = runner.invoke(app, ["digest", "--date", "2026-12-01"])
    again = runner.invoke(app, ["digest", "--date", "2026-12-01"])
    bad = runner.invoke(app, ["digest", "--date", "yesterday"])

    assert preview.exit_code == 0, preview.output
    assert EXPECTED_SMS in preview.output
    assert "Subject: Bright Oak Home Services: daily summary, Tue Dec 1" in preview.output
    assert queued.exit_code == 0 and "queued: sms" in queued.output, queued.output
    assert again.exit_code == 0 and "not queued: already queued" in again.output
    assert bad.exit_code != 0

    async def outbox() -> list[tuple[str, str]]:
        store = open_store(url)
        try:
            return [(i.kind, i.idempotency_key) for i in await store.list_outbox()]
        finally:
            await store.close()

    assert ("sms", "digest:daily:2026-11-30:sms") in asyncio.run(outbox())
