"""Inbound SMS turns, run from the outbox (`SmsReceived`) so a crash or a slow model loses nothing.

For each received message, in order: opt-out keywords (STOP/START/HELP and plain-language
"stop texting me") are honoured and recorded; a reply to one of our follow-ups is handled
by the follow-up replies; anything else goes to the dialogue engine in the number's current
thread (one conversation per number within the thread window). The answer is queued as a
`SendSms` job keyed by the inbound MessageSid, so it goes out exactly once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from voice_agent.messaging.dispatcher import GiveUp, OutboxDispatcher, RetryLater
from voice_agent.messaging.keywords import OPT_OUT_FOOTER, classify_keyword
from voice_agent.messaging.optout import OptOuts
from voice_agent.messaging.threads import SmsThread, SmsThreads
from voice_agent.outbox import NotifyOffice, Outbox, SendSms, SmsReceived
from voice_agent.storage.base import OutboxItem, Store

log = logging.getLogger(__name__)

FALLBACK_REPLY = "Thanks for your message! Someone from the office will get back to you shortly."


class SmsAgent(Protocol):
    """The dialogue engine as the SMS channel uses it."""

    async def start(self, *, caller: str, business_number: str | None, external_id: str) -> str:
        """Open (idempotently, per `external_id`) an SMS conversation; return its id."""
        ...

    async def reply(self, conversation_id: str, text: str, *, turn_key: str, now: datetime) -> str:
        """The agent's answer to `text`; a repeated `turn_key` replays the stored answer."""
        ...


class ReplyHandler(Protocol):
    """Follow-up replies: an answer, or None to let the engine answer."""

    async def handle(
        self, thread: SmsThread, text: str, now: datetime, *, turn_key: str
    ) -> str | None: ...


class SmsInbound:
    """The `SmsReceived` outbox handler."""

    def __init__(
        self,
        store: Store,
        threads: SmsThreads,
        optouts: OptOuts,
        *,
        agent: SmsAgent | None,
        replies: ReplyHandler | None,
        thread_window: timedelta,
        help_text: Callable[[], str],
    ) -> None:
        self._outbox = Outbox(store)
        self._threads = threads
        self._optouts = optouts
        self._agent = agent
        self._replies = replies
        self._window = thread_window
        self._help = help_text

    def register(self, dispatcher: OutboxDispatcher) -> None:
        """Handle `SmsReceived` jobs on `dispatcher`."""
        dispatcher.register(SmsReceived, self.handle)

    async def handle(self, job: SmsReceived, item: OutboxItem, now: datetime) -> None:
        """Answer one inbound message."""
        sid, number, business, body = job.message_sid, job.sender, job.to, job.body
        if not sid or not number.startswith("+"):
            raise GiveUp("sms_in job needs a message_sid and an E.164 'sender'")
        keyword = classify_keyword(body, opted_out=await self._optouts.is_opted_out(number))
        if keyword == "stop":
            await self._optouts.opt_out(number, source=f"sms:{sid}")
            await self._threads.clear_context(number)
            return  # the carrier/Twilio sends the one confirmation; we send nothing
        if keyword == "start":
            await self._optouts.opt_in(number, source=f"sms:{sid}")
            return
        if keyword == "help":
            await self._outbox.put(
                SendSms(to=number, body=self._help()),
                idempotency_key=f"sms-reply:{sid}",
                due_at=now,
            )
            return
        thread = await self._threads.get(number)
        await self._threads.touch(number, at=now, inbound=True)
        answer: str | None = None
        if self._replies is not None and thread.context:
            answer = await self._replies.handle(thread, body, now, turn_key=sid)
        conversation_id = thread.conversation_id if thread.is_open(now, self._window) else None
        if answer is None:
            answer, conversation_id = await self._ask_agent(
                thread, body, sid, conversation_id, business, now
            )
        if not answer.strip():
            return
        if thread.texted_at is None and "STOP" not in answer:
            answer = f"{answer} {OPT_OUT_FOOTER}"  # the first text to a number says how to stop
        await self._outbox.put(
            SendSms(to=number, body=answer, conversation_id=conversation_id),
            idempotency_key=f"sms-reply:{sid}",
            due_at=now,
        )
        await self._threads.touch(number, at=now, inbound=False)

    async def _ask_agent(
        self,
        thread: SmsThread,
        body: str,
        sid: str,
        conversation_id: str | None,
        business: object,
        now: datetime,
    ) -> tuple[str, str | None]:
        if self._agent is None:
            await self._outbox.put(
                NotifyOffice(text=f"SMS from {thread.number}: {body[:300]}"),
                idempotency_key=f"sms-office:{sid}",
                due_at=now,
            )
            return FALLBACK_REPLY, conversation_id
        try:
            if conversation_id is None:
                conversation_id = await self._agent.start(
                    caller=thread.number,
                    business_number=str(business) if business else None,
                    external_id=f"{thread.number}:{sid}",
                )
                await self._threads.touch(
                    thread.number, at=now, conversation_id=conversation_id, inbound=True
                )
            reply = await self._agent.reply(conversation_id, body, turn_key=sid, now=now)
            return reply, conversation_id
        except Exception as exc:
            log.exception("sms turn failed; will retry")
            raise RetryLater(f"engine failed: {type(exc).__name__}") from exc
