"""The allow-list that decides which hosts may receive the API key."""

from __future__ import annotations

from collections.abc import Iterable

import httpx

from hcp._constants import LOCAL_HOSTS
from hcp._errors import HcpDomainNotAllowedError


def _norm(host: str) -> str:
    return host.strip().lower().rstrip(".").strip("[]")


class DomainPolicy:
    """Which hosts may receive ``Authorization: Token <key>``.

    Entries: ``"*.example.com"`` matches any subdomain at any depth but **not** the apex
    ``example.com`` (list the apex separately if needed); any other entry matches that host
    exactly. Local hosts (127.0.0.1, localhost, ::1, testserver) pass only when listed
    exactly, and are the only hosts allowed over plain http, another port or userinfo;
    everything else needs ``https`` on port 443 with no ``user:password@``.
    """

    def __init__(self, entries: Iterable[str]):
        self.exact: frozenset[str] = frozenset()
        self.suffixes: tuple[str, ...] = ()
        exact: set[str] = set()
        suffixes: list[str] = []
        for raw in entries:
            entry = _norm(raw)
            if not entry:
                continue
            if entry.startswith("*."):
                suffixes.append(entry[1:])  # ".example.com"
            else:
                exact.add(entry)
        self.exact = frozenset(exact)
        self.suffixes = tuple(suffixes)

    def allows_host(self, host: str) -> bool:
        """True if `host` matches an entry (local hosts only by exact entry)."""
        name = _norm(host)
        if not name:
            return False
        if name in self.exact:
            return True
        if name in LOCAL_HOSTS:
            return False
        return any(name.endswith(suffix) and len(name) > len(suffix) for suffix in self.suffixes)

    def check(self, url: httpx.URL, *, method: str | None = None, path: str | None = None) -> None:
        """Raise `HcpDomainNotAllowedError` unless the key may be sent to `url`."""
        host = _norm(url.host)
        if not self.allows_host(host):
            raise HcpDomainNotAllowedError(host or str(url), method=method, path=path)
        if url.scheme != "https" and not (url.scheme == "http" and host in LOCAL_HOSTS):
            raise HcpDomainNotAllowedError(
                host,
                reason=f"scheme {url.scheme!r} is not https (plain http only for local hosts)",
                method=method,
                path=path,
            )
        if host in LOCAL_HOSTS:
            return
        if url.userinfo:
            raise HcpDomainNotAllowedError(
                host, reason="user:password@ in the URL is not allowed", method=method, path=path
            )
        if url.port not in (None, 443):
            raise HcpDomainNotAllowedError(
                host, reason=f"port {url.port} is not 443", method=method, path=path
            )

    @staticmethod
    def same_origin(a: httpx.URL, b: httpx.URL) -> bool:
        """Whether two URLs share scheme, host and (effective) port, and `b` has no userinfo."""
        return (
            a.scheme == b.scheme
            and _norm(a.host) == _norm(b.host)
            and _port(a) == _port(b)
            and not b.userinfo
        )


def _port(url: httpx.URL) -> int | None:
    return url.port if url.port is not None else {"https": 443, "http": 80}.get(url.scheme)
