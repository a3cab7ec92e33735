"""The storage contract: one small Protocol per aggregate, and `Store`, all of them together.

Callers depend on the narrowest protocol they use (`OptOutRecords`, `SmsThreadRecords`,
`Digests`, ...); `SqlStore` implements them all on one database. The records are the frozen
dataclasses of `voice_agent.storage.records`, re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Literal, Protocol

from voice_agent.storage.records import (
    CALL_CHANNELS,
    JSON,
    SMS_THREAD_FIELDS,
    Channel,
    Conversation,
    CredentialRecord,
    DashboardUser,
    DigestMark,
    HcpWrite,
    Message,
    NewConversation,
    NewTurn,
    OptOut,
    OutboxItem,
    Recording,
    ScenarioRun,
    SmsThread,
    StaleStateError,
    ToolCallRecord,
    Turn,
    WebhookEvent,
)

__all__ = [
    "CALL_CHANNELS",
    "JSON",
    "SMS_THREAD_FIELDS",
    "Channel",
    "Conversation",
    "CredentialRecord",
    "DashboardUser",
    "DigestMark",
    "HcpWrite",
    "Message",
    "NewConversation",
    "NewTurn",
    "OptOut",
    "OutboxItem",
    "Recording",
    "ScenarioRun",
    "SmsThread",
    "StaleStateError",
    "ToolCallRecord",
    "Turn",
    "WebhookEvent",
]


class Conversations(Protocol):
    """Calls, SMS threads and test-line sessions with the engine's versioned state."""

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
        release: tuple[str, str] | None = None,
    ) -> int | None:
        """`add_turn`, `save_state` and, if the state was saved, `update_conversation(**fields)`
        in one transaction; return the new version. `release` is a lease (name, owner) let go
        in the same transaction (`release_lease`), whatever happens to the state.

        If another writer saved first the turn is still recorded, the state and fields are
        not, and the result is None (where `save_state` raises `StaleStateError`).
        """
        ...

    async def list_conversations(
        self, *, limit: int = 50, offset: int = 0, channel: Channel | None = None
    ) -> list[Conversation]: ...


class Turns(Protocol):
    """What was said in a conversation, and the tools the engine ran."""

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


class HcpWriteJournal(Protocol):
    """Writes to HCP, recorded before they are sent so retries never repeat them."""

    async def begin_hcp_write(
        self,
        conversation_id: str | None,
        operation: str,
        idempotency_key: str,
        request: JSON,
        *,
        owner: str | None = None,
        lease_until: datetime | None = None,
    ) -> tuple[HcpWrite, bool]:
        """Record an intended write, or return the existing one for the key; bool = new.

        A new write is leased to `owner` until `lease_until`.
        """
        ...

    async def claim_hcp_write(
        self, write_id: str, owner: str, *, now: datetime, lease_until: datetime
    ) -> HcpWrite | None:
        """Lease a pending or queued write to `owner` unless another owner's lease is live.

        Returns the claimed write, or None (it is done/failed, or someone else holds it).
        """
        ...

    async def get_hcp_write(self, idempotency_key: str) -> HcpWrite | None: ...

    async def find_hcp_write(self, operation: str, hcp_id: str) -> HcpWrite | None:
        """The finished write of `operation` that produced the HCP record `hcp_id`, if ours."""
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


class Leases(Protocol):
    """Named leases: one owner at a time (a conversation's turn, a booking window)."""

    async def acquire_lease(self, name: str, owner: str, *, now: datetime, until: datetime) -> bool:
        """Take or extend the lease `name` for `owner`; False while another owner's is live."""
        ...

    async def release_lease(self, name: str, owner: str) -> None:
        """Give the lease up (only if `owner` still holds it)."""
        ...

    async def lease_owner(self, name: str, *, now: datetime) -> str | None:
        """Who holds the live lease `name`, if anyone."""
        ...


class OutboxQueue(Protocol):
    """Work to do later, leased to one worker at a time."""

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


class Messages(Protocol):
    """SMS records in and out."""

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


class WebhookEvents(Protocol):
    """Received webhooks, stored once per (provider, event_id)."""

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


class Credentials(Protocol):
    """Encrypted API credentials (ciphertext only; see `voice_agent.vault`)."""

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


class SettingOverrides(Protocol):
    """Settings the office saved on the Setup page (they override the environment)."""

    async def get_setting(self, key: str) -> Any | None: ...

    async def set_setting(self, key: str, value: Any) -> None: ...

    async def all_settings(self) -> JSON:
        """Every saved setting (key -> value)."""
        ...


class Attempts(Protocol):
    """Failed attempts (login limiter, caller identity checks), shared by every worker."""

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


class Reports(Protocol):
    """Time ranges for reports such as the owner digest; every range is [start, end)."""

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


class Recordings(Protocol):
    """Call recordings (the media stays at Twilio; see `voice_agent.recordings`)."""

    async def record_recording(self, recording: Recording) -> bool:
        """Store a recording, or update its status/duration if the sid is known; True if new."""
        ...

    async def list_recordings(self, conversation_id: str) -> list[Recording]: ...

    async def get_recording(self, sid: str) -> Recording | None: ...

    async def recordings_before(self, cutoff: datetime, *, limit: int = 100) -> list[Recording]:
        """Recordings created before `cutoff` and not deleted yet, oldest first."""
        ...

    async def mark_recording_deleted(self, sid: str, at: datetime) -> None: ...


class OptOutRecords(Protocol):
    """Who asked us to stop texting (see `voice_agent.messaging.optout`)."""

    async def get_opt_out(self, number: str) -> OptOut | None:
        """The number's last STOP or START, if it ever sent one."""
        ...

    async def put_opt_out(self, record: OptOut) -> None:
        """Insert or replace the number's record."""
        ...


class SmsThreadRecords(Protocol):
    """One SMS thread per customer number (see `voice_agent.messaging.threads`)."""

    async def get_sms_thread(self, number: str) -> SmsThread:
        """The thread with `number` (empty if we never texted)."""
        ...

    async def update_sms_thread(self, number: str, **fields: Any) -> None:
        """Set some of `SMS_THREAD_FIELDS`, creating the thread if needed (others stay)."""
        ...


class DashboardUsers(Protocol):
    """Created dashboard logins (scrypt hashes; the admin is not among them)."""

    async def list_users(self) -> list[DashboardUser]:
        """Every created user, by name."""
        ...

    async def put_user(self, user: DashboardUser) -> None:
        """Create the user or replace its password hash."""
        ...

    async def delete_user(self, name: str) -> bool:
        """Remove the user; False if there was none."""
        ...


class InstallSecrets(Protocol):
    """Random per-install secrets (the session-signing salt)."""

    async def install_secret(self, name: str, new_value: str) -> str:
        """The secret `name`, stored as `new_value` if there is none yet (first writer wins)."""
        ...


class OwnWrites(Protocol):
    """Marks on HCP records we just changed, so their webhook echoes are recognised."""

    async def mark_own_write(self, resource_id: str, at: datetime) -> None: ...

    async def own_write_at(self, resource_id: str) -> datetime | None:
        """When we last changed the HCP record `resource_id`, if we did."""
        ...

    async def remember_texted_schedule(self, job_id: str, start: datetime) -> None:
        """Record the visit time the customer was last told about."""
        ...

    async def texted_schedule(self, job_id: str) -> datetime | None:
        """The visit time the customer was last told about, if any."""
        ...


class Digests(Protocol):
    """Owner-digest periods already handled (each is queued once)."""

    async def get_digest_mark(self, kind: str, period_start: date) -> DigestMark | None: ...

    async def put_digest_mark(self, mark: DigestMark) -> None:
        """Record that the period was handled (replacing an earlier mark)."""
        ...


class ScenarioRecords(Protocol):
    """The owner's scenarios (YAML text by slug) and the dashboard's scenario runs."""

    async def owner_scenario_texts(self) -> dict[str, str]:
        """Every saved scenario text by slug."""
        ...

    async def put_owner_scenario(self, slug: str, text: str) -> None: ...

    async def delete_owner_scenario(self, slug: str) -> bool:
        """Remove a saved scenario; False if there was none."""
        ...

    async def put_scenario_run(self, run: ScenarioRun) -> None:
        """Insert a run or replace its progress (its start time stays)."""
        ...

    async def get_scenario_run(self, run_id: str) -> ScenarioRun | None: ...

    async def last_scenario_run(self) -> str | None:
        """The id of the run started last, if any."""
        ...


class Store(
    Conversations,
    Turns,
    HcpWriteJournal,
    Leases,
    OutboxQueue,
    Messages,
    WebhookEvents,
    Credentials,
    SettingOverrides,
    Attempts,
    Reports,
    Recordings,
    OptOutRecords,
    SmsThreadRecords,
    DashboardUsers,
    InstallSecrets,
    OwnWrites,
    Digests,
    ScenarioRecords,
    Protocol,
):
    """Everything the product persists; one SQLAlchemy implementation for SQLite and PostgreSQL."""

    async def close(self) -> None: ...
