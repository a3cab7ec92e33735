"""`voice-agent doctor`: check each configured component and say how to fix what is broken."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import httpx

import hcp
from voice_agent.engine.messages import ChatMessage, ChatModelError
from voice_agent.errors import AgentError
from voice_agent.services import (
    HcpCredential,
    build_hcp_client,
    build_model,
    load_hcp_credential,
)
from voice_agent.settings import Settings
from voice_agent.storage.migrate import schema_status
from voice_agent.storage.sql import open_store

State = Literal["real", "default", "off", "broken"]
CHECK_TIMEOUT = 8.0


@dataclass(frozen=True)
class Check:
    """One component's verdict, with the fix when it is broken or off."""

    component: str
    state: State
    detail: str
    fix: str = ""


async def diagnose(
    settings: Settings, *, hcp_transport: httpx.AsyncBaseTransport | None = None
) -> list[Check]:
    """Check database, vault, HCP, LLM, Twilio, transfers and dashboard login, in that order.

    With a working database the business profile saved on the Setup page is applied first,
    as the server does, so the verdicts match what callers get.
    """
    checks = [await _database(settings)]
    database_ok = checks[0].state != "broken"
    if database_ok:
        settings = await _with_saved_profile(settings)
    credential_check, credential = await _vault(settings, database_ok)
    checks.append(credential_check)
    checks.append(await _hcp(settings, credential, hcp_transport))
    checks.append(await _llm(settings))
    checks.append(_twilio(settings))
    checks.append(_transfers(settings))
    checks.append(_dashboard(settings))
    return checks


async def _with_saved_profile(settings: Settings) -> Settings:
    from voice_agent.overrides import effective_settings

    store = open_store(settings.effective_database_url)
    try:
        return await effective_settings(settings, store)
    except AgentError:
        return settings
    finally:
        await store.close()


async def _database(settings: Settings) -> Check:
    url = settings.effective_database_url
    state: State = "default" if url.startswith("sqlite") else "real"
    try:
        status = await schema_status(url)
    except AgentError as exc:
        return Check("database", "broken", str(exc), "check DATABASE_URL and that the server runs")
    if not status.up_to_date:
        return Check(
            "database",
            "broken",
            f"schema at {status.current or 'nothing'}, code needs {status.head}",
            "run `voice-agent db upgrade`",
        )
    return Check("database", state, settings.components()["database"])


async def _vault(settings: Settings, database_ok: bool) -> tuple[Check, HcpCredential | None]:
    if not database_ok:
        return Check("vault", "off", "database unavailable"), None
    store = open_store(settings.effective_database_url)
    try:
        stored = await store.get_credential("hcp")
        if settings.voice_agent_master_key is None:
            if stored is not None:
                return Check(
                    "vault",
                    "broken",
                    "an HCP key is stored but no master key is set",
                    "set VOICE_AGENT_MASTER_KEY to the key it was stored with",
                ), None
            return Check("vault", "off", "no master key; no stored credentials"), None
        try:
            credential = await load_hcp_credential(settings, store)
        except AgentError as exc:
            return Check("vault", "broken", str(exc), "set the right VOICE_AGENT_MASTER_KEY"), None
        detail = f"HCP key …{stored.last4}" if stored is not None else "no stored credentials"
        return Check("vault", "real", detail), credential
    finally:
        await store.close()


async def _hcp(
    settings: Settings,
    credential: HcpCredential | None,
    transport: httpx.AsyncBaseTransport | None,
) -> Check:
    if credential is None and not settings.hcp_api_key and not settings.hcp_base_url:
        return Check("hcp", "default", "embedded sandbox (demo company)")
    try:
        client = build_hcp_client(settings, credential, transport=transport)
    except hcp.HcpError as exc:
        return Check("hcp", "broken", str(exc), "check HCP_BASE_URL and HCP_ALLOWED_DOMAINS")
    async with client:
        try:
            company = await client.company.get(timeout=CHECK_TIMEOUT)
        except hcp.HcpAuthenticationError:
            return Check(
                "hcp",
                "broken",
                "HCP refused the API key (401)",
                "store a valid key: `voice-agent credentials set hcp` (MAX plan, admin user)",
            )
        except hcp.HcpError as exc:
            return Check("hcp", "broken", str(exc), "check HCP_BASE_URL and the network")
    return Check("hcp", "real", f"{company.name or 'company'} ({company.time_zone or 'no zone'})")


async def _llm(settings: Settings) -> Check:
    if not settings.llm_enabled:
        return Check("llm", "default", "guided intake (no OPENAI_API_KEY)")
    model = build_model(settings)
    try:
        await model.complete(
            [ChatMessage(role="user", content="Reply with the word ok.")], [], timeout=CHECK_TIMEOUT
        )
    except ChatModelError as exc:
        return Check(
            "llm", "broken", str(exc), "check OPENAI_API_KEY, OPENAI_BASE_URL and OPENAI_MODEL"
        )
    finally:
        closer = getattr(model, "aclose", None)
        if closer is not None:
            await closer()
    return Check("llm", "real", f"{settings.openai_model} answered")


def _twilio(settings: Settings) -> Check:
    if not settings.twilio_enabled:
        return Check(
            "twilio",
            "off",
            "no phone number connected",
            "set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN",
        )
    if settings.public_base_url is None:
        return Check(
            "twilio",
            "broken",
            "signatures cannot be checked without the public URL",
            "set PUBLIC_BASE_URL to the https URL Twilio calls",
        )
    return Check("twilio", "real", f"webhooks at {settings.public_base_url}twilio/voice")


def _transfers(settings: Settings) -> Check:
    numbers = [
        name
        for name, value in (
            ("office", settings.office_number),
            ("on-call", settings.on_call_number),
        )
        if value
    ]
    if not numbers:
        return Check(
            "transfers",
            "off",
            "no office or on-call number: no call is put through and nobody is alerted; "
            "callers hear that the office will see their message first thing",
            "set OFFICE_NUMBER and/or ON_CALL_NUMBER (or on the dashboard's Setup page)",
        )
    return Check("transfers", "real", " and ".join(numbers) + " number set")


def _dashboard(settings: Settings) -> Check:
    if settings.admin_password is None:
        return Check("dashboard", "off", "locked", "set ADMIN_PASSWORD to log in")
    return Check("dashboard", "real", "login enabled")
