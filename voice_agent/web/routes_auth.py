"""`/login` and `/logout`, and the static files the login page needs (the only public routes)."""

from __future__ import annotations

import hmac
import logging
import secrets
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import FileResponse, RedirectResponse

from voice_agent.deps import StoreDep
from voice_agent.web.auth import SESSION_COOKIE, SESSION_SECONDS, check_login, sign_session
from voice_agent.web.errors import error_response
from voice_agent.web.guard import (
    DashboardDep,
    GuardedRoute,
    admin_password,
    current_session,
    page,
    secure_cookies,
    session_key,
    setup_required_page,
)

log = logging.getLogger(__name__)

LOGIN_CSRF_COOKIE = "va_login"
STATIC_DIR = Path(__file__).parent / "static"
STATIC_FILES = frozenset(p.name for p in STATIC_DIR.iterdir() if p.is_file())

public = APIRouter(include_in_schema=False)
guarded = APIRouter(include_in_schema=False, route_class=GuardedRoute)


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login (no open redirect)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def _client(request: Request) -> str:
    """The client's address: the socket peer, or `X-Forwarded-For` as rewritten by uvicorn
    only when the peer is a trusted proxy (`FORWARDED_ALLOW_IPS`)."""
    return request.client.host if request.client else "unknown"


def _login_page(request: Request, *, error: str | None, next_url: str, status: int) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = page(
        request,
        "login.html",
        {"error": error, "next": next_url, "login_csrf": token},
        status_code=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
    )
    return response


@public.get("/login")
async def login_form(request: Request, next: str = "/") -> Response:
    """The login page (or the "set ADMIN_PASSWORD" page)."""
    if admin_password(request) is None:
        return setup_required_page(request)
    if await current_session(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, error=None, next_url=_safe_next(next), status=200)


@public.post("/login")
async def login(
    request: Request,
    store: StoreDep,
    state: DashboardDep,
    username: Annotated[str, Form(max_length=100)] = "admin",
    password: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    """Check the password; on success set the session cookie, on failure count the attempt."""
    password_env = admin_password(request)
    if password_env is None:
        return setup_required_page(request)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), csrf_token.encode()):
        raise HTTPException(status_code=403, detail="CSRF token missing or wrong; reload the page")
    limiter = state.limiter
    client = _client(request)
    wait = await limiter.retry_after(store, client)
    if wait:
        log.warning("security: login rate limited client=%s", client)
        return await error_response(
            request, 429, "Too many failed logins; try again later.", {"Retry-After": str(wait)}
        )
    username = username.strip() or "admin"
    if not await check_login(store, password_env, username, password):
        await limiter.failed(store, client)
        log.warning("security: failed login client=%s", client)
        return _login_page(
            request, error="Wrong user name or password.", next_url=_safe_next(next), status=401
        )
    await limiter.succeeded(store, client)
    key = await session_key(request, password_env)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        sign_session(key, username),
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    log.info("dashboard login user=%s", username)
    return response


@guarded.post("/logout")
async def logout() -> Response:
    """End the session (the cookie is dropped)."""
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@public.get("/static/{name}")
async def static(name: str) -> Response:
    """The dashboard's CSS and JavaScript (a fixed list of files)."""
    if name not in STATIC_FILES:
        raise HTTPException(status_code=404)
    return FileResponse(STATIC_DIR / name, headers={"Cache-Control": "max-age=300"})
