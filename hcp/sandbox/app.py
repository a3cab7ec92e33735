"""The sandbox ASGI app: HCP's v1 paths over a SandboxState, with HCP's auth and errors."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from hcp.sandbox import routes_company, routes_control, routes_customers, routes_jobs, routes_sales
from hcp.sandbox._common import ApiError, Sandbox
from hcp.sandbox.faults import Faults
from hcp.sandbox.repair import repair_state
from hcp.sandbox.seed import ensure_company
from hcp.sandbox.store import SandboxState
from hcp.sandbox.strict_key import REFUSALS, refuses, strict_key_status
from hcp.sandbox.webhooks import Sender, WebhookDispatcher

logger = logging.getLogger(__name__)

DEFAULT_API_KEY = "sandbox"
NOT_FOUND_HTML = (
    "<!DOCTYPE html><html><head><title>The page you were looking for doesn't exist (404)"
    "</title></head><body><h1>The page you were looking for doesn't exist.</h1></body></html>"
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _authorized(header: str | None, api_key: str) -> bool:
    # "Token <key>" is documented; "Bearer <key>" is accepted live (hcp/README §1).
    return header in (f"Token {api_key}", f"Bearer {api_key}")


def create_sandbox_app(
    *,
    state: SandboxState | None = None,
    api_key: str = DEFAULT_API_KEY,
    clock: Callable[[], datetime] | None = None,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
    faults: Faults | None = None,
    webhook_sender: Sender | None = None,
    strict_key: bool | int = False,
) -> FastAPI:
    """Build the HCP sandbox app.

    Args:
        state: The data; a fresh in-memory state when None (seed it with
            `seed_demo_company` for the demo company).
        api_key: The key clients must send as `Authorization: Token <key>`.
        clock: Current time source (aware datetimes); wall clock when None.
        webhook_url: Where to POST HCP-shaped events; none are sent when None.
        webhook_secret: Signing secret for `Api-Signature`.
        faults: Fault-injection rules; also settable at PUT /sandbox/faults.
        webhook_sender: Delivery function (tests capture with it); httpx when None.
        strict_key: Refuse the operations the spec lists for application keys / OAuth only,
            as HCP may refuse a Company key: True (401) or the status to answer (401, 403).
            Also settable at PUT /sandbox/settings.
    """
    state = state if state is not None else SandboxState.open(None)
    ensure_company(state)
    repair_state(state)
    now = clock or _utc_now
    sandbox = Sandbox(
        state=state,
        clock=now,
        api_key=api_key,
        webhooks=WebhookDispatcher(
            url=webhook_url,
            secret=webhook_secret,
            company_id=lambda: str(state.meta("company").get("id", "")),
            clock=now,
            sender=webhook_sender,
        ),
        faults=faults or Faults(),
        strict_key=strict_key_status(strict_key),
    )
    app = FastAPI(title="HCP sandbox", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.sandbox = sandbox
    for module in (routes_customers, routes_jobs, routes_sales, routes_company, routes_control):
        app.include_router(module.router)

    @app.middleware("http")
    async def auth_and_faults(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if not _authorized(request.headers.get("authorization"), sandbox.api_key):
            return JSONResponse({"message": "Unauthorized"}, status_code=401)
        if sandbox.strict_key and refuses(request.method, request.url.path):
            status = sandbox.strict_key
            return JSONResponse(REFUSALS[status], status_code=status)
        for rule in sandbox.faults.pick(request.method, request.url.path):
            if rule.kind == "latency":
                await sandbox.faults.sleep(rule.seconds)
            elif rule.kind == "rate_limit":
                headers = {"Retry-After": str(rule.retry_after)}
                return JSONResponse({"message": "Too Many Requests"}, 429, headers=headers)
            elif rule.kind == "server_error":
                return JSONResponse({"error": {"message": "Internal Server Error"}}, 500)
            elif rule.kind == "timeout":
                await sandbox.faults.sleep(rule.seconds)
                return JSONResponse({"error": {"message": "Gateway Timeout"}}, 504)
        return await call_next(request)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        return JSONResponse(exc.body, status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code in (404, 405):  # HCP answers unknown routes with an HTML 404
            return HTMLResponse(NOT_FOUND_HTML, status_code=404)
        return JSONResponse({"message": str(exc.detail)}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        return JSONResponse({"errors": {"request": ["is invalid"]}}, status_code=422)

    return app
