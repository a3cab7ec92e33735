"""The fake OpenAI-compatible server, driven by the official SDK over real HTTP."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import httpx
import openai
import pytest
from openai import AsyncOpenAI, OpenAI

from voice_agent.testing import FakeOpenAIServer, FakeToolCall, Reply
from voice_agent.testing.fake_openai import estimate_tokens

KEY = "test-openai-key-not-real"
USER: list[Any] = [{"role": "user", "content": "my sink is leaking"}]
TOOL: Any = {
    "type": "function",
    "function": {"name": "lookup", "description": "Find a customer.", "parameters": {}},
}


def test_sync_non_streaming_text_with_usage_and_records() -> None:
    with FakeOpenAIServer(["Sorry to hear that. What is your address?"]) as server:
        assert server.base_url.startswith("http://127.0.0.1:") and server.base_url.endswith("/v1")
        with OpenAI(api_key=KEY, base_url=server.base_url, max_retries=0) as client:
            answer = client.chat.completions.create(model="m", messages=USER, tools=[TOOL])
    assert answer.choices[0].message.content == "Sorry to hear that. What is your address?"
    assert answer.choices[0].finish_reason == "stop"
    assert answer.usage is not None and answer.usage.completion_tokens == 8
    assert answer.usage.prompt_tokens == 4 + estimate_tokens(json.dumps(TOOL["function"]))
    (request,) = server.requests
    assert request.messages == USER and request.tool_names == ["lookup"] and not request.stream


async def test_streamed_tool_calls_arrive_in_pieces() -> None:
    reply = Reply.calls(
        FakeToolCall("lookup", {"phone": "+15125550100"}, id="call_a"),
        FakeToolCall("slots", '{"day": "2026-01-05"}'),
        content="One moment.",
    )
    async with FakeOpenAIServer([reply]) as server:
        async with AsyncOpenAI(api_key=KEY, base_url=server.base_url, max_retries=0) as client:
            stream = await client.chat.completions.create(
                model="m", messages=USER, stream=True, stream_options={"include_usage": True}
            )
            chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    fragments: dict[int, list[str]] = {}
    for chunk in chunks:
        for call in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            assert call.function is not None
            fragments.setdefault(call.index, []).append(call.function.arguments or "")
    assert text == "One moment."
    assert "".join(fragments[0]) == '{"phone": "+15125550100"}'
    assert "".join(fragments[1]) == '{"day": "2026-01-05"}'
    assert len(fragments[0]) > 2  # split across several chunks
    assert chunks[-2].choices[0].finish_reason == "tool_calls"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert server.requests[0].stream


async def test_responder_reacts_to_the_conversation() -> None:
    def policy(body: dict[str, Any]) -> Reply | str:
        last = body["messages"][-1]
        if last["role"] == "tool":
            return f"Found {json.loads(last['content'])['name']}."
        return Reply.tool_call("lookup", {"q": last["content"]})

    async with FakeOpenAIServer(responder=policy) as server:
        async with AsyncOpenAI(api_key=KEY, base_url=server.base_url, max_retries=0) as client:
            first = await client.chat.completions.create(model="m", messages=USER)
            (call,) = first.choices[0].message.tool_calls or []
            assert call.type == "function"
            assert json.loads(call.function.arguments) == {"q": "my sink is leaking"}
            follow_up: list[Any] = [
                *USER,
                {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
                {"role": "tool", "tool_call_id": call.id, "content": '{"name": "Dana"}'},
            ]
            second = await client.chat.completions.create(model="m", messages=follow_up)
    assert second.choices[0].message.content == "Found Dana."
    assert len(server.requests) == 2 and server.pending == 0


async def test_errors_and_empty_queue() -> None:
    async with FakeOpenAIServer([Reply.error(429, "slow down")]) as server:
        async with AsyncOpenAI(api_key=KEY, base_url=server.base_url, max_retries=0) as client:
            with pytest.raises(openai.RateLimitError, match="slow down"):
                await client.chat.completions.create(model="m", messages=USER)
            with pytest.raises(openai.InternalServerError, match="no scripted reply"):
                await client.chat.completions.create(model="m", messages=USER)


async def test_a_failing_responder_answers_500_and_is_recorded() -> None:
    def broken(body: dict[str, Any]) -> str:
        raise KeyError("oops")

    async with FakeOpenAIServer(responder=broken) as server:
        async with AsyncOpenAI(api_key=KEY, base_url=server.base_url, max_retries=0) as client:
            with pytest.raises(openai.InternalServerError, match="responder raised"):
                await client.chat.completions.create(model="m", messages=USER)
    assert [type(e) for e in server.errors] == [KeyError]


async def test_malformed_bodies_fail_to_parse() -> None:
    async with FakeOpenAIServer([Reply.malformed(), Reply.malformed()]) as server:
        async with AsyncOpenAI(api_key=KEY, base_url=server.base_url, max_retries=0) as client:
            with pytest.raises(ValueError):  # the SDK lets JSONDecodeError through
                await client.chat.completions.create(model="m", messages=USER)
            stream = await client.chat.completions.create(model="m", messages=USER, stream=True)
            with pytest.raises(ValueError):
                _ = [chunk async for chunk in stream]


def test_unknown_route_and_bad_json() -> None:
    with FakeOpenAIServer() as server:
        base = server.base_url
        assert httpx.get(f"{base}/models").status_code == 404
        bad = httpx.post(f"{base}/chat/completions", content=b"{nope")
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_json"
    assert server.requests == []


async def test_serves_concurrently_and_stop_cuts_hanging_requests() -> None:
    first_arrived = threading.Event()

    def policy(body: dict[str, Any]) -> Reply | str:
        if first_arrived.is_set():
            return "quick"
        first_arrived.set()
        return Reply.hang(60)

    server = FakeOpenAIServer(responder=policy)
    server.start()
    client = AsyncOpenAI(api_key=KEY, base_url=server.base_url, max_retries=0, timeout=120)
    try:
        hanging = asyncio.create_task(client.chat.completions.create(model="m", messages=USER))
        assert await asyncio.to_thread(first_arrived.wait, 10)
        quick = await client.chat.completions.create(model="m", messages=USER)
        assert quick.choices[0].message.content == "quick"
        assert not hanging.done()
        await asyncio.to_thread(server.stop)
        with pytest.raises(openai.APIConnectionError):
            await hanging
    finally:
        await client.close()
        server.stop()


async def test_many_concurrent_streams_with_pacing() -> None:
    def echo(body: dict[str, Any]) -> str:
        return f"you said {body['messages'][-1]['content']}"

    async with FakeOpenAIServer(responder=echo, ttft=0.01, tokens_per_second=500) as server:
        async with AsyncOpenAI(api_key=KEY, base_url=server.base_url, max_retries=0) as client:

            async def one(i: int) -> str:
                stream = await client.chat.completions.create(
                    model="m", messages=[{"role": "user", "content": f"n{i}"}], stream=True
                )
                return "".join(
                    [c.choices[0].delta.content or "" async for c in stream if c.choices]
                )

            answers = await asyncio.gather(*(one(i) for i in range(50)))
    assert answers == [f"you said n{i}" for i in range(50)]
    assert len(server.requests) == 50


def test_base_url_needs_a_running_server() -> None:
    server = FakeOpenAIServer()
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.base_url
    server.stop()  # stopping a server that never started is harmless
