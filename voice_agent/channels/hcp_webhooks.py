"""`POST /hcp/webhooks`: verify, store once, answer 200, react later (through the outbox).

HCP's unsigned `{"foo":"bar"}` URL check gets a 200 and nothing else. Every other delivery
needs a valid `Api-Signature` over the raw body with a fresh `Api-Timestamp` (HCP_WEBHOOK_SECRET,
or the vault's `hcp_webhook` credential; several comma-separated secrets are accepted so one
can be rotated). HCP sends no event id, so the SHA-256 of the raw body is the dedupe key: a
repeated delivery changes nothing.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

import hcp
from voice_agent.deps import MessagingDep, SettingsDep
from voice_agent.errors import VaultError
from voice_agent.followups.events import PROVIDER
from voice_agent.followups.runtime import MessagingRuntime
from voice_agent.logs import register_secret
from voice_agent.outbox import HcpEvent, Outbox
from voice_agent.settings import Settings
from voice_agent.vault import Vault

log = logging.getLogger(__name__)

router = APIRouter()

MAX_BODY_BYTES = 1024 * 1024
VAULT_SERVICE = "hcp_webhook"


def _split(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


async def _secrets(settings: Settings, runtime: MessagingRuntime) -> list[str]:
    """HCP_WEBHOOK_SECRET, else the vault's `hcp_webhook` credential (cached once found)."""
    if settings.hcp_webhook_secret is not None:
        return _split(settings.hcp_webhook_secret.get_secret_value())
    if settings.voice_agent_master_key is None:
        return []
    if not runtime.webhook_secrets:
        try:
            secret = await Vault.from_settings(runtime.store, settings).get_secret(VAULT_SERVICE)
        except VaultError:
            log.exception("cannot read the %s credential from the vault", VAULT_SERVICE)
            return []
        runtime.webhook_secrets = _split(secret.get_secret_value()) if secret else None
        for value in runtime.webhook_secrets or []:
            register_secret(value)  # never in a log line, like the settings' secrets
    return runtime.webhook_secrets or []


def _verify(secrets: list[str], body: bytes, headers: Any, now: float) -> hcp.WebhookEvent:
    error: hcp.HcpWebhookError | None = None
    for secret in secrets:
        try:
            return hcp.verify_webhook(secret, body, headers, now=now)
        except hcp.HcpWebhookError as exc:
            error = exc
    assert error is not None
    raise error


@router.post("/hcp/webhooks")
async def hcp_webhook(
    request: Request, runtime: MessagingDep, settings: SettingsDep
) -> JSONResponse:
    """Receive one HCP webhook delivery."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
        raise HTTPException(status_code=413, detail="request body too large")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise HTTPException(status_code=413, detail="request body too large")
    if hcp.is_handshake(body, request.headers):
        return JSONResponse({"ok": True})
    secrets = await _secrets(settings, runtime)
    if not secrets:
        raise HTTPException(
            status_code=503,
            detail="HCP webhooks are disabled: set HCP_WEBHOOK_SECRET (or store the "
            f"{VAULT_SERVICE!r} credential) to the Webhooks app's signing secret",
        )
    try:
        event = _verify(secrets, body, request.headers, runtime.clock().timestamp())
    except hcp.HcpWebhookError as exc:
        log.warning(
            "security: rejected HCP webhook reason=%s client=%s",
            exc,
            request.client.host if request.client else "?",
        )
        raise HTTPException(status_code=401, detail="invalid HCP webhook signature") from None
    if settings.hcp_company_id and event.company_id != settings.hcp_company_id:
        log.warning("security: ignored HCP webhook %s for another company", event.event)
        return JSONResponse({"ok": True, "ignored": True})
    payload = event.model_dump(mode="json")
    event_id = hashlib.sha256(body).hexdigest()
    new = await runtime.store.record_webhook_event(PROVIDER, event_id, event.event, payload)
    # Queue even for a repeat: if a crash came between storing and queueing, this heals it.
    queued = await Outbox(runtime.store).put(
        HcpEvent(event_id=event_id, event=payload),
        idempotency_key=f"hcp-event:{event_id}",
        due_at=runtime.clock(),
    )
    if queued:
        runtime.kick()
    log.info("hcp webhook %s %s", event.event, "stored" if new else "duplicate")
    return JSONResponse({"ok": True, "duplicate": not new})
