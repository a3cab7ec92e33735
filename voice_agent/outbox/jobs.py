"""The outbox's job kinds: one frozen, validated model per kind, and the one parser.

A job is what a producer hands to `Outbox.put` and what a handler receives from the
dispatcher. Its payload is validated both ways: a job is checked when it is built (strict
types, no unknown or missing field) and a stored payload is checked when it is parsed, so
a bad row fails with an error naming the kind and the field instead of being guessed at.

Rows queued before the jobs were typed used other spellings; `LEGACY` maps them once, here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    ModelWrapValidatorHandler,
    ValidationError,
    model_validator,
)

from voice_agent.errors import AgentError

JSON = dict[str, Any]


class JobError(AgentError):
    """A job or a stored payload that does not fit its kind; the message names both."""


class Job(BaseModel):
    """One kind of outbox work; subclasses set `kind` and declare their fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    kind: ClassVar[str]

    @model_validator(mode="wrap")
    @classmethod
    def _name_the_kind(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        """Every validation error, building a job or parsing a row, as a JobError."""
        try:
            return handler(data)
        except ValidationError as exc:
            raise JobError(_describe(cls.kind, exc)) from None

    def to_payload(self) -> JSON:
        """The JSON payload stored in the outbox row."""
        return self.model_dump(mode="json")

    @classmethod
    def from_payload(cls, payload: JSON) -> Self:
        """Parse a stored payload (old spellings mapped first); JobError when it does not fit."""
        if not isinstance(payload, dict):
            raise JobError(f"{cls.kind} job: payload is {type(payload).__name__}, not an object")
        upgrade = LEGACY.get(cls.kind)
        data = upgrade(dict(payload)) if upgrade else payload
        return cls.model_validate(data, strict=False)


class SendSms(Job):
    """Text `body` to `to` (E.164) once, unless the number opted out."""

    kind = "sms"
    to: str
    body: str
    conversation_id: str | None = None
    purpose: str | None = None


class SendEmail(Job):
    """E-mail `subject` and `body` to `to` once."""

    kind = "email"
    to: str
    subject: str
    body: str
    purpose: str | None = None


class NotifyOffice(Job):
    """Text a notice to the office number."""

    kind = "notify_office"
    text: str
    conversation_id: str | None = None
    caller: str | None = None
    reason: str | None = None


class SmsReceived(Job):
    """Answer one inbound text (opt-out keywords, follow-up replies, or the agent)."""

    kind = "sms_in"
    message_sid: str
    sender: str
    to: str
    body: str


class RetryHcpWrite(Job):
    """Replay an HCP write that could not be sent at once (`write_id`: its journal entry)."""

    kind = "hcp_write"
    operation: str
    request: JSON
    write_id: str | None = None
    conversation_id: str | None = None


class CallEnded(Job):
    """A finished call's follow-up: settle the outcome, booking SMS, summary note on HCP."""

    kind = "call_ended"
    conversation_id: str


class HcpEvent(Job):
    """React to a verified, stored HCP webhook event."""

    kind = "hcp_event"
    event_id: str
    event: JSON


class InvoiceReminder(Job):
    """Reminder number `n` for an overdue invoice."""

    kind = "invoice_reminder"
    invoice_id: str
    n: int = 1


class EstimateFollowup(Job):
    """One nudge about an estimate texted at `summary_at` that got no answer."""

    kind = "estimate_followup"
    estimate_id: str
    to: str
    summary_at: datetime


JOB_TYPES: dict[str, type[Job]] = {
    job.kind: job
    for job in (
        SendSms,
        SendEmail,
        NotifyOffice,
        SmsReceived,
        RetryHcpWrite,
        CallEnded,
        HcpEvent,
        InvoiceReminder,
        EstimateFollowup,
    )
}


def parse_job(kind: str, payload: JSON) -> Job:
    """The typed job of a stored row; JobError for an unknown kind or a payload that misfits."""
    job_type = JOB_TYPES.get(kind)
    if job_type is None:
        raise JobError(f"unknown outbox kind {kind!r}")
    return job_type.from_payload(payload)


_OFFICE_TEXT_KEYS = ("message", "text", "body", "summary")  # the old order of preference


def _office(payload: JSON) -> JSON:
    """notify_office: the text was "message", "text", "body" or "summary"; "to" was unused."""
    payload.pop("to", None)
    spellings = [payload.pop(key, None) for key in _OFFICE_TEXT_KEYS]
    text = next((text for text in spellings if text), None)
    return payload if text is None else {**payload, "text": text}


def _sms_in(payload: JSON) -> JSON:
    """sms_in: the sender was "from"."""
    if "from" in payload:
        payload.setdefault("sender", payload.pop("from"))
    return payload


_WRITE_ENVELOPE = ("write_id", "operation", "conversation_id", "request")


def _hcp_write(payload: JSON) -> JSON:
    """hcp_write: the call note's request was flat ({"job_id", "content"} beside the envelope)."""
    if "request" not in payload:
        request = {k: payload.pop(k) for k in list(payload) if k not in _WRITE_ENVELOPE}
        payload["request"] = request
    return payload


LEGACY: dict[str, Callable[[JSON], JSON]] = {
    NotifyOffice.kind: _office,
    SmsReceived.kind: _sms_in,
    RetryHcpWrite.kind: _hcp_write,
}


def _describe(kind: str, exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "payload"
        if error["type"] == "missing":
            problems.append(f"missing field {field!r}")
        elif error["type"] == "extra_forbidden":
            problems.append(f"unknown field {field!r}")
        else:
            problems.append(f"field {field!r}: {error['msg']}")
    return f"{kind} job: " + "; ".join(problems)
