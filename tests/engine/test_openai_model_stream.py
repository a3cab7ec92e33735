"""`OpenAIChatModel`'s lean request and stream path: plain bodies, own SSE parsing, keep-alive
(the model streams when a text hook listens), and the whole answer read at once otherwise."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from voice_agent.engine.messages import ChatMessage, ChatModelError, ToolCall, ToolSchema
from voice_agent.engine.openai_model import (
    OpenAIChatModel,
    _encode,
    _Events,
    to_openai_messages,
    to_openai_tool,
)
from voice_agent.testing import FakeOpenAIServer, Reply

KEY = "test-openai-key-not-real"
HISTORY = [ChatMessage("system", "Be brief."), ChatMessage("user", "My sink leaks.")]
TOOLS = [
    ToolSchema(f"tool_{n}", f"Tool number {n}.", {"type": "object", "properties": {}})
    for n in range(3)
]


def chunk(delta: dict[str, object], **extra: object) -> str:
    body = {"id": "c1", "object": "chat.completion.chunk", "model": "gpt-raw", **extra}
    body["choices"] = [{"index": 0, "delta": delta, "finish_reason": None}]
    return json.dumps(body)


@pytest.fixture
async def server() -> AsyncIterator[FakeOpenAIServer]:
    async with FakeOpenAIServer() as fake:
        yield fake


async def _listen(text: str) -> None:
    """A text hook: the model streams when one is set."""


@pytest.fixture
async def model(server: FakeOpenAIServer) -> AsyncIterator[OpenAIChatModel]:
    chat = OpenAIChatModel(api_key=KEY, model="gpt-test", base_url=server.base_url, on_text=_listen)
    yield chat
    await chat.aclose()


@pytest.fixture
async def whole(server: FakeOpenAIServer) -> AsyncIterator[OpenAIChatModel]:
    """The same model without a hook: it asks for the whole answer."""
    chat = OpenAIChatModel(api_key=KEY, model="gpt-test", base_url=server.base_url)
    yield chat
    await chat.aclose()


def answer(message: dict[str, object], **extra: object) -> str:
    body = {"id": "c1", "object": "chat.completion", "model": "gpt-whole", **extra}
    body["choices"] = [{"index": 0, "message": message, "finish_reason": "stop"}]
    return json.dumps(body)


async def test_without_a_hook_the_whole_answer_is_asked_for_and_read_at_once(
    server: FakeOpenAIServer, whole: OpenAIChatModel
) -> None:
    calls = [
        {"id": "call_1", "type": "function", "function": {"name": "tool_0", "arguments": "{}"}},
        {
            "id": "call_2",
            "type": "function",
            "function": {"name": "tool_2", "arguments": '{"a":1}'},
        },
    ]
    usage = {"prompt_tokens": 11, "completion_tokens": 4}
    server.enqueue(Reply.malformed(answer({"content": "One moment.", "tool_calls": calls},
                                          usage=usage)), "Second.")  # fmt: skip
    completion = await whole.complete(HISTORY, TOOLS, timeout=5)
    body = server.requests[0].body
    assert body["stream"] is False and "stream_options" not in body
    assert completion.content == "One moment." and completion.model == "gpt-whole"
    assert completion.tool_calls == (
        ToolCall("call_1", "tool_0", "{}"), ToolCall("call_2", "tool_2", '{"a":1}')
    )  # fmt: skip
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (11, 4)
    assert (await whole.complete(HISTORY, TOOLS, timeout=5)).content == "Second."
    assert server.connections == 1  # the connection is reused


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ('["not", "an", "answer"]', "malformed"),
        ('{"error": {"message": "overloaded"}}', "reported an error"),
        ('{"choices": [{"message": {"tool_calls": ["x"]}}]}', "malformed"),
        ('{"choices": []}', "empty answer"),
    ],
)
async def test_a_whole_answer_of_the_wrong_shape_is_a_model_error(
    server: FakeOpenAIServer, whole: OpenAIChatModel, raw: str, reason: str
) -> None:
    server.enqueue(Reply.malformed(raw))
    with pytest.raises(ChatModelError, match=reason):
        await whole.complete(HISTORY, [], timeout=5)


async def test_the_wire_body_carries_history_tools_and_options_once(
    server: FakeOpenAIServer, model: OpenAIChatModel
) -> None:
    server.enqueue("Sure.")
    await model.complete(HISTORY, TOOLS, timeout=5)
    body = server.requests[0].body
    assert set(body) == {
        "model",
        "messages",
        "tools",
        "stream",
        "stream_options",
        "max_completion_tokens",
    }
    assert [m["content"] for m in body["messages"]] == ["Be brief.", "My sink leaks."]
    assert [t["function"]["name"] for t in body["tools"]] == ["tool_0", "tool_1", "tool_2"]


async def test_no_cap_sends_no_max_completion_tokens(server: FakeOpenAIServer) -> None:
    chat = OpenAIChatModel(
        api_key=KEY, model="m", base_url=server.base_url, max_completion_tokens=None
    )
    server.enqueue("Sure.")
    assert (await chat.complete(HISTORY, [], timeout=5)).content == "Sure."
    assert "max_completion_tokens" not in server.requests[0].body
    await chat.aclose()


async def test_sequential_requests_reuse_one_connection(
    server: FakeOpenAIServer, model: OpenAIChatModel
) -> None:
    # The stream is read past [DONE] to its end, so the pooled connection is kept.
    server.enqueue("One.", Reply.tool_call("tool_1", {"a": 1}), "Three.")
    for _ in range(3):
        await model.complete(HISTORY, TOOLS, timeout=5)
    assert len(server.requests) == 3
    assert server.connections == 1


async def test_comments_event_fields_and_multi_line_data_are_parsed(
    server: FakeOpenAIServer, model: OpenAIChatModel
) -> None:
    first, second = chunk({"content": "Hello "}), chunk({"content": "there."})
    split = second.replace(', "choices"', ',\ndata: "choices"')  # one event, two data lines
    raw = f"{first}\n\n: keep-alive\n\nevent: message\ndata: {split}\n\ndata: [DONE]"
    server.enqueue(Reply.malformed(raw))
    completion = await model.complete(HISTORY, [], timeout=5)
    assert completion.content == "Hello there."
    assert completion.model == "gpt-raw"


async def test_tool_call_pieces_with_usage_from_raw_chunks(
    server: FakeOpenAIServer, model: OpenAIChatModel
) -> None:
    opening = {"index": 0, "id": "call_9", "type": "function"}
    events = [
        chunk({"tool_calls": [{**opening, "function": {"name": "tool_2", "arguments": ""}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"x":'}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": " 1}"}}]}),
        json.dumps({"id": "c1", "choices": [], "usage": {"prompt_tokens": 7}}),
        "[DONE]",
    ]
    server.enqueue(Reply.malformed("\n\ndata: ".join(events)))
    completion = await model.complete(HISTORY, TOOLS, timeout=5)
    assert completion.tool_calls == (ToolCall("call_9", "tool_2", '{"x": 1}'),)
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (7, 0)


async def test_an_error_event_mid_stream_is_a_model_error(
    server: FakeOpenAIServer, model: OpenAIChatModel
) -> None:
    server.enqueue(Reply.malformed('{"error": {"message": "overloaded", "type": "server_error"}}'))
    with pytest.raises(ChatModelError, match="error mid-stream"):
        await model.complete(HISTORY, [], timeout=5)


async def test_a_stream_cut_off_mid_answer_is_a_model_error(
    server: FakeOpenAIServer, model: OpenAIChatModel
) -> None:
    server.enqueue(Reply.cut_off(), "Back again.")
    heard: list[str] = []

    async def speak(text: str) -> None:
        heard.append(text)

    with pytest.raises(ChatModelError, match="broke off"):
        await model.complete(HISTORY, [], timeout=5, on_text=speak)
    assert "".join(heard) == "Let me check that for"
    assert (await model.complete(HISTORY, [], timeout=5)).content == "Back again."


@pytest.mark.parametrize(
    "raw",
    ['["not", "a", "chunk"]', '{"choices": [{"delta": {"tool_calls": [{"index": "x"}]}}]}'],
)
async def test_chunks_of_the_wrong_shape_are_malformed(
    server: FakeOpenAIServer, model: OpenAIChatModel, raw: str
) -> None:
    server.enqueue(Reply.malformed(raw))
    with pytest.raises(ChatModelError, match="malformed"):
        await model.complete(HISTORY, [], timeout=5)


async def _events(pieces: list[bytes]) -> list[str]:
    async def chunks() -> AsyncIterator[bytes]:
        for piece in pieces:
            yield piece

    return [data async for data in _Events().read(chunks())]


async def test_events_join_data_lines_and_flush_the_last_event() -> None:
    stream = b"data: a\ndata:b\n\n\nid: 3\n: note\ndata:  c"
    assert await _events([stream]) == ["a\nb", " c"]
    assert await _events([stream[:9], stream[9:15], stream[15:]]) == ["a\nb", " c"]


async def test_lines_split_on_lf_crlf_and_cr_across_chunk_boundaries() -> None:
    pieces = [b"data: a\n\ndata: b\r", b"\n\r\ndata: \xc3", b"\xa9\rx\r", b"\r", b"tail"]
    # a CRLF cut between two chunks is one line end (else "b" would end twice); a character
    # cut between two chunks is decoded whole; "x" and "tail" are not data
    assert await _events(pieces) == ["a", "b", "\u00e9"]
    assert await _events([b"data: x\r", b"\r", b"data: y"]) == ["x", "y"]  # CR CR: blank


async def test_a_whole_refusal_is_the_answer(
    server: FakeOpenAIServer, whole: OpenAIChatModel
) -> None:
    server.enqueue(Reply.malformed(answer({"content": None, "refusal": "I can't help with that."})))
    assert (await whole.complete(HISTORY, [], timeout=5)).content == "I can't help with that."


def test_the_encoded_body_is_the_plain_json_with_reused_parts() -> None:
    options = {"model": "m", "stream": False}
    messages = to_openai_messages([ChatMessage("system", "Sé breve."), *HISTORY[1:]])
    encoded = _encode(options, messages, TOOLS)
    assert json.loads(encoded) == {
        **options, "messages": messages, "tools": [to_openai_tool(t) for t in TOOLS]
    }  # fmt: skip
    assert "Sé breve".encode() in encoded  # UTF-8, as the SDK writes it
    assert _encode(options, messages, TOOLS) == encoded  # the cached parts are the same
    assert json.loads(_encode(options, messages, [])) == {**options, "messages": messages}
