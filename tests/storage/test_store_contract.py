"""The `Store` contract, run against SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from voice_agent.errors import StorageError
from voice_agent.storage.base import CredentialRecord, NewConversation, NewTurn, StaleStateError
from voice_agent.storage.sql import SqlStore

StoreFactory = Callable[[], SqlStore]
CALLER = "+15555550100"
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _new(external_id: str = "CA-test-1", channel: str = "voice") -> NewConversation:
    return NewConversation(channel=channel, external_id=external_id, caller=CALLER)  # type: ignore[arg-type]


async def test_create_conversation_once_per_external_id(store: SqlStore) -> None:
    first, created = await store.create_conversation(_new())
    again, created_again = await store.create_conversation(_new())
    assert (created, created_again) == (True, False)
    assert again == first
    assert first.status == "active" and first.state == {} and first.version == 1
    assert first.started_at.tzinfo is not None and first.started_at.utcoffset() == timedelta(0)
    assert await store.get_conversation(first.id) == first
    assert await store.find_conversation("voice", "CA-test-1") == first
    assert await store.find_conversation("sms", "CA-test-1") is None
    assert await store.get_conversation("missing") is None


async def test_concurrent_creates_make_one_conversation(store_factory: StoreFactory) -> None:
    stores = [store_factory() for _ in range(3)]
    try:
        results = await asyncio.gather(
            *(stores[i % 3].create_conversation(_new("CA-race")) for i in range(12))
        )
    finally:
        for s in stores:
            await s.close()
    assert sum(created for _, created in results) == 1
    assert len({conv.id for conv, _ in results}) == 1


async def test_save_state_is_optimistic(store: SqlStore) -> None:
    conv, _ = await store.create_conversation(_new())
    v2 = await store.save_state(conv.id, {"step": "address"}, expected_version=conv.version)
    assert v2 == conv.version + 1
    with pytest.raises(StaleStateError):
        await store.save_state(conv.id, {"step": "lost"}, expected_version=conv.version)
    loaded = await store.get_conversation(conv.id)
    assert loaded is not None and loaded.state == {"step": "address"} and loaded.version == v2
    with pytest.raises(StorageError):
        await store.save_state("missing", {}, expected_version=1)


async def test_finish_turn_records_saves_and_updates_in_one_go(store: SqlStore) -> None:
    conv, _ = await store.create_conversation(_new())
    reply = NewTurn(1, "agent", "Booked.", {"latency_ms": 12})
    fields = {"status": "completed", "outcome": "booked", "ended_at": T0}
    v2 = await store.finish_turn(
        conv.id, reply, {"step": "done"}, expected_version=conv.version, fields=fields
    )
    assert v2 == conv.version + 1
    loaded = await store.get_conversation(conv.id)
    assert loaded is not None and loaded.state == {"step": "done"} and loaded.version == v2
    assert (loaded.status, loaded.outcome, loaded.ended_at) == ("completed", "booked", T0)
    [turn] = await store.list_turns(conv.id)
    assert (turn.seq, turn.role, turn.text, turn.meta) == (
        1,
        "agent",
        "Booked.",
        {"latency_ms": 12},
    )
    # stale: the turn is still recorded, the state and the fields are not
    late = NewTurn(2, "agent", "Late.")
    stale = await store.finish_turn(
        conv.id, late, {"step": "lost"}, expected_version=conv.version, fields={"outcome": "x"}
    )
    assert stale is None
    again = await store.get_conversation(conv.id)
    assert again == loaded
    assert [t.text for t in await store.list_turns(conv.id)] == ["Booked.", "Late."]
    # a retried turn is not duplicated
    v3 = await store.finish_turn(conv.id, late, {"step": "retried"}, expected_version=v2)
    assert v3 == v2 + 1
    assert [t.text for t in await store.list_turns(conv.id)] == ["Booked.", "Late."]
    with pytest.raises(ValueError):
        await store.finish_turn(conv.id, late, {}, expected_version=v3, fields={"state": {}})
    with pytest.raises(StorageError):
        await store.finish_turn("missing", NewTurn(1, "agent", "x"), {}, expected_version=1)


async def test_finish_turn_releases_its_lease_even_when_stale(store: SqlStore) -> None:
    conv, _ = await store.create_conversation(_new())
    later = T0 + timedelta(minutes=1)
    assert await store.acquire_lease("turn:a", "me", now=T0, until=later)
    assert await store.acquire_lease("turn:b", "other", now=T0, until=later)
    v2 = await store.finish_turn(
        conv.id, NewTurn(1, "agent", "Hi."), {"n": 1}, expected_version=conv.version,
        release=("turn:a", "me"),
    )  # fmt: skip
    assert v2 == conv.version + 1
    assert await store.lease_owner("turn:a", now=T0) is None
    stale = await store.finish_turn(
        conv.id, NewTurn(2, "agent", "Late."), {"n": 2}, expected_version=conv.version,
        release=("turn:b", "me"),  # not mine: it stays
    )  # fmt: skip
    assert stale is None
    assert await store.lease_owner("turn:b", now=T0) == "other"
    assert await store.acquire_lease("turn:c", "me", now=T0, until=later)
    await store.finish_turn(
        conv.id, NewTurn(3, "agent", "Stale again."), {}, expected_version=conv.version,
        release=("turn:c", "me"),
    )  # fmt: skip
    assert await store.lease_owner("turn:c", now=T0) is None
    loaded = await store.get_conversation(conv.id)
    assert loaded is not None and (loaded.version, loaded.state) == (v2, {"n": 1})
    assert [t.text for t in await store.list_turns(conv.id)] == ["Hi.", "Late.", "Stale again."]


async def test_concurrent_save_state_has_one_winner(store_factory: StoreFactory) -> None:
    stores = [store_factory() for _ in range(2)]
    try:
        conv, _ = await stores[0].create_conversation(_new())
        outcomes = await asyncio.gather(
            *(
                stores[i % 2].save_state(conv.id, {"writer": i}, expected_version=conv.version)
                for i in range(6)
            ),
            return_exceptions=True,
        )
    finally:
        for s in stores:
            await s.close()
    assert [o for o in outcomes if isinstance(o, int)] == [conv.version + 1]
    assert sum(isinstance(o, StaleStateError) for o in outcomes) == 5


async def test_concurrent_finish_turns_have_one_winner_and_keep_every_turn(
    store_factory: StoreFactory,
) -> None:
    stores = [store_factory() for _ in range(2)]
    try:
        conv, _ = await stores[0].create_conversation(_new())
        outcomes = await asyncio.gather(
            *(
                stores[i % 2].finish_turn(
                    conv.id,
                    NewTurn(i + 1, "agent", f"reply {i}"),
                    {"writer": i},
                    expected_version=conv.version,
                    fields={"outcome": f"o{i}"},
                )  # fmt: skip
                for i in range(6)
            )
        )
        stored = await stores[1].get_conversation(conv.id)
        turns = await stores[1].list_turns(conv.id)
    finally:
        for s in stores:
            await s.close()
    assert sorted(outcomes, key=str) == [conv.version + 1] + [None] * 5
    winner = next(i for i, o in enumerate(outcomes) if o is not None)
    assert stored is not None and stored.version == conv.version + 1
    assert (stored.state, stored.outcome) == ({"writer": winner}, f"o{winner}")
    assert sorted(t.text for t in turns) == [f"reply {i}" for i in range(6)]


async def test_update_and_list_conversations(store: SqlStore) -> None:
    a, _ = await store.create_conversation(_new("A"))
    b, _ = await store.create_conversation(_new("B", channel="sms"))
    await store.update_conversation(
        a.id, status="completed", outcome="booked", ended_at=T0, duration_seconds=95
    )
    done = await store.get_conversation(a.id)
    assert done is not None
    assert (done.status, done.outcome, done.ended_at, done.duration_seconds) == (
        "completed",
        "booked",
        T0,
        95,
    )
    with pytest.raises(ValueError, match="state"):
        await store.update_conversation(a.id, state={})
    with pytest.raises(StorageError):
        await store.update_conversation("missing", status="failed")
    assert [c.id for c in await store.list_conversations()] == [b.id, a.id]
    assert [c.id for c in await store.list_conversations(channel="sms")] == [b.id]
    assert [c.id for c in await store.list_conversations(limit=1, offset=1)] == [a.id]


async def test_turns_are_idempotent_and_ordered(store: SqlStore) -> None:
    conv, _ = await store.create_conversation(_new())
    assert await store.add_turn(conv.id, 2, "agent", "When works for you?")
    assert await store.add_turn(conv.id, 1, "caller", "My AC is out", {"confidence": 0.9})
    assert not await store.add_turn(conv.id, 1, "caller", "My AC is out (retry)")
    assert await store.add_turn(conv.id, 1, "agent", "Sorry to hear that")
    turns = await store.list_turns(conv.id)
    assert [(t.seq, t.role, t.text) for t in turns] == [
        (1, "caller", "My AC is out"),
        (1, "agent", "Sorry to hear that"),
        (2, "agent", "When works for you?"),
    ]
    assert turns[0].meta == {"confidence": 0.9} and turns[1].meta == {}
    with pytest.raises(StorageError):
        await store.add_turn("no-such-conversation", 1, "caller", "hello")


async def test_tool_calls_round_trip(store: SqlStore) -> None:
    conv, _ = await store.create_conversation(_new())
    ok = await store.add_tool_call(
        conv.id, 1, "find_customer", {"phone": CALLER}, [{"id": "cus_1"}], None, 12.5
    )
    failed = await store.add_tool_call(conv.id, 2, "book_job", {}, None, "HCP timed out", 5000.0)
    assert await store.list_tool_calls(conv.id) == [ok, failed]


async def test_hcp_write_is_recorded_once_per_key(store_factory: StoreFactory) -> None:
    stores = [store_factory() for _ in range(2)]
    try:
        conv, _ = await stores[0].create_conversation(_new())
        results = await asyncio.gather(
            *(
                stores[i % 2].begin_hcp_write(conv.id, "create_job", "job:CA-1", {"n": i})
                for i in range(6)
            )
        )
        assert sum(new for _, new in results) == 1
        write = results[0][0]
        assert write.status == "pending" and write.response is None
        await stores[0].finish_hcp_write(
            write.id, status="done", hcp_id="job_1", response={"id": "job_1"}
        )
        [done] = await stores[1].list_hcp_writes(conv.id)
        assert (done.status, done.hcp_id, done.response, done.error) == (
            "done",
            "job_1",
            {"id": "job_1"},
            None,
        )
        again, new = await stores[1].begin_hcp_write(conv.id, "create_job", "job:CA-1", {})
        assert not new and again.hcp_id == "job_1"
        with pytest.raises(StorageError):
            await stores[0].finish_hcp_write("missing", status="failed", error="x")
    finally:
        for s in stores:
            await s.close()


async def test_outbox_lifecycle(store: SqlStore) -> None:
    assert await store.enqueue("sms", {"to": CALLER}, idempotency_key="sms:1", due_at=T0)
    assert not await store.enqueue("sms", {"to": "other"}, idempotency_key="sms:1", due_at=T0)
    assert await store.enqueue(
        "sms", {}, idempotency_key="sms:later", due_at=T0 + timedelta(hours=1)
    )
    assert await store.claim_due(T0 - timedelta(seconds=1), worker="w1") == []

    [item] = await store.claim_due(T0, worker="w1", lease_seconds=30)
    assert (item.idempotency_key, item.payload, item.status, item.claimed_by, item.attempts) == (
        "sms:1",
        {"to": CALLER},
        "claimed",
        "w1",
        1,
    )
    assert item.claimed_until == T0 + timedelta(seconds=30)
    assert await store.claim_due(T0 + timedelta(seconds=29), worker="w2") == []
    [reclaimed] = await store.claim_due(T0 + timedelta(seconds=30), worker="w2")
    assert (reclaimed.id, reclaimed.claimed_by, reclaimed.attempts) == (item.id, "w2", 2)

    await store.retry_later(item.id, "Twilio 503", T0 + timedelta(minutes=5))
    [pending] = [i for i in await store.list_outbox(status="pending") if i.id == item.id]
    assert (pending.last_error, pending.claimed_by, pending.claimed_until) == (
        "Twilio 503",
        None,
        None,
    )
    assert pending.next_attempt_at == T0 + timedelta(minutes=5)

    later = T0 + timedelta(hours=2)
    claimed = await store.claim_due(later, worker="w1")
    assert [i.idempotency_key for i in claimed] == ["sms:1", "sms:later"]
    await store.complete(claimed[0].id)
    await store.give_up(claimed[1].id, "number unreachable")
    assert [i.idempotency_key for i in await store.list_outbox(status="done")] == ["sms:1"]
    [failed] = await store.list_outbox(status="failed")
    assert failed.last_error == "number unreachable"
    assert await store.claim_due(later + timedelta(days=1), worker="w1") == []
    with pytest.raises(StorageError):
        await store.complete("missing")


async def test_concurrent_claimers_never_share_an_item(store_factory: StoreFactory) -> None:
    stores = [store_factory() for _ in range(3)]
    try:
        for n in range(40):
            await stores[0].enqueue("sms", {"n": n}, idempotency_key=f"k{n}", due_at=T0)

        async def worker(index: int) -> list[str]:
            got: list[str] = []
            while batch := await stores[index % 3].claim_due(T0, worker=f"w{index}", limit=3):
                got.extend(item.id for item in batch)
            return got

        claims = await asyncio.gather(*(worker(i) for i in range(6)))
    finally:
        for s in stores:
            await s.close()
    every = [item_id for got in claims for item_id in got]
    assert len(every) == 40 and len(set(every)) == 40


async def test_messages(store: SqlStore) -> None:
    conv, _ = await store.create_conversation(_new("thread", channel="sms"))
    msg, new = await store.record_message(
        direction="in",
        from_number=CALLER,
        to_number="+15555550199",
        body="Can you come tomorrow?",
        status="received",
        provider_id="SM-test-1",
        conversation_id=conv.id,
    )
    dup, dup_new = await store.record_message(
        direction="in",
        from_number=CALLER,
        to_number="x",
        body="dup",
        status="received",
        provider_id="SM-test-1",
    )
    assert new and not dup_new and dup == msg
    out1, _ = await store.record_message(
        direction="out",
        from_number="+15555550199",
        to_number=CALLER,
        body="Yes",
        status="queued",
        conversation_id=conv.id,
    )
    out2, out2_new = await store.record_message(
        direction="out",
        from_number="+15555550199",
        to_number=CALLER,
        body="Yes",
        status="queued",
        conversation_id=conv.id,
    )
    assert out2_new and out1.id != out2.id
    assert await store.update_message_status("SM-test-1", "processed")
    assert not await store.update_message_status("SM-missing", "delivered")
    listed = await store.list_messages(conv.id)
    assert [m.id for m in listed] == [msg.id, out1.id, out2.id]
    assert listed[0].status == "processed" and listed[0].created_at.tzinfo is not None


async def test_webhook_events_are_stored_once(store_factory: StoreFactory) -> None:
    stores = [store_factory() for _ in range(2)]
    try:
        results = await asyncio.gather(
            *(
                stores[i % 2].record_webhook_event("hcp", "evt_1", "job.created", {"i": i})
                for i in range(6)
            )
        )
        assert sorted(results) == [False] * 5 + [True]
        assert await stores[0].record_webhook_event("twilio", "evt_1", "sms", {})
        [event] = await stores[0].list_unprocessed_webhooks("hcp")
        assert (event.provider, event.event_id, event.kind) == ("hcp", "evt_1", "job.created")
        assert await stores[1].get_webhook_event("hcp", "evt_1") == event
        assert await stores[1].get_webhook_event("hcp", "evt_missing") is None
        await stores[1].mark_webhook_processed("hcp", "evt_1")
        assert await stores[0].list_unprocessed_webhooks("hcp") == []
        done = await stores[0].get_webhook_event("hcp", "evt_1")
        assert done is not None and done.processed_at is not None and done.error is None
        assert done.payload == event.payload and done.kind == "job.created"
        await stores[1].mark_webhook_processed("twilio", "evt_1", error="bad payload")
        assert await stores[0].list_unprocessed_webhooks("twilio") == []
        with pytest.raises(StorageError):
            await stores[0].mark_webhook_processed("hcp", "missing")
    finally:
        for s in stores:
            await s.close()


def _credential(service: str, cid: str, ciphertext: bytes) -> CredentialRecord:
    return CredentialRecord(
        id=cid,
        type="api_key_token_prefix",
        service=service,
        allowed_domains=("*.housecallpro.com",),
        ciphertext=ciphertext,
        nonce=b"\x00" * 12,
        key_id="abcd1234",
        last4="real",
        created_at=T0,
        meta={"note": "test"},
    )


async def test_credentials(store: SqlStore) -> None:
    hcp = _credential("hcp", "cred-1", b"\x00\xffciphertext")
    await store.put_credential(hcp)
    assert await store.get_credential("hcp") == hcp
    replaced = _credential("hcp", "cred-1", b"other")
    await store.put_credentials([replaced, _credential("twilio", "cred-2", b"t")])
    assert [c.service for c in await store.list_credentials()] == ["hcp", "twilio"]
    assert (await store.get_credential("hcp")) == replaced
    await store.touch_credential("cred-1", T0 + timedelta(days=1))
    touched = await store.get_credential("hcp")
    assert touched is not None and touched.used_at == T0 + timedelta(days=1)
    assert await store.delete_credential("cred-1")
    assert not await store.delete_credential("cred-1")
    assert await store.get_credential("hcp") is None
    with pytest.raises(StorageError):
        await store.touch_credential("cred-1", T0)


async def test_settings(store: SqlStore) -> None:
    assert await store.get_setting("greeting") is None
    await store.set_setting("greeting", "Thanks for calling")
    await store.set_setting("greeting", "Hello")
    await store.set_setting("hours", {"mon": ["08:00", "17:00"], "open": True})
    assert await store.get_setting("greeting") == "Hello"
    assert await store.all_settings() == {
        "greeting": "Hello",
        "hours": {"mon": ["08:00", "17:00"], "open": True},
    }


async def test_timestamps_are_normalised_to_utc(store: SqlStore) -> None:
    chicago = timezone(timedelta(hours=-6))
    due = datetime(2026, 3, 2, 9, 0, tzinfo=chicago)
    await store.enqueue("sms", {}, idempotency_key="tz", due_at=due)
    [item] = await store.list_outbox()
    assert item.next_attempt_at == due and item.next_attempt_at.tzinfo == UTC
    assert await store.claim_due(datetime(2026, 3, 2, 14, 59, tzinfo=UTC), worker="w") == []
    assert len(await store.claim_due(datetime(2026, 3, 2, 15, 0, tzinfo=UTC), worker="w")) == 1


async def test_ping(store: SqlStore) -> None:
    await store.ping()


async def test_a_lease_has_one_live_owner(store_factory: StoreFactory) -> None:
    stores = [store_factory() for _ in range(3)]
    later = T0 + timedelta(seconds=30)
    try:
        won = await asyncio.gather(
            *(
                stores[i % 3].acquire_lease("turn:c1", f"owner-{i}", now=T0, until=later)
                for i in range(9)
            )
        )
        assert sum(won) == 1
        winner = f"owner-{won.index(True)}"
        assert await stores[1].lease_owner("turn:c1", now=T0) == winner
        assert await stores[2].acquire_lease("turn:c1", winner, now=T0, until=later)  # extend
        await stores[0].release_lease("turn:c1", "someone-else")  # not theirs: kept
        assert await stores[1].lease_owner("turn:c1", now=T0) == winner
        assert not await stores[0].acquire_lease("turn:c1", "late", now=T0, until=later)
        expired = later + timedelta(seconds=1)  # the winner died: its lease expires
        assert await stores[0].lease_owner("turn:c1", now=expired) is None
        assert await stores[0].acquire_lease("turn:c1", "late", now=expired, until=expired)
        await stores[0].release_lease("turn:c1", "late")
        assert await stores[1].lease_owner("turn:c1", now=T0) is None
    finally:
        for s in stores:
            await s.close()


async def test_a_write_in_flight_is_claimed_only_after_its_lease(
    store_factory: StoreFactory,
) -> None:
    stores = [store_factory() for _ in range(2)]
    try:
        conv, _ = await stores[0].create_conversation(_new("CA-lease"))
        now = datetime.now(UTC)
        write, new = await stores[0].begin_hcp_write(
            conv.id,
            "create_job",
            "job:lease",
            {},
            owner="a",
            lease_until=now + timedelta(seconds=30),
        )
        assert new and write.owner == "a" and write.leased(now)
        assert await stores[1].claim_hcp_write(write.id, "b", now=now, lease_until=now) is None
        later = now + timedelta(seconds=31)
        claims = await asyncio.gather(
            *(
                stores[i % 2].claim_hcp_write(
                    write.id, f"b{i}", now=later, lease_until=later + timedelta(seconds=30)
                )
                for i in range(4)
            )
        )
        taken = [c for c in claims if c is not None]
        assert len(taken) == 1 and taken[0].owner is not None and taken[0].leased(later)
        await stores[0].finish_hcp_write(write.id, status="done", hcp_id="job_1", response={})
        final = await stores[1].get_hcp_write("job:lease")
        assert final is not None and final.status == "done" and not final.leased(later)
        assert await stores[1].claim_hcp_write(write.id, "c", now=later, lease_until=later) is None
        assert await stores[1].find_hcp_write("create_job", "job_1") == final
    finally:
        for s in stores:
            await s.close()


async def test_attempts_are_counted_per_scope_and_key_and_pruned(store: SqlStore) -> None:
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for minutes in (0, 5, 10):
        at = t0 + timedelta(minutes=minutes)
        await store.add_attempt("login", "a", at, keep_after=at - timedelta(hours=1))
    await store.add_attempt("verify", "a", t0, keep_after=t0 - timedelta(hours=1))
    assert await store.list_attempts("login", "a", t0 + timedelta(minutes=4)) == [
        t0 + timedelta(minutes=5),
        t0 + timedelta(minutes=10),
    ]
    assert await store.list_attempts("login", "b", t0) == []
    later = t0 + timedelta(hours=2)
    await store.add_attempt("login", "b", later, keep_after=later - timedelta(hours=1))
    assert await store.list_attempts("login", "a", t0 - timedelta(days=1)) == []  # pruned
    assert len(await store.list_attempts("verify", "a", t0)) == 1  # other scope kept
    await store.clear_attempts("login", "b")
    assert await store.list_attempts("login", "b", t0) == []
