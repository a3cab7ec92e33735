"""`AiohttpTransport`: the client's HTTP on aiohttp's connection pool, behind httpx's API.

httpx's own transport (httpcore) costs about 1.5 ms of CPU per small API call under load,
most of it in its pool bookkeeping; aiohttp's costs about 0.25 ms. The client keeps httpx
for everything else (requests, responses, redirects, retries, tests' mock transports), so
only the wire changes, and one thing matters most: whether a failed request may have
reached HCP, which decides whether a write may be retried. Errors are mapped so that only a
failure known to happen before anything was sent says so (`ConnectError`, `ConnectTimeout`:
no connection, or none free in time); everything else, including a connection that broke
or went quiet after sending, counts as sent. aiohttp itself retries only idempotent methods
on a reused connection that turned out closed, never a POST.
"""

from __future__ import annotations

import asyncio
import ssl

import aiohttp
import certifi
import httpx
from yarl import URL

KEEPALIVE_SECONDS = 5.0
"""Idle connections are closed after this (httpx's default): shorter than servers' own idle
timeouts, so a request rarely meets a connection the server has just closed."""


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport sending requests with one aiohttp session per event loop.

    Responses are read whole (API responses are small JSON), still encoded: httpx decodes
    them, as with its own transport. Cookies, redirects and proxies are not handled here
    (the client handles the first two; a client with a proxy uses httpx's transport).
    """

    def __init__(self, *, max_connections: int = 100) -> None:
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ssl: ssl.SSLContext | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._session_for(asyncio.get_running_loop())
        body = await request.aread()
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        try:
            async with session.request(
                request.method,
                URL(str(request.url), encoded=True),
                headers=headers,
                data=body or None,
                allow_redirects=False,
                timeout=_timeout(request),
            ) as response:
                content = await response.read()
                return httpx.Response(
                    response.status,
                    headers=response.raw_headers,
                    content=content,
                    request=request,
                    extensions={"http_version": b"HTTP/1.1", "reason_phrase": b""},
                )
        except aiohttp.ConnectionTimeoutError as exc:  # no connection in time: not sent
            raise httpx.ConnectTimeout(f"connect timed out: {exc}", request=request) from exc
        except aiohttp.ClientConnectorError as exc:  # could not connect: not sent
            raise httpx.ConnectError(str(exc), request=request) from exc
        except TimeoutError as exc:  # sent, then no answer in time
            raise httpx.ReadTimeout(f"read timed out: {exc}", request=request) from exc
        except aiohttp.ClientOSError as exc:  # the connection broke: maybe sent
            raise httpx.ReadError(str(exc), request=request) from exc
        except aiohttp.ClientError as exc:  # closed early, bad HTTP: maybe sent
            raise httpx.RemoteProtocolError(
                f"{type(exc).__name__}: {exc}", request=request
            ) from exc

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    def _session_for(self, loop: asyncio.AbstractEventLoop) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed or self._loop is not loop:
            if self._ssl is None:  # the same certificate authorities as httpx (certifi)
                self._ssl = ssl.create_default_context(cafile=certifi.where())
            connector = aiohttp.TCPConnector(
                limit=self._max_connections, keepalive_timeout=KEEPALIVE_SECONDS, ssl=self._ssl
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=False,  # httpx decodes, by the response's headers
                cookie_jar=aiohttp.DummyCookieJar(),  # httpx keeps the client's cookies
                trust_env=False,
            )
            self._loop = loop
        return self._session


def _timeout(request: httpx.Request) -> aiohttp.ClientTimeout:
    """httpx's per-request timeouts as aiohttp's (waiting for a pool slot counts as
    connecting in both; aiohttp has no write timeout, and the bodies are small)."""
    parts = request.extensions.get("timeout", {})
    connect, pool, read = parts.get("connect"), parts.get("pool"), parts.get("read")
    whole_connect = None if connect is None or pool is None else connect + pool
    return aiohttp.ClientTimeout(
        total=None, connect=whole_connect, sock_connect=connect, sock_read=read
    )


__all__ = ["AiohttpTransport"]
