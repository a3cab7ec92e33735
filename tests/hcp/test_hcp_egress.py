"""Egress: the HCP key never goes through a proxy the environment names (RELIABILITY §8 row 25)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from hcp_fakes import TEST_KEY

from hcp import HcpClient, HcpConnectionError


@dataclass
class TinyHttp:
    """A loopback HTTP/1.1 server that records each request's head and answers `{}`."""

    heads: list[bytes] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        self.heads.append(head)
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            b"content-length: 2\r\nconnection: close\r\n\r\n{}"
        )
        await writer.drain()
        writer.close()


@pytest.fixture
async def servers() -> AsyncIterator[tuple[TinyHttp, TinyHttp]]:
    target, proxy = TinyHttp(), TinyHttp()
    started = []
    for srv in (target, proxy):
        server = await asyncio.start_server(srv.handle, "127.0.0.1", 0)
        srv.port = server.sockets[0].getsockname()[1]
        started.append(server)
    yield target, proxy
    for server in started:
        server.close()


async def test_environment_proxies_are_ignored(
    servers: tuple[TinyHttp, TinyHttp], monkeypatch: pytest.MonkeyPatch
) -> None:
    target, proxy = servers
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{proxy.port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with HcpClient(
        TEST_KEY, base_url=f"http://127.0.0.1:{target.port}", allowed_domains=("127.0.0.1",)
    ) as client:
        await client.company.get()
    assert proxy.heads == []
    assert len(target.heads) == 1 and TEST_KEY.encode() in target.heads[0]


async def test_a_named_proxy_is_used(servers: tuple[TinyHttp, TinyHttp]) -> None:
    target, proxy = servers
    async with HcpClient(
        TEST_KEY,
        base_url=f"http://127.0.0.1:{target.port}",
        allowed_domains=("127.0.0.1",),
        proxy=f"http://127.0.0.1:{proxy.port}",
    ) as client:
        await client.company.get()
    assert len(proxy.heads) == 1 and target.heads == []


def test_proxy_must_be_an_http_url() -> None:
    with pytest.raises(ValueError, match="proxy"):
        HcpClient(TEST_KEY, proxy="socks5://127.0.0.1:1080")


async def test_unreachable_named_proxy_is_a_connection_error() -> None:
    async with HcpClient(TEST_KEY, proxy="http://127.0.0.1:9", max_retries=0) as client:
        with pytest.raises(HcpConnectionError):
            await client.company.get()
