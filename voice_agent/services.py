"""Build the engine's dependencies from `Settings`: store, HCP client, model and engine.

The web app and the CLI both call `build_services`. Every component falls back to its
embedded default: SQLite, the in-process HCP sandbox (seeded demo company, persisted in the
data directory) and guided intake when no OpenAI key is configured.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from pydantic import SecretStr

import hcp
from hcp import HcpClient
from hcp.sandbox import SandboxState, create_sandbox_app, seed_demo_company
from hcp.sandbox.testing import SANDBOX_BASE_URL
from voice_agent.dryrun import DryRunTransport
from voice_agent.engine.dialogue import DialogueEngine, EngineLimits, utcnow
from voice_agent.engine.guided import GuidedIntakeModel
from voice_agent.engine.messages import ChatModel
from voice_agent.logs import register_secret
from voice_agent.settings import DEFAULT_HCP_BASE_URL, Settings
from voice_agent.settings_source import SettingsSource
from voice_agent.storage.base import Store
from voice_agent.storage.migrate import upgrade
from voice_agent.storage.sql import open_store
from voice_agent.tools import default_registry
from voice_agent.vault import Vault

log = logging.getLogger(__name__)
SANDBOX_API_KEY = "sandbox"
SANDBOX_FILE = "hcp-sandbox.db"


@dataclass
class Services:
    """The running components; close them with `aclose`.

    `settings` are the environment's; `source` adds the office's saved profile and is what
    every engine reads (see `voice_agent.settings_source`).
    """

    settings: Settings
    store: Store
    hcp: hcp.HcpClient
    model: ChatModel
    source: SettingsSource
    limits: EngineLimits | None = None
    clock: Callable[[], datetime] = utcnow
    sandbox_state: SandboxState | None = None
    _owned: list[Any] = field(default_factory=list, repr=False)
    engine: DialogueEngine = field(init=False)

    def __post_init__(self) -> None:
        self.engine = self.build_engine(self.hcp)

    def build_engine(self, hcp_client: HcpClient) -> DialogueEngine:
        """The one engine builder: a `DialogueEngine` over `hcp_client`.

        Every engine shares the store, the model, the settings source, the limits and the
        clock; only the HCP account differs (real, sandbox or dry run; see `Runtime.engine`).
        """
        return DialogueEngine(
            store=self.store,
            hcp_client=hcp_client,
            model=self.model,
            settings=self.source,
            tools=default_registry(),
            limits=self.limits,
            clock=self.clock,
        )

    @property
    def uses_sandbox(self) -> bool:
        """Whether HCP calls go to the embedded sandbox (no HCP key in the vault or env)."""
        return self.hcp.base_url.host == httpx.URL(SANDBOX_BASE_URL).host

    def components(self) -> dict[str, str]:
        """`Settings.components()`, corrected by what actually runs (e.g. a vault HCP key)."""
        components = self.settings.components()
        if self.uses_sandbox:
            components["hcp"] = "sandbox (embedded default)"
        elif components["hcp"].startswith("sandbox"):
            components["hcp"] = f"housecall pro ({self.hcp.base_url.host}, key from the vault)"
        return components

    async def aclose(self) -> None:
        """Close the HCP client, the model's HTTP pool, the store and the sandbox state."""
        await self.hcp.aclose()
        closer = getattr(self.model, "aclose", None)
        if closer is not None:
            await closer()
        if "store" in self._owned:
            await self.store.close()
        if self.sandbox_state is not None and "sandbox" in self._owned:
            self.sandbox_state.close()


def build_sandbox_client(
    settings: Settings, *, state: SandboxState | None = None
) -> tuple[hcp.HcpClient, SandboxState]:
    """An `HcpClient` talking in-process to the sandbox (seeded demo company if empty)."""
    if state is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        state = SandboxState.open(settings.data_dir / SANDBOX_FILE)
    if state.is_empty:
        seed_demo_company(state)
    app = create_sandbox_app(state=state, api_key=SANDBOX_API_KEY)
    client = hcp.HcpClient(
        SANDBOX_API_KEY,
        base_url=SANDBOX_BASE_URL,
        timeout=settings.hcp_timeout,
        allowed_domains=(httpx.URL(SANDBOX_BASE_URL).host,),
        transport=httpx.ASGITransport(app=app),
    )
    return client, state


@dataclass(frozen=True)
class HcpCredential:
    """An HCP API key and the domains it may be sent to (from the vault or `HCP_API_KEY`)."""

    api_key: SecretStr
    allowed_domains: tuple[str, ...]


async def load_hcp_credential(settings: Settings, store: Store) -> HcpCredential | None:
    """The HCP key stored in the vault, if there is one and a master key to open it.

    A stored key that cannot be decrypted (wrong master key, tampering) raises `VaultError`:
    falling back to the sandbox would silently book callers into a demo calendar.
    """
    if settings.voice_agent_master_key is None or await store.get_credential("hcp") is None:
        return None
    vault = Vault.from_settings(store, settings)
    record = await vault.get_record("hcp")
    secret = await vault.get_secret("hcp")
    if record is None or secret is None:
        return None
    return HcpCredential(secret, record.allowed_domains)


def build_hcp_client(
    settings: Settings,
    credential: HcpCredential | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> hcp.HcpClient:
    """The real HCP client (or a standalone sandbox at `HCP_BASE_URL`).

    A vault credential wins over `HCP_API_KEY`; its allowed domains are the ones stored
    with it.
    """
    if credential is not None:
        key, domains = credential.api_key.get_secret_value(), credential.allowed_domains
    else:
        key = settings.hcp_api_key.get_secret_value() if settings.hcp_api_key else SANDBOX_API_KEY
        domains = settings.hcp_allowed_domains
    base = str(settings.hcp_base_url or DEFAULT_HCP_BASE_URL)
    if key != SANDBOX_API_KEY:  # the real key (vault or setting) never reaches a log line
        register_secret(key)
    return hcp.HcpClient(
        key,
        base_url=base,
        timeout=settings.hcp_timeout,
        allowed_domains=domains,
        transport=transport,
        proxy=settings.hcp_proxy,
    )


def build_dry_run_client(
    settings: Settings, key: str, inner: httpx.AsyncBaseTransport | None = None
) -> hcp.HcpClient:
    """The real HCP account with every write answered locally (`voice_agent.dryrun`)."""
    credential = HcpCredential(SecretStr(key), settings.hcp_allowed_domains)
    transport = DryRunTransport(inner or httpx.AsyncHTTPTransport())
    return build_hcp_client(settings, credential, transport=transport)


def build_model(settings: Settings) -> ChatModel:
    """OpenAI when `OPENAI_API_KEY` is set, else guided intake."""
    if settings.llm_enabled:
        from voice_agent.engine.openai_model import OpenAIChatModel

        return OpenAIChatModel.from_settings(settings)
    return GuidedIntakeModel()


def migrate_embedded(database_url: str) -> None:
    """Bring the embedded SQLite database up to date, so a fresh checkout just runs.

    PostgreSQL is left to `voice-agent db upgrade`. Runs the async migration on a private
    thread and loop, so it works whether or not the caller is inside an event loop.
    """
    if not database_url.startswith("sqlite"):
        return
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(upgrade(database_url))
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=run, name="voice-agent-migrate")
    worker.start()
    worker.join()
    if failure:
        raise failure[0]


def build_services(
    settings: Settings,
    store: Store | None = None,
    *,
    hcp_client: hcp.HcpClient | None = None,
    model: ChatModel | None = None,
    limits: EngineLimits | None = None,
    clock: Callable[[], datetime] = utcnow,
    hcp_credential: HcpCredential | None = None,
) -> Services:
    """Wire the components; pass any of them to override (tests pass the sandbox client).

    When it opens the store itself, an embedded SQLite database is migrated first
    (PostgreSQL needs `voice-agent db upgrade`); a `store` passed in is not closed by
    `Services.aclose`. `hcp_credential` (see `load_hcp_credential`) selects real HCP.
    """
    owned: list[Any] = []
    if store is None:
        migrate_embedded(settings.effective_database_url)
        store = open_store(settings.effective_database_url)
        owned.append("store")
    sandbox_state: SandboxState | None = None
    if hcp_client is None:
        if hcp_credential or settings.hcp_api_key or settings.hcp_base_url:
            hcp_client = build_hcp_client(settings, hcp_credential)
        else:
            hcp_client, sandbox_state = build_sandbox_client(settings)
            owned.append("sandbox")
    log.info("services: %s", settings.components())
    return Services(
        settings,
        store,
        hcp_client,
        model or build_model(settings),
        SettingsSource(settings, store),
        limits,
        clock,
        sandbox_state,
        owned,
    )


async def start_services(settings: Settings) -> Services:
    """`build_services` from inside an event loop, with the HCP key from the vault if stored.

    The embedded SQLite database is migrated first; PostgreSQL is migrated by
    `voice-agent db upgrade` (the Procfile's release step).
    """
    url = settings.effective_database_url
    if url.startswith("sqlite"):
        await upgrade(url)
    store = open_store(url)
    try:
        credential = await load_hcp_credential(settings, store)
        services = build_services(settings, store, hcp_credential=credential)
    except BaseException:
        await store.close()
        raise
    services._owned.append("store")
    return services
