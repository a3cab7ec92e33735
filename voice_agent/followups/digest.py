"""The owner digest: a daily or weekly summary of the agent's work, by SMS and/or e-mail.

A period closes every day (or every Sunday, `WEEKLY_CLOSE_DAY`) at `OWNER_DIGEST_TIME` in
the business time zone; boundaries are local wall-clock times, so a period spanning a DST
change is 23 or 25 hours long. Each runtime tick asks `OwnerDigest.check`, which enqueues
the digest of the period that just closed once per channel (outbox idempotency keys
`digest:<period>:<start date>:<channel>`, so several workers enqueue it once) and records
the period as handled. Nothing is enqueued when there is nothing to say.

The SMS digest is sent at the owner's chosen time even inside quiet hours (quiet hours
protect customers; the owner picked the time), but an opted-out owner number gets nothing.
A digest more than `MAX_LATE` after its period closed (the server was down) is not sent;
`voice-agent digest --date` sends one by hand.
"""

from __future__ import annotations

import logging
import unicodedata
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from voice_agent.followups.texts import clock_time
from voice_agent.outbox import Outbox, SendEmail, SendSms
from voice_agent.outcomes import unbooked_reason
from voice_agent.settings import Settings
from voice_agent.speech import speak_window
from voice_agent.storage.base import CALL_CHANNELS, Conversation, DigestMark, HcpWrite, Store

log = logging.getLogger(__name__)

PeriodKind = Literal["daily", "weekly"]
SettingsSource = Callable[[], Awaitable[Settings]]

WEEKLY_CLOSE_DAY = 6  # Sunday: a weekly digest covers the week that ends then
MAX_LATE = timedelta(hours=12)
SMS_LIMIT = 459  # three GSM-7 segments
SMS_LIMIT_UCS2 = 201  # three segments when a character outside GSM-7 remains
_PUNCTUATION = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                              "\u2013": "-", "\u2014": "-", "\u2026": "..."})  # fmt: skip
BOOKING_OPERATIONS = frozenset({"create_job"})
WAITING_OUTCOMES = {"message": "message", "cancel_requested": "cancellation request"}
UNDELIVERED = frozenset({"undelivered", "failed"})
OUTBOX_LABELS = {
    "sms": "text",
    "notify_office": "office alert",
    "email": "e-mail",
    "hcp_write": "HCP update",
    "sms_in": "incoming text",
    "hcp_event": "HCP event",
}
NOTE_CHARS = 160


# -- periods ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """[start, end) in the business time zone."""

    start: datetime
    end: datetime
    kind: PeriodKind

    def key(self, channel: str) -> str:
        """The outbox idempotency key of this period's digest on `channel`."""
        return f"digest:{self.kind}:{self.start.date().isoformat()}:{channel}"

    @property
    def marker(self) -> str:
        """A label naming the period (for logs and the in-process "handled" set)."""
        return f"{self.kind}:{self.start.date().isoformat()}"


def close_at(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`at` on local `day`; a time skipped by DST is moved forward (02:30 → 03:30)."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC).astimezone(zone)


def _length(kind: PeriodKind) -> int:
    return 7 if kind == "weekly" else 1


def period_ending(day: date, settings: Settings) -> Period:
    """The period that closes on local `day` at the digest time."""
    kind: PeriodKind = settings.owner_digest_period
    zone, at = settings.zone, settings.digest_at
    return Period(
        close_at(day - timedelta(days=_length(kind)), at, zone), close_at(day, at, zone), kind
    )


def last_closed_period(now: datetime, settings: Settings) -> Period:
    """The most recent period that has closed at `now`."""
    day = now.astimezone(settings.zone).date()
    if close_at(day, settings.digest_at, settings.zone) > now:
        day -= timedelta(days=1)
    if settings.owner_digest_period == "weekly":
        day -= timedelta(days=(day.weekday() - WEEKLY_CLOSE_DAY) % 7)
    return period_ending(day, settings)


def due_digest(now: datetime, settings: Settings) -> Period | None:
    """The period that just closed, if a digest is wanted and it closed under `MAX_LATE` ago.

    Whether it was already sent is the caller's to check (`OwnerDigest` keeps a marker).
    """
    if not (settings.owner_digest_phone or settings.owner_digest_email):
        return None
    period = last_closed_period(now, settings)
    return period if now - period.end <= MAX_LATE else None


# -- the digest ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Booking:
    """A visit booked in the period."""

    first_name: str
    job_type: str
    when: str  # spoken, relative to the end of the period
    start: datetime


@dataclass(frozen=True)
class Emergency:
    """An emergency call and what became of its transfer."""

    at: datetime
    first_name: str
    result: str


@dataclass(frozen=True)
class Waiting:
    """Something the office still has to act on."""

    at: datetime
    first_name: str
    what: str
    note: str = ""  # e-mail only


@dataclass(frozen=True)
class Failures:
    """What went wrong in the period."""

    outbox: dict[str, int] = field(default_factory=dict)  # label -> items given up
    hcp_writes: dict[str, int] = field(default_factory=dict)  # operation -> failed writes
    fallbacks: int = 0  # conversations that fell back to guided intake
    errors: int = 0  # conversations that ended in error
    undelivered: int = 0  # texts the carrier did not deliver

    @property
    def total(self) -> int:
        """All failures together."""
        return (
            sum(self.outbox.values())
            + sum(self.hcp_writes.values())
            + self.fallbacks
            + self.errors
            + self.undelivered
        )

    def lines(self) -> list[str]:
        """One short phrase per kind of failure."""
        lines = [_count(n, f"{label} not sent") for label, n in sorted(self.outbox.items())]
        if self.hcp_writes:
            ops = ", ".join(sorted(self.hcp_writes))
            lines.append(f"{_count(sum(self.hcp_writes.values()), 'HCP write')} failed ({ops})")
        if self.fallbacks:
            lines.append(f"{_count(self.fallbacks, 'conversation')} fell back to guided intake")
        if self.errors:
            lines.append(f"{_count(self.errors, 'conversation')} ended in error")
        if self.undelivered:
            lines.append(f"{_count(self.undelivered, 'text')} undelivered")
        return lines


@dataclass(frozen=True)
class Digest:
    """The figures of one period, ready to render."""

    business: str
    start: datetime  # local
    end: datetime  # local
    calls: int = 0
    texts: int = 0
    bookings: tuple[Booking, ...] = ()
    emergencies: tuple[Emergency, ...] = ()
    waiting: tuple[Waiting, ...] = ()
    failures: Failures = field(default_factory=Failures)
    unbooked: tuple[tuple[str, int], ...] = ()  # (reason, calls) ended without booking/message

    @property
    def unbooked_total(self) -> int:
        """Calls that ended without a booking or a message."""
        return sum(count for _, count in self.unbooked)

    def unbooked_lines(self) -> list[str]:
        """ "2 address outside the service area"-style lines, most frequent first."""
        return [f"{count} {reason}" for reason, count in self.unbooked]

    @property
    def empty(self) -> bool:
        """Nothing to say: no calls, texts or bookings, nothing waiting, nothing failed."""
        return not (
            self.calls or self.texts or self.bookings or self.waiting or self.failures.total
        )

    @property
    def weekly(self) -> bool:
        """Whether the period is a week."""
        return self.end - self.start > timedelta(days=2)

    @property
    def label(self) -> str:
        """The last day covered ("Tue Dec 1"), or the days of a week ("Nov 23-Nov 29")."""
        last = self.end - timedelta(microseconds=1)
        if self.weekly:
            return f"{self.start:%b} {self.start.day}-{last:%b} {last.day}"
        return f"{last:%a %b} {last.day}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _first_name(conversation: Conversation | None) -> str:
    if conversation is None:
        return "a customer"
    name = str(conversation.state.get("first_name") or "").strip().split(" ")[0]
    return name or "a new caller"


def _counts_as_real(conversation: Conversation | None) -> bool:
    """Test-line and test-number conversations and console chats stay out of the digest."""
    return conversation is None or not (conversation.test_mode or conversation.channel == "console")


def _schedule(write: HcpWrite) -> tuple[datetime, datetime] | None:
    for record in (write.request, write.response or {}):
        schedule = record.get("schedule") if isinstance(record, dict) else None
        if isinstance(schedule, dict):
            try:
                start = datetime.fromisoformat(str(schedule["scheduled_start"]))
                end = datetime.fromisoformat(str(schedule["scheduled_end"]))
            except (KeyError, ValueError):
                continue
            return start, end
    return None


def _emergency_result(conversation: Conversation) -> str:
    if conversation.outcome == "transferred":
        return "put through to on-call"
    if conversation.outcome == "message":
        return "on-call did not answer; message taken"
    if conversation.channel == "sms":
        return "told to call"
    return "transfer not confirmed"


async def _note(store: Store, conversation: Conversation) -> str:
    for call in reversed(await store.list_tool_calls(conversation.id)):
        if call.name == "take_message" and call.error is None:
            text = " ".join(str(call.arguments.get("message") or "").split())
            return text[:NOTE_CHARS]
        if call.name == "request_cancellation" and call.error is None:
            return "asked to cancel a visit"
    return ""


async def build_digest(
    store: Store, settings: Settings, period_start: datetime, period_end: datetime
) -> Digest:
    """Count and list the period's conversations, bookings, waiting messages and failures."""
    zone = settings.zone
    start, end = period_start.astimezone(zone), period_end.astimezone(zone)
    known: dict[str, Conversation | None] = {}
    conversations = [
        c for c in await store.list_conversations_between(start, end) if _counts_as_real(c)
    ]
    known.update((c.id, c) for c in conversations)

    async def conversation_of(conversation_id: str | None) -> Conversation | None:
        if conversation_id is None:
            return None
        if conversation_id not in known:
            known[conversation_id] = await store.get_conversation(conversation_id)
        return known[conversation_id]

    emergencies: list[Emergency] = []
    waiting: list[Waiting] = []
    for conversation in conversations:
        at = conversation.started_at.astimezone(zone)
        if "emergency" in (conversation.outcome, conversation.state.get("outcome")):
            emergencies.append(
                Emergency(at, _first_name(conversation), _emergency_result(conversation))
            )
        what = WAITING_OUTCOMES.get(conversation.outcome or "")
        if what:
            note = await _note(store, conversation)
            waiting.append(Waiting(at, _first_name(conversation), what, note))

    bookings: list[Booking] = []
    failed_writes: Counter[str] = Counter()
    for write in await store.list_hcp_writes_between(start, end):
        source = await conversation_of(write.conversation_id)
        if not _counts_as_real(source):
            continue
        if write.status == "failed":
            failed_writes[write.operation] += 1
        elif write.operation in BOOKING_OPERATIONS and write.status == "done":
            span = _schedule(write)
            if span is None:
                continue
            state: dict[str, Any] = source.state if source else {}
            bookings.append(
                Booking(
                    first_name=_first_name(source),
                    job_type=str(state.get("job_type_name") or "a service visit"),
                    when=speak_window(span[0], span[1], now=end, zone=zone),
                    start=span[0],
                )
            )

    given_up: Counter[str] = Counter()
    for item in await store.list_outbox_between(start, end, status="failed"):
        owner = item.payload.get("conversation_id")
        if _counts_as_real(await conversation_of(str(owner) if owner else None)):
            given_up[OUTBOX_LABELS.get(item.kind, item.kind)] += 1
    undelivered = 0
    for message in await store.list_messages_between(start, end, direction="out"):
        if message.status in UNDELIVERED:
            undelivered += _counts_as_real(await conversation_of(message.conversation_id))
    failures = Failures(
        outbox=dict(given_up),
        hcp_writes=dict(failed_writes),
        fallbacks=sum(bool(c.state.get("fallback_reason")) for c in conversations),
        errors=sum(c.status == "failed" for c in conversations),
        undelivered=undelivered,
    )
    return Digest(
        business=settings.business_name,
        start=start,
        end=end,
        calls=sum(c.channel in CALL_CHANNELS for c in conversations),
        texts=sum(c.channel == "sms" for c in conversations),
        bookings=tuple(sorted(bookings, key=lambda b: b.start)),
        emergencies=tuple(emergencies),
        waiting=tuple(waiting),
        failures=failures,
        unbooked=_unbooked(conversations),
    )


def _unbooked(conversations: Iterable[Conversation]) -> tuple[tuple[str, int], ...]:
    reasons: Counter[str] = Counter()
    for conversation in conversations:
        if conversation.channel in CALL_CHANNELS:
            reason = unbooked_reason(conversation)
            if reason is not None:
                reasons[reason] += 1
    return tuple(reasons.most_common())


# -- rendering -------------------------------------------------------------------------------


def _some(items: Iterable[str], limit: int) -> str:
    items = list(items)
    shown = "; ".join(items[:limit])
    rest = len(items) - limit
    if rest > 0:
        shown = f"{shown}; +{rest} more" if shown else f"{rest} not listed"
    return shown


def _sms(digest: Digest, limit: int) -> str:
    title = "weekly" if digest.weekly else "daily"
    parts = [
        f"{digest.business} {title} summary, {digest.label}: "
        f"{_count(digest.calls, 'call')}, {_count(digest.texts, 'text chat')}."
    ]
    if digest.bookings:
        listed = (f"{b.first_name}, {b.job_type}, {b.when}" for b in digest.bookings)
        parts.append(f"Booked {len(digest.bookings)}: {_some(listed, limit)}.")
    if digest.emergencies:
        listed = (f"{e.first_name} {clock_time(e.at)}, {e.result}" for e in digest.emergencies)
        parts.append(f"Emergencies {len(digest.emergencies)}: {_some(listed, limit)}.")
    if digest.waiting:
        listed = (f"{w.first_name} ({w.what})" for w in digest.waiting)
        parts.append(f"Waiting for you {len(digest.waiting)}: {_some(listed, limit)}.")
    if digest.unbooked:
        parts.append(f"Unbooked {digest.unbooked_total}: {_some(digest.unbooked_lines(), limit)}.")
    if digest.failures.total:
        parts.append(f"Problems: {'; '.join(digest.failures.lines())}.")
    return " ".join(parts)


def gsm_text(text: str) -> str:
    """Accents and typographic punctuation folded to ASCII ("José" -> "Jose"), so the SMS
    stays in the GSM-7 alphabet (160 characters a segment, not 70); other scripts are kept."""
    text = text.translate(_PUNCTUATION)
    folded = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def _sms_limit(text: str) -> int:
    return SMS_LIMIT if text.isascii() else SMS_LIMIT_UCS2


def render_sms(digest: Digest) -> str:
    """The SMS digest: counts and short lists (first names, no numbers), within 3 segments."""
    for limit in (5, 4, 3, 2, 1, 0):
        text = gsm_text(_sms(digest, limit))
        if len(text) <= _sms_limit(text):
            return text
    return text[: _sms_limit(text) - 3].rstrip() + "..."


def _section(title: str, lines: list[str]) -> list[str]:
    return ["", f"{title} ({len(lines)})", *([f"- {line}" for line in lines] or ["- none"])]


def render_email(digest: Digest) -> tuple[str, str]:
    """(subject, plain-text body) with every booking, emergency, waiting item and problem."""
    title = "Weekly" if digest.weekly else "Daily"
    figures = [_count(digest.calls, "call"), f"{len(digest.bookings)} booked"]
    if digest.waiting:
        figures.append(f"{len(digest.waiting)} waiting")
    if digest.failures.total:
        figures.append(_count(digest.failures.total, "problem"))
    subject = f"{digest.business}: {title.lower()} summary, {digest.label} ({', '.join(figures)})"
    span = (
        f"{digest.start:%a %b} {digest.start.day} {clock_time(digest.start)} to "
        f"{digest.end:%a %b} {digest.end.day} {clock_time(digest.end)} ({digest.end.tzname()})"
    )
    waiting = [
        f"{clock_time(w.at)} {w.first_name}: {w.what}" + (f' - "{w.note}"' if w.note else "")
        for w in digest.waiting
    ]
    lines = [
        f"{title} summary for {digest.business}",
        span,
        "",
        f"Calls answered: {digest.calls}",
        f"Text conversations: {digest.texts}",
        *_section("Bookings", [f"{b.first_name}: {b.job_type}, {b.when}" for b in digest.bookings]),
        *_section(
            "Emergencies",
            [f"{clock_time(e.at)} {e.first_name}: {e.result}" for e in digest.emergencies],
        ),
        *_section("Waiting for the office", waiting),
        *_section("Calls without a booking or a message", digest.unbooked_lines()),
        *_section("Problems", digest.failures.lines()),
        "",
        "Sent by your phone agent. Change or stop this summary on the dashboard's setup page.",
    ]
    return subject, "\n".join(lines) + "\n"


# -- sending ---------------------------------------------------------------------------------


def email_ready(settings: Settings) -> bool:
    """Whether e-mail can be sent (SMTP_URL and EMAIL_FROM)."""
    return bool(settings.smtp_url and settings.email_from)


@dataclass(frozen=True)
class DigestResult:
    """What `enqueue_digest` did: the channels queued now, or why nothing was."""

    period: Period
    queued: tuple[str, ...] = ()
    skipped: str | None = None  # "nothing to say" | "already queued" | "no destination"


async def enqueue_digest(
    store: Store, settings: Settings, period: Period, now: datetime
) -> DigestResult:
    """Build the period's digest and queue it on each configured channel (once per key)."""
    digest = await build_digest(store, settings, period.start, period.end)
    if digest.empty:
        return DigestResult(period, skipped="nothing to say")
    queued: list[str] = []
    wanted = 0
    if settings.owner_digest_phone:
        wanted += 1
        sms = SendSms(
            to=settings.owner_digest_phone, body=render_sms(digest), purpose="owner_digest"
        )
        if await Outbox(store).put(sms, idempotency_key=period.key("sms"), due_at=now):
            queued.append("sms")
    if settings.owner_digest_email and email_ready(settings):
        wanted += 1
        subject, body = render_email(digest)
        email = SendEmail(
            to=settings.owner_digest_email, subject=subject, body=body, purpose="owner_digest"
        )
        if await Outbox(store).put(email, idempotency_key=period.key("email"), due_at=now):
            queued.append("email")
    elif settings.owner_digest_email:
        log.warning("owner digest e-mail not sent: set SMTP_URL and EMAIL_FROM")
    if not wanted:
        return DigestResult(period, skipped="no destination")
    return DigestResult(period, tuple(queued), None if queued else "already queued")


class OwnerDigest:
    """Enqueues each period's digest once, from the runtime's periodic tick."""

    def __init__(self, store: Store, settings: SettingsSource) -> None:
        self._store = store
        self._settings = settings
        self._handled: set[str] = set()

    async def check(self, now: datetime) -> DigestResult | None:
        """Queue the digest of the period that just closed, unless it was handled already."""
        settings = await self._settings()
        period = due_digest(now, settings)
        if period is None or period.marker in self._handled:
            return None
        day = period.start.date()
        if await self._store.get_digest_mark(period.kind, day) is not None:
            self._handled.add(period.marker)
            return None
        result = await enqueue_digest(self._store, settings, period, now)
        mark = DigestMark(period.kind, day, now, result.queued, result.skipped)
        await self._store.put_digest_mark(mark)
        self._handled.add(period.marker)
        log.info(
            "owner digest %s: %s",
            period.marker,
            ", ".join(result.queued) or result.skipped or "nothing queued",
        )
        return result

    async def check_safely(self, now: datetime) -> DigestResult | None:
        """`check`, with failures logged (the next tick tries again) instead of raised."""
        try:
            return await self.check(now)
        except Exception:
            log.exception("owner digest check failed; will try again")
            return None
