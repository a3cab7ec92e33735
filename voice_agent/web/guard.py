"""The login and CSRF guard every dashboard route runs through.

`GuardedRoute` wraps each route of the protected router: no `ADMIN_PASSWORD` → the
"set ADMIN_PASSWORD" page; no valid session → redirect to `/login` (pages) or 401 (`/api/`);
an unsafe method without the session's CSRF token (form field `csrf_token` or header
`X-CSRF-Token`) → 403. Because the check lives in the route class, a new route added to
the router cannot forget it.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from voice_agent import deps
from voice_agent.recordings import TwilioRecordings
from voice_agent.scenarios.runs import ScenarioRuns
from voice_agent.storage.base import Store
from voice_agent.web import format as fmt
from voice_agent.web.auth import (
    ADMIN_USER,
    SESSION_COOKIE,
    LoginLimiter,
    Session,
    derive_session_key,
    list_users,
    load_install_secret,
    read_session,
)
from voice_agent.web.errors import error_response

log = logging.getLogger(__name__)

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.filters.update(
    phone=fmt.phone_link,
    duration=fmt.format_duration,
    money=fmt.money,
    pretty_json=fmt.pretty_json,
)


@dataclass
class DashboardState:
    """Per-app state: the login limiter, the signing key, what the dashboard built."""

    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    keys: dict[str, bytes] = field(default_factory=dict)
    recordings: TwilioRecordings | None = None  # built on first play or delete
    scenario_runs: ScenarioRuns | None = None  # built on the first run
    closers: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)

    async def aclose(self) -> None:
        """Close what the dashboard built."""
        while self.closers:
            await self.closers.pop()()
        self.recordings = None
        self.scenario_runs = None


def dashboard_state(request: Request) -> DashboardState:
    """The app's `DashboardState` (made by `create_app`)."""
    state: DashboardState = request.app.state.dashboard
    return state


async def dashboard(request: Request) -> DashboardState:
    """`dashboard_state` as a dependency (async: no worker-thread hop)."""
    return dashboard_state(request)


DashboardDep = Annotated[DashboardState, Depends(dashboard)]


def app_store(request: Request) -> Store:
    """The running store, for the guard itself (handlers take `StoreDep`)."""
    return deps.app_runtime(request).store


def admin_password(request: Request) -> str | None:
    """`ADMIN_PASSWORD`, or None when the dashboard is not set up."""
    secret = deps.app_settings(request).admin_password
    value = secret.get_secret_value() if secret is not None else ""
    return value or None


async def session_key(request: Request, password: str) -> bytes:
    """The cookie-signing key for this install and admin password (cached per app)."""
    state = dashboard_state(request)
    cached = state.keys.get(password)
    if cached is None:
        cached = derive_session_key(password, await load_install_secret(app_store(request)))
        state.keys = {password: cached}
    return cached


def secure_cookies(request: Request) -> bool:
    """Cookies are `Secure` when the public URL is https."""
    url = deps.app_settings(request).public_base_url
    return url is not None and url.scheme == "https"


def setup_required_page(request: Request) -> Response:
    """The page shown instead of the dashboard while `ADMIN_PASSWORD` is unset."""
    response = templates.TemplateResponse(request, "setup_required.html", {}, status_code=503)
    return harden(response)


async def current_session(request: Request) -> Session | None:
    """The valid session of this request, if any."""
    password = admin_password(request)
    if password is None:
        return None
    key = await session_key(request, password)
    session = read_session(key, request.cookies.get(SESSION_COOKIE))
    if session is not None and session.user != ADMIN_USER:
        if session.user not in await list_users(app_store(request)):
            return None  # the user was removed since logging in
    return session


def harden(response: Response) -> Response:
    """Security headers for every dashboard response."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


async def _csrf_ok(request: Request, session: Session) -> bool:
    token = request.headers.get(CSRF_HEADER)
    if token is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        token = value if isinstance(value, str) else None
    return token is not None and hmac.compare_digest(token.encode(), session.csrf.encode())


class GuardedRoute(APIRoute):
    """An APIRoute that requires ADMIN_PASSWORD, a session and (for writes) the CSRF token."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            if admin_password(request) is None:
                return setup_required_page(request)
            session = await current_session(request)
            if session is None:
                if request.url.path.startswith("/api/"):
                    return JSONResponse({"detail": "login required"}, status_code=401)
                query = f"?{request.url.query}" if request.url.query else ""
                target = quote(request.url.path + query)
                return RedirectResponse(f"/login?next={target}", status_code=303)
            if request.method not in SAFE_METHODS and not await _csrf_ok(request, session):
                log.warning("security: CSRF check failed path=%s", request.url.path)
                return await error_response(request, 403, "CSRF token missing or wrong")
            request.state.session = session
            return harden(await handler(request))

        return guarded


def session_of(request: Request) -> Session:
    """The session `GuardedRoute` checked for this request."""
    session: Session = request.state.session
    return session


def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """Render a dashboard page with the common context (user, CSRF token, nav, time zone)."""
    session: Session | None = getattr(request.state, "session", None)
    base = {
        "user": session.user if session else None,
        "csrf_token": session.csrf if session else "",
        "path": request.url.path,
    }
    response = templates.TemplateResponse(
        request, name, {**base, **context}, status_code=status_code
    )
    return harden(response)
