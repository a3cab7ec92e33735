"""Booking tools: the problem, services, availability, the read-back and the booking itself."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from hcp.models.jobs import Job
from hcp.models.schedule import BookingWindow
from voice_agent.engine.i18n import t
from voice_agent.engine.questions import answer_lines, ask_instruction, pending_questions
from voice_agent.engine.session import PendingAction, Session, Window
from voice_agent.engine.toolbox import ToolContext
from voice_agent.operations import BookingRequest, SlotTakenError, book
from voice_agent.phones import mask
from voice_agent.tools.area import session_refusal
from voice_agent.tools.common import classify_job_type, job_types, spoken_address, spoken_window
from voice_agent.tools.registry import ToolError, tool, writes

log = logging.getLogger(__name__)
MAX_WINDOWS = 3
SEARCH_DAYS = 7
ARRIVAL_WINDOW_MINUTES = 120
NEED_YES = "Read the details back and get a clear yes first."
_DAY_WORDS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@tool
async def record_problem(
    ctx: ToolContext, problem: str, preferred_time: str | None = None
) -> dict[str, Any]:
    """Record what the caller needs done (in their words) and match it to one of our services.
    If it lists intake_questions, ask them (one at a time) before offering times.

    Args:
        problem: The problem or service the caller describes, e.g. "AC blowing warm air".
        preferred_time: When the caller would like the visit, if they said, e.g. "Tuesday morning".
    """
    session = ctx.session
    session.problem = problem.strip()[:500]
    if preferred_time:
        session.preferred_time = preferred_time.strip()[:100]
    types = await job_types(ctx)
    match = classify_job_type(problem, types)
    result: dict[str, Any]
    if match is not None:
        session.job_type_id, session.job_type_name = match.id, match.name
        result = {"service": match.name}
    else:
        session.job_type_id = session.job_type_name = None
        result = {"service": None, "services_we_offer": [t.name for t in types if t.name]}
    pending = pending_questions(ctx.settings, session)
    if pending:
        result["intake_questions"] = pending
        result["instruction"] = ask_instruction(pending)
    return result


@tool
async def list_services(ctx: ToolContext) -> dict[str, Any]:
    """List the services (job types) the company offers."""
    return {"services": [t.name for t in await job_types(ctx) if t.name]}


@tool
async def check_availability(ctx: ToolContext, preferred_time: str | None = None) -> dict[str, Any]:
    """Find two or three real arrival windows for a visit, in the company's local time.
    Offer them to the caller exactly as given and ask which one works.

    Args:
        preferred_time: The caller's preference, e.g. "Tuesday", "tomorrow", "afternoon".
    """
    session = ctx.session
    refusal = await session_refusal(ctx)
    if refusal is not None:
        return refusal
    pending = pending_questions(ctx.settings, session)
    if pending and not session.intake_nudged:
        session.intake_nudged = True
        raise ToolError(ask_instruction(pending))
    windows = await ctx.hcp.schedule.booking_windows(
        show_for_days=SEARCH_DAYS, service_duration=ARRIVAL_WINDOW_MINUTES
    )
    chosen = _pick(ctx, windows, preferred_time or session.preferred_time)
    if not chosen:
        raise ToolError("No open times in the next week. Offer to take a message for the office.")
    session.windows = [
        Window(
            id=f"w{i}",
            start=w.start_time.isoformat(),
            end=w.end_time.isoformat(),
            spoken=spoken_window(ctx, w.start_time, w.end_time),
        )
        for i, w in enumerate(chosen, start=1)
    ]
    return {"windows": [{"window_id": w.id, "when": w.spoken} for w in session.windows]}


def _pick(
    ctx: ToolContext, windows: list[BookingWindow], preference: str | None
) -> list[BookingWindow]:
    """Up to three open future windows, one per day, preferring what the caller asked for."""
    now = ctx.now()
    zone = ctx.settings.zone
    open_ = sorted(
        (w for w in windows if w.available and w.start_time > now), key=lambda w: w.start_time
    )
    wanted = (preference or "").lower()
    preferred = [
        w for w in open_ if _fits(w.start_time.astimezone(zone), now.astimezone(zone), wanted)
    ]
    pool = preferred or open_
    picked: list[BookingWindow] = []
    days: set[object] = set()
    for w in pool:
        day = w.start_time.astimezone(zone).date()
        if day not in days:
            picked.append(w)
            days.add(day)
        if len(picked) == MAX_WINDOWS:
            break
    for w in pool:
        if len(picked) >= MAX_WINDOWS:
            break
        if w not in picked:
            picked.append(w)
    return sorted(picked, key=lambda w: w.start_time)


def _fits(local: datetime, now: datetime, wanted: str) -> bool:
    if not wanted:
        return False
    ok = True
    named = [d for d in _DAY_WORDS if d in wanted]
    if named:
        ok = _DAY_WORDS[local.weekday()] in named
    elif "tomorrow" in wanted:
        ok = (local.date() - now.date()).days == 1
    if "morning" in wanted:
        ok = ok and local.hour < 12
    elif "afternoon" in wanted or "evening" in wanted:
        ok = ok and local.hour >= 12
    return ok and bool(
        named
        or "tomorrow" in wanted
        or "morning" in wanted
        or "afternoon" in wanted
        or "evening" in wanted
    )


def offered_window(ctx: ToolContext, window_id: str) -> Window:
    """A window offered in this call, or a `ToolError`."""
    for window in ctx.session.windows:
        if window.id == window_id:
            return window
    raise ToolError("That time was not offered. Call check_availability and offer real times.")


@tool
async def propose_booking(ctx: ToolContext, window_id: str) -> dict[str, Any]:
    """Prepare the booking for the chosen window and get the read-back to say. Read it to the
    caller word for word and wait for their yes before calling book_job.

    Args:
        window_id: The id of the window the caller picked (from check_availability).
    """
    session = ctx.session
    if session.customer_id is None or session.address_id is None:
        raise ToolError("I still need the caller's name and service address.")
    if not session.problem:
        raise ToolError("Ask what the problem is first, then call record_problem.")
    refusal = await session_refusal(ctx)
    if refusal is not None:
        return refusal
    window = offered_window(ctx, window_id)
    lang = session.language
    service = session.job_type_name or t("a service visit", lang)
    readback = t(
        "Just to confirm: {service} at {address}, arriving {when}. Shall I book that?",
        lang,
        service=service,
        address=spoken_address(ctx, session.address_text or ""),
        when=window.spoken,
    )
    session.pending = PendingAction(
        id=uuid.uuid4().hex,
        kind="book",
        data={"window": window.model_dump()},
        readback=readback,
        proposed_seq=session.seq,
    )
    return {"read_back": readback}


@writes
@tool
async def book_job(ctx: ToolContext) -> dict[str, Any]:
    """Book the visit the caller just said yes to (after propose_booking). Only say it is booked
    when this returns a job id, and read back its confirmation.
    """
    session = ctx.session
    pending = said_yes_to(session, "book")
    if isinstance(pending, dict):
        return pending  # one yes, one booking: a second call gets the same answer
    if session.customer_id is None or session.address_id is None:
        raise ToolError(NEED_YES)
    refusal = await session_refusal(ctx)
    if refusal is not None:
        session.pending = None
        return refusal
    window = Window.model_validate(pending.data["window"])
    start, end = datetime.fromisoformat(window.start), datetime.fromisoformat(window.end)
    notes = f"Problem: {session.problem}. Booked by phone agent; caller {mask(session.caller)}."
    if session.intake_answers:
        notes += "\n" + answer_lines(session)
    request = BookingRequest(
        key=f"{ctx.conversation.id}:book:{start.isoformat()}",
        customer_id=session.customer_id,
        address_id=session.address_id,
        start=start,
        end=end,
        notes=notes,
        job_type_id=session.job_type_id,
    )
    try:
        booking = await book(ctx.operations, request)
    except SlotTakenError:
        return taken(ctx, pending, window, {"booked": False})
    job_id = booking.job_id
    session.windows = []
    if job_id not in session.booked_job_ids:
        session.booked_job_ids.append(job_id)
    session.outcome = "booked"
    session.intake_answers = []  # a second visit in this call gets its own answers
    session.intake_nudged = False
    result = {"booked": True, "job_id": job_id, "confirmation": confirmation(ctx, booking.job)}
    return session.consume(pending, result)


def said_yes_to(session: Session, kind: str) -> PendingAction | dict[str, Any]:
    """The action of `kind` the caller said yes to in this turn or, when it already ran, the
    answer it got then: one yes, one write, and a repeated call gets the same answer.

    Raises:
        ToolError: The caller has not said yes to an action of `kind` in this turn.
    """
    pending = session.is_confirmed(kind)
    if pending is not None:
        return pending
    done = session.consumed(kind)
    if done is None:
        raise ToolError(NEED_YES)
    return done


def taken(
    ctx: ToolContext, pending: PendingAction, window: Window, result: dict[str, Any]
) -> dict[str, Any]:
    """The answer when `window` was taken just before the write: the other offered windows
    (the confirmed action is consumed with it, so a repeated call gets the same answer)."""
    session = ctx.session
    session.windows = [w for w in session.windows if w.start != window.start]
    others = [{"window_id": w.id, "when": w.spoken} for w in session.windows]
    instruction = (
        "That time was just taken. Apologise and offer these instead."
        if others
        else "That time was just taken. Apologise and call check_availability for other times."
    )
    answer = {**result, "taken": window.spoken, "other_windows": others}
    return session.consume(pending, {**answer, "instruction": instruction})


BOOKED = "You're booked: {service}{where}, arriving{when}."
TEST_BOOKING = "Test booking: {service}{where}, arriving{when} (test — nothing was booked)."


def confirmation(ctx: ToolContext, job: Job) -> str:
    """The booking confirmation, read from HCP's own record of the job."""
    service = job.job_fields.job_type.name if job.job_fields and job.job_fields.job_type else None
    when = ""
    if job.schedule and job.schedule.scheduled_start and job.schedule.scheduled_end:
        when = " " + spoken_window(ctx, job.schedule.scheduled_start, job.schedule.scheduled_end)
    lang = ctx.session.language
    at = " en " if lang == "es" else " at "
    street = job.address.street if job.address else None
    where = f"{at}{spoken_address(ctx, street)}" if street else ""
    # a test call books in the sandbox only: say so (issue 19)
    line = TEST_BOOKING if ctx.conversation.test_mode else BOOKED
    return t(
        line,
        lang,
        service=service or t("a service visit", lang),
        where=where,
        when=when,
    )
