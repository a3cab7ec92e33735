"""`POST /twilio/sms` and `/twilio/sms/status`: keywords, threads, duplicates, signatures."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from voice_agent.storage.base import NewConversation, Store

from .helpers import all_messages, outbox_by_kind, queue_sms
from .world import OFFICE_NUMBER, world

BOB = "+13125550142"


class ScriptedAgent:
    """An `SmsAgent` that answers "echo: <text>" and records what it was asked."""

    def __init__(self, fail_times: int = 0) -> None:
        self.store: Store | None = None
        self.started: list[str] = []
        self.turns: list[tuple[str, str, str]] = []
        self.ids: list[str] = []
        self.fail_times = fail_times

    async def start(self, *, caller: str, business_number: str | None, external_id: str) -> str:
        self.started.append(external_id)
        assert self.store is not None
        conversation, _ = await self.store.create_conversation(
            NewConversation(channel="sms", external_id=external_id, caller=caller)
        )
        self.ids.append(conversation.id)
        return conversation.id

    async def reply(self, conversation_id: str, text: str, *, turn_key: str, now: datetime) -> str:
        if self.fail_times:
            self.fail_times -= 1
            raise RuntimeError("model down")
        self.turns.append((conversation_id, text, turn_key))
        return f"echo: {text}"


async def test_texts_go_to_the_engine_in_one_thread_per_window(tmp_path: Path) -> None:
    agent = ScriptedAgent()
    async with world(tmp_path, agent=agent) as w:
        response = await w.text(BOB, "what do I owe?")
        assert response.status_code == 200 and response.text.endswith("<Response />")
        await w.settle()
        await w.text(BOB, "thanks")
        await w.settle()
        w.clock.advance(hours=80)  # past the 72 h thread window
        await w.text(BOB, "hi again")
        await w.settle()

        assert w.texts_to(BOB) == [
            "echo: what do I owe? Reply STOP to opt out.",  # the first text to a number
            "echo: thanks",
            "echo: hi again",
        ]
        first, second = agent.ids
        assert [t[0] for t in agent.turns] == [first, first, second]
        replies = [m for m in await all_messages(w.store) if m.direction == "out"]
        assert [m.conversation_id for m in replies] == [first, first, second]


async def test_duplicate_delivery_answers_once(tmp_path: Path) -> None:
    agent = ScriptedAgent()
    async with world(tmp_path, agent=agent) as w:
        params = {"MessageSid": "SM" + "7" * 32, "From": BOB, "To": "+15005550006", "Body": "hi"}
        for _ in range(3):
            assert (await w.post_twilio("/twilio/sms", params)).status_code == 200
        await w.settle()
        assert w.texts_to(BOB) == ["echo: hi Reply STOP to opt out."]
        assert len([m for m in await all_messages(w.store) if m.direction == "in"]) == 1


async def test_engine_failure_is_retried_without_a_double_reply(tmp_path: Path) -> None:
    agent = ScriptedAgent(fail_times=1)
    async with world(tmp_path, agent=agent) as w:
        await w.text(BOB, "hello")
        await w.settle()
        assert w.texts_to(BOB) == []
        w.clock.advance(minutes=2)
        await w.settle()
        w.clock.advance(minutes=10)
        await w.settle()
        assert w.texts_to(BOB) == ["echo: hello Reply STOP to opt out."]


async def test_forged_signature_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    async with world(tmp_path, agent=ScriptedAgent()) as w:
        params = {"MessageSid": "SM" + "1" * 32, "From": BOB, "To": "+15005550006", "Body": "x"}
        response = await w.post_twilio("/twilio/sms", params, signature="bm90IGEgc2lnbmF0dXJl")
        assert response.status_code == 403
        assert await all_messages(w.store) == [] and await w.store.list_outbox() == []


async def test_stop_is_recorded_and_nothing_more_is_sent(tmp_path: Path) -> None:
    async with world(tmp_path, agent=ScriptedAgent()) as w:
        await w.text(BOB, "STOP")
        await w.settle()
        assert w.texts_to(BOB) == []  # Twilio sends the one confirmation, not us
        assert await w.runtime.optouts.is_opted_out(BOB)
        await queue_sms(w.store, to=BOB, body="Reminder", key="later", due_at=w.clock())
        await w.text(BOB, "when is my tech coming?")
        await w.settle()
        assert w.twilio.requests == []
        statuses = {m.status for m in await all_messages(w.store) if m.direction == "out"}
        assert statuses == {"suppressed"}

        await w.text(BOB, "START")
        await w.settle()
        assert not await w.runtime.optouts.is_opted_out(BOB)
        await w.text(BOB, "hello?")
        await w.settle()
        assert w.texts_to(BOB) == ["echo: hello?"]  # not the first text: no footer


async def test_plain_language_opt_out_and_yes_as_opt_in(tmp_path: Path) -> None:
    async with world(tmp_path, agent=ScriptedAgent()) as w:
        await w.text(BOB, "Please stop texting me.")
        await w.settle()
        assert await w.runtime.optouts.is_opted_out(BOB)
        await w.text(BOB, "YES")  # Twilio re-subscribes on YES from an opted-out number
        await w.settle()
        assert not await w.runtime.optouts.is_opted_out(BOB)
        assert w.texts_to(BOB) == []


async def test_help_gets_business_help_text(tmp_path: Path) -> None:
    async with world(tmp_path, agent=ScriptedAgent()) as w:
        await w.text(BOB, "help")
        await w.settle()
        (answer,) = w.texts_to(BOB)
        assert "Bright Oak Home Services" in answer and OFFICE_NUMBER in answer and "STOP" in answer


async def test_without_an_engine_the_office_is_told(tmp_path: Path) -> None:
    async with world(tmp_path, agent=None) as w:
        await w.text(BOB, "my sink is leaking")
        await w.settle()
        assert w.texts_to(BOB)[0].startswith("Thanks for your message!")
        (office,) = w.texts_to(OFFICE_NUMBER)
        assert "my sink is leaking" in office


async def test_status_callbacks_are_recorded(tmp_path: Path) -> None:
    async with world(tmp_path, agent=ScriptedAgent()) as w:
        await w.text(BOB, "hi")
        await w.settle()
        sid = w.twilio.messages[0]["sid"]
        callback = {"MessageSid": sid, "MessageStatus": "delivered", "To": BOB}
        assert (await w.post_twilio("/twilio/sms/status", callback)).status_code == 204
        (out,) = [m for m in await all_messages(w.store) if m.direction == "out"]
        assert (out.provider_id, out.status) == (sid, "delivered")
        forged = await w.post_twilio(
            "/twilio/sms/status", {**callback, "MessageStatus": "failed"}, signature="x"
        )
        assert forged.status_code == 403
        (out,) = [m for m in await all_messages(w.store) if m.direction == "out"]
        assert out.status == "delivered"
        assert len(await outbox_by_kind(w.store, "sms")) == 1


async def test_a_texted_card_number_is_masked_before_it_is_stored(tmp_path: Path) -> None:
    agent = ScriptedAgent()
    async with world(tmp_path, agent=agent) as w:
        await w.text(BOB, "pay with 4111-1111-1111-1111 exp 12/27 cvv 123")
        await w.settle()
        stored = " ".join(m.body for m in await all_messages(w.store))
        seen = " ".join(text for _, text, _ in agent.turns)
        for leaked in ("1111", "12/27", "123"):
            assert leaked not in stored and leaked not in seen
        assert "[card number removed]" in seen
