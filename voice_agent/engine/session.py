"""The server-side session: everything the engine knows about a conversation between turns.

It lives in `Conversation.state` (JSON, saved with an optimistic version), never in process
memory, so any worker can continue any conversation. Identity and confirmation facts are set
only by server code (caller-ID lookup, verification, `classify_yes_no`), never by model arguments.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Mode = Literal["llm", "guided"]
MAX_REPLAYS = 20
MAX_DONE_ACTIONS = 5


MAX_VERIFY_ATTEMPTS = 3  # account checks per call (the tool and guided intake share it)


class Window(BaseModel):
    """A booking window offered to the caller (UTC times, spoken in local time)."""

    id: str
    start: str
    end: str
    spoken: str


class PendingAction(BaseModel):
    """A write proposed by a tool and read back to the caller, awaiting a clear yes."""

    id: str
    kind: Literal["book", "reschedule", "approve_estimate", "cancel"]
    data: dict[str, Any]
    readback: str
    proposed_seq: int


class Replay(BaseModel):
    """The stored reply of a turn, replayed when the same `turn_key` arrives again."""

    reply: str
    control: list[dict[str, Any]] = Field(default_factory=list)


class GuidedState(BaseModel):
    """Guided intake's own place in the dialogue (the facts themselves live in the session)."""

    model_config = ConfigDict(extra="ignore")

    task: str | None = None  # the caller's request being served: book, reschedule, cancel, ...
    asked: str | None = None  # what guided intake asked last
    request_text: str | None = None  # the caller's words for the request
    name: list[str] | None = None  # [first, last] as said
    address: dict[str, str | None] | None = None  # street, city, state, zip as said
    appointments: list[dict[str, str]] | None = None  # the verified caller's, as read back
    job_id: str | None = None  # the appointment being moved or cancelled
    proposal: dict[str, Any] | None = None  # the propose_* call awaiting a yes (to repeat it)
    misses: int = 0  # answers not understood in a row


class Session(BaseModel):
    """The engine's state for one conversation."""

    model_config = ConfigDict(extra="ignore")

    caller: str = ""
    lookup_done: bool = False
    matched_customer_id: str | None = None
    first_name: str | None = None
    verified: bool = False
    verify_attempts: int = 0  # at most MAX_VERIFY_ATTEMPTS
    customer_id: str | None = None  # the customer bookings go to (verified, found or created)
    customer_created: bool = False
    address_id: str | None = None
    address_text: str | None = None
    problem: str | None = None
    preferred_time: str | None = None
    job_type_id: str | None = None
    job_type_name: str | None = None
    windows: list[Window] = Field(default_factory=list)
    pending: PendingAction | None = None
    confirmed_id: str | None = None
    confirmed_seq: int | None = None
    booked_job_ids: list[str] = Field(default_factory=list)
    history: list[dict[str, Any]] = Field(default_factory=list)
    mode: Mode = "llm"
    fallback_reason: str | None = None
    seq: int = 0
    replays: dict[str, Replay] = Field(default_factory=dict)
    greeting: str | None = None
    ended: bool = False
    awaiting_message: bool = False
    outcome: str | None = None
    language: Literal["en", "es"] = "en"  # the caller's language; "es" once they speak Spanish
    address_city: str | None = None  # of the service address, for the service-area check
    address_zip: str | None = None
    out_of_area: str | None = None  # the place (city or ZIP) last refused as outside the area
    intake_answers: list[dict[str, str]] = Field(default_factory=list)  # [{question, answer}]
    intake_nudged: bool = False  # check_availability already sent the model back to ask them
    done_actions: dict[str, dict[str, Any]] = Field(default_factory=dict)  # action id -> result
    guided: GuidedState = Field(default_factory=GuidedState)

    @classmethod
    def load(cls, state: dict[str, Any]) -> Session:
        """The session stored in a conversation's state (empty state → fresh session)."""
        return cls.model_validate(state)

    def dump(self) -> dict[str, Any]:
        """JSON-safe form for `Store.save_state`."""
        return self.model_dump(mode="json")

    @property
    def account_customer_id(self) -> str | None:
        """The customer whose account details may be shared: only once verified."""
        return self.matched_customer_id if self.verified else None

    def is_confirmed(self, kind: str) -> PendingAction | None:
        """The pending action of `kind` if the caller said yes to it in this turn."""
        pending = self.pending
        if (
            pending is not None
            and pending.kind == kind
            and self.confirmed_id == pending.id
            and self.confirmed_seq == self.seq
        ):
            return pending
        return None

    def consumed(self, kind: str) -> dict[str, Any] | None:
        """The result of the action of `kind` the caller confirmed in this turn, if it already
        ran: a second call for one confirmed action gets the first call's answer."""
        if self.confirmed_id is None or self.confirmed_seq != self.seq:
            return None
        done = self.done_actions.get(self.confirmed_id)
        if done is None or done.get("kind") != kind:
            return None
        result = done.get("result")
        return dict(result) if isinstance(result, dict) else None

    def consume(self, pending: PendingAction, result: dict[str, Any]) -> dict[str, Any]:
        """Mark the confirmed `pending` action done with `result` (once; returns `result`)."""
        self.done_actions[pending.id] = {"kind": pending.kind, "result": result}
        while len(self.done_actions) > MAX_DONE_ACTIONS:
            self.done_actions.pop(next(iter(self.done_actions)))
        if self.pending is not None and self.pending.id == pending.id:
            self.pending = None
        return result

    def remember_reply(self, turn_key: str, replay: Replay) -> None:
        """Store a turn's reply for duplicate deliveries, keeping the latest few."""
        self.replays[turn_key] = replay
        while len(self.replays) > MAX_REPLAYS:
            self.replays.pop(next(iter(self.replays)))
