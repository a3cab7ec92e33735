"""After a call: its outcome, the summary note on booked jobs and the confirmation SMS.

The status callback only records the call's end and queues one `CallEnded` outbox job per
call (`queue_call_ended`; the key is the CallSid, so Twilio's retries and a second final
status queue nothing). The outbox dispatcher runs the job (`CallFollowUps`), off the
webhook: the summary is built from the stored turns and HCP writes, the booking SMS is
queued once per job, and the note is written to HCP once (its HCP write key); when HCP
is down or slow the note becomes a `RetryHcpWrite` job replayed later, never lost.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

from voice_agent.channels.voice import VoiceChannel
from voice_agent.channels.voice_summary import booking_sms, call_summary, created_jobs
from voice_agent.messaging.dispatcher import DispatchReport, GiveUp, OutboxDispatcher
from voice_agent.outbox import CallEnded, Outbox, RetryHcpWrite, SendSms
from voice_agent.outcomes import HANDLED, settle
from voice_agent.storage.base import Conversation, OutboxItem, Store

log = logging.getLogger(__name__)

NOTE_TIMEOUT_SECONDS = 5.0


async def queue_call_ended(store: Store, conversation: Conversation) -> bool:
    """Queue the follow-up of a finished call once; False when it was already queued."""
    return await Outbox(store).put(
        CallEnded(conversation_id=conversation.id),
        idempotency_key=f"voice:{conversation.external_id}:ended",
    )


class CallFollowUps:
    """The outbox handler for `CallEnded` jobs (needs the voice channel's HCP clients)."""

    def __init__(self, voice: VoiceChannel) -> None:
        self._voice = voice

    def register(self, dispatcher: OutboxDispatcher) -> None:
        """Handle `CallEnded` jobs on `dispatcher`."""
        dispatcher.register(CallEnded, self.handle)

    async def handle(self, job: CallEnded, item: OutboxItem, now: datetime) -> None:
        """Settle the outcome, queue the booking SMS and write the note, each once."""
        store = self._voice.store
        conversation = await store.get_conversation(job.conversation_id)
        if conversation is None:
            raise GiveUp(f"conversation {job.conversation_id} no longer exists")
        jobs = created_jobs(await store.list_hcp_writes(conversation.id))
        if conversation.outcome not in HANDLED:  # settled from what the call left behind
            outcome = await settle(
                store, conversation, status=conversation.status, booked=bool(jobs)
            )
            if outcome != conversation.outcome:
                await store.update_conversation(conversation.id, outcome=outcome)
                conversation = replace(conversation, outcome=outcome)
        if jobs:
            await self._booked(conversation, jobs)

    async def _booked(self, conversation: Conversation, jobs: list[tuple[str, Any]]) -> None:
        voice, settings = self._voice, self._voice.settings
        turns = await voice.store.list_turns(conversation.id)
        summary = call_summary(
            conversation,
            turns,
            outcome=str(conversation.outcome),
            duration=conversation.duration_seconds,
            zone=settings.zone,
        )
        for job_id, job in jobs:
            if conversation.caller.startswith("+"):
                body = booking_sms(
                    job,
                    business=settings.business_name,
                    zone=settings.zone,
                    language=conversation.language,
                )
                await Outbox(voice.store).put(
                    SendSms(
                        to=conversation.caller,
                        body=body,
                        conversation_id=conversation.id,
                        purpose="booking_confirmation",
                    ),
                    idempotency_key=f"voice:booking-sms:{job_id}",
                )
            await write_job_note(voice, conversation, job_id, summary)


async def run_call_follow_ups(voice: VoiceChannel) -> DispatchReport:
    """Run the due `CallEnded` jobs now, for harnesses that drive the outbox by hand (tests,
    scenarios); other kinds are left for the app's dispatcher."""
    dispatcher = OutboxDispatcher(voice.store, worker="call-follow-ups", jitter=lambda: 1.0)
    CallFollowUps(voice).register(dispatcher)
    return await dispatcher.run_once()


async def write_job_note(
    voice: VoiceChannel, conversation: Conversation, job_id: str, content: str
) -> None:
    """Add the call summary to the job once (HCP write recorded first; outbox on failure)."""
    key = f"voice:{conversation.external_id}:note:{job_id}"
    request = {"job_id": job_id, "content": content}
    write, new = await voice.store.begin_hcp_write(conversation.id, "add_note", key, request)
    if not new and write.status != "failed":
        return  # done, or another delivery is writing it right now
    client = voice.hcp_for(conversation)
    try:
        if client is None:
            raise RuntimeError("no HCP client configured")
        note = await client.jobs.add_note(job_id, content, timeout=NOTE_TIMEOUT_SECONDS)
    except Exception as exc:  # HCP down or refusing: keep it for the outbox, never lose it
        log.warning("call note for job %s not written (%s); queued", job_id, type(exc).__name__)
        await voice.store.finish_hcp_write(write.id, status="queued", error=str(exc)[:500])
        retry = RetryHcpWrite(
            operation="add_note",
            request=request,
            write_id=write.id,
            conversation_id=conversation.id,
        )
        await Outbox(voice.store).put(retry, idempotency_key=key)
        return
    await voice.store.finish_hcp_write(
        write.id, status="done", hcp_id=getattr(note, "id", None), response={"job_id": job_id}
    )
