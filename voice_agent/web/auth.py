"""Dashboard logins: passwords, signed session cookies and a stored per-client login limiter.

A session is a signed cookie (HMAC-SHA256 over a small JSON payload) holding the user
name, the expiry and the session's CSRF token. The signing key is derived from
`ADMIN_PASSWORD` and a random per-install secret kept in the store, so changing the admin
password logs everybody out. Extra users are kept in the store as scrypt hashes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from voice_agent.attempts import AttemptLimiter
from voice_agent.storage.base import DashboardUser, DashboardUsers, InstallSecrets

ADMIN_USER = "admin"
SESSION_COOKIE = "va_session"
SESSION_SECONDS = 12 * 3600
INSTALL_SECRET = "session"  # the `InstallSecrets` name of the session-signing salt
LOGIN_MAX_FAILURES = 5
LOGIN_WINDOW_SECONDS = 15 * 60
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


@dataclass(frozen=True)
class Session:
    """A logged-in user's session as read from the cookie."""

    user: str
    csrf: str
    expires: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def derive_session_key(admin_password: str, install_secret: str) -> bytes:
    """The cookie-signing key: HMAC of the admin password under the install secret."""
    return hmac.new(
        install_secret.encode(), b"session:" + admin_password.encode(), hashlib.sha256
    ).digest()


async def load_install_secret(store: InstallSecrets) -> str:
    """The random per-install secret, created on first use (the first worker's wins)."""
    return await store.install_secret(INSTALL_SECRET, secrets.token_urlsafe(32))


def sign_session(key: bytes, user: str, *, now: float | None = None) -> str:
    """A cookie value for `user` valid for `SESSION_SECONDS`, with a fresh CSRF token."""
    payload = {
        "u": user,
        "c": secrets.token_urlsafe(24),
        "e": int((now if now is not None else time.time()) + SESSION_SECONDS),
    }
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    mac = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    return f"{body}.{mac}"


def read_session(key: bytes, cookie: str | None, *, now: float | None = None) -> Session | None:
    """The session in a cookie, or None when missing, forged, malformed or expired."""
    if not cookie or cookie.count(".") != 1:
        return None
    body, mac = cookie.split(".")
    expected = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(mac, expected):
        return None
    try:
        payload = json.loads(_unb64(body))
        session = Session(user=str(payload["u"]), csrf=str(payload["c"]), expires=int(payload["e"]))
    except (ValueError, KeyError, TypeError):
        return None
    if session.expires < (now if now is not None else time.time()):
        return None
    return session


def hash_password(password: str, *, salt: bytes | None = None) -> dict[str, str]:
    """An scrypt hash record for a created user."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return {"salt": salt.hex(), "hash": digest.hex()}


def check_hashed(password: str, record: Any) -> bool:
    """Whether `password` matches a record made by `hash_password`."""
    if not isinstance(record, dict):
        return False
    try:
        salt = bytes.fromhex(str(record["salt"]))
        expected = bytes.fromhex(str(record["hash"]))
    except (KeyError, ValueError):
        return False
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return hmac.compare_digest(digest, expected)


async def list_users(store: DashboardUsers) -> dict[str, Any]:
    """Created users (name -> hash record); the admin is not among them."""
    return {u.name: {"salt": u.salt, "hash": u.hash} for u in await store.list_users()}


async def save_user(store: DashboardUsers, name: str, password: str) -> None:
    """Create the user `name`, or reset its password."""
    await store.put_user(DashboardUser(name, **hash_password(password)))


async def check_login(store: DashboardUsers, admin_password: str, user: str, password: str) -> bool:
    """Whether the user name and password are right (the admin or a created user)."""
    if user == ADMIN_USER:
        return hmac.compare_digest(password.encode(), admin_password.encode())
    return check_hashed(password, (await list_users(store)).get(user))


@dataclass
class LoginLimiter(AttemptLimiter):
    """Counts failed logins per client address in the store; too many in the window answer 429.

    Kept in the store, so every worker (and a restarted one) sees the same count. The
    address is the real client: `X-Forwarded-For` is believed only from the proxies in
    `FORWARDED_ALLOW_IPS` (see `voice_agent.cli.serve`). A success clears the count.
    """

    scope: str = "login"
    max_failures: int = LOGIN_MAX_FAILURES
    window_seconds: float = LOGIN_WINDOW_SECONDS
