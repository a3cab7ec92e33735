"""Benchmark the dialogue engine on booking conversations.

Per booking conversation: LLM calls, prompt and completion tokens (the fake OpenAI server's
usage fields, through the real SDK), HCP requests (counted by an httpx transport wrapper around
the in-process sandbox), and the engine's own overhead per turn: wall time minus the time spent
waiting on the model and on HCP (storage writes count as overhead). A guided-intake run (no LLM)
is measured the same way. Bounded: a fixed number of conversations; stops by itself.

    .venv/bin/python bench/dialogue.py [--conversations N]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import hcp  # noqa: E402
from hcp.sandbox import SandboxState, create_sandbox_app, seed_demo_company  # noqa: E402
from hcp.sandbox.testing import SANDBOX_BASE_URL, FakeClock  # noqa: E402
from tests.engine.llm_script import CALLER_LINES, booking_responder  # noqa: E402
from voice_agent.engine.dialogue import DialogueEngine  # noqa: E402
from voice_agent.engine.events import ToolFinished, collect  # noqa: E402
from voice_agent.engine.guided import GuidedIntakeModel  # noqa: E402
from voice_agent.engine.messages import ChatMessage, ChatModel, Completion, ToolSchema  # noqa: E402
from voice_agent.engine.openai_model import OpenAIChatModel  # noqa: E402
from voice_agent.settings import Settings  # noqa: E402
from voice_agent.storage.base import NewConversation  # noqa: E402
from voice_agent.storage.migrate import upgrade  # noqa: E402
from voice_agent.storage.sql import open_store  # noqa: E402
from voice_agent.testing import FakeOpenAIServer  # noqa: E402
from voice_agent.tools import default_registry  # noqa: E402

GUIDED_LINES = ("My AC is blowing warm air", "6420 Oak Street", "the first one", "yes", "bye")


class TimedTransport(httpx.AsyncBaseTransport):
    """Counts HCP requests and the time spent waiting on them."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests = 0
        self.writes = 0
        self.seconds = 0.0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            return response
        finally:
            self.seconds += time.perf_counter() - started
            self.requests += 1
            self.writes += request.method != "GET"


class MeteredModel:
    """Counts calls and tokens of the wrapped model."""

    def __init__(self, inner: ChatModel) -> None:
        self.inner = inner
        self.name = inner.name
        self.calls = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0

    async def complete(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSchema], *, timeout: float
    ) -> Completion:
        completion = await self.inner.complete(messages, tools, timeout=timeout)
        self.calls += 1
        self.prompt_tokens += completion.usage.prompt_tokens
        self.completion_tokens += completion.usage.completion_tokens
        return completion


class MeteredGuided(GuidedIntakeModel):
    """Guided intake (a policy over the session) with the same counters as `MeteredModel`."""

    def __init__(self) -> None:
        self.calls = self.prompt_tokens = self.completion_tokens = 0

    async def step(self, *args: Any, **kwargs: Any) -> Completion:
        self.calls += 1
        return await super().step(*args, **kwargs)


class TimedStore:
    """Proxies a `Store`, summing the time spent awaiting it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if not callable(attr):
            return attr

        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await attr(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
                self.calls += 1

        return timed


@dataclass
class Run:
    """Figures of one mode."""

    booked: int = 0
    llm_calls: list[int] = field(default_factory=list)
    prompt_tokens: list[int] = field(default_factory=list)
    completion_tokens: list[int] = field(default_factory=list)
    hcp_requests: list[int] = field(default_factory=list)
    hcp_writes: list[int] = field(default_factory=list)
    overhead_ms: list[float] = field(default_factory=list)
    storage_ms: list[float] = field(default_factory=list)
    storage_calls: list[int] = field(default_factory=list)
    turn_ms: list[float] = field(default_factory=list)
    llm_to_book: list[int] = field(default_factory=list)  # LLM rounds up to the booking
    hcp_to_book: list[int] = field(default_factory=list)  # HCP requests up to the booking


async def converse(
    store: TimedStore,
    engine: DialogueEngine,
    model: MeteredModel | MeteredGuided,
    transport: TimedTransport,
    lines: Sequence[str],
    n: int,
    run: Run,
) -> None:
    calls0, p0, c0 = model.calls, model.prompt_tokens, model.completion_tokens
    req0, wr0 = transport.requests, transport.writes
    started = await engine.start(
        NewConversation(
            channel="console", external_id=f"bench-{id(run)}-{n}", caller="+12175550100"
        )
    )
    for line in lines:
        model_before, hcp_before = engine.model_seconds, transport.seconds
        store_before, store_calls = store.seconds, store.calls
        t0 = time.perf_counter()
        _, events = await collect(engine.respond(started.conversation.id, line))
        wall = time.perf_counter() - t0
        waited = (engine.model_seconds - model_before) + (transport.seconds - hcp_before)
        run.turn_ms.append(wall * 1000)
        run.overhead_ms.append(max(wall - waited, 0.0) * 1000)
        run.storage_ms.append((store.seconds - store_before) * 1000)
        run.storage_calls.append(store.calls - store_calls)
        booked = any(
            isinstance(e, ToolFinished)
            and e.name == "book_job"
            and e.error is None
            and isinstance(e.result, dict)
            and e.result.get("booked")
            for e in events
        )
        if booked:
            run.booked += 1
            run.llm_to_book.append(model.calls - calls0)
            run.hcp_to_book.append(transport.requests - req0)
    run.llm_calls.append(model.calls - calls0)
    run.prompt_tokens.append(model.prompt_tokens - p0)
    run.completion_tokens.append(model.completion_tokens - c0)
    run.hcp_requests.append(transport.requests - req0)
    run.hcp_writes.append(transport.writes - wr0)


async def bench(conversations: int) -> None:
    clock = FakeClock()
    state = SandboxState.open(None)
    seed_demo_company(state, now=clock())
    transport = TimedTransport(
        httpx.ASGITransport(app=create_sandbox_app(state=state, clock=clock))
    )
    client = hcp.HcpClient(
        "sandbox",
        base_url=SANDBOX_BASE_URL,
        allowed_domains=("sandbox.hcp.test",),
        transport=transport,
    )
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        await upgrade(url)
        sql = open_store(url)
        store = TimedStore(sql)
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, data_dir=Path(tmp), booking_lead_source="Phone call"
        )
        async with FakeOpenAIServer(responder=booking_responder) as server:
            llm = OpenAIChatModel(
                api_key="bench-key-not-real", model="gpt-fake", base_url=server.base_url
            )
            results: dict[str, Run] = {}
            models: tuple[tuple[str, MeteredModel | MeteredGuided, tuple[str, ...]], ...] = (
                ("openai (fake server)", MeteredModel(llm), CALLER_LINES),
                ("guided intake", MeteredGuided(), GUIDED_LINES),
            )
            for mode, model, lines in models:
                engine = DialogueEngine(
                    store=store,  # type: ignore[arg-type]
                    hcp_client=client,
                    model=model,
                    settings=settings,
                    tools=default_registry(),
                    clock=clock,
                )
                run = results[mode] = Run()
                for n in range(conversations):
                    await converse(store, engine, model, transport, lines, n, run)
            await llm.aclose()
        await sql.close()
    await client.aclose()
    report(results, conversations)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


def report(results: dict[str, Run], conversations: int) -> None:
    print(f"booking conversations per mode: {conversations}")
    for mode, run in results.items():
        print(f"\n== {mode}")
        print(f"  booked                         {run.booked}/{conversations}")
        print(f"  LLM calls / conversation       {statistics.mean(run.llm_calls):.1f}")
        if run.llm_to_book:
            warm = run.hcp_to_book[1:] or run.hcp_to_book
            print(
                f"  per booking: LLM rounds {statistics.mean(run.llm_to_book):.1f}, "
                f"HCP requests {statistics.mean(warm):.1f} "
                f"(max {max(warm)}; first call {run.hcp_to_book[0]}, cold reference cache)"
            )
        print(f"  prompt tokens / conversation   {statistics.mean(run.prompt_tokens):.0f}")
        print(f"  completion tokens / conv.      {statistics.mean(run.completion_tokens):.0f}")
        print(
            f"  HCP requests / conversation    {statistics.mean(run.hcp_requests):.1f}"
            f" ({statistics.mean(run.hcp_writes):.1f} writes)"
        )
        print(
            f"  turn wall time    median {statistics.median(run.turn_ms):6.1f} ms"
            f"   p95 {_pct(run.turn_ms, 0.95):6.1f} ms"
        )
        print(
            f"  engine overhead   median {statistics.median(run.overhead_ms):6.1f} ms"
            f"   p95 {_pct(run.overhead_ms, 0.95):6.1f} ms  (per turn, excl. model + HCP)"
        )
        cpu = [o - s for o, s in zip(run.overhead_ms, run.storage_ms, strict=True)]
        print(
            f"    of which storage median {statistics.median(run.storage_ms):6.1f} ms"
            f"   ({statistics.mean(run.storage_calls):.1f} store calls per turn, SQLite file)"
        )
        print(
            f"    engine CPU only  median {statistics.median(cpu):6.1f} ms"
            f"   p95 {_pct(cpu, 0.95):6.1f} ms"
        )


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(bench(max(1, min(args.conversations, 200))))


if __name__ == "__main__":
    main()
