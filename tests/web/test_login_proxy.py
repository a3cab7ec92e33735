"""The login limiter counts the real client, behind uvicorn configured as `voice-agent serve` is.

Issue 18: `serve` and the Procfile trusted `X-Forwarded-For` from anyone, so rotating the
header gave unlimited password guesses. These tests load the app through uvicorn's own
`Config.load()` with the options `serve` uses, so the proxy-header middleware is real.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from voice_agent.cli.serve import server_options
from voice_agent.errors import ConfigError
from voice_agent.settings import Settings, load_settings

from .conftest import login

ROOT = Path(__file__).resolve().parents[2]


def served(app: FastAPI, settings: Settings) -> Any:
    """`app` wrapped by uvicorn exactly as `voice-agent serve` would run it."""
    config = uvicorn.Config(app, **server_options(settings))
    config.load()
    return config.loaded_app


def client_from(asgi: Any, peer: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=asgi, client=(peer, 5000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_rotating_x_forwarded_for_does_not_escape_the_lockout(
    app: FastAPI, web_settings: Settings
) -> None:
    asgi = served(app, web_settings)
    async with client_from(asgi, "203.0.113.7") as attacker:
        statuses = []
        for n in range(12):
            attacker.headers["X-Forwarded-For"] = f"198.51.100.{n}"
            statuses.append((await login(attacker, password="wrong")).status_code)
        assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
        attacker.headers["X-Forwarded-For"] = "192.0.2.200"
        assert (await login(attacker)).status_code == 429  # the right password waits too


@pytest.mark.parametrize("trusted", ["10.0.0.5", "10.0.0.0/8", "192.0.2.1, 10.0.0.5"])
async def test_a_trusted_proxy_names_the_client(
    app: FastAPI, web_settings: Settings, trusted: str
) -> None:
    """From the proxy in FORWARDED_ALLOW_IPS the header is believed: clients are told apart."""
    settings = load_settings(
        _env_file=None, data_dir=web_settings.data_dir, forwarded_allow_ips=trusted
    )
    asgi = served(app, settings)
    async with client_from(asgi, "10.0.0.5") as via_proxy:
        via_proxy.headers["X-Forwarded-For"] = "203.0.113.7"
        for _ in range(6):
            await login(via_proxy, password="wrong")
        assert (await login(via_proxy)).status_code == 429
        via_proxy.headers["X-Forwarded-For"] = "198.51.100.9"
        assert (await login(via_proxy)).status_code == 303


def test_default_trusts_loopback_only(settings: Settings) -> None:
    assert server_options(settings)["forwarded_allow_ips"] == "127.0.0.1,::1"


def test_procfile_does_not_trust_every_peer() -> None:
    web = next(
        line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:")
    )
    assert "*" not in web and "forwarded-allow-ips" not in web
    assert re.search(r"voice-agent serve\b", web)  # serve reads FORWARDED_ALLOW_IPS from settings


def test_forwarded_allow_ips_must_name_something() -> None:
    with pytest.raises(ConfigError, match="FORWARDED_ALLOW_IPS"):
        load_settings(_env_file=None, forwarded_allow_ips=" , ")
