"""A scripted OpenAI-compatible Chat Completions server on 127.0.0.1, for tests and benchmarks.

`FakeOpenAIServer` is a real HTTP/1.1 server (asyncio streams, keep-alive, SSE over chunked
encoding) running its own event loop in a background thread, so both sync and async tests can
point the official SDK at `server.base_url`. It starts without waiting (the socket listens
before the thread runs) and stops by cancelling open connections, including hanging ones.

Each `POST /v1/chat/completions` takes the next `Reply` from the queue, else asks the
`responder` callable, else answers HTTP 500. Every request is recorded. Usage is estimated as
whitespace-separated words, so benchmarks can report token counts deterministically.

    with FakeOpenAIServer([Reply.text("Hi!"), Reply.tool_call("lookup", {"phone": "+1555"})]) as s:
        client = AsyncOpenAI(api_key="test-openai-key-not-real", base_url=s.base_url)
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import json
import logging
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

log = logging.getLogger(__name__)

Responder = Callable[[dict[str, Any]], "Reply | str"]
"""Policy answering a request body (the client's JSON) with a `Reply` or plain text."""

_TOKEN = re.compile(r"\s*\S+\s*|\s+")
_ids = itertools.count(1)


def estimate_tokens(text: str | None) -> int:
    """The fake's token estimate: the number of whitespace-separated words."""
    return len(text.split()) if text else 0


@dataclass(frozen=True)
class FakeToolCall:
    """A tool call the fake model makes; `arguments` is sent verbatim when it is a string."""

    name: str
    arguments: str | dict[str, Any] = "{}"
    id: str = ""

    @property
    def arguments_json(self) -> str:
        """The arguments as the wire string."""
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)


@dataclass(frozen=True)
class Reply:
    """One scripted answer; build it with the class methods.

    Attributes:
        content: Assistant text.
        tool_calls: Tool calls to make.
        status: HTTP status; not 200 means an OpenAI-style error body.
        delay: Seconds to wait before answering at all (a hang).
        raw: Body sent verbatim instead of a well-formed answer (malformed replies).
        args_chunk: Streamed tool-call arguments are split into pieces of this many characters.
        cut: When streaming, drop the connection after the text, before the stream ends.
    """

    content: str | None = None
    tool_calls: tuple[FakeToolCall, ...] = ()
    status: int = 200
    delay: float = 0.0
    raw: str | None = None
    args_chunk: int = 8
    cut: bool = False

    @classmethod
    def text(cls, content: str) -> Reply:
        """A plain text answer."""
        return cls(content=content)

    @classmethod
    def tool_call(cls, name: str, arguments: str | dict[str, Any] = "{}", id: str = "") -> Reply:
        """A single tool call."""
        return cls(tool_calls=(FakeToolCall(name, arguments, id),))

    @classmethod
    def calls(cls, *calls: FakeToolCall, content: str | None = None) -> Reply:
        """Several (parallel) tool calls, optionally with text."""
        return cls(content=content, tool_calls=calls)

    @classmethod
    def error(cls, status: int = 500, message: str = "fake server error") -> Reply:
        """An HTTP error with an OpenAI-style body."""
        return cls(status=status, content=message)

    @classmethod
    def hang(cls, seconds: float, then: Reply | None = None) -> Reply:
        """Say nothing for `seconds` (cut short when the server stops), then answer `then`."""
        return dataclasses.replace(then or cls(content="Sorry for the wait."), delay=seconds)

    @classmethod
    def cut_off(cls, content: str = "Let me check that for") -> Reply:
        """Stream `content`, then drop the connection mid-stream (a server dying)."""
        return cls(content=content, cut=True)

    @classmethod
    def malformed(cls, body: str = '{"id": "chatcmpl-x", "choices": [') -> Reply:
        """A body that is not valid JSON (sent as an SSE data line when streaming)."""
        return cls(raw=body)


@dataclass(frozen=True)
class RecordedRequest:
    """What a client sent."""

    path: str
    body: dict[str, Any]
    received_at: float = field(default_factory=time.monotonic)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The `messages` list of the request."""
        return list(self.body.get("messages", []))

    @property
    def tools(self) -> list[dict[str, Any]]:
        """The `tools` list of the request (empty when none)."""
        return list(self.body.get("tools") or [])

    @property
    def tool_names(self) -> list[str]:
        """Names of the offered tools."""
        return [tool["function"]["name"] for tool in self.tools]

    @property
    def stream(self) -> bool:
        """Whether the client asked for streaming."""
        return bool(self.body.get("stream"))


class FakeOpenAIServer:
    """Scripted OpenAI-compatible server; use as a (sync or async) context manager.

    Args:
        replies: Initial reply queue (`str` items mean text replies).
        responder: Policy used when the queue is empty.
        ttft: Seconds before the first token (after the response headers when streaming).
        tokens_per_second: Pace of the following tokens; `None` sends them at once.
        model: Model name reported in answers.
    """

    def __init__(
        self,
        replies: Iterable[Reply | str] = (),
        *,
        responder: Responder | None = None,
        ttft: float = 0.0,
        tokens_per_second: float | None = None,
        model: str = "gpt-fake",
    ) -> None:
        self.responder = responder
        self.ttft = ttft
        self.tokens_per_second = tokens_per_second
        self.model = model
        self.requests: list[RecordedRequest] = []
        self.connections = 0  # TCP connections accepted (keep-alive reuse shows here)
        self.errors: list[Exception] = []  # exceptions raised by the responder
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.enqueue(*replies)

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>/v1`."""
        if self._sock is None:
            raise RuntimeError("FakeOpenAIServer is not running")
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}/v1"

    def start(self) -> None:
        """Listen on a free port and serve in a background thread (returns at once)."""
        if self._sock is not None:
            raise RuntimeError("FakeOpenAIServer is already running")
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(2048)
        self._loop = asyncio.new_event_loop()
        self._stopping = asyncio.Event()
        self._thread = threading.Thread(target=self._run, name="fake-openai", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Close the server and every open connection, then join the thread."""
        if self._loop is None or self._thread is None or self._stopping is None:
            return
        self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join()
        self._loop = self._thread = self._stopping = self._sock = None

    def __enter__(self) -> FakeOpenAIServer:
        self.start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> FakeOpenAIServer:
        self.start()
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)

    def _run(self) -> None:
        assert self._loop is not None
        loop = self._loop
        try:
            loop.run_until_complete(self._serve())
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()

    async def _serve(self) -> None:
        assert self._stopping is not None and self._sock is not None
        server = await asyncio.start_server(self._connection, sock=self._sock)
        async with server:
            await self._stopping.wait()
            server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- script ----------------------------------------------------------------------------

    def enqueue(self, *replies: Reply | str) -> None:
        """Append replies to the queue."""
        with self._lock:
            self._queue.extend(Reply.text(r) if isinstance(r, str) else r for r in replies)

    @property
    def pending(self) -> int:
        """Replies still queued."""
        with self._lock:
            return len(self._queue)

    def _next_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        if self.responder is not None:
            try:
                reply = self.responder(body)
            except Exception as exc:
                log.exception("fake OpenAI responder failed")
                self.errors.append(exc)
                return Reply.error(500, f"fake server: responder raised {exc!r}")
            return Reply.text(reply) if isinstance(reply, str) else reply
        return Reply.error(500, "fake server: no scripted reply left")

    # -- HTTP ------------------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                request_line, *header_lines = head.split("\r\n")
                method, path, _ = request_line.split(" ", 2)
                headers = {
                    name.strip().lower(): value.strip()
                    for name, _, value in (line.partition(":") for line in header_lines if line)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                await self._dispatch(method, path, body, writer)
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _dispatch(
        self, method: str, path: str, raw: bytes, writer: asyncio.StreamWriter
    ) -> None:
        if method != "POST" or path.split("?")[0].rstrip("/") != "/v1/chat/completions":
            await _send_json(writer, 404, _error_body(f"no route {method} {path}", "not_found"))
            return
        try:
            body = json.loads(raw)
        except ValueError:
            await _send_json(writer, 400, _error_body("body is not JSON", "invalid_json"))
            return
        self.requests.append(RecordedRequest(path=path, body=body))
        reply = self._next_reply(body)
        if reply.delay:
            assert self._stopping is not None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), reply.delay)
            if self._stopping.is_set():
                raise ConnectionResetError("server stopping")
        if reply.status != 200:
            message = reply.content or "error"
            await _send_json(writer, reply.status, _error_body(message, "fake_error"))
        elif body.get("stream"):
            await self._send_stream(writer, body, reply)
        else:
            await self._send_completion(writer, body, reply)

    async def _send_completion(
        self, writer: asyncio.StreamWriter, body: dict[str, Any], reply: Reply
    ) -> None:
        completion_tokens = _completion_tokens(reply)
        await self._pause(self.ttft + self._token_time(completion_tokens))
        if reply.raw is not None:
            await _send(writer, 200, "application/json", reply.raw.encode())
            return
        message: dict[str, Any] = {"role": "assistant", "content": reply.content, "refusal": None}
        calls = _wire_calls(reply)
        if calls:
            message["tool_calls"] = calls
        payload = {
            **_envelope(self.model, "chat.completion"),
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if calls else "stop",
                    "logprobs": None,
                }
            ],
            "usage": _usage(body, completion_tokens),
        }
        await _send_json(writer, 200, payload)

    async def _send_stream(
        self, writer: asyncio.StreamWriter, body: dict[str, Any], reply: Reply
    ) -> None:
        head = (
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            "transfer-encoding: chunked\r\ncache-control: no-cache\r\n\r\n"
        )
        writer.write(head.encode())
        await writer.drain()
        await self._pause(self.ttft)
        if reply.raw is not None:
            await _chunk(writer, f"data: {reply.raw}\n\n")
            await _chunk(writer, "")
            return
        envelope = _envelope(self.model, "chat.completion.chunk")

        async def event(delta: dict[str, Any], finish: str | None = None) -> None:
            choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
            await _chunk(writer, f"data: {json.dumps({**envelope, 'choices': [choice]})}\n\n")

        first: dict[str, Any] = {"role": "assistant", "content": ""}
        await event(first)
        pace = self._token_time(1)
        for token in _TOKEN.findall(reply.content or ""):
            await event({"content": token})
            await self._pause(pace)
        if reply.cut:
            raise ConnectionResetError("fake server: stream cut off")
        calls = _wire_calls(reply)
        for index, call in enumerate(calls):
            function = call["function"]
            opening = {"index": index, "id": call["id"], "type": "function"}
            opening["function"] = {"name": function["name"], "arguments": ""}
            await event({"tool_calls": [opening]})
            arguments: str = function["arguments"]
            size = max(1, reply.args_chunk)
            for start in range(0, len(arguments), size):
                piece = {"index": index, "function": {"arguments": arguments[start : start + size]}}
                await event({"tool_calls": [piece]})
                await self._pause(pace)
        await event({}, "tool_calls" if calls else "stop")
        options = body.get("stream_options") or {}
        if options.get("include_usage"):
            usage = _usage(body, _completion_tokens(reply))
            chunk = {**envelope, "choices": [], "usage": usage}
            await _chunk(writer, f"data: {json.dumps(chunk)}\n\n")
        await _chunk(writer, "data: [DONE]\n\n")
        await _chunk(writer, "")

    def _token_time(self, tokens: int) -> float:
        return tokens / self.tokens_per_second if self.tokens_per_second else 0.0

    async def _pause(self, seconds: float) -> None:
        if seconds > 0:
            await asyncio.sleep(seconds)


def _envelope(model: str, kind: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{next(_ids)}",
        "object": kind,
        "created": int(time.time()),
        "model": model,
    }


def _wire_calls(reply: Reply) -> list[dict[str, Any]]:
    return [
        {
            "id": call.id or f"call_{next(_ids)}",
            "type": "function",
            "function": {"name": call.name, "arguments": call.arguments_json},
        }
        for call in reply.tool_calls
    ]


def _completion_tokens(reply: Reply) -> int:
    words = estimate_tokens(reply.content)
    for call in reply.tool_calls:
        words += 1 + estimate_tokens(call.arguments_json)
    return words


def _prompt_tokens(body: dict[str, Any]) -> int:
    words = 0
    for message in body.get("messages") or []:
        content = message.get("content")
        if isinstance(content, str):
            words += estimate_tokens(content)
        elif isinstance(content, list):  # content parts
            words += sum(estimate_tokens(part.get("text")) for part in content)
        for call in message.get("tool_calls") or []:
            words += 1 + estimate_tokens(call.get("function", {}).get("arguments"))
    for tool in body.get("tools") or []:
        words += estimate_tokens(json.dumps(tool.get("function", {})))
    return words


def _usage(body: dict[str, Any], completion_tokens: int) -> dict[str, int]:
    prompt = _prompt_tokens(body)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt + completion_tokens,
    }


def _error_body(message: str, code: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "fake_error", "param": None, "code": code}}


_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests"}


async def _send(writer: asyncio.StreamWriter, status: int, kind: str, data: bytes) -> None:
    reason = _REASONS.get(status, "Error")
    head = f"HTTP/1.1 {status} {reason}\r\ncontent-type: {kind}\r\ncontent-length: {len(data)}\r\n"
    writer.write(head.encode() + b"\r\n" + data)
    await writer.drain()


async def _send_json(writer: asyncio.StreamWriter, status: int, payload: dict[str, Any]) -> None:
    await _send(writer, status, "application/json", json.dumps(payload).encode())


async def _chunk(writer: asyncio.StreamWriter, text: str) -> None:
    data = text.encode()
    writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
    await writer.drain()
