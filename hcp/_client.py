"""`HcpClient`: one httpx.AsyncClient, domain allow-list, retries, per-call timeouts."""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType
from typing import Any, Self

import httpx

from hcp._constants import (
    DEFAULT_ALLOWED_DOMAINS,
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT,
    MAX_REDIRECTS,
    MAX_RETRIES,
)
from hcp._domains import DomainPolicy
from hcp._errors import (
    HcpConnectionError,
    HcpDomainNotAllowedError,
    HcpError,
    HcpResponseError,
    HcpTimeoutError,
    make_status_error,
    request_id_of,
)
from hcp._params import QueryParams
from hcp._retry import is_idempotent, retry_delay, should_retry
from hcp._transport import AiohttpTransport
from hcp.resources.company import CompanyResource
from hcp.resources.customers import CustomersResource
from hcp.resources.employees import EmployeesResource
from hcp.resources.estimates import EstimatesResource
from hcp.resources.invoices import InvoicesResource
from hcp.resources.job_types import JobTypesResource
from hcp.resources.jobs import JobsResource
from hcp.resources.lead_sources import LeadSourcesResource
from hcp.resources.leads import LeadsResource
from hcp.resources.price_book import PriceBookResource
from hcp.resources.schedule import ScheduleResource
from hcp.resources.service_zones import ServiceZonesResource
from hcp.resources.tags import TagsResource

logger = logging.getLogger("hcp")

SleepFn = Callable[[float], Awaitable[None]]
Timeout = float | httpx.Timeout
_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
_MAX_URLS = 1024  # joined URLs remembered per client
USER_AGENT = "hcp-voice-agent-hcp/0.1"


def _as_timeout(value: Timeout) -> httpx.Timeout:
    return value if isinstance(value, httpx.Timeout) else httpx.Timeout(value)


class HcpClient:
    """Async client for the Housecall Pro v1 API.

    Args:
        api_key: Company API key; sent as ``Authorization: Token <key>`` only to allowed hosts.
        base_url: API root (no version prefix).
        timeout: Default timeout per attempt, seconds or an ``httpx.Timeout``.
        max_retries: Retries after the first attempt for retryable failures.
        allowed_domains: Hosts that may receive the key (see `DomainPolicy`); local test
            hosts such as ``"127.0.0.1"`` work only when listed.
        transport: Optional httpx transport (tests pass ``httpx.MockTransport``); by default
            `AiohttpTransport` (httpx's own when a `proxy` is set).
        proxy: An ``http(s)://`` proxy to send requests through. Proxies named by the
            environment (``HTTPS_PROXY`` and friends) are never used.
        sleep: Awaitable sleep used between retries (tests inject a recorder).

    Raises:
        HcpDomainNotAllowedError: If `base_url` itself is not allowed.

    Example:
        ``async with HcpClient(key) as hcp: page = await hcp.customers.list(q="5551234567")``
    """

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int = MAX_RETRIES,
        allowed_domains: Iterable[str] = DEFAULT_ALLOWED_DOMAINS,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: SleepFn = asyncio.sleep,
        proxy: str | None = None,
    ) -> None:
        if not api_key or not api_key.strip():
            raise ValueError("HCP api_key is empty")
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self._api_key = api_key.strip()
        self.base_url = httpx.URL(base_url.rstrip("/") + "/")
        self.allowed_domains: tuple[str, ...] = tuple(allowed_domains)
        self._policy = DomainPolicy(self.allowed_domains)
        self._policy.check(self.base_url)
        self.timeout = _as_timeout(timeout)
        self.max_retries = max_retries
        self._sleep = sleep
        if proxy is not None and httpx.URL(proxy).scheme not in ("http", "https"):
            raise ValueError("HCP proxy must be an http:// or https:// URL")
        if transport is None and proxy is None:  # aiohttp's pool; a proxy takes httpx's
            transport = AiohttpTransport()
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=self.timeout,
            follow_redirects=False,
            trust_env=False,
            proxy=proxy if transport is None else None,
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
        )
        self._owns_http = True
        self._urls: dict[str, httpx.URL] = {}
        self._bind_resources()

    def _bind_resources(self) -> None:
        self.customers = CustomersResource(self)
        self.jobs = JobsResource(self)
        self.employees = EmployeesResource(self)
        self.job_types = JobTypesResource(self)
        self.lead_sources = LeadSourcesResource(self)
        self.tags = TagsResource(self)
        self.company = CompanyResource(self)
        self.schedule = ScheduleResource(self)
        self.estimates = EstimatesResource(self)
        self.invoices = InvoicesResource(self)
        self.leads = LeadsResource(self)
        self.price_book = PriceBookResource(self)
        self.service_zones = ServiceZonesResource(self)

    def with_options(
        self, *, timeout: Timeout | None = None, max_retries: int | None = None
    ) -> HcpClient:
        """A lightweight copy sharing the connection pool, e.g. a tight budget for a phone turn.

        Closing the copy does not close the shared pool; close the original.
        """
        clone = copy.copy(self)
        if timeout is not None:
            clone.timeout = _as_timeout(timeout)
        if max_retries is not None:
            if max_retries < 0:
                raise ValueError("max_retries must be >= 0")
            clone.max_retries = max_retries
        clone._owns_http = False
        clone._bind_resources()
        return clone

    async def aclose(self) -> None:
        """Close the connection pool (no-op on a `with_options` copy)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"HcpClient(base_url={str(self.base_url)!r})"  # never the key

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: QueryParams | None = None,
        json: Any = None,
        timeout: Timeout | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Send one API call with retries and return the decoded JSON (None for an empty body).

        Args:
            method: HTTP method.
            path: Path below `base_url`, e.g. ``"/customers"`` (ids already quoted).
            params: Query params as pairs (see `build_params`).
            json: JSON body.
            timeout: Per-call timeout overriding the client's.
            idempotent: Whether retrying is safe; defaults to the method's HTTP semantics
                (GET/PUT/DELETE yes, POST no).

        Raises:
            HcpError: Any subclass; see the error tree.
        """
        method = method.upper()
        safe = is_idempotent(method) if idempotent is None else idempotent
        attempt = 0
        while True:
            try:
                response = await self._send(method, path, params, json, timeout)
            except HcpConnectionError as exc:
                if attempt < self.max_retries and should_retry(
                    idempotent=safe, connection_error=True, request_sent=exc.request_sent
                ):
                    delay = retry_delay(attempt)
                    logger.info("hcp %s %s retry %d after %s", method, path, attempt + 1, exc)
                    await self._sleep(delay or 0.0)
                    attempt += 1
                    continue
                raise
            if response.is_success:
                return self._decode(response, method, path)
            error = make_status_error(response, method=method, path=path)
            if attempt < self.max_retries and should_retry(
                idempotent=safe, status_code=response.status_code
            ):
                delay = retry_delay(attempt, response.headers)
                if delay is not None:
                    logger.info(
                        "hcp %s %s -> %d, retry %d in %.2fs",
                        method,
                        path,
                        response.status_code,
                        attempt + 1,
                        delay,
                    )
                    await self._sleep(delay)
                    attempt += 1
                    continue
            raise error

    @staticmethod
    def _decode(response: httpx.Response, method: str, path: str) -> Any:
        if not response.content or not response.content.strip():
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise HcpResponseError(
                f"expected JSON, got {response.headers.get('content-type', 'no content-type')}",
                method=method,
                path=path,
            ) from exc

    def _url(self, path: str) -> httpx.URL:
        """`path` joined to `base_url` (remembered: parsing URLs costs more than a lookup)."""
        url = self._urls.get(path)
        if url is None:
            if len(self._urls) >= _MAX_URLS:
                self._urls.clear()
            url = self._urls[path] = self.base_url.join(path.lstrip("/"))
        return url

    async def _send(
        self,
        method: str,
        path: str,
        params: QueryParams | None,
        json: Any,
        timeout: Timeout | None,
    ) -> httpx.Response:
        """One attempt: allow-list check, send, and follow redirects only to allowed hosts."""
        url = self._url(path)
        query: QueryParams | None = params
        budget = _as_timeout(timeout) if timeout is not None else self.timeout
        for _ in range(MAX_REDIRECTS + 1):
            self._policy.check(url, method=method, path=path)
            request = self._http.build_request(
                method,
                url,
                params=query,
                json=json,
                headers={"Authorization": f"Token {self._api_key}"},
                timeout=budget,
            )
            started = time.perf_counter()
            try:
                response = await self._http.send(request)
            except httpx.TimeoutException as exc:
                sent = not isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
                raise HcpTimeoutError(
                    f"timed out ({type(exc).__name__})", method=method, path=path, request_sent=sent
                ) from exc
            except httpx.TransportError as exc:
                sent = not isinstance(exc, httpx.ConnectError)
                raise HcpConnectionError(
                    f"connection failed ({type(exc).__name__}: {exc})",
                    method=method,
                    path=path,
                    request_sent=sent,
                ) from exc
            logger.debug(
                "hcp %s %s -> %d in %.1f ms (request id %s)",
                method,
                path,
                response.status_code,
                (time.perf_counter() - started) * 1000,
                request_id_of(response.headers),
            )
            location = response.headers.get("location")
            if response.status_code not in _REDIRECT_CODES or not location:
                return response
            target = request.url.join(location)
            self._policy.check(target, method=method, path=path)
            if not DomainPolicy.same_origin(request.url, target):
                raise HcpDomainNotAllowedError(
                    target.host,
                    reason="redirect to another scheme, host or port",
                    method=method,
                    path=path,
                )
            if method not in {"GET", "HEAD"}:
                raise make_status_error(response, method=method, path=path)
            url, query = target, None
        raise HcpError(f"more than {MAX_REDIRECTS} redirects", method=method, path=path)


__all__ = ["HcpClient"]
