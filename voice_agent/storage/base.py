"""The storage contract: every record the product keeps, behind one `Store` protocol.

Records are plain frozen dataclasses (never ORM objects), so callers cannot lazy-load or
mutate rows behind the store's back. Every write that a webhook retry could repeat is keyed
by a unique natural key, and the store answers "already had it" instead of writing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

Channel = Literal["voice", "sms", "web", "console"]
CALL_CHANNELS: frozenset[str] = frozenset({"voice", "web"})
"""Channels whose conversations count as calls: the phone and the browser test line."""
# Setting keys with this mark ("optout:+1512…", "sms-thread:…") are internal records kept in
# the settings table, not office settings: `all_settings` leaves them out.
RECORD_KEY_MARK = ":"
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


class Store(Protocol):
    """Everything the product persists; one SQLAlchemy implementation for SQLite and PostgreSQL."""

    # conversations
    async def create_conversation(self, new: NewConversation) -> tuple[Conversation, bool]:
        """Create, or return the existing one for (channel, external_id); bool = created."""
        ...

    async def get_conversation(self, conversation_id: str) -> Conversation | None: ...

    async def find_conversation(
        self, channel: Channel, external_id: str
    ) -> Conversation | None: ...

    async def save_state(self, conversation_id: str, state: JSON, *, expected_version: int) -> int:
        """Store the engine state if the version still matches; return the new version.

        Raises `StaleStateError` when another writer saved first.
        """
        ...

    async def update_conversation(self, conversation_id: str, **fields: Any) -> None:
        """Set status, outcome, hcp_customer_id, language, ended_at or duration_seconds."""
        ...

    async def finish_turn(
        self,
        conversation_id: str,
        turn: NewTurn,
        state: JSON,
        *,
        expected_version: int,
        fields: JSON | None = None,
    ) -> int | None:
        """`add_turn`, `save_state` and, if the state was saved, `update_conversation(**fields)`
        in one transaction; return the new version.

        If another writer saved first the turn is still recorded, the state and fields are
        not, and the result is None (where `save_state` raises `StaleStateError`).
        """
        ...

    async def list_conversations(
        self, *, limit: int = 50, offset: int = 0, channel: Channel | None = None
    ) -> list[Conversation]: ...

    # turns and tool calls
    async def add_turn(
        self, conversation_id: str, seq: int, role: str, text: str, meta: JSON | None = None
    ) -> bool:
        """Record a turn; False (and no write) if (conversation, seq, role) exists."""
        ...

    async def update_turn(self, conversation_id: str, seq: int, role: str, *, text: str) -> bool:
        """Replace a recorded turn's text (a reply the caller cut off); False if none."""
        ...

    async def list_turns(self, conversation_id: str) -> list[Turn]: ...

    async def add_tool_call(
        self,
        conversation_id: str,
        turn_seq: int,
        name: str,
        arguments: JSON,
        result: Any,
        error: str | None,
        duration_ms: float,
    ) -> ToolCallRecord: ...

    async def list_tool_calls(self, conversation_id: str) -> list[ToolCallRecord]: ...

    # HCP writes
    async def begin_hcp_write(
        self, conversation_id: str | None, operation: str, idempotency_key: str, request: JSON
    ) -> tuple[HcpWrite, bool]:
        """Record an intended write, or return the existing one for the key; bool = new."""
        ...

    async def finish_hcp_write(
        self,
        write_id: str,
        *,
        status: str,
        hcp_id: str | None = None,
        response: JSON | None = None,
        error: str | None = None,
    ) -> None: ...

    async def list_hcp_writes(self, conversation_id: str) -> list[HcpWrite]: ...

    # outbox
    async def enqueue(
        self, kind: str, payload: JSON, *, idempotency_key: str, due_at: datetime | None = None
    ) -> bool:
        """Queue work once per idempotency key; False if the key was already queued."""
        ...

    async def claim_due(
        self, now: datetime, *, worker: str, limit: int = 10, lease_seconds: int = 60
    ) -> list[OutboxItem]:
        """Claim due items (pending, or claimed with an expired lease) for this worker only."""
        ...

    async def complete(self, item_id: str) -> None: ...

    async def retry_later(self, item_id: str, error: str, next_attempt_at: datetime) -> None: ...

    async def give_up(self, item_id: str, error: str) -> None: ...

    async def list_outbox(self, *, status: str | None = None) -> list[OutboxItem]: ...

    # messages
    async def record_message(
        self,
        *,
        direction: Literal["in", "out"],
        from_number: str,
        to_number: str,
        body: str,
        status: str,
        provider_id: str | None = None,
        conversation_id: str | None = None,
    ) -> tuple[Message, bool]:
        """Record an SMS; for a known provider_id return the existing one (bool = new)."""
        ...

    async def update_message_status(self, provider_id: str, status: str) -> bool: ...

    async def list_messages(self, conversation_id: str) -> list[Message]: ...

    # webhook events
    async def record_webhook_event(
        self, provider: str, event_id: str, kind: str, payload: JSON
    ) -> bool:
        """Store a delivery; False if (provider, event_id) was already stored."""
        ...

    async def mark_webhook_processed(
        self, provider: str, event_id: str, error: str | None = None
    ) -> None: ...

    async def list_unprocessed_webhooks(self, provider: str) -> list[WebhookEvent]: ...

    async def get_webhook_event(self, provider: str, event_id: str) -> WebhookEvent | None:
        """The stored delivery (provider, event_id), processed or not; None if never stored."""
        ...

    # credentials (ciphertext only; see voice_agent.vault)
    async def put_credential(self, record: CredentialRecord) -> None:
        """Insert or replace the credential with this id."""
        ...

    async def put_credentials(self, records: Sequence[CredentialRecord]) -> None:
        """Insert or replace several credentials in one transaction (key rotation)."""
        ...

    async def get_credential(self, service: str) -> CredentialRecord | None: ...

    async def list_credentials(self) -> list[CredentialRecord]: ...

    async def delete_credential(self, credential_id: str) -> bool: ...

    async def touch_credential(self, credential_id: str, used_at: datetime) -> None: ...

    # settings (office-edited, override environment defaults)
    async def get_setting(self, key: str) -> Any | None: ...

    async def set_setting(self, key: str, value: Any) -> None: ...

    async def all_settings(self) -> JSON:
        """The office-edited settings; keys containing `RECORD_KEY_MARK` are left out."""
        ...

    # failed attempts (login limiter, caller identity checks), shared by every worker
    async def add_attempt(
        self, scope: str, key: str, at: datetime, *, keep_after: datetime
    ) -> None:
        """Record one failed attempt; attempts of `scope` older than `keep_after` are dropped."""
        ...

    async def list_attempts(self, scope: str, key: str, since: datetime) -> list[datetime]:
        """When `key`'s failed attempts in `scope` since `since` happened, oldest first."""
        ...

    async def clear_attempts(self, scope: str, key: str) -> None:
        """Forget `key`'s failed attempts in `scope` (after a success)."""
        ...

    async def close(self) -> None: ...

    # time ranges (reports such as the owner digest); every range is [start, end)
    async def list_conversations_between(
        self, start: datetime, end: datetime
    ) -> list[Conversation]:
        """Conversations started in [start, end), oldest first (test ones included)."""
        ...

    async def list_hcp_writes_between(self, start: datetime, end: datetime) -> list[HcpWrite]:
        """HCP writes last updated (finished, failed or queued) in [start, end), oldest first."""
        ...

    async def list_outbox_between(
        self, start: datetime, end: datetime, *, status: str | None = None
    ) -> list[OutboxItem]:
        """Outbox items whose (last) attempt was due in [start, end), oldest first.

        A given-up item keeps the due time of its last attempt, so `status="failed"` lists
        the items given up in the range.
        """
        ...

    async def list_messages_between(
        self, start: datetime, end: datetime, *, direction: Literal["in", "out"] | None = None
    ) -> list[Message]:
        """SMS records created in [start, end), oldest first."""
        ...

    # call recordings (the media stays at Twilio; see voice_agent.recordings)
    async def record_recording(self, recording: Recording) -> bool:
        """Store a recording, or update its status/duration if the sid is known; True if new."""
        ...

    async def list_recordings(self, conversation_id: str) -> list[Recording]: ...

    async def get_recording(self, sid: str) -> Recording | None: ...

    async def recordings_before(self, cutoff: datetime, *, limit: int = 100) -> list[Recording]:
        """Recordings created before `cutoff` and not deleted yet, oldest first."""
        ...

    async def mark_recording_deleted(self, sid: str, at: datetime) -> None: ...
