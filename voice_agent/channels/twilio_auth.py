"""`X-Twilio-Signature` checking as a FastAPI dependency, shared by every Twilio route.

Twilio signs the public URL it called (scheme, host, port, path and query) plus every POST
parameter with the account Auth Token. Behind a proxy the app sees another host, so the URL
is rebuilt from `PUBLIC_BASE_URL` when it is set. Nothing of the request is acted on before
the signature is checked; there is no switch that turns the check off.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Mapping
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import Depends, HTTPException, Request
from starlette.datastructures import FormData, UploadFile
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send
from twilio.request_validator import RequestValidator

from voice_agent import phones
from voice_agent.settings import Settings

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Signature"
MAX_BODY_BYTES = 64 * 1024  # Twilio's webhook bodies are a few kilobytes
MAX_FIELDS = 200
URLENCODED = "application/x-www-form-urlencoded"

TwilioParams = dict[str, str]
ARRIVED = "twilio_received"  # request.state: when the request reached the app


def public_url(request: HTTPConnection, settings: Settings) -> str:
    """The URL Twilio called (or opened, for a WebSocket): `PUBLIC_BASE_URL` + path + raw
    query, else the request's own URL."""
    if settings.public_base_url is None:
        return str(request.url)
    base = str(settings.public_base_url).rstrip("/")
    query = request.scope.get("query_string", b"").decode("latin-1")
    return f"{base}{request.url.path}" + (f"?{query}" if query else "")


def received_at(request: Request) -> float | None:
    """When the verified request arrived (`time.monotonic()`), for silence budgets."""
    value = getattr(request.state, ARRIVED, None)
    return value if isinstance(value, float) else None


class ArrivalStamp:
    """ASGI middleware: stamps when a request reached the app, before routing, dependencies
    and the body are read, so a busy moment before the handler counts against the caller's
    silence budget instead of being added to it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope.setdefault("state", {})[ARRIVED] = time.monotonic()
        await self.app(scope, receive, send)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _reject(request: Request, reason: str, form: FormData) -> HTTPException:
    caller = form.get("From")
    log.warning(
        "security: rejected Twilio request path=%s reason=%s from=%s client=%s",
        request.url.path,
        reason,
        phones.mask(caller if isinstance(caller, str) else None),
        request.client.host if request.client else "?",
    )
    return HTTPException(status_code=403, detail="invalid Twilio signature")


async def _read_form(request: Request) -> FormData:
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
        raise HTTPException(status_code=413, detail="request body too large")
    kind = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if kind == URLENCODED:  # what Twilio sends: parsed in one pass (the stdlib's parser)
        return _urlencoded(await _body(request))
    try:
        return await request.form(max_files=0, max_fields=MAX_FIELDS, max_part_size=MAX_BODY_BYTES)
    except HTTPException:
        raise
    except Exception as exc:  # malformed bodies raise parser-specific errors
        raise HTTPException(status_code=400, detail="unreadable form body") from exc


async def _body(request: Request) -> bytes:
    """The body, refused as soon as it grows past `MAX_BODY_BYTES` (a chunked one too)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise HTTPException(status_code=413, detail="request body too large")
    return bytes(body)


def _urlencoded(body: bytes) -> FormData:
    """The fields of an `application/x-www-form-urlencoded` body, decoded as Starlette's form
    parser does (raw bytes as Latin-1, %-escapes as UTF-8), so signatures check the same."""
    try:
        text = body.decode("latin-1")
        fields = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError as exc:  # more than MAX_FIELDS fields
        raise HTTPException(status_code=400, detail="unreadable form body") from exc
    return FormData([(name, value) for name, value in fields])


async def verified_twilio_params(request: Request) -> TwilioParams:
    """Check `X-Twilio-Signature` and return the POST parameters (first value of each name).

    Raises:
        HTTPException: 503 when `TWILIO_AUTH_TOKEN` is not configured, 413 for an oversized
            body, 400 for an unreadable one, and 403 (logged as a security event) when the
            signature is missing or wrong.
    """
    if received_at(request) is None:  # an app without `ArrivalStamp` (tests)
        setattr(request.state, ARRIVED, time.monotonic())
    settings = _settings(request)
    if settings.twilio_auth_token is None:
        raise HTTPException(
            status_code=503,
            detail="Twilio webhooks are disabled: set TWILIO_AUTH_TOKEN (the account's Auth Token)",
        )
    signature = request.headers.get(SIGNATURE_HEADER)
    form = await _read_form(request)
    if not signature:
        raise _reject(request, "missing signature", form)
    token = settings.twilio_auth_token.get_secret_value()
    if not signature_ok(token, public_url(request, settings), form, signature):
        raise _reject(request, "signature mismatch", form)
    params: TwilioParams = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            raise HTTPException(status_code=400, detail="unexpected file upload")
        params.setdefault(key, value)
    return params


def signature_ok(
    token: str, url: str, params: FormData | Mapping[str, str], signature: str
) -> bool:
    """The SDK's check of `X-Twilio-Signature` over `url` and `params`: first against the URL
    exactly as Twilio called it (one HMAC, the usual case), then `validate`, which also tries
    it with and without the port (two more)."""
    validator = RequestValidator(token)
    if hmac.compare_digest(validator.compute_signature(url, params).encode(), signature.encode()):
        return True
    return bool(validator.validate(url, params, signature))


TwilioForm = Annotated[TwilioParams, Depends(verified_twilio_params)]
"""Route parameter type: the verified Twilio POST parameters."""
