"""`/setup`: business profile, HCP key, Twilio webhook URLs, health panel and users."""

from __future__ import annotations

import logging
import re
from typing import Annotated, Any

from fastapi import Form, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from voice_agent.channels.voice import FALLBACK_PATH, STATUS_PATH, VOICE_PATH
from voice_agent.deps import RuntimeDep, SettingsDep, StoreDep
from voice_agent.errors import ConfigError, VaultError
from voice_agent.overrides import PROFILE_FIELDS, effective_settings, validate_profile
from voice_agent.settings import Settings
from voice_agent.storage.base import Store
from voice_agent.web import hcp_probe
from voice_agent.web.auth import ADMIN_USER, list_users, save_user
from voice_agent.web.guard import page, session_of
from voice_agent.web.routes_auth import guarded

log = logging.getLogger(__name__)

TWILIO_PATHS = {
    "Voice: A call comes in (Webhook, HTTP POST)": VOICE_PATH,
    "Voice: Primary handler fails (Fallback URL, HTTP POST)": FALLBACK_PATH,
    "Voice: Call status changes (HTTP POST)": STATUS_PATH,
    "Messaging: A message comes in (Webhook, HTTP POST)": "/twilio/sms",
}
_USER_NAME = re.compile(r"^[A-Za-z0-9._@-]{2,40}$")
MIN_PASSWORD = 10


def webhook_urls(settings: Settings) -> dict[str, str | None]:
    """The exact URLs to paste into the Twilio console (None until PUBLIC_BASE_URL is set)."""
    base = str(settings.public_base_url).rstrip("/") if settings.public_base_url else None
    return {label: f"{base}{path}" if base else None for label, path in TWILIO_PATHS.items()}


def _form_value(settings: Settings, stored: dict[str, Any], name: str) -> str:
    """What a profile field shows: the stored override, else the environment's value."""
    value = stored.get(name)
    if value is None:
        value = getattr(settings, name, None)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "on" if value else "off"
    return "" if value is None else str(value)


async def _context(
    request: Request, store: Store, settings: Settings, **extra: Any
) -> dict[str, Any]:
    stored = await store.all_settings()
    effective = await effective_settings(settings, store)
    credential = await store.get_credential("hcp")
    return {
        "profile": {name: _form_value(settings, stored, name) for name in PROFILE_FIELDS},
        "env_defaults": {name: _form_value(settings, {}, name) for name in PROFILE_FIELDS},
        "hcp_last4": credential.last4 if credential else None,
        "hcp_env_key": settings.hcp_api_key is not None,
        "vault_ready": settings.voice_agent_master_key is not None,
        "twilio_number": effective.twilio_phone_number,
        "test_numbers": effective.test_numbers,
        "webhooks": webhook_urls(effective),
        "components": effective.components(),
        "no_callback_number": not (effective.office_number or effective.on_call_number),
        "users": sorted((await list_users(store)).keys()),
        "me": session_of(request).user,
        "message": None,
        "error": None,
        **extra,
    }


@guarded.get("/setup")
async def setup_page(
    request: Request, store: StoreDep, settings: SettingsDep, saved: str = ""
) -> Response:
    """The setup page."""
    message = {
        "profile": "Business profile saved.",
        "hcp": "HCP key saved.",
        "users": "Users saved.",
    }
    return page(
        request, "setup.html", await _context(request, store, settings, message=message.get(saved))
    )


@guarded.post("/setup/profile")
async def save_profile(request: Request, runtime: RuntimeDep, settings: SettingsDep) -> Response:
    """Validate and store the business profile; the agent uses it from the next conversation."""
    form = await request.form()
    values = {name: str(form.get(name) or "") for name in PROFILE_FIELDS}
    try:
        cleaned = validate_profile(settings, values)
    except ConfigError as exc:
        context = await _context(request, runtime.store, settings, error=str(exc))
        context["profile"] = values
        return page(request, "setup.html", context, status_code=400)
    for name, value in cleaned.items():
        await runtime.store.set_setting(name, value)
    await runtime.settings.reload()  # every engine reads it from the next turn
    log.info("setup: business profile saved by %s", session_of(request).user)
    return RedirectResponse("/setup?saved=profile", status_code=303)


@guarded.post("/setup/hcp-key")
async def save_hcp_key(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    api_key: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Store (or replace) the HCP API key encrypted in the vault; it is never shown again."""
    key = api_key.strip()
    if len(key) < 8 or any(ch.isspace() for ch in key):
        problem = "That does not look like an HCP API key."
        context = await _context(request, store, settings, error=problem)
        return page(request, "setup.html", context, status_code=400)
    try:
        await hcp_probe.store_key(store, settings, key)
    except VaultError as exc:
        context = await _context(request, store, settings, error=str(exc))
        return page(request, "setup.html", context, 400)
    log.info("setup: HCP key replaced by %s", session_of(request).user)
    return RedirectResponse("/setup?saved=hcp", status_code=303)


@guarded.post("/api/hcp/test")
async def test_hcp(runtime: RuntimeDep, settings: SettingsDep) -> Response:
    """Call HCP (or the sandbox) with the configured key and report whether it answered."""
    result = await hcp_probe.probe(runtime.services.hcp, settings, runtime.store)
    return JSONResponse(result)


@guarded.post("/setup/users")
async def add_user(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Create (or reset the password of) a dashboard user."""
    name = username.strip()
    problem = None
    if not _USER_NAME.match(name) or name == ADMIN_USER:
        problem = "User names are 2-40 letters, digits or . _ @ - (and not 'admin')."
    elif len(password) < MIN_PASSWORD:
        problem = f"Passwords need at least {MIN_PASSWORD} characters."
    if problem:
        context = await _context(request, store, settings, error=problem)
        return page(request, "setup.html", context, 400)
    await save_user(store, name, password)
    log.info("setup: user %s saved by %s", name, session_of(request).user)
    return RedirectResponse("/setup?saved=users", status_code=303)


@guarded.post("/setup/users/delete")
async def delete_user(
    store: StoreDep, username: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    """Remove a created user (the admin login cannot be removed here)."""
    await store.delete_user(username.strip())
    return RedirectResponse("/setup?saved=users", status_code=303)
