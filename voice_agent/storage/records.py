"""The records the store keeps, one frozen dataclass per kind.

Records are plain frozen dataclasses (never ORM objects), so callers cannot lazy-load or
mutate rows behind the store's back. Every write that a webhook retry could repeat is keyed
by a unique natural key, and the store answers "already had it" instead of writing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

Channel = Literal["voice", "sms", "web", "console"]
CALL_CHANNELS: frozenset[str] = frozenset({"voice", "web"})
"""Channels whose conversations count as calls: the phone and the browser test line."""
JSON = dict[str, Any]


class StaleStateError(Exception):
    """`save_state` lost a race: the conversation changed since it was loaded."""


@dataclass(frozen=True)
class NewConversation:
    """What is known when a conversation starts."""

    channel: Channel
    external_id: str  # CallSid, SMS thread key, or a test-line session id
    caller: str  # E.164 caller number (a claim, not proof)
    business_number: str | None = None
    test_mode: bool = False
    language: str = "en"


@dataclass(frozen=True)
class Conversation:
    """One call, SMS thread or test-line session, with the engine's saved state."""

    id: str
    channel: Channel
    external_id: str
    caller: str
    business_number: str | None
    test_mode: bool
    language: str
    status: str  # active | completed | failed | abandoned
    outcome: str | None  # booked | rescheduled | estimate | message | transferred | ...
    hcp_customer_id: str | None
    state: JSON
    version: int
    started_at: datetime
    updated_at: datetime
    ended_at: datetime | None = None
    duration_seconds: int | None = None


@dataclass(frozen=True)
class Turn:
    """One utterance in a conversation."""

    conversation_id: str
    seq: int
    role: Literal["caller", "agent", "system"]
    text: str
    meta: JSON
    created_at: datetime


@dataclass(frozen=True)
class NewTurn:
    """A turn to record (see `Store.finish_turn`)."""

    seq: int
    role: str
    text: str
    meta: JSON = field(default_factory=dict)


@dataclass(frozen=True)
class ToolCallRecord:
    """A tool the engine ran, with its arguments, result and timing."""

    id: str
    conversation_id: str
    turn_seq: int
    name: str
    arguments: JSON
    result: Any
    error: str | None
    duration_ms: float
    created_at: datetime


@dataclass(frozen=True)
class HcpWrite:
    """A write to HCP, recorded before it is sent; `idempotency_key` makes retries safe."""

    id: str
    conversation_id: str | None
    operation: str  # e.g. create_job, create_customer, add_note
    idempotency_key: str
    request: JSON
    status: str  # pending | done | failed | queued
    hcp_id: str | None
    response: JSON | None
    error: str | None
    created_at: datetime
    updated_at: datetime
    owner: str | None = None  # the turn or worker sending it right now
    lease_until: datetime | None = None  # nobody else touches it before this

    def leased(self, now: datetime) -> bool:
        """Whether a live owner holds this write (it is being sent; do not resend it)."""
        return self.status == "pending" and self.lease_until is not None and self.lease_until > now


@dataclass(frozen=True)
class OutboxItem:
    """Work to do later (an SMS, a retried HCP write, an office notification)."""

    id: str
    kind: str
    idempotency_key: str
    payload: JSON
    status: str  # pending | claimed | done | failed
    attempts: int
    next_attempt_at: datetime
    claimed_by: str | None
    claimed_until: datetime | None
    last_error: str | None
    created_at: datetime


@dataclass(frozen=True)
class Message:
    """An SMS in or out."""

    id: str
    conversation_id: str | None
    direction: Literal["in", "out"]
    provider_id: str | None  # Twilio MessageSid
    from_number: str
    to_number: str
    body: str
    status: str
    created_at: datetime


@dataclass(frozen=True)
class WebhookEvent:
    """A received webhook, stored once per (provider, event_id)."""

    provider: str  # twilio | hcp
    event_id: str
    kind: str
    payload: JSON
    received_at: datetime
    processed_at: datetime | None = None
    error: str | None = None


@dataclass(frozen=True)
class CredentialRecord:
    """An encrypted credential row; plaintext never lives here."""

    id: str
    type: str  # api_key_token_prefix
    service: str  # hcp
    allowed_domains: tuple[str, ...]
    ciphertext: bytes
    nonce: bytes
    key_id: str
    last4: str
    created_at: datetime
    used_at: datetime | None = None
    meta: JSON = field(default_factory=dict)


@dataclass(frozen=True)
class Recording:
    """A call recording at Twilio, linked to its conversation."""

    sid: str
    conversation_id: str
    call_sid: str
    status: str  # completed | absent | failed | deleted
    media_url: str
    duration_seconds: int | None
    channels: int | None
    source: str | None
    created_at: datetime
    deleted_at: datetime | None = None


@dataclass(frozen=True)
class OptOut:
    """A number's SMS consent: opted out (STOP) or back in (START), when and by what."""

    number: str  # E.164
    opted_out: bool
    source: str
    at: datetime


@dataclass(frozen=True)
class SmsThread:
    """The current SMS thread with one number."""

    number: str
    conversation_id: str | None = None
    last_at: datetime | None = None
    last_inbound_at: datetime | None = None
    texted_at: datetime | None = None  # when we last queued a text to this number
    context: JSON = field(default_factory=dict)
    context_at: datetime | None = None

    def is_open(self, now: datetime, window: timedelta) -> bool:
        """Whether the thread's conversation is recent enough to continue."""
        return (
            self.conversation_id is not None
            and self.last_at is not None
            and now - self.last_at <= window
        )


SMS_THREAD_FIELDS = frozenset(
    {"conversation_id", "last_at", "last_inbound_at", "texted_at", "context", "context_at"}
)


@dataclass(frozen=True)
class DashboardUser:
    """A created dashboard login: its scrypt salt and hash (hex), never the password."""

    name: str
    salt: str
    hash: str


@dataclass(frozen=True)
class DigestMark:
    """An owner-digest period that was handled: what was queued, or why nothing was."""

    kind: str  # daily | weekly
    period_start: date
    at: datetime
    queued: tuple[str, ...] = ()
    skipped: str | None = None


@dataclass(frozen=True)
class ScenarioRun:
    """A dashboard scenario run: its progress record (status, names, results so far)."""

    id: str
    progress: JSON
    started_at: datetime
