"""The HCP credential on the setup page: store it through the vault and test the connection.

The key is never echoed: answers carry only its last four characters and HCP's verdict.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from hcp import HcpClient, HcpError
from voice_agent.errors import VaultError
from voice_agent.settings import DEFAULT_HCP_BASE_URL, Settings
from voice_agent.storage.base import CredentialRecord, Store
from voice_agent.vault import Vault, configured_key

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 5.0


async def store_key(store: Store, settings: Settings, key: str) -> CredentialRecord:
    """Encrypt and store (or replace) the HCP key; `VaultError` without a master key."""
    vault = Vault.from_settings(store, settings)
    return await vault.put("hcp", key, allowed_domains=settings.hcp_allowed_domains)


def _company_name(company: Any) -> str:
    name = getattr(company, "name", None)
    if name is None and isinstance(company, dict):
        name = company.get("name")
    return str(name) if name else "your company"


async def probe(
    sandbox: HcpClient | None,
    settings: Settings,
    store: Store,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> dict[str, Any]:
    """Ask HCP for the company record with the configured key; `{"ok", "message", "source"}`.

    Without a key, `sandbox` (the running services' client, when there is one) is asked.
    """

    try:
        key, source = await configured_key(store, settings)
    except VaultError as exc:
        return {"ok": False, "source": "vault", "message": f"Cannot read the stored key: {exc}"}
    if key is None:
        if sandbox is None:
            return {"ok": False, "source": "none", "message": "No HCP key and no sandbox running."}
        try:
            company = await sandbox.company.get()
        except HcpError as exc:
            return {"ok": False, "source": "sandbox", "message": f"Sandbox failed: {exc}"}
        return {
            "ok": True,
            "source": "sandbox",
            "message": f"Embedded sandbox answered ({_company_name(company)}).",
        }
    base_url = str(settings.hcp_base_url or DEFAULT_HCP_BASE_URL)
    try:
        async with HcpClient(
            key,
            base_url=base_url,
            timeout=PROBE_TIMEOUT,
            max_retries=0,
            allowed_domains=settings.hcp_allowed_domains,
            transport=transport,
            proxy=settings.hcp_proxy,
        ) as client:
            company = await client.company.get()
    except HcpError as exc:
        status = getattr(exc, "status_code", None)
        verdict = "HCP refused the key" if status in (401, 403) else "HCP did not answer"
        log.warning("setup: HCP connection test failed (%s)", type(exc).__name__)
        return {"ok": False, "source": source, "message": f"{verdict}: {type(exc).__name__}"}
    except ValueError as exc:
        return {"ok": False, "source": source, "message": str(exc)}
    return {
        "ok": True,
        "source": source,
        "message": f"Connected to HCP as {_company_name(company)} (key from the {source}).",
    }
