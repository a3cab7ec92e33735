"""Sending SMS: the `SmsSender` seam and its Twilio REST adapter.

Only the outbox dispatcher calls a sender, so every message goes out once per outbox item.
Errors are classified here, in one place: `SmsSendError.retryable` says whether the
dispatcher should try again, `opted_out` that the recipient has blocked us (Twilio 21610).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import aiohttp

from voice_agent.errors import AgentError

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
OPTED_OUT_CODE = 21610
# Twilio codes that will never succeed on retry (invalid/unreachable recipient or sender).
PERMANENT_CODES = frozenset({21211, 21408, 21603, 21606, 21610, 21612, 21614, 30003, 30005, 30006})
# Non-empty on purpose (the SDK treats {} as "use os.environ"): no TWILIO_REGION/TWILIO_EDGE.
_ISOLATED_ENVIRONMENT = {"VOICE_AGENT_TWILIO_ISOLATED": "1"}


@dataclass(frozen=True)
class SentSms:
    """A message the provider accepted."""

    sid: str
    status: str


class SmsSendError(AgentError):
    """The provider refused or could not be reached; `retryable` drives the outbox."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        code: int | None = None,
        status: int | None = None,
        ambiguous: bool = False,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code
        self.status = status
        self.ambiguous = ambiguous  # the provider may have accepted it before failing

    @property
    def opted_out(self) -> bool:
        """The recipient opted out (Twilio error 21610)."""
        return self.code == OPTED_OUT_CODE


def is_retryable(status: int | None, code: int | None) -> bool:
    """Retry 408, 429 and 5xx; never a known permanent Twilio code or another 4xx."""
    if code in PERMANENT_CODES:
        return False
    if status is None:
        return True
    return status in (408, 429) or status >= 500


class SmsSender(Protocol):
    """What the dispatcher needs from an SMS provider."""

    async def send(self, *, to: str, body: str, status_callback: str | None = None) -> SentSms:
        """Send one message; raise `SmsSendError` on failure."""
        ...

    async def find_sent(self, *, to: str, body: str, since: datetime) -> SentSms | None:
        """Find a message with this recipient and body sent since `since` (reconciliation)."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


class TwilioSmsSender:
    """`SmsSender` over the Twilio REST API with the SDK's async HTTP client.

    The aiohttp-based client must be created inside a running event loop, so it is built on
    first use, and closed by `aclose()`. `base_url` points the API domain at a local fake; the
    SDK then gets an isolated environment so TWILIO_REGION/TWILIO_EDGE cannot rewrite the host.
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if not from_number and not messaging_service_sid:
            raise ValueError("TwilioSmsSender needs from_number or messaging_service_sid")
        self._sid = account_sid
        self._token = auth_token
        self._from = from_number
        self._service = messaging_service_sid
        self._base_url = base_url
        self._timeout = timeout
        self._client: Any = None
        self._http: Any = None

    def _twilio(self) -> Any:
        if self._client is None:
            from twilio.http.async_http_client import AsyncTwilioHttpClient
            from twilio.rest import Client

            self._http = AsyncTwilioHttpClient(timeout=self._timeout)
            environment = _ISOLATED_ENVIRONMENT if self._base_url else None
            self._client = Client(
                self._sid, self._token, http_client=self._http, environment=environment
            )
            if self._base_url:
                self._client.api.base_url = self._base_url.rstrip("/")
        return self._client

    async def send(self, *, to: str, body: str, status_callback: str | None = None) -> SentSms:
        """Send one message through `Messages.create`."""
        from twilio.base import values

        kwargs: dict[str, Any] = {
            "to": to,
            "body": body,
            "status_callback": status_callback or values.unset,
        }
        if self._service:
            kwargs["messaging_service_sid"] = self._service
        if self._from:
            kwargs["from_"] = self._from
        message = await self._call(self._twilio().messages.create_async(**kwargs), sending=True)
        return SentSms(sid=str(message.sid), status=str(message.status or "queued"))

    async def find_sent(self, *, to: str, body: str, since: datetime) -> SentSms | None:
        """List recent messages to `to` and return the one with this body, if any."""
        kwargs: dict[str, Any] = {"to": to, "date_sent_after": since, "limit": 50}
        if self._from:
            kwargs["from_"] = self._from
        found = await self._call(self._twilio().messages.list_async(**kwargs), sending=False)
        for message in found:
            if message.body == body:
                return SentSms(sid=str(message.sid), status=str(message.status))
        return None

    async def _call(self, awaitable: Any, *, sending: bool) -> Any:
        from twilio.base.exceptions import TwilioRestException, TwilioServiceException

        try:
            return await awaitable
        except (TwilioRestException, TwilioServiceException) as exc:
            status = int(exc.status)
            code = int(exc.code) if exc.code is not None else None
            raise SmsSendError(
                f"twilio answered {status} (code {code})",
                retryable=is_retryable(status, code),
                code=code,
                status=status,
                ambiguous=sending and status >= 500,
            ) from None
        except (TimeoutError, OSError, aiohttp.ClientError) as exc:
            raise SmsSendError(
                f"twilio unreachable: {type(exc).__name__}", retryable=True, ambiguous=sending
            ) from None

    async def aclose(self) -> None:
        """Close the aiohttp session, if one was opened."""
        if self._http is not None:
            await self._http.close()
            await asyncio.sleep(0)  # let aiohttp finish closing its connector
            self._http = None
            self._client = None
