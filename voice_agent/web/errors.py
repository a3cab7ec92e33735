"""Error answers: an HTML page in the dashboard's style for browsers, JSON for everyone else.

A request gets HTML when it asks for it (`Accept: text/html`) and is not for a machine-facing
path (`/api/`, `/twilio/`, `/hcp/`, `/healthz`, `/static/`); webhooks and API clients keep the
`{"detail": ...}` JSON they always had. `install_error_pages(app)` registers the handlers.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

MACHINE_PATHS = ("/api/", "/twilio/", "/hcp/", "/healthz", "/static/")
TITLES = {
    400: "That address cannot be read",
    403: "Not allowed",
    404: "Page not found",
    429: "Too many tries",
    500: "Something went wrong",
}
EXPLANATIONS = {
    400: "Part of the address is not what this page expects. Go back and try again.",
    403: "This form has expired or came from another page. Go back, reload the page and try again.",
    404: "There is no page at this address. It may have been mistyped, or the conversation "
    "no longer exists.",
    429: "Too many failed logins from this address. Wait a few minutes, then try again.",
    500: "The server hit an error while making this page. Nothing you entered was lost; "
    "the details are in the server's log. Try again in a moment.",
}


def wants_html(request: Request) -> bool:
    """Whether the error should be a page (a browser) rather than JSON (an API client)."""
    if request.url.path.startswith(MACHINE_PATHS):
        return False
    return "text/html" in request.headers.get("accept", "")


async def error_response(
    request: Request,
    status: int,
    detail: Any,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The error as HTML for a browser, else as `{"detail": ...}`."""
    if not wants_html(request):
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)
    from voice_agent.web.guard import current_session, page  # the guard imports this module

    if getattr(request.state, "session", None) is None:
        try:
            request.state.session = await current_session(request)
        except Exception:  # the error page must render even when storage is down
            request.state.session = None
    title = TITLES.get(status) or HTTPStatus(status).phrase
    explanation = EXPLANATIONS.get(status) or (detail if isinstance(detail, str) else "")
    response = page(
        request,
        "error.html",
        {"status": status, "title": title, "explanation": explanation},
        status_code=status,
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    return await error_response(request, exc.status_code, exc.detail, exc.headers)


async def _invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if wants_html(request):
        return await error_response(request, 400, "invalid request")
    from fastapi.encoders import jsonable_encoder

    return JSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422)


async def _server_error(request: Request, exc: Exception) -> Response:
    log.error("server error path=%s: %r", request.url.path, exc)
    return await error_response(request, 500, "Internal Server Error")


def install_error_pages(app: FastAPI) -> None:
    """Register the HTML-or-JSON handlers for HTTP errors, bad parameters and crashes."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(Exception, _server_error)
