"""The silence budget counts from when a webhook reached the app, not from when it was parsed.

Under load a request can wait for the event loop between arriving and its handler (routing,
dependencies, a body still coming in); that wait is silence the caller already heard.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request

from voice_agent.app import create_app
from voice_agent.channels.twilio_auth import ArrivalStamp, TwilioForm, received_at

from .conftest import PUBLIC, signed, voice_settings

BODY_LATE = 0.3


async def _post_with_a_late_body(app: Any, path: str, params: dict[str, str]) -> float:
    """POST `params` to `app` with the body arriving `BODY_LATE` s after the request."""
    body = urlencode(params).encode()
    headers = [
        (b"content-type", b"application/x-www-form-urlencoded"),
        (b"content-length", str(len(body)).encode()),
        (b"host", b"voice.example.test"),
        *((k.lower().encode(), v.encode()) for k, v in signed(f"{PUBLIC}{path}", params).items()),
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("voice.example.test", 443),
        "state": {},
    }

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(BODY_LATE)
        return {"type": "http.request", "body": body, "more_body": False}

    statuses: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    sent = time.monotonic()
    await app(scope, receive, send)
    assert statuses == [200]
    return sent


async def test_the_arrival_is_stamped_before_the_body_is_read(tmp_path: Path) -> None:
    app = FastAPI()
    app.state.settings = voice_settings(tmp_path)
    app.add_middleware(ArrivalStamp)
    seen: list[float | None] = []

    @app.post("/twilio/probe")
    async def probe(request: Request, params: TwilioForm) -> dict[str, str]:
        seen.append(received_at(request))
        return params

    sent = await _post_with_a_late_body(app, "/twilio/probe", {"CallSid": "CA" + "1" * 32})
    [received] = seen
    assert received is not None
    assert received - sent < BODY_LATE / 2  # stamped on arrival, not once the body was in


def test_the_app_stamps_every_request_on_arrival(tmp_path: Path) -> None:
    app = create_app(voice_settings(tmp_path))
    assert any(m.cls is ArrivalStamp for m in app.user_middleware)
