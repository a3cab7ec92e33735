"""The error tree: everything `hcp` raises derives from `HcpError`."""

from __future__ import annotations

import json
from typing import Any

import httpx

from hcp._constants import ALLOWED_DOMAINS_SETTING, REQUEST_ID_HEADERS

__all__ = [
    "HcpAuthenticationError",
    "HcpBadRequestError",
    "HcpConflictError",
    "HcpConnectionError",
    "HcpDomainNotAllowedError",
    "HcpError",
    "HcpNotFoundError",
    "HcpPermissionDeniedError",
    "HcpRateLimitError",
    "HcpResponseError",
    "HcpServerError",
    "HcpStatusError",
    "HcpTimeoutError",
    "HcpUnprocessableError",
    "HcpWebhookError",
    "make_status_error",
    "parse_error_body",
]


class HcpError(Exception):
    """Root of everything `hcp` raises.

    Attributes:
        message: Human-readable summary.
        method: HTTP method of the failed request, if any.
        path: URL path of the failed request, if any.
    """

    retryable: bool = False

    def __init__(self, message: str, *, method: str | None = None, path: str | None = None):
        super().__init__(message)
        self.message = message
        self.method = method
        self.path = path

    def __str__(self) -> str:
        where = f"{self.method} {self.path}: " if self.method and self.path else ""
        return f"{where}{self.message}"


class HcpDomainNotAllowedError(HcpError):
    """The API key would be sent to a host outside the allow-list (or over plain http)."""

    def __init__(
        self, host: str, *, reason: str = "", method: str | None = None, path: str | None = None
    ):
        why = reason or (
            f"is not in allowed_domains (add it to {ALLOWED_DOMAINS_SETTING} / "
            "allowed_domains only if you trust it)"
        )
        super().__init__(
            f"refusing to send the HCP API key to host {host!r}: {why}",
            method=method,
            path=path,
        )
        self.host = host


class HcpConnectionError(HcpError):
    """Network failure before a response arrived; retryable.

    Attributes:
        request_sent: False when the failure happened while connecting, so HCP never saw
            the request (then even a POST may be retried safely).
    """

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        path: str | None = None,
        request_sent: bool = True,
    ):
        super().__init__(message, method=method, path=path)
        self.request_sent = request_sent


class HcpTimeoutError(HcpConnectionError):
    """The request exceeded its timeout."""


class HcpResponseError(HcpError):
    """A 2xx response whose body could not be decoded or did not match the model."""


class HcpWebhookError(HcpError):
    """A webhook delivery failed verification (bad/missing signature, stale timestamp)."""


class HcpStatusError(HcpError):
    """HCP answered with a non-2xx status.

    Attributes:
        status_code: HTTP status.
        body: Decoded JSON body, or the raw text when it is not JSON (e.g. a 404 HTML page).
        request_id: Request id from the response headers, when present.
        error_message: The message extracted from whichever error shape HCP used.
        errors: Field errors from a 422 ``{"errors": {...}}`` body.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        status_code: int,
        body: Any = None,
        request_id: str | None = None,
        errors: dict[str, list[str]] | None = None,
        headers: httpx.Headers | None = None,
    ):
        super().__init__(message, method=method, path=path)
        self.status_code = status_code
        self.body = body
        self.request_id = request_id
        self.error_message = message
        self.errors = errors or {}
        self.headers = headers if headers is not None else httpx.Headers()

    def __str__(self) -> str:
        rid = f" (request id {self.request_id})" if self.request_id else ""
        return f"{self.method} {self.path} -> {self.status_code}: {self.message}{rid}"


class HcpBadRequestError(HcpStatusError):
    """400, e.g. "Lead source not found"."""


class HcpAuthenticationError(HcpStatusError):
    """401: missing, wrong or wrongly prefixed key (HCP cannot tell which)."""


class HcpPermissionDeniedError(HcpStatusError):
    """403."""


class HcpNotFoundError(HcpStatusError):
    """404 (unknown id, or an unknown route answered with an HTML page)."""


class HcpConflictError(HcpStatusError):
    """409."""


class HcpUnprocessableError(HcpStatusError):
    """422 with field errors in `errors`."""


class HcpRateLimitError(HcpStatusError):
    """429; retryable."""

    retryable = True


class HcpServerError(HcpStatusError):
    """5xx; retryable."""

    retryable = True


_STATUS_CLASSES: dict[int, type[HcpStatusError]] = {
    400: HcpBadRequestError,
    401: HcpAuthenticationError,
    403: HcpPermissionDeniedError,
    404: HcpNotFoundError,
    409: HcpConflictError,
    422: HcpUnprocessableError,
    429: HcpRateLimitError,
}


def _decode(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return response.text


def parse_error_body(body: Any, status_code: int) -> tuple[str, dict[str, list[str]]]:
    """Extract (message, field_errors) from any of the error shapes HCP returns.

    Shapes: ``{"error": {"message": m}}``, ``{"error": m}``, ``{"message": m, ...}``,
    ``{"errors": {field: [m, ...]}}``, ``{"errors": [m, ...]}``, ``{}``, and non-JSON text/HTML.
    """
    errors: dict[str, list[str]] = {}
    message = ""
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            message = err["message"]
        elif isinstance(err, str):
            message = err
        if not message and isinstance(body.get("message"), str):
            message = body["message"]
        raw_errors = body.get("errors")
        if isinstance(raw_errors, dict):
            for field, val in raw_errors.items():
                vals = val if isinstance(val, list) else [val]
                errors[str(field)] = [str(v) for v in vals]
            if not message:
                message = "; ".join(f"{f} {' / '.join(v)}" for f, v in errors.items())
        elif isinstance(raw_errors, list) and not message:
            message = "; ".join(str(e) for e in raw_errors)
    elif isinstance(body, str) and body.strip():
        text = body.strip()
        if text.lstrip().startswith("<"):
            message = "non-JSON (HTML) error page"
        else:
            message = text[:200]
    return message or f"HTTP {status_code}", errors


def request_id_of(headers: httpx.Headers) -> str | None:
    """Return the request id HCP (or its CDN) attached to a response, if any."""
    for name in REQUEST_ID_HEADERS:
        value = headers.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def make_status_error(response: httpx.Response, *, method: str, path: str) -> HcpStatusError:
    """Build the right `HcpStatusError` subclass for a non-2xx response (the one status table)."""
    status = response.status_code
    body = _decode(response)
    message, errors = parse_error_body(body, status)
    cls = _STATUS_CLASSES.get(status)
    if cls is None:
        cls = HcpServerError if status >= 500 else HcpStatusError
    return cls(
        message,
        method=method,
        path=path,
        status_code=status,
        body=body,
        request_id=request_id_of(response.headers),
        errors=errors,
        headers=response.headers,
    )
