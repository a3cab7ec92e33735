"""A local fake of Twilio's Messages REST API, served over real HTTP on 127.0.0.1.

Point `TwilioSmsSender(base_url=fake.base_url)` (or `client.api.base_url`) at it. It checks
HTTP Basic auth, records every accepted message, answers list queries (To, From,
DateSent>), and can be told to fail: `fail_next(status, code)` for an error answer,
`accept_then_fail_next()` to record the message and still answer 500 (the ambiguous case),
and numbers in `opted_out` get error 21610 like a real STOP.

It also serves the Recordings API: `add_recording(sid, audio)` makes a recording whose
`.mp3` can be fetched (with `Range` support) and which `DELETE …/Recordings/{sid}.json`
removes (404 afterwards, like Twilio); `deleted` lists the sids deleted.

    async with FakeTwilioServer() as fake:
        sender = TwilioSmsSender(
            fake.account_sid, fake.auth_token, from_number=..., base_url=fake.base_url
        )
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import socket
from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

FAKE_ACCOUNT_SID = "AC00000000000000000000000000000000"
FAKE_AUTH_TOKEN = "test-twilio-token-not-real"


@dataclass
class _Failure:
    status: int
    code: int
    record: bool  # accept the message before failing (ambiguous outcome)


@dataclass
class FakeTwilioServer:
    """In-process Twilio REST double; use as an async context manager."""

    account_sid: str = FAKE_ACCOUNT_SID
    auth_token: str = FAKE_AUTH_TOKEN
    messages: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, str]] = field(default_factory=list)
    opted_out: set[str] = field(default_factory=set)
    recordings: dict[str, bytes] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    media_requests: list[dict[str, str]] = field(default_factory=list)
    base_url: str = ""
    _failures: list[_Failure] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _server: _InProcessServer | None = None
    _task: asyncio.Task[None] | None = None

    def fail_next(self, status: int = 500, code: int = 20500, *, times: int = 1) -> None:
        """Answer the next `times` create requests with this error and send nothing."""
        self._failures.extend(_Failure(status, code, record=False) for _ in range(times))

    def accept_then_fail_next(self, status: int = 500, code: int = 20500) -> None:
        """Accept the next message (it is "sent") but answer with an error anyway."""
        self._failures.append(_Failure(status, code, record=True))

    def sent_to(self, number: str) -> list[str]:
        """Bodies of the accepted messages to `number`, oldest first."""
        return [m["body"] for m in self.messages if m["to"] == number]

    def add_recording(self, sid: str, audio: bytes) -> str:
        """A recording Twilio holds; returns its RecordingUrl (as a callback would report)."""
        self.recordings[sid] = audio
        return f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Recordings/{sid}"

    async def _recording(self, request: Request) -> Response:
        if not self._authorised(request, request.path_params["sid"]):
            return _error(401, 20003, "Authenticate")
        name = request.path_params["name"]
        rsid, _, ext = name.partition(".")
        if request.method == "DELETE":
            if rsid not in self.recordings:
                return _error(404, 20404, "The requested resource was not found")
            del self.recordings[rsid]
            self.deleted.append(rsid)
            return Response(status_code=204)
        self.media_requests.append(dict(request.headers))
        audio = self.recordings.get(rsid)
        if audio is None or ext != "mp3":
            return _error(404, 20404, "The requested resource was not found")
        ranged = request.headers.get("range", "")
        if ranged.startswith("bytes="):
            start_text, _, end_text = ranged[6:].partition("-")
            start = int(start_text or 0)
            end = int(end_text) if end_text else len(audio) - 1
            part = audio[start : end + 1]
            headers = {
                "Content-Range": f"bytes {start}-{start + len(part) - 1}/{len(audio)}",
                "Accept-Ranges": "bytes",
            }
            return Response(part, status_code=206, media_type="audio/mpeg", headers=headers)
        return Response(audio, media_type="audio/mpeg", headers={"Accept-Ranges": "bytes"})

    def _authorised(self, request: Request, sid: str) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return sid == self.account_sid and request.headers.get("authorization") == (
            f"Basic {expected}"
        )

    async def _messages(self, request: Request) -> Response:
        sid = request.path_params["sid"]
        if not self._authorised(request, sid):
            return _error(401, 20003, "Authenticate")
        if request.method == "GET":
            return self._list(request)
        form = {k: str(v) for k, v in (await request.form()).items()}
        self.requests.append(form)
        to = form.get("To", "")
        if to in self.opted_out:
            return _error(400, 21610, "Attempt to send to unsubscribed recipient")
        if not to.startswith("+") or not form.get("Body"):
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        failure = self._failures.pop(0) if self._failures else None
        if failure and not failure.record:
            return _error(failure.status, failure.code, "Injected failure")
        message = self._record(sid, form)
        if failure:
            return _error(failure.status, failure.code, "Injected failure after accepting")
        return JSONResponse(message, status_code=201)

    def _record(self, sid: str, form: dict[str, str]) -> dict[str, Any]:
        now = format_datetime(datetime.now(UTC), usegmt=True)
        message_sid = f"SMfa4e{next(self._ids):028x}"
        message = {
            "sid": message_sid,
            "account_sid": sid,
            "to": form["To"],
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": form["Body"],
            "status": "accepted" if form.get("MessagingServiceSid") else "queued",
            "status_callback": form.get("StatusCallback"),
            "direction": "outbound-api",
            "num_segments": "1",
            "date_created": now,
            "date_updated": now,
            "date_sent": now,
            "error_code": None,
            "uri": f"/2010-04-01/Accounts/{sid}/Messages/{message_sid}.json",
        }
        self.messages.append(message)
        return message

    def _list(self, request: Request) -> Response:
        query = request.query_params
        found = [
            m
            for m in self.messages
            if (not query.get("To") or m["to"] == query["To"])
            and (not query.get("From") or m["from"] == query["From"])
        ]
        uri = request.url.path
        return JSONResponse(
            {
                "messages": list(reversed(found)),
                "end": max(len(found) - 1, 0),
                "first_page_uri": uri,
                "next_page_uri": None,
                "previous_page_uri": None,
                "page": 0,
                "page_size": 50,
                "start": 0,
                "uri": uri,
            }
        )

    async def __aenter__(self) -> FakeTwilioServer:
        app = Starlette(
            routes=[
                Route(
                    "/2010-04-01/Accounts/{sid}/Messages.json",
                    self._messages,
                    methods=["GET", "POST"],
                ),
                Route(
                    "/2010-04-01/Accounts/{sid}/Recordings/{name}",
                    self._recording,
                    methods=["GET", "DELETE"],
                ),
            ]
        )
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited: no 40 ms stalls
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)  # connections queue here until uvicorn starts accepting
        self.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self._server = _InProcessServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task


class _InProcessServer(uvicorn.Server):
    """uvicorn without signal handling: it runs as a task inside the caller's loop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def _error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status_code=status,
    )
