"""The HCP key stored in the vault switches the product from the sandbox to real HCP."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

import hcp
from voice_agent.errors import VaultError
from voice_agent.services import HcpCredential, build_hcp_client, load_hcp_credential
from voice_agent.settings import Settings
from voice_agent.storage.migrate import upgrade
from voice_agent.storage.sql import SqlStore, open_store
from voice_agent.vault import Vault

SECRET = "test-hcp-key-not-real-1234"
KEY = b"m" * 32


def _with_key(settings: Settings, raw: bytes) -> Settings:
    return settings.model_copy(
        update={"voice_agent_master_key": SecretStr(base64.b64encode(raw).decode())}
    )


async def test_no_master_key_or_no_credential_means_no_vault_key(
    settings: Settings, store: SqlStore
) -> None:
    assert await load_hcp_credential(settings, store) is None
    assert await load_hcp_credential(_with_key(settings, KEY), store) is None


async def test_stored_key_and_domains_are_loaded(settings: Settings, store: SqlStore) -> None:
    await Vault(store, KEY).put("hcp", SECRET, allowed_domains=("api.housecallpro.com",))
    credential = await load_hcp_credential(_with_key(settings, KEY), store)
    assert credential == HcpCredential(SecretStr(SECRET), ("api.housecallpro.com",))


async def test_wrong_master_key_fails_loudly_instead_of_using_the_sandbox(
    settings: Settings, store: SqlStore
) -> None:
    await Vault(store, KEY).put("hcp", SECRET, allowed_domains=("*.housecallpro.com",))
    with pytest.raises(VaultError):
        await load_hcp_credential(_with_key(settings, b"w" * 32), store)


async def test_client_uses_the_vault_key_and_its_domains(settings: Settings) -> None:
    credential = HcpCredential(SecretStr(SECRET), ("api.housecallpro.com",))
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "c1", "name": "Acme", "time_zone": "UTC"})

    client = build_hcp_client(settings, credential, transport=httpx.MockTransport(handler))
    async with client:
        await client.company.get()
    assert seen[0].headers["Authorization"] == f"Token {SECRET}"
    assert seen[0].url.host == "api.housecallpro.com"
    with pytest.raises(hcp.HcpError):
        build_hcp_client(
            settings.model_copy(update={"hcp_base_url": "https://evil.example.com"}), credential
        )


async def test_healthz_says_real_hcp_when_the_vault_holds_the_key(
    settings: Settings, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from voice_agent.app import create_app

    configured = _with_key(settings, KEY)
    url = configured.effective_database_url
    await upgrade(url)
    store = open_store(url)
    await Vault(store, KEY).put("hcp", SECRET, allowed_domains=("*.housecallpro.com",))
    await store.close()
    with TestClient(create_app(configured)) as client:
        components = client.get("/healthz").json()["components"]
    assert components["hcp"].startswith("housecall pro (api.housecallpro.com")
    with TestClient(create_app(settings.model_copy(update={"data_dir": tmp_path / "b"}))) as client:
        assert client.get("/healthz").json()["components"]["hcp"].startswith("sandbox")


async def test_with_a_vault_key_test_calls_still_use_the_sandbox(settings: Settings) -> None:
    from fastapi.testclient import TestClient

    from voice_agent.app import create_app

    configured = _with_key(settings, KEY).model_copy(update={"test_numbers": ("+15125550142",)})
    url = configured.effective_database_url
    await upgrade(url)
    store = open_store(url)
    await Vault(store, KEY).put("hcp", SECRET, allowed_domains=("*.housecallpro.com",))
    await store.close()
    with TestClient(create_app(configured)) as client:
        runtime = client.app.state.runtime  # type: ignore[attr-defined]
        services, voice = runtime.services, runtime.voice
        assert not services.uses_sandbox
        assert voice.test_engine is not None and voice.test_engine is not services.engine
        assert voice.test_engine.hcp.base_url.host == "sandbox.hcp.test"


def test_hcp_proxy_setting_is_checked() -> None:
    from voice_agent.errors import ConfigError
    from voice_agent.settings import load_settings

    with pytest.raises(ConfigError, match="HCP_PROXY"):
        load_settings(hcp_proxy="socks5://127.0.0.1:1080")
    assert load_settings(hcp_proxy=" http://proxy.internal:3128 ").hcp_proxy == (
        "http://proxy.internal:3128"
    )


def test_the_real_hcp_key_is_redacted_from_logs_but_not_the_word_sandbox(
    settings: Settings,
) -> None:
    from voice_agent.logs import redact

    build_hcp_client(settings)  # no key: the sandbox's well-known key is not a secret
    assert redact("component hcp: sandbox (embedded default)").endswith(
        "sandbox (embedded default)"
    )
    credential = HcpCredential(SecretStr("vault-key-canary-not-real-5678"), ("*.housecallpro.com",))
    build_hcp_client(settings, credential)
    assert "vault-key-canary" not in redact("oops vault-key-canary-not-real-5678")
