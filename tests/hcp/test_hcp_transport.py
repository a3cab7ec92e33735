"""The client's default transport (aiohttp) over real sockets: what reached the server, and
whether a failed write may be retried, decide between one job and two."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from hcp_fakes import TEST_KEY, SleepRecorder

from hcp import HcpClient, HcpConnectionError, HcpTimeoutError
from hcp._transport import AiohttpTransport

Answer = Callable[[bytes, asyncio.StreamWriter], Awaitable[None]]


class Server:
    """A raw HTTP server on 127.0.0.1: records each request, then answers with `answer`."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.requests: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                await self.answer(request, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def serving(answer: Answer) -> AsyncIterator[tuple[Server, str]]:
    server = Server(answer)
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        yield server, f"http://127.0.0.1:{port}"
    finally:
        listener.close()


def client(base: str, **options: object) -> HcpClient:
    return HcpClient(
        TEST_KEY,
        base_url=base,
        allowed_domains=["127.0.0.1"],
        sleep=options.pop("sleep", SleepRecorder()),  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )


def ok(body: object, *, gzipped: bool = False, extra: str = "") -> bytes:
    data = json.dumps(body).encode()
    encoding = ""
    if gzipped:
        data, encoding = gzip.compress(data), "Content-Encoding: gzip\r\n"
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        f"{encoding}{extra}Content-Length: {len(data)}\r\n\r\n"
    )
    return head.encode() + data


async def test_it_is_the_default_and_sends_the_request_as_built() -> None:
    async def answer(_request: bytes, writer: asyncio.StreamWriter) -> None:
        writer.write(ok({"id": "cus_1"}, gzipped=True, extra="Set-Cookie: a=b\r\n"))

    async with serving(answer) as (server, base), client(base) as hcp:
        assert isinstance(hcp._http._transport, AiohttpTransport)
        assert await hcp.request("POST", "/customers", json={"first_name": "Zoë"}) == {
            "id": "cus_1"  # gzip decoded once
        }
        assert await hcp.request("GET", "/customers", params=[("q", "a b&c")]) == {"id": "cus_1"}
    post, get = server.requests
    assert post.startswith(b"POST /customers HTTP/1.1\r\n")
    assert f"\r\nAuthorization: Token {TEST_KEY}\r\n".encode() in post
    assert b"\r\nUser-Agent: hcp-voice-agent-hcp/" in post
    assert post.endswith('\r\n\r\n{"first_name":"Zoë"}'.encode())
    assert get.startswith(b"GET /customers?q=a+b%26c HTTP/1.1\r\n")
    assert get.lower().count(b"\r\ncookie: a=b") == 1  # httpx's cookie jar only, not aiohttp's


async def test_a_redirect_is_left_to_the_client() -> None:
    async def answer(request: bytes, writer: asyncio.StreamWriter) -> None:
        if request.startswith(b"GET /old"):
            writer.write(b"HTTP/1.1 302 Found\r\nLocation: /new\r\nContent-Length: 0\r\n\r\n")
        else:
            writer.write(ok({"moved": True}))

    async with serving(answer) as (server, base), client(base) as hcp:
        assert await hcp.request("GET", "/old") == {"moved": True}
    assert [r.split(b" ")[1] for r in server.requests] == [b"/old", b"/new"]


async def test_a_refused_connection_was_not_sent_so_a_post_is_retried() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps = SleepRecorder()
    async with client(f"http://127.0.0.1:{port}", max_retries=2, sleep=sleeps) as hcp:
        with pytest.raises(HcpConnectionError) as info:
            await hcp.request("POST", "/jobs", json={"customer_id": "c"})
    assert info.value.request_sent is False
    assert len(sleeps.delays) == 2  # safe to try again: nothing reached HCP


async def test_a_connection_closed_after_the_request_counts_as_sent() -> None:
    async def answer(_request: bytes, writer: asyncio.StreamWriter) -> None:
        writer.transport.abort()  # read it, then hung up without an answer

    async with serving(answer) as (server, base), client(base, max_retries=2) as hcp:
        with pytest.raises(HcpConnectionError) as info:
            await hcp.request("POST", "/jobs", json={"customer_id": "c"})
    assert info.value.request_sent is True
    assert len(server.requests) == 1  # never sent twice: the job may exist


async def test_no_answer_in_time_counts_as_sent() -> None:
    async def answer(_request: bytes, _writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)

    async with serving(answer) as (server, base), client(base, max_retries=2) as hcp:
        with pytest.raises(HcpTimeoutError) as info:
            await hcp.request("POST", "/jobs", json={"x": 1}, timeout=httpx.Timeout(0.2))
    assert info.value.request_sent is True
    assert len(server.requests) == 1


async def test_waiting_for_a_free_connection_in_vain_was_not_sent() -> None:
    started = asyncio.Event()

    async def answer(_request: bytes, _writer: asyncio.StreamWriter) -> None:
        started.set()
        await asyncio.sleep(5)  # holds the only connection

    async with serving(answer) as (server, base):
        transport = AiohttpTransport(max_connections=1)
        async with client(base, transport=transport, max_retries=0) as hcp:
            first = asyncio.create_task(hcp.request("GET", "/slow", timeout=5.0))
            await started.wait()
            with pytest.raises(HcpTimeoutError) as info:
                await hcp.request(
                    "POST", "/jobs", json={"x": 1}, timeout=httpx.Timeout(0.3, pool=0.1)
                )
            first.cancel()
    assert info.value.request_sent is False
    assert len(server.requests) == 1  # only the slow GET
