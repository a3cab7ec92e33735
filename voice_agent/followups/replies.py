"""Replies to our follow-up texts: confirm, reschedule, approve an option, pick a window, call me.

These run before the dialogue engine, on what the thread's context says the customer is
answering. The number we texted about that job or estimate is the one replying, and each
write needs an explicit answer (a "yes", an option number, a window number), so nothing is
changed on a vague message — anything not understood here goes to the engine instead.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hcp import BookingWindow, JobCreate, JobScheduleCreate
from voice_agent.engine.intents import classify_yes_no, wants_human
from voice_agent.followups import texts
from voice_agent.followups.base import WriteMarks, arrival_window
from voice_agent.followups.config import FollowupConfig
from voice_agent.followups.dates import requested_day
from voice_agent.followups.gateway import FollowupHcp
from voice_agent.messaging.keywords import normalise
from voice_agent.messaging.threads import SmsThread, SmsThreads
from voice_agent.operations.errors import SlotTakenError
from voice_agent.operations.journal import WriteJournal
from voice_agent.outbox import NotifyOffice, Outbox
from voice_agent.storage.base import JSON, Store

log = logging.getLogger(__name__)

_PICK = re.compile(r"^(?:approve |choose |pick |take |book )?(?:option |number |window |#)?(\d)$")
_CALL = re.compile(r"\b(call me|call back|callback|give me a call|phone me|call)\b")
_RESCHEDULE = re.compile(r"\b(reschedul\w*|another day|different (day|time)|change|move it)\b")
_CONFIRM = frozenset({"c", "confirm", "confirmed", "yes confirm", "i confirm"})
_APPROVE = re.compile(r"\b(approve|accept|go ahead)\b")
_SEARCH_DAYS = 7
CONFIRMED_NOTE = "Customer confirmed the visit by text."


def pick_number(text: str) -> int | None:
    """`"2"`, `"#2"`, `"option 2"`, `"approve option 2"` -> 2."""
    match = _PICK.match(normalise(text))
    return int(match[1]) if match else None


class Replies:
    """Deterministic handling of replies to follow-up texts."""

    def __init__(
        self,
        *,
        hcp: FollowupHcp,
        store: Store,
        threads: SmsThreads,
        marks: WriteMarks,
        config: FollowupConfig,
    ) -> None:
        self.hcp = hcp
        self.store = store
        self.threads = threads
        self.marks = marks
        self.config = config
        self._journal = WriteJournal(store, None)  # each write leases its own entry

    async def handle(
        self, thread: SmsThread, text: str, now: datetime, *, turn_key: str
    ) -> str | None:
        """The reply to send, or None to hand the message to the dialogue engine.

        Every HCP write goes through the write journal, keyed by what it is about, so a
        message handled twice (a crash after the HCP write, a retried delivery) writes once.
        """
        context = thread.context
        kind = context.get("kind")
        if not kind:
            return None
        said = normalise(text)
        if said == "call" or (_CALL.search(said) and kind != "windows") or wants_human(text):
            return await self._call_back(thread, text, turn_key, now)
        if kind == "booking":
            return await self._booking(thread, text, now)
        if kind == "estimate":
            return await self._estimate(thread, text, now)
        if kind == "windows":
            return await self._windows(thread, text, now)
        return None

    async def _call_back(self, thread: SmsThread, text: str, turn_key: str, now: datetime) -> str:
        about = ", ".join(f"{k}={v}" for k, v in thread.context.items() if k.endswith("_id"))
        await Outbox(self.store).put(
            NotifyOffice(text=f"Call back {thread.number} ({about or 'SMS'}): {text[:200]}"),
            idempotency_key=f"callback:{turn_key}",
            due_at=now,
        )
        return "Got it. Someone from the office will call you shortly."

    async def _booking(self, thread: SmsThread, text: str, now: datetime) -> str | None:
        job_id = str(thread.context.get("job_id"))
        said = normalise(text)
        day = requested_day(text, self._today(now))
        if said in _CONFIRM or (classify_yes_no(text) == "yes" and day is None):
            await self._note(f"sms-confirm:{job_id}", job_id, CONFIRMED_NOTE)
            await self.marks.mark_own_write(job_id, now)
            await self.threads.clear_context(thread.number)
            job = await self.hcp.get_job(job_id)
            when = arrival_window(job.schedule, self.config.business_zone)
            return f"Thanks, you're confirmed{f' for {when}' if when else ''}. See you then!"
        if day is not None or _RESCHEDULE.search(said):
            return await self._offer(thread, {"purpose": "reschedule", "job_id": job_id}, day, now)
        if classify_yes_no(text) == "no":
            return "No problem. Reply with a day that works better, or CALL for a call back."
        return None

    async def _estimate(self, thread: SmsThread, text: str, now: datetime) -> str | None:
        options: list[JSON] = list(thread.context.get("options") or [])
        said = normalise(text)
        number = pick_number(text)
        if number is None and (classify_yes_no(text) == "yes" or _APPROVE.search(said)):
            if len(options) != 1:
                choices = " or ".join(str(n) for n in range(1, len(options) + 1))
                return f"Happy to! Which option would you like? Reply {choices}."
            number = 1
        if number is None:
            if classify_yes_no(text) == "no":
                await self.threads.clear_context(thread.number)
                return "No problem. Reply anytime if you change your mind, or CALL with questions."
            return None
        if not 1 <= number <= len(options):
            return f"Please reply with an option number from 1 to {len(options)}."
        option = options[number - 1]
        estimate_id = str(thread.context.get("estimate_id"))
        copied_job = await self._approve(estimate_id, str(option["id"]))
        await self.marks.mark_own_write(estimate_id, now)
        log.info("estimate option approved by sms (estimate %s)", estimate_id)
        purpose = {
            "purpose": "estimate_job",
            "estimate_id": estimate_id,
            "option_id": option["id"],
            "option_name": option.get("name"),
            "job_id": copied_job,
        }
        offer = await self._offer(thread, purpose, None, now)
        return f"Great, {option.get('name') or f'option {number}'} is approved! {offer}"

    async def _windows(self, thread: SmsThread, text: str, now: datetime) -> str | None:
        offered: list[JSON] = list(thread.context.get("windows") or [])
        number = pick_number(text)
        day = requested_day(text, self._today(now))
        if number is None and day is not None:
            return await self._offer(thread, _purpose(thread.context), day, now)
        if number is None:
            return None
        if not 1 <= number <= len(offered):
            return f"Please reply with a number from 1 to {len(offered)}, or another day."
        start = datetime.fromisoformat(offered[number - 1]["start"])
        end = datetime.fromisoformat(offered[number - 1]["end"])
        try:
            if not await self._still_open(start, end, now):
                raise SlotTakenError("That time was just taken.")
            job_id = await self._book(thread.context, start, end, now)
        except SlotTakenError:  # offer that day's other times
            return await self._offer(
                thread,
                _purpose(thread.context),
                start.astimezone(self._zone).date(),
                now,
                intro="Sorry, that time was just taken.",
            )
        if job_id is None:  # HCP refused to move it: the office does it
            await self.threads.clear_context(thread.number)
            return (
                "Thanks! I couldn't change it myself, so I've asked the office to move your "
                "visit; they'll confirm the new time by text."
            )
        await self.marks.remember_texted_schedule(job_id, start)
        await self.threads.set_context(thread.number, {"kind": "booking", "job_id": job_id}, at=now)
        when = texts.window(start, end, self._zone)
        return f"You're all set for {when}. Reply CALL if you need anything."

    async def _book(
        self, context: JSON, start: datetime, end: datetime, now: datetime
    ) -> str | None:
        """Move the job (or book the approved work); None when the office must move it."""
        minutes = int((end - start).total_seconds() // 60)
        job_id = context.get("job_id")
        if job_id:
            return await self._move(str(job_id), start, end, minutes, now)
        estimate = await self.hcp.get_estimate(str(context["estimate_id"]))
        if estimate.customer is None or estimate.address is None:
            raise ValueError("estimate has no customer or address to book a job for")
        customer_id = estimate.customer.id
        body = JobCreate(
            customer_id=customer_id,
            address_id=estimate.address.id,
            schedule=JobScheduleCreate(
                scheduled_start=start, scheduled_end=end, arrival_window=minutes
            ),
            lead_source=self.config.agent_lead_source,
            notes=(
                f"Approved by text: estimate {estimate.estimate_number or estimate.id}, "
                f"{context.get('option_name') or 'option'} ({context.get('option_id')})."
            ),
        )

        async def send() -> tuple[str, JSON]:
            job = await self.hcp.create_job(body)
            return job.id, {"job_id": job.id}

        async def recover() -> tuple[str, JSON] | None:
            found = await self.hcp.find_job(customer_id, start)
            return (found.id, {"job_id": found.id}) if found else None

        key = (
            f"sms-book:{context.get('estimate_id')}:{context.get('option_id')}:{start.isoformat()}"
        )
        request = body.model_dump(mode="json", exclude_none=True)
        new_job_id, _ = await self._journal.write("create_job", key, request, send, recover=recover)
        await self.marks.mark_own_write(new_job_id, now)
        return new_job_id

    async def _move(
        self, job_id: str, start: datetime, end: datetime, minutes: int, now: datetime
    ) -> str | None:
        async def send() -> tuple[str, JSON]:
            moved = await self.hcp.reschedule_job(job_id, start, end, minutes)
            return job_id, {"via": "hcp" if moved else "office"}

        async def recover() -> tuple[str, JSON] | None:
            job = await self.hcp.get_job(job_id)
            at = job.schedule.scheduled_start if job.schedule else None
            return (job_id, {"via": "hcp"}) if at == start else None

        key = f"sms-reschedule:{job_id}:{start.isoformat()}"
        request = {"job_id": job_id, "start_time": start.isoformat(), "end_time": end.isoformat()}
        _, result = await self._journal.write("reschedule_job", key, request, send, recover=recover)
        if result.get("via") == "office":
            when = texts.window(start, end, self._zone)
            await self._note(
                f"{key}:office-note",
                job_id,
                f"Customer asked by text to move this visit to {when}.",
            )
            await Outbox(self.store).put(
                NotifyOffice(text=f"Please move job {job_id} to {when} (asked by text)."),
                idempotency_key=f"notify_office:{key}",
                due_at=now,
            )
            return None
        await self.marks.mark_own_write(job_id, now)
        return job_id

    async def _note(self, key: str, job_id: str, content: str) -> None:
        """One note on the job per `key`, through the journal (a landed note is not repeated)."""

        async def send() -> tuple[str, JSON]:
            await self.hcp.add_job_note(job_id, content)
            return job_id, {"job_id": job_id}

        async def recover() -> tuple[str, JSON] | None:
            job = await self.hcp.get_job(job_id)
            landed = any(note.content == content for note in job.notes)
            return (job_id, {"job_id": job_id}) if landed else None

        request = {"job_id": job_id, "content": content}
        await self._journal.write("add_note", key, request, send, recover=recover)

    async def _approve(self, estimate_id: str, option_id: str) -> str | None:
        """Approve the option once (through the journal); the job HCP copied it to, if any."""

        async def send() -> tuple[str, JSON]:
            copied = await self.hcp.approve_option(option_id)
            return option_id, {"copied_on_approval_to_job_id": copied}

        async def recover() -> tuple[str, JSON] | None:
            estimate = await self.hcp.get_estimate(estimate_id)
            for option in estimate.options:
                if option.id == option_id and "approved" in (option.approval_status or "").lower():
                    return option_id, {"copied_on_approval_to_job_id": None}
            return None

        _, result = await self._journal.write(
            "approve_option",
            f"sms-approve:{option_id}",
            {"option_ids": [option_id]},
            send,
            recover=recover,
        )
        copied = result.get("copied_on_approval_to_job_id")
        return str(copied) if copied else None

    async def _offer(
        self, thread: SmsThread, purpose: JSON, day: date | None, now: datetime, *, intro: str = ""
    ) -> str:
        windows = await self._open_windows(day, now)
        if not windows:
            what = f"on {day:%A %b} {day.day}" if day else "in the next week"
            await self.threads.set_context(
                thread.number, {"kind": "windows", **purpose, "windows": []}, at=now
            )
            return (
                f"{intro} Sorry, we have nothing open {what}. Reply another day, or CALL.".strip()
            )
        records = [
            {"start": w.start_time.isoformat(), "end": w.end_time.isoformat()} for w in windows
        ]
        await self.threads.set_context(
            thread.number, {"kind": "windows", **purpose, "windows": records}, at=now
        )
        labels = [texts.window(w.start_time, w.end_time, self._zone) for w in windows]
        head = f"{intro} We can come:" if intro else "We can come:"
        return texts.windows_offer(head, labels)

    async def _open_windows(self, day: date | None, now: datetime) -> list[BookingWindow]:
        start = day or self._today(now) + timedelta(days=1)
        found = await self.hcp.booking_windows(start, 1 if day else _SEARCH_DAYS)
        usable = [
            w for w in found
            if w.available and w.start_time > now
            and (day is None or w.start_time.astimezone(self._zone).date() == day)
        ]  # fmt: skip
        return sorted(usable, key=lambda w: w.start_time)[: self.config.windows_offered]

    async def _still_open(self, start: datetime, end: datetime, now: datetime) -> bool:
        day = start.astimezone(self._zone).date()
        return any(
            w.start_time == start and w.end_time == end for w in await self._open_windows(day, now)
        )

    @property
    def _zone(self) -> ZoneInfo:
        return self.config.business_zone

    def _today(self, now: datetime) -> date:
        return now.astimezone(self.config.business_zone).date()


def _purpose(context: JSON) -> JSON:
    return {k: v for k, v in context.items() if k not in ("kind", "windows")}
