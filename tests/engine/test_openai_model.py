"""`OpenAIChatModel` through the real SDK over HTTP to the fake server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from voice_agent.engine.messages import (
    ChatMessage,
    ChatModel,
    ChatModelError,
    ToolCall,
    ToolSchema,
    Usage,
)
from voice_agent.engine.openai_model import (
    UNANSWERED_TOOL_CALL,
    OpenAIChatModel,
    to_openai_messages,
)
from voice_agent.errors import ConfigError
from voice_agent.settings import Settings
from voice_agent.testing import FakeOpenAIServer, FakeToolCall, Reply
from voice_agent.testing.fake_openai import estimate_tokens

KEY = "test-openai-key-not-real"
HISTORY = [
    ChatMessage("system", "You are the receptionist."),
    ChatMessage("user", "Hi, my sink is leaking."),
]
LOOKUP = ToolSchema(
    "lookup_customer",
    "Find the caller's customer record.",
    {"type": "object", "properties": {"phone": {"type": "string"}}, "required": ["phone"]},
)


@pytest.fixture
async def server() -> AsyncIterator[FakeOpenAIServer]:
    async with FakeOpenAIServer() as fake:
        yield fake


async def _listen(text: str) -> None:
    """A text hook: with one the model streams, without one it asks for the whole answer."""


@pytest.fixture(params=["whole", "streamed"])
async def model(
    server: FakeOpenAIServer, request: pytest.FixtureRequest
) -> AsyncIterator[OpenAIChatModel]:
    hook = _listen if request.param == "streamed" else None
    chat = OpenAIChatModel(api_key=KEY, model="gpt-test", base_url=server.base_url, on_text=hook)
    yield chat
    await chat.aclose()


async def test_is_a_chat_model(model: OpenAIChatModel) -> None:
    chat: ChatModel = model
    assert chat.name == "openai:gpt-test"


async def test_plain_text_with_usage(server: FakeOpenAIServer, model: OpenAIChatModel) -> None:
    server.enqueue("Sorry to hear that. What's the address?")
    completion = await model.complete(HISTORY, [LOOKUP], timeout=5)
    assert completion.content == "Sorry to hear that. What's the address?"
    assert completion.tool_calls == ()
    assert completion.model == "gpt-fake"
    tool_words = estimate_tokens(json.dumps(server.requests[0].tools[0]["function"]))
    assert completion.usage == Usage(prompt_tokens=4 + 5 + tool_words, completion_tokens=7)
    (request,) = server.requests
    if model.on_text is None:  # nobody listens to the tokens: the whole answer in one read
        assert not request.stream and "stream_options" not in request.body
    else:
        assert request.stream and request.body["stream_options"] == {"include_usage": True}
    assert request.body["model"] == "gpt-test"
    assert request.body["max_completion_tokens"] == 300
    assert request.messages == [
        {"role": "system", "content": "You are the receptionist."},
        {"role": "user", "content": "Hi, my sink is leaking."},
    ]
    assert request.tools == [
        {
            "type": "function",
            "function": {
                "name": "lookup_customer",
                "description": "Find the caller's customer record.",
                "parameters": LOOKUP.parameters,
            },
        }
    ]


async def test_single_tool_call(server: FakeOpenAIServer, model: OpenAIChatModel) -> None:
    server.enqueue(Reply.tool_call("lookup_customer", {"phone": "+15125550100"}, id="call_1"))
    completion = await model.complete(HISTORY, [LOOKUP], timeout=5)
    assert completion.content is None
    assert completion.tool_calls == (
        ToolCall("call_1", "lookup_customer", '{"phone": "+15125550100"}'),
    )
    assert completion.usage.completion_tokens > 0


async def test_parallel_tool_calls_with_arguments_in_many_pieces(
    server: FakeOpenAIServer, model: OpenAIChatModel
) -> None:
    arguments = {"phone": "+15125550100", "note": "kitchen sink, leaking under the cabinet"}
    server.enqueue(
        Reply(
            content="Let me check.",
            tool_calls=(
                FakeToolCall("lookup_customer", arguments, id="call_a"),
                FakeToolCall("list_slots", {"day": "2026-01-05"}, id="call_b"),
            ),
            args_chunk=3,
        )
    )
    completion = await model.complete(HISTORY, [LOOKUP], timeout=5)
    assert completion.content == "Let me check."
    first, second = completion.tool_calls
    assert (first.id, first.name, json.loads(first.arguments)) == (
        "call_a",
        "lookup_customer",
        arguments,
    )
    assert (second.id, second.name, json.loads(second.arguments)) == (
        "call_b",
        "list_slots",
        {"day": "2026-01-05"},
    )


async def test_malformed_tool_arguments_pass_through(
    server: FakeOpenAIServer, model: OpenAIChatModel
) -> None:
    server.enqueue(Reply.tool_call("lookup_customer", '{"phone": "+1512', id="call_x"))
    completion = await model.complete(HISTORY, [LOOKUP], timeout=5)
    assert completion.tool_calls == (ToolCall("call_x", "lookup_customer", '{"phone": "+1512'),)


async def test_text_hook_receives_the_deltas(
    server: FakeOpenAIServer, model: OpenAIChatModel
) -> None:
    server.enqueue("We can come out on Tuesday morning.", "Second answer.")
    deltas: list[str] = []

    async def speak(text: str) -> None:
        deltas.append(text)

    completion = await model.complete(HISTORY, [], timeout=5, on_text=speak)
    assert len(deltas) > 1 and "".join(deltas) == completion.content
    assert "tools" not in server.requests[0].body  # no tools offered -> no empty list sent

    model.on_text = speak
    deltas.clear()
    await model.complete(HISTORY, [], timeout=5)
    assert "".join(deltas) == "Second answer."


async def test_a_failing_text_hook_propagates_unchanged(
    server: FakeOpenAIServer, model: OpenAIChatModel
) -> None:
    server.enqueue("Hello there.")

    async def broken(text: str) -> None:
        raise ValueError("speaker unplugged")

    with pytest.raises(ValueError, match="speaker unplugged"):
        await model.complete(HISTORY, [], timeout=5, on_text=broken)


async def test_empty_answer_is_an_error(server: FakeOpenAIServer, model: OpenAIChatModel) -> None:
    server.enqueue(Reply(content=""), Reply(content="   "))
    for _ in range(2):
        with pytest.raises(ChatModelError, match="empty answer"):
            await model.complete(HISTORY, [], timeout=5)


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply.error(500), "HTTP 500"),
        (Reply.error(429, "rate limited"), "HTTP 429"),
        (Reply.malformed(), "malformed"),
        (Reply.malformed("not json at all"), "malformed"),
    ],
)
async def test_server_failures_become_chat_model_errors(
    server: FakeOpenAIServer, model: OpenAIChatModel, reply: Reply, reason: str
) -> None:
    server.enqueue(reply, "never sent")
    with pytest.raises(ChatModelError, match=reason):
        await model.complete(HISTORY, [LOOKUP], timeout=5)
    assert len(server.requests) == 1  # no retries inside a live call


async def test_hanging_server_times_out(server: FakeOpenAIServer, model: OpenAIChatModel) -> None:
    server.enqueue(Reply.hang(30))
    with pytest.raises(ChatModelError, match="timed out"):
        await model.complete(HISTORY, [LOOKUP], timeout=0.5)


async def test_stalled_stream_times_out(server: FakeOpenAIServer) -> None:
    # Headers arrive at once, then the first token takes longer than the turn's budget.
    slow = FakeOpenAIServer(["too late"], ttft=30)
    async with slow:
        chat = OpenAIChatModel(api_key=KEY, model="m", base_url=slow.base_url)
        with pytest.raises(ChatModelError, match="timed out"):
            await chat.complete(HISTORY, [], timeout=0.5)
        await chat.aclose()


async def test_unreachable_server() -> None:
    async with FakeOpenAIServer() as gone:
        url = gone.base_url
    chat = OpenAIChatModel(api_key=KEY, model="m", base_url=url)
    with pytest.raises(ChatModelError, match="cannot reach"):
        await chat.complete(HISTORY, [], timeout=2)
    await chat.aclose()


async def test_a_tool_call_without_a_name_is_malformed(
    server: FakeOpenAIServer, model: OpenAIChatModel
) -> None:
    server.enqueue(Reply.tool_call("", "{}"))
    with pytest.raises(ChatModelError, match="tool call without a name"):
        await model.complete(HISTORY, [LOOKUP], timeout=5)


async def test_round_trip_of_a_tool_result(
    server: FakeOpenAIServer, model: OpenAIChatModel
) -> None:
    server.enqueue(Reply.tool_call("lookup_customer", {"phone": "+15125550100"}), "Hi Dana!")
    first = await model.complete(HISTORY, [LOOKUP], timeout=5)
    (call,) = first.tool_calls
    history = [
        *HISTORY,
        first.as_message(),
        ChatMessage("tool", '{"name": "Dana"}', tool_call_id=call.id),
    ]
    second = await model.complete(history, [LOOKUP], timeout=5)
    assert second.content == "Hi Dana!"
    sent = server.requests[1].messages
    assert sent[2] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": "lookup_customer", "arguments": call.arguments},
            }
        ],
    }
    assert sent[3] == {"role": "tool", "tool_call_id": call.id, "content": '{"name": "Dana"}'}


def test_unanswered_calls_are_answered_and_orphans_dropped() -> None:
    calls = (ToolCall("c1", "a", "{}"), ToolCall("c2", "b", "{}"))
    history = [
        ChatMessage("user", "hi"),
        ChatMessage("tool", "stray", tool_call_id="nobody"),
        ChatMessage("assistant", None, tool_calls=calls),
        ChatMessage("tool", "ok", tool_call_id="c2"),
        ChatMessage("user", "hello?"),
        ChatMessage("assistant", None, tool_calls=(ToolCall("c3", "a", "{}"),)),
    ]
    out = to_openai_messages(history)
    assert [(m["role"], m.get("tool_call_id")) for m in out] == [
        ("user", None),
        ("assistant", None),
        ("tool", "c2"),
        ("tool", "c1"),
        ("user", None),
        ("assistant", None),
        ("tool", "c3"),
    ]
    assert out[3]["content"] == UNANSWERED_TOOL_CALL


def test_empty_assistant_text_is_sent_as_empty_string() -> None:
    (message,) = to_openai_messages([ChatMessage("assistant", None)])
    assert message == {"role": "assistant", "content": ""}


async def test_from_settings(settings: Settings, server: FakeOpenAIServer) -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        OpenAIChatModel.from_settings(settings)
    configured = settings.model_copy(
        update={
            "openai_api_key": SecretStr(KEY),
            "openai_base_url": server.base_url,
            "openai_model": "gpt-4.1-mini",
        }
    )
    chat = OpenAIChatModel.from_settings(configured)
    server.enqueue("Hello.")
    assert (await chat.complete(HISTORY, [], timeout=5)).content == "Hello."
    assert server.requests[0].body["model"] == "gpt-4.1-mini"
    await chat.aclose()
