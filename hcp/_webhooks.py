"""Verify HCP webhook deliveries (``Api-Signature`` / ``Api-Timestamp``) and spot the handshake."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from hcp._constants import WEBHOOK_TOLERANCE_SECONDS
from hcp._errors import HcpWebhookError
from hcp.models._base import LenientUtcDateTime

SIGNATURE_HEADER = "Api-Signature"
TIMESTAMP_HEADER = "Api-Timestamp"


class WebhookEvent(BaseModel):
    """A delivery: ``{"event": "job.created", "event_occurred_at", "company_id", "job": {...}}``."""

    model_config = ConfigDict(extra="allow")

    event: str
    event_occurred_at: LenientUtcDateTime = None
    company_id: str | None = None

    @property
    def resource_key(self) -> str:
        """Payload key: ``job`` for ``job.*``, ``appointment`` for ``job.appointment.*``."""
        parts = self.event.split(".")
        if len(parts) >= 3 and parts[0] == "job" and parts[1] == "appointment":
            return "appointment"
        return parts[0]

    @property
    def resource(self) -> dict[str, Any] | None:
        """The full record the event carries, if present."""
        extra = self.model_extra or {}
        value = extra.get(self.resource_key)
        return value if isinstance(value, dict) else None


def compute_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``"<timestamp>." + body`` keyed with the signing secret."""
    message = timestamp.encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


HANDSHAKE = {"foo": "bar"}


def is_handshake(body: bytes, headers: Mapping[str, str] | None = None) -> bool:
    """True for HCP's unsigned URL-validation POST: exactly the JSON object ``{"foo":"bar"}``.

    Whitespace may differ; any other key or value is not the handshake. A body carrying a
    signature header is never treated as the handshake.
    """
    if headers is not None and _header(headers, SIGNATURE_HEADER):
        return False
    if len(body) > 64:
        return False
    try:
        data = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(data, dict) and data == HANDSHAKE


def verify_webhook(
    secret: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    tolerance: float = WEBHOOK_TOLERANCE_SECONDS,
    now: float | None = None,
) -> WebhookEvent:
    """Check a delivery's signature and freshness, then parse it.

    Args:
        secret: The signing secret from HCP's Webhooks app.
        body: The raw request body exactly as received.
        headers: Request headers (case-insensitive lookup of Api-Signature / Api-Timestamp).
        tolerance: Allowed clock difference in seconds, either direction.
        now: Current Unix time (for tests).

    Raises:
        HcpWebhookError: Missing/bad signature, stale or malformed timestamp, or a body
            that is not an event (answer the handshake with `is_handshake` first).
    """
    if not secret:
        raise HcpWebhookError("webhook signing secret is not configured")
    signature = (_header(headers, SIGNATURE_HEADER) or "").strip().lower()
    timestamp = (_header(headers, TIMESTAMP_HEADER) or "").strip()
    if not signature or not timestamp:
        raise HcpWebhookError("missing Api-Signature or Api-Timestamp header")
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        raise HcpWebhookError("malformed Api-Timestamp (whole Unix seconds expected)")
    sent_at = int(timestamp)
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance:
        raise HcpWebhookError("stale webhook: Api-Timestamp outside tolerance")
    expected = compute_signature(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise HcpWebhookError("webhook signature mismatch")
    try:
        return WebhookEvent.model_validate_json(body)
    except ValueError as exc:
        raise HcpWebhookError("signed body is not a webhook event") from exc
