"""Webhook signature verification and the unsigned handshake."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from hcp import HcpWebhookError, compute_signature, is_handshake, verify_webhook

SECRET = "test-webhook-secret-not-real"
TS = "1784871495"
BODY = (
    b'{"event":"job.created","event_occurred_at":"2026-07-24T10:00:00Z",'
    b'"company_id":"c1","job":{"id":"job_1"}}'
)


def headers(sig: str, ts: str = TS) -> dict[str, str]:
    return {"Api-Signature": sig, "Api-Timestamp": ts, "Content-Type": "application/json"}


def test_signature_construction_matches_spec_notes() -> None:
    expected = hmac.new(SECRET.encode(), f"{TS}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert compute_signature(SECRET, TS, BODY) == expected
    assert len(expected) == 64


def test_valid_signature_parses_event() -> None:
    sig = compute_signature(SECRET, TS, BODY)
    event = verify_webhook(SECRET, BODY, headers(sig), now=float(TS) + 10)
    assert event.event == "job.created" and event.company_id == "c1"
    assert event.resource == {"id": "job_1"}


def test_header_lookup_is_case_insensitive_and_hex_case_tolerant() -> None:
    sig = compute_signature(SECRET, TS, BODY).upper()
    event = verify_webhook(SECRET, BODY, {"api-signature": sig, "api-timestamp": TS}, now=float(TS))
    assert event.event == "job.created"


def test_wrong_secret_rejected() -> None:
    sig = compute_signature("another-secret", TS, BODY)
    with pytest.raises(HcpWebhookError, match="mismatch"):
        verify_webhook(SECRET, BODY, headers(sig), now=float(TS))


def test_tampered_body_rejected() -> None:
    sig = compute_signature(SECRET, TS, BODY)
    with pytest.raises(HcpWebhookError, match="mismatch"):
        verify_webhook(SECRET, BODY.replace(b"job_1", b"job_2"), headers(sig), now=float(TS))


def test_tampered_timestamp_rejected() -> None:
    sig = compute_signature(SECRET, TS, BODY)
    with pytest.raises(HcpWebhookError, match="mismatch"):
        verify_webhook(SECRET, BODY, headers(sig, str(int(TS) + 1)), now=float(TS))


@pytest.mark.parametrize("skew", [301, -301, 10_000])
def test_stale_or_future_timestamp_rejected(skew: int) -> None:
    sig = compute_signature(SECRET, TS, BODY)
    with pytest.raises(HcpWebhookError, match="stale"):
        verify_webhook(SECRET, BODY, headers(sig), now=float(TS) + skew)


def test_tolerance_is_configurable() -> None:
    sig = compute_signature(SECRET, TS, BODY)
    verify_webhook(SECRET, BODY, headers(sig), now=float(TS) + 500, tolerance=600)


@pytest.mark.parametrize(
    "hdrs",
    [
        {},
        {"Api-Signature": "abc"},
        {"Api-Timestamp": TS},
        {"Api-Signature": "", "Api-Timestamp": TS},
    ],
)
def test_missing_headers_rejected(hdrs: dict[str, str]) -> None:
    with pytest.raises(HcpWebhookError, match="missing"):
        verify_webhook(SECRET, BODY, hdrs, now=float(TS))


def test_malformed_timestamp_and_empty_secret() -> None:
    with pytest.raises(HcpWebhookError, match="malformed"):
        verify_webhook(SECRET, BODY, headers("ab", "yesterday"), now=float(TS))
    with pytest.raises(HcpWebhookError, match="secret"):
        verify_webhook("", BODY, headers("ab"), now=float(TS))


def test_signed_non_event_body_rejected() -> None:
    body = b'{"foo":"bar"}'
    sig = compute_signature(SECRET, TS, body)
    with pytest.raises(HcpWebhookError, match="not a webhook event"):
        verify_webhook(SECRET, body, headers(sig), now=float(TS))


def test_handshake_recognised() -> None:
    assert is_handshake(b'{"foo":"bar"}')
    assert is_handshake(b'{"foo": "bar"}', {"Content-Type": "application/json"})
    assert not is_handshake(BODY)
    assert not is_handshake(b'{"foo":"bar"}', {"Api-Signature": "x"})
    assert not is_handshake(b"not json")
    assert not is_handshake(b"[]")


def test_appointment_events_carry_appointment() -> None:
    body = b'{"event":"job.appointment.scheduled","appointment":{"id":"appt_1","job_id":"job_1"}}'
    sig = compute_signature(SECRET, TS, body)
    event = verify_webhook(SECRET, body, headers(sig), now=float(TS))
    assert event.resource_key == "appointment" and event.resource == {
        "id": "appt_1",
        "job_id": "job_1",
    }


@pytest.mark.parametrize("ts", ["nan", "NaN", "inf", "-inf", "1784871495.5", "1e9", " 17848714 95"])
def test_timestamp_must_be_a_finite_integer(ts: str) -> None:
    """`nan` compared with the window is never "outside" it: a float parse let it through."""
    sig = compute_signature(SECRET, ts, BODY)
    with pytest.raises(HcpWebhookError, match="Api-Timestamp"):
        verify_webhook(SECRET, BODY, headers(sig, ts), now=float(TS))


@pytest.mark.parametrize(
    "body",
    [b"{}", b'{"foo":"baz"}', b'{"foo":"bar","x":1}', b'{"job":{"id":"job_1"}}', b'{"Foo":"bar"}'],
)
def test_only_the_exact_handshake_body_is_a_handshake(body: bytes) -> None:
    assert not is_handshake(body)
