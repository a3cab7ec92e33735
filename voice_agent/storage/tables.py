"""SQLAlchemy table models: one row type per record in `voice_agent.storage.base`.

Every idempotent write has a unique natural key here, so a repeated delivery is a no-op
at the database level (the store inserts with ON CONFLICT DO NOTHING).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    SQLite keeps no offset, so values are converted to UTC before they are written and
    naive values read back are marked as UTC. Naive values passed in are taken as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with stable constraint names (so migrations can refer to them)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSON()}


class ConversationRow(Base):
    """A call, SMS thread or test-line session."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    caller: Mapped[str] = mapped_column(String(32))
    business_number: Mapped[str | None] = mapped_column(String(32))
    test_mode: Mapped[bool] = mapped_column(Boolean)
    language: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    outcome: Mapped[str | None] = mapped_column(String(32))
    hcp_customer_id: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[dict[str, Any]]
    version: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    duration_seconds: Mapped[int | None] = mapped_column(Integer)


class TurnRow(Base):
    """One utterance; (conversation, seq, role) is unique so a retried webhook adds nothing."""

    __tablename__ = "turns"
    __table_args__ = (UniqueConstraint("conversation_id", "seq", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    meta: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class ToolCallRow(Base):
    """A tool the engine ran."""

    __tablename__ = "tool_calls"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    turn_seq: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    arguments: Mapped[dict[str, Any]]
    result: Mapped[Any] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime]


class HcpWriteRow(Base):
    """A write to HCP, recorded before it is sent."""

    __tablename__ = "hcp_writes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    conversation_id: Mapped[str | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )
    operation: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    request: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16))
    hcp_id: Mapped[str | None] = mapped_column(String(64))
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    owner: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None]


class LeaseRow(Base):
    """A named lease: one owner at a time until it expires (turns, booking windows)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    owner: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]


class OutboxRow(Base):
    """Work to do later, leased to one worker at a time."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class MessageRow(Base):
    """An SMS in or out; the provider's id (MessageSid) is unique."""

    __tablename__ = "messages"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    conversation_id: Mapped[str | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )
    direction: Mapped[str] = mapped_column(String(8))
    provider_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    from_number: Mapped[str] = mapped_column(String(32))
    to_number: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]


class WebhookEventRow(Base):
    """A received webhook, stored once per (provider, event_id)."""

    __tablename__ = "webhook_events"

    provider: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class CredentialRow(Base):
    """An encrypted credential (AES-256-GCM ciphertext, nonce and key id)."""

    __tablename__ = "credentials"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    service: Mapped[str] = mapped_column(String(64), unique=True)
    allowed_domains: Mapped[list[str]] = mapped_column(JSON)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(String(16))
    last4: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    meta: Mapped[dict[str, Any]]


class SettingRow(Base):
    """An office-edited setting that overrides the environment default."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class RecordingRow(Base):
    """A Twilio call recording linked to its conversation (the media stays at Twilio)."""

    __tablename__ = "recordings"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)  # RecordingSid
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    call_sid: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # completed | absent | failed | deleted
    media_url: Mapped[str] = mapped_column(Text)  # Twilio's RecordingUrl (needs auth)
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    channels: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(String(32))  # StartCallRecordingTwiML, DialVerb
    created_at: Mapped[datetime] = mapped_column(index=True)
    deleted_at: Mapped[datetime | None]


class AttemptRow(Base):
    """One failed attempt (a dashboard login, a caller's identity check), kept for a window.

    `key` is a SHA-256 of the client address or caller number, never the value itself.
    """

    __tablename__ = "attempts"
    __table_args__ = (Index("ix_attempts_scope_key_at", "scope", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]


# -- records that once lived in the settings table under key prefixes (migration 0005) ----


class OptOutRow(Base):
    """A number's last STOP or START (checked before every text)."""

    __tablename__ = "sms_opt_outs"

    number: Mapped[str] = mapped_column(String(64), primary_key=True)
    opted_out: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class SmsThreadRow(Base):
    """The current SMS thread with one number and what its next reply refers to."""

    __tablename__ = "sms_threads"

    number: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversation_id: Mapped[str | None] = mapped_column(String(36))
    last_at: Mapped[datetime | None]
    last_inbound_at: Mapped[datetime | None]
    texted_at: Mapped[datetime | None]
    context: Mapped[dict[str, Any]]
    context_at: Mapped[datetime | None]


class DashboardUserRow(Base):
    """A created dashboard login: scrypt salt and hash (hex)."""

    __tablename__ = "dashboard_users"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    salt: Mapped[str] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(Text)


class InstallSecretRow(Base):
    """A random per-install secret, written once."""

    __tablename__ = "install_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class OwnWriteRow(Base):
    """When we last changed an HCP record (its webhook echo is ours)."""

    __tablename__ = "hcp_own_writes"

    resource_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    at: Mapped[datetime]


class TextedScheduleRow(Base):
    """The visit time a customer was last told about, per HCP job."""

    __tablename__ = "texted_schedules"

    job_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    start: Mapped[datetime]


class DigestMarkRow(Base):
    """An owner-digest period that was handled (queued once)."""

    __tablename__ = "digest_marks"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    at: Mapped[datetime]
    queued: Mapped[list[str]] = mapped_column(JSON)
    skipped: Mapped[str | None] = mapped_column(Text)


class OwnerScenarioRow(Base):
    """One of the owner's scenarios, as YAML text."""

    __tablename__ = "owner_scenarios"

    slug: Mapped[str] = mapped_column(String(128), primary_key=True)
    text: Mapped[str] = mapped_column(Text)


class ScenarioRunRow(Base):
    """A dashboard scenario run and its progress."""

    __tablename__ = "scenario_runs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    progress: Mapped[dict[str, Any]]
    started_at: Mapped[datetime] = mapped_column(index=True)
