"""Outbox jobs: each kind round-trips, bad payloads are refused by name, old rows still parse."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import voice_agent
from voice_agent.outbox import (
    JOB_TYPES,
    CallEnded,
    EstimateFollowup,
    HcpEvent,
    InvoiceReminder,
    Job,
    JobError,
    NotifyOffice,
    RetryHcpWrite,
    SendEmail,
    SendSms,
    SmsReceived,
    parse_job,
)

T0 = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
SAMPLES: list[Job] = [
    SendSms(to="+15125550100", body="Booked", conversation_id="c1", purpose="booking"),
    SendEmail(to="owner@example.com", subject="Digest", body="3 calls"),
    NotifyOffice(text="Call back Ann", conversation_id="c1", caller="+1512", reason="fallback"),
    SmsReceived(message_sid="SM1", sender="+15125550100", to="+15125550199", body="yes"),
    RetryHcpWrite(operation="add_note", request={"job_id": "j1", "content": "x"}, write_id="w1"),
    CallEnded(conversation_id="c1"),
    HcpEvent(event_id="e1", event={"event": "job.created", "job": {"id": "j1"}}),
    InvoiceReminder(invoice_id="inv1", n=2),
    EstimateFollowup(estimate_id="est1", to="+15125550100", summary_at=T0),
]


def test_every_kind_has_a_sample() -> None:
    assert sorted(job.kind for job in SAMPLES) == sorted(JOB_TYPES)


@pytest.mark.parametrize("job", SAMPLES, ids=lambda job: job.kind)
def test_each_kind_round_trips_through_its_stored_payload(job: Job) -> None:
    payload = job.to_payload()
    assert parse_job(job.kind, payload) == job
    assert type(job).from_payload(payload) == job


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: SendSms(to="+1512"), "sms job: missing field 'body'"),
        (lambda: NotifyOffice(text="x", message="y"), "notify_office job: unknown field 'message'"),
        (lambda: InvoiceReminder(invoice_id="i", n="2"), "invoice_reminder job: field 'n'"),
        (lambda: CallEnded(conversation_id=None), "call_ended job: field 'conversation_id'"),
    ],
)
def test_a_job_that_does_not_fit_is_refused_when_built(build: Any, message: str) -> None:
    with pytest.raises(JobError, match=re.escape(message)):
        build()


@pytest.mark.parametrize(
    ("kind", "payload", "message"),
    [
        ("sms", {"to": "+1512"}, "sms job: missing field 'body'"),
        ("email", {"to": "a@b", "subject": "s", "body": "b", "cc": "x"}, "unknown field 'cc'"),
        ("hcp_event", {"event_id": "e1", "event": "job.created"}, "hcp_event job: field 'event'"),
        ("call_ended", {}, "call_ended job: missing field 'conversation_id'"),
        ("teleport", {}, "unknown outbox kind 'teleport'"),
        ("sms", ["+1512", "hi"], "sms job: payload is list, not an object"),
    ],
)
def test_a_stored_payload_that_does_not_fit_is_refused_when_parsed(
    kind: str, payload: Any, message: str
) -> None:
    with pytest.raises(JobError, match=re.escape(message)):
        parse_job(kind, payload)


@pytest.mark.parametrize("key", ["message", "text", "body", "summary"])
def test_old_office_notices_parse_whichever_key_held_the_text(key: str) -> None:
    old = {key: "Call back Ann", "to": "+15125550199", "conversation_id": "c1", "caller": "+1"}
    assert parse_job("notify_office", old) == NotifyOffice(
        text="Call back Ann", conversation_id="c1", caller="+1"
    )


def test_old_inbound_texts_and_flat_call_notes_parse() -> None:
    old_sms_in = {"message_sid": "SM1", "from": "+15125550100", "to": "+1512", "body": "yes"}
    assert parse_job("sms_in", old_sms_in) == SmsReceived(
        message_sid="SM1", sender="+15125550100", to="+1512", body="yes"
    )
    old_note = {"write_id": "w1", "operation": "add_note", "job_id": "j1", "content": "Summary"}
    assert parse_job("hcp_write", old_note) == RetryHcpWrite(
        operation="add_note", request={"job_id": "j1", "content": "Summary"}, write_id="w1"
    )
    old_summary_at = {"estimate_id": "e", "to": "+1", "summary_at": T0.isoformat()}
    assert parse_job("estimate_followup", old_summary_at).to_payload()["summary_at"] == (
        "2026-12-01T15:30:00Z"
    )


def test_nothing_but_the_outbox_queues_outbox_rows() -> None:
    package = Path(voice_agent.__file__).parent
    allowed = {package / "outbox" / "outbox.py"}
    offenders = [
        f"{path.relative_to(package)}:{n}"
        for path in sorted(package.rglob("*.py"))
        if path not in allowed
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if re.search(r"store\.enqueue\(|\.enqueue\(\s*[\"'A-Z_]", line)
    ]
    assert offenders == []
