"""Load benchmark for the Twilio voice channel: N concurrent simulated phone calls.

The script starts a fake OpenAI-compatible server (configurable time to first token and
token rate) in one child process, the seeded HCP sandbox with injected latency in another
(like the real HCP, its CPU is not the server's), and the real app under uvicorn on
127.0.0.1 in a third (SQLite by default, HCP and the OpenAI model pointed at the fakes).
Then N simulated callers in this process, signed exactly like Twilio,
talk to it over real HTTP: greeting, several turns (every other one makes the fake model
call a tool, so fillers and continuations happen), and the status callback.

Pacing (`--pacing`, printed with the results):

- realistic (default): calls start spread over a ramp (`--ramp`, default calls/20 s, so 10 s
  for 200). Each turn the caller first listens to the agent's answer read out
  (`--words-per-second`, the text-to-speech pace), then speaks the next line at
  `--caller-words-per-second` (about 2.5 words/s, +-20 %), and Twilio posts the Gather
  action only after `--end-of-speech` seconds of quiet (`speechTimeout="auto"`, about 1 s).
- stress: the old pacing: all calls start within `--ramp` (1 s) and callers answer
  0.2-0.8 s (`--think`) after the previous answer arrived, without listening to it.

Silence is measured honestly from the caller's side: for every webhook it is the time from
when Twilio sends the request to when its answer arrives. A filler answer ends one silence;
the caller hears the filler (its words at the TTS pace) and then Twilio fetches the
`<Redirect>`, whose answer time is the next silence. Per turn the report gives the longest
such silence (what the filler budget bounds) and their sum. Not modelled: Twilio's own speech
recognition and text-to-speech latency, and network time to Twilio.

Server side it reports, per webhook, the overhead (wall time inside the app minus the time
spent waiting on the engine, which includes the model and HCP) and how long it waited before
the app saw it, the server process's CPU time per turn (by thread, and the part spent in the
kernel), and the event-loop lag (how long a callback queued as a request arrives waits), plus
errors and calls per second. `--warmup` calls run first and are not measured (first uses:
lazy imports, pools).
The server runs on the event loop `voice-agent serve` gets (uvloop when installed).
Bounded: every call has a deadline and the run stops after --max-seconds.

With `--transport relay` the calls run over ConversationRelay instead: the incoming webhook
answers `<Connect><ConversationRelay>`, then each caller opens the signed WebSocket, sends
`setup` and one final `prompt` per turn, and reads our streamed `text` tokens. The report
gives, per turn, the time from the caller's `prompt` to our first `text` token (the model's
first token on plain turns, the filler on tool turns), to the first token of the real reply,
and the dead air on tool turns (the silence before the filler plus any silence between the
end of the filler, spoken at the TTS pace, and the reply).

    .venv/bin/python bench/calls.py --calls 200
    .venv/bin/python bench/calls.py --calls 200 --pacing stress
    .venv/bin/python bench/calls.py --calls 200 --transport relay
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import json
import os
import random
import shutil
import signal
import socket
import ssl
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

TOKEN = "bench-twilio-token-not-real"
OPENAI_KEY = "bench-openai-key-not-real"
TLS = ssl.create_default_context()  # never used on plain http, but every transport builds one
LINES = (
    "Hi, my air conditioner is blowing warm air",
    "It started yesterday afternoon",
    "What times do you have this week?",
    "Tuesday morning would be great",
    "Can you also check the thermostat while you're there?",
    "Okay, thanks",
)


def probe_loop(lags: list[float]) -> None:
    """Record how long a callback queued now waits for the event loop: the server's event-loop
    lag, sampled as each request arrives. (A 10 ms timer, as the callers use, wakes an idle
    server 100 times a second: measured, 0.9 ms of CPU per caller turn that no real server
    spends.)"""
    queued = time.perf_counter()
    asyncio.get_running_loop().call_soon(lambda: lags.append(time.perf_counter() - queued))


async def watch_loop(lags: list[float]) -> None:
    """Record how late a 10 ms timer fires: this process's event-loop lag."""
    loop = asyncio.get_running_loop()
    while True:
        due = loop.time() + 0.01
        await asyncio.sleep(0.01)
        lags.append(max(0.0, loop.time() - due))


# --- server side (child process) ---------------------------------------------------------


def serve(args: argparse.Namespace) -> None:
    """Run the app under uvicorn with timing middleware and GET /bench/stats."""
    import uvicorn

    import hcp
    from voice_agent.app import create_app
    from voice_agent.channels.voice_turns import engine_wait_meter
    from voice_agent.cli.serve import QuietServer
    from voice_agent.services import build_services
    from voice_agent.settings import load_settings
    from voice_agent.storage import open_store, upgrade

    data_dir = Path(args.data_dir)
    settings = load_settings(
        _env_file=None,
        data_dir=data_dir,
        database_url=args.database_url,
        openai_api_key=OPENAI_KEY,
        openai_base_url=args.openai_base_url,
        twilio_auth_token=TOKEN,
        public_base_url=args.public_base_url,
        filler_after_seconds=args.budget,
        voice_transport=args.transport,
        log_level="WARNING",
    )
    samples: list[dict[str, Any]] = []
    lags: list[float] = []
    pauses: list[float] = []  # garbage-collector pauses (all generations)
    gc_started = 0.0

    def gc_timer(phase: str, info: dict[str, int]) -> None:
        nonlocal gc_started
        if phase == "start":
            gc_started = time.perf_counter()
        else:
            pauses.append(time.perf_counter() - gc_started)

    gc.callbacks.append(gc_timer)

    async def main() -> None:
        schema = args.pg_schema or None
        await upgrade(settings.effective_database_url, schema=schema)
        store = open_store(settings.effective_database_url, schema=schema)
        client = hcp.HcpClient(
            "sandbox", base_url=args.hcp_url, allowed_domains=(httpx.URL(args.hcp_url).host,)
        )
        timed_store = StoreTimer(store)
        services = build_services(settings, timed_store, hcp_client=client)  # type: ignore[arg-type]
        if args.engine == "scripted":
            services.engine = ScriptedEngine(store, args)  # type: ignore[assignment]
        app = create_app(settings, services, freeze_startup=True)

        async def timed(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http" and scope["path"] == "/bench/stats":
                stats = {"samples": samples, "cpu": time.process_time(), "lags": lags, "gc": pauses}
                stats["kernel"] = os.times().system
                stats["threads"] = thread_cpu()
                stats["store"] = timed_store.take()
                voice = app.state.runtime.voice
                if voice is not None:  # relay turns: prompt received -> first text sent
                    reports, voice.relay_reports = voice.relay_reports or [], []
                    stats["relay"] = [
                        r.first_text - r.received
                        for r in reports
                        if r.first_text is not None and r.filler is None
                    ]
                body = json.dumps(stats).encode()
                for collected in (samples, lags, pauses):  # each read starts a new window
                    collected.clear()
                headers = [(b"content-type", b"application/json")]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            probe_loop(lags)
            if scope["type"] != "http" or not scope["path"].startswith("/twilio/"):
                await app(scope, receive, send)
                return
            started = time.perf_counter()
            sent = dict(scope["headers"]).get(SENT_HEADER)  # the caller's monotonic clock
            queued = max(0.0, time.monotonic() - float(sent)) if sent else 0.0
            with engine_wait_meter() as waits:
                await app(scope, receive, send)
            wall = time.perf_counter() - started
            sample = {"path": scope["path"], "wall": wall, "engine": sum(waits), "queued": queued}
            samples.append(sample)

        # The server must keep idle connections longer than the client does (httpx: 5 s), or
        # a request sent on a connection the server is closing fails with ReadError.
        config = uvicorn.Config(
            timed,
            host="127.0.0.1",
            port=args.port,
            log_level="warning",
            lifespan="on",
            timeout_keep_alive=30,
        )
        try:
            await QuietServer(config).serve()  # as `voice-agent serve` runs
        finally:
            await services.aclose()
            await store.close()

    import cProfile

    profile = cProfile.Profile(time.thread_time) if args.profile else None  # CPU, not waits
    if profile is not None:
        profile.enable()
    # The event loop `voice-agent serve` gets: uvicorn's choice (uvloop when installed).
    loop_factory = uvicorn.Config(None, loop=args.loop).get_loop_factory()  # type: ignore[arg-type]
    try:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(main())
    except KeyboardInterrupt:  # uvicorn re-raises the SIGINT it shut down on
        pass
    if profile is not None:
        profile.disable()
        profile.dump_stats(args.profile)


def thread_cpu() -> dict[str, float]:
    """CPU seconds (user + kernel) of each thread of this process, by thread name."""
    import threading

    tick = os.sysconf("SC_CLK_TCK")
    known = {t.native_id: t.name.split("_")[0] for t in threading.enumerate()}
    names: dict[str, float] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            name = known.get(int(task.name)) or (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        names[name] = names.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return names


class StoreTimer:
    """Proxies the store, timing every awaited call by method (what the callers wait on)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.waits: dict[str, list[float]] = {}

    def take(self) -> dict[str, list[float]]:
        waits, self.waits = self.waits, {}
        return waits

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if not asyncio.iscoroutinefunction(attr):
            return attr

        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await attr(*args, **kwargs)
            finally:
                self.waits.setdefault(name, []).append(time.perf_counter() - started)

        return timed


class ScriptedEngine:
    """The engine's voice surface with the fake LLM's timing but none of its CPU cost.

    It writes the caller and agent turns like the real engine, so what remains is the
    channel, the store and the HTTP stack: the server overhead of the voice channel itself.
    """

    def __init__(self, store: Any, args: argparse.Namespace) -> None:
        self.store = store
        self.delay = args.ttft + 12 / args.tokens_per_second
        self.tool_delay = self.delay * 2 + args.hcp_latency
        self.replies: dict[str, str] = {}
        self.seq: dict[str, int] = {}

    async def start(self, new: Any) -> Any:
        from types import SimpleNamespace

        conversation, _ = await self.store.create_conversation(new)
        await asyncio.sleep(0.02)  # caller lookup
        return SimpleNamespace(conversation=conversation, greeting="Thanks for calling!")

    async def respond(self, conversation_id: str, text: str, *, turn_key: str | None = None) -> Any:
        from voice_agent.engine.events import TextDelta

        if turn_key in self.replies:
            yield TextDelta(self.replies[turn_key])
            return
        seq = self.seq[conversation_id] = self.seq.get(conversation_id, 0) + 1
        await self.store.add_turn(conversation_id, seq, "caller", text)
        await asyncio.sleep(self.tool_delay if seq % 2 == 0 else self.delay)
        reply = "Got it, thanks. Could you tell me a little more about the problem?"
        await self.store.add_turn(conversation_id, seq, "agent", reply)
        if turn_key is not None:
            self.replies[turn_key] = reply
        yield TextDelta(reply)


# --- client side ---------------------------------------------------------------------------


@dataclass
class CallResult:
    gaps: list[float] = field(default_factory=list)  # seconds of silence per webhook answer
    turn_longest: list[float] = field(default_factory=list)  # longest silence per turn
    turn_silence: list[float] = field(default_factory=list)  # silence summed per turn
    fillers: int = 0
    turns: int = 0
    slow_fallbacks: int = 0
    error: str | None = None
    first_text: list[float] = field(default_factory=list)  # relay: prompt -> first `text`
    first_text_plain: list[float] = field(default_factory=list)  # ... on turns without tools
    reply_first: list[float] = field(default_factory=list)  # relay: prompt -> reply's first
    dead_air: list[float] = field(default_factory=list)  # relay: silence on tool turns


def responder_for(seed: int) -> Any:
    """The fake model: every other caller turn starts with a tool call, then text."""
    from voice_agent.testing.fake_openai import Reply

    def respond(body: dict[str, Any]) -> Reply:
        messages = body.get("messages", [])
        tools = {t.get("function", {}).get("name") for t in body.get("tools", [])}
        if messages and messages[-1].get("role") == "tool":
            return Reply.text("Thanks. I have Tuesday or Wednesday morning. Which works best?")
        user_turns = sum(1 for m in messages if m.get("role") == "user")
        if user_turns % 2 == 0 and "check_availability" in tools:
            return Reply.tool_call("check_availability", {})
        return Reply.text("Got it, thanks. Could you tell me a little more about the problem?")

    return respond


async def one_call(
    ports: list[int], base: str, args: argparse.Namespace, rng: random.Random, n: int
) -> CallResult:
    """One caller on its own connection, like Twilio (a shared pool of hundreds of
    connections costs httpcore O(n) per request and would slow the callers, not the server).
    """
    transport = SpreadTransport(ports, rng, verify=TLS)  # one TLS context: each costs ~20 ms
    async with httpx.AsyncClient(base_url=base, timeout=20.0, transport=transport) as client:
        if args.transport == "relay":
            return await _relay_call(client, f"ws://127.0.0.1:{rng.choice(ports)}", args, rng, n)
        return await _call(client, base, args, rng, n)


async def _relay_call(
    client: httpx.AsyncClient, ws_base: str, args: argparse.Namespace, rng: random.Random, n: int
) -> CallResult:
    """One caller over ConversationRelay: webhook, signed socket, prompts, action, status."""
    from voice_agent.channels.twilio_sim import SimulatedCall
    from voice_agent.testing.relay_client import RelayCall

    result = CallResult()
    caller = f"+1312555{n % 10000:04d}"
    hooks = SimulatedCall(client, auth_token=TOKEN, public_base_url=str(client.base_url))
    hooks.caller = caller
    call = RelayCall(hooks, ws_base=ws_base)
    await asyncio.sleep(rng.uniform(0, args.ramp))
    try:
        async with asyncio.timeout(args.call_timeout):
            relay = await call.answer()
            await call.open()
            heard = relay.get("welcomeGreeting", "")
            for text in LINES[: args.turns]:
                if args.pacing == "stress":
                    await asyncio.sleep(rng.uniform(0.2, 0.8) * args.think)
                else:
                    pace = args.caller_words_per_second * rng.uniform(0.8, 1.2)
                    listen = len(heard.split()) / args.words_per_second
                    await asyncio.sleep(listen + len(text.split()) / pace)
                reply = await call.say(text)
                result.turns += 1
                if reply.first_text_seconds is None or reply.reply_seconds is None:
                    raise RuntimeError(f"no reply to turn {result.turns}")
                result.first_text.append(reply.first_text_seconds)
                result.reply_first.append(reply.reply_seconds)
                if reply.fillers:
                    result.fillers += len(reply.fillers)
                    spoken = sum(len(f.split()) for f in reply.fillers) / args.words_per_second
                    after = reply.reply_seconds - reply.first_text_seconds - spoken
                    result.dead_air.append(reply.first_text_seconds + max(0.0, after))
                else:
                    result.first_text_plain.append(reply.first_text_seconds)
                heard = reply.text
            await call.close()
            done = await call.webhooks.post(
                call.action_url or "/twilio/voice/relay-done",
                {**hooks.base_params(), "SessionStatus": "completed", "SessionDuration": "60"},
            )
            ended = await hooks.hang_up(duration=60)
            if done.status != 200 or ended.status != 200:
                raise RuntimeError(f"action {done.status}, status callback {ended.status}")
    except Exception as exc:
        result.error = f"{type(exc).__name__}: {exc}"
        await call.close()
    return result


async def _call(
    client: httpx.AsyncClient, base: str, args: argparse.Namespace, rng: random.Random, n: int
) -> CallResult:
    from voice_agent.channels.twilio_sim import SimulatedCall
    from voice_agent.channels.voice import TOO_SLOW

    result = CallResult()
    heard = 0  # words of the current reply already read out (fillers before a redirect)

    async def speak(text: str) -> None:  # the caller hears the filler while work continues
        nonlocal heard
        result.fillers += 1
        heard += len(text.split())
        await asyncio.sleep(len(text.split()) / args.words_per_second)

    async def before_speaking(reply: Any, line: str) -> None:
        if args.pacing == "stress":
            await asyncio.sleep(rng.uniform(0.2, 0.8) * args.think)
            return
        unheard = max(0, len(reply.text.split()) - heard)  # the answer being read out
        await asyncio.sleep(unheard / args.words_per_second)
        pace = args.caller_words_per_second * rng.uniform(0.8, 1.2)
        await asyncio.sleep(len(line.split()) / pace + args.end_of_speech)

    caller = f"+1312555{n % 10000:04d}"
    sim = SimulatedCall(client, auth_token=TOKEN, public_base_url=base, caller=caller, speak=speak)
    await asyncio.sleep(rng.uniform(0, args.ramp))
    try:
        async with asyncio.timeout(args.call_timeout):
            replies = [await sim.start()]
            for line in LINES[: args.turns]:
                await before_speaking(replies[-1], line)
                heard = 0
                replies.append(await sim.say(line))
                result.turns += 1
            for reply in replies:
                gaps = [e.seconds for e in reply.exchanges]
                result.gaps.extend(gaps)
                result.turn_longest.append(max(gaps))
                result.turn_silence.append(sum(gaps))
                bad = [e.status for e in reply.exchanges if e.status != 200]
                if bad or reply.gather is None:
                    raise RuntimeError(f"status {bad or 200}, gather {reply.gather is not None}")
                result.slow_fallbacks += TOO_SLOW in reply.said
            ended = await sim.hang_up(duration=60)
            if ended.status != 200:
                raise RuntimeError(f"status callback {ended.status}")
    except Exception as exc:
        result.error = f"{type(exc).__name__}: {exc}"
    return result


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) in milliseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def line(name: str, values: list[float]) -> str:
    return (
        f"{name:<34} p50 {pct(values, 50):8.1f}  p95 {pct(values, 95):8.1f}  "
        f"p99 {pct(values, 99):8.1f}  max {pct(values, 100):8.1f}  (n={len(values)})"
    )


async def pg_exec(url: str, sql: str) -> None:
    """Run one statement on the PostgreSQL server of `url` (schema set-up and clean-up)."""
    import asyncpg
    from sqlalchemy.engine import make_url

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def wait_ready(
    client: httpx.AsyncClient, proc: asyncio.subprocess.Process, port: int
) -> None:
    for _ in range(300):
        if proc.returncode is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit("server did not start in 30 s")


class SpreadTransport(httpx.AsyncHTTPTransport):
    """A load balancer without stickiness: each webhook goes to a random worker."""

    def __init__(self, ports: list[int], rng: random.Random, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ports, self.rng = ports, rng

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/twilio/"):
            request.url = request.url.copy_with(port=self.rng.choice(self.ports))
            request.headers[SENT_HEADER.decode()] = repr(time.monotonic())
        return await super().handle_async_request(request)


SENT_HEADER = b"x-bench-sent"
"""When the caller sent a webhook (`time.monotonic()`, one clock for all processes on Linux):
the server reports how long requests waited before the app saw them."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def stop(proc: asyncio.subprocess.Process) -> None:
    """Stop a server this script started (SIGINT: uvicorn shuts down cleanly)."""
    if proc.returncode is not None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        await asyncio.wait_for(proc.wait(), 30)
    except TimeoutError:
        print("server did not stop in 30 s; killing it", file=sys.stderr)
        proc.kill()
        await proc.wait()


def serve_fake_llm(args: argparse.Namespace) -> None:
    """Child process: the fake OpenAI server; prints its URL, then (stdin closed) its figures."""
    from voice_agent.testing.fake_openai import FakeOpenAIServer

    fake = FakeOpenAIServer(
        responder=responder_for(args.seed), ttft=args.ttft, tokens_per_second=args.tokens_per_second
    )
    fake.start()
    print(fake.base_url, flush=True)
    started = time.process_time()
    sys.stdin.read()  # until the parent closes our stdin
    fake.stop()
    cpu = time.process_time() - started
    print(json.dumps({"requests": len(fake.requests), "cpu": cpu}), flush=True)


def serve_sandbox(args: argparse.Namespace) -> None:
    """Child process: the seeded HCP sandbox with its latency; prints its URL, then (stdin
    closed) its CPU seconds."""
    import uvicorn

    from hcp.sandbox import SandboxState, create_sandbox_app, seed_demo_company
    from hcp.sandbox.faults import FaultRule, Faults

    state = SandboxState.open(None)
    seed_demo_company(state)
    faults = Faults([FaultRule("latency", seconds=args.hcp_latency)])
    app = create_sandbox_app(state=state, api_key="sandbox", faults=faults)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)  # requests wait in the backlog until the server takes the socket

    async def main() -> None:
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        print(f"http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
        started = time.process_time()
        await asyncio.to_thread(sys.stdin.read)  # until the parent closes our stdin
        server.should_exit = True
        await serving
        print(json.dumps({"cpu": time.process_time() - started}), flush=True)

    asyncio.run(main())
    state.close()


async def start_fake_llm(args: argparse.Namespace) -> tuple[asyncio.subprocess.Process, str]:
    """The fake LLM in its own process (so its CPU does not slow the callers) and its URL."""
    command = ["--fake-llm", "--seed", str(args.seed)]
    command += ["--ttft", str(args.ttft), "--tokens-per-second", str(args.tokens_per_second)]
    return await start_child(command, "the fake LLM")


async def start_sandbox(args: argparse.Namespace) -> tuple[asyncio.subprocess.Process, str]:
    """The HCP sandbox in its own process, like the real HCP not the server's CPU; its URL."""
    return await start_child(["--sandbox", "--hcp-latency", str(args.hcp_latency)], "the sandbox")


async def start_child(options: list[str], name: str) -> tuple[asyncio.subprocess.Process, str]:
    """This script as a child process with `options`; it prints its URL first."""
    pipe = asyncio.subprocess.PIPE
    command = [sys.executable, __file__, *options]
    proc = await asyncio.create_subprocess_exec(*command, stdin=pipe, stdout=pipe)
    assert proc.stdout is not None
    url = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
    if not url.startswith("http"):
        raise SystemExit(f"{name} did not start")
    return proc, url


async def stop_fake_llm(proc: asyncio.subprocess.Process) -> dict[str, Any]:
    """Stop the fake LLM or the sandbox; its figures (CPU seconds, LLM requests)."""
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.close()
    figures: dict[str, Any] = json.loads(await asyncio.wait_for(proc.stdout.readline(), 30))
    await proc.wait()
    return figures


async def run(args: argparse.Namespace) -> int:
    from voice_agent.storage import upgrade

    modules = ("voice_agent.channels.twilio_sim", "voice_agent.channels.voice")
    modules += ("voice_agent.testing.relay_client", "websockets.asyncio.client")
    for module in modules:
        importlib.import_module(module)  # now: a first import during the calls would stall them

    ports = [free_port() for _ in range(args.workers)]
    base = f"http://127.0.0.1:{ports[0]}"  # the public URL every worker validates against
    fake, fake_url = await start_fake_llm(args)
    sandbox, hcp_url = await start_sandbox(args)
    data_dir = tempfile.mkdtemp(prefix="bench-calls-")
    common = [
        "--data-dir", data_dir, "--public-base-url", base, "--openai-base-url", fake_url,
        "--budget", str(args.budget), "--hcp-latency", str(args.hcp_latency),
        "--hcp-url", hcp_url,
        "--engine", args.engine, "--ttft", str(args.ttft),
        "--tokens-per-second", str(args.tokens_per_second), "--transport", args.transport,
        "--loop", args.loop,
    ]  # fmt: skip
    schema = ""
    database_url = f"sqlite:///{Path(data_dir) / 'bench.db'}"
    if args.postgres:
        schema = f"bench_calls_{os.getpid()}"
        database_url = args.postgres
        await pg_exec(args.postgres, f'CREATE SCHEMA "{schema}"')
        common += ["--pg-schema", schema]
    common += ["--database-url", database_url]
    await upgrade(database_url, schema=schema or None)  # once, before the workers start
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "OPENAI_", "HCP_"))}
    procs = []
    for n, port in enumerate(ports):
        command = [sys.executable, __file__, "--serve", "--port", str(port), *common]
        if args.profile and n == 0:
            command += ["--profile", args.profile]
        procs.append(await asyncio.create_subprocess_exec(*command, env=env))
    stats: list[dict[str, Any]] = []
    cpu = kernel = 0.0  # the server's CPU seconds, and the part of them spent in the kernel
    threads: dict[str, float] = {}  # ... by thread name
    lags: list[float] = []
    store_waits: dict[str, list[float]] = {}
    relay_server: list[float] = []
    gc_pauses: list[float] = []
    client_lags: list[float] = []  # the callers' own lag inflates measured silence
    try:
        async with httpx.AsyncClient(base_url=base, timeout=20.0) as client:  # set-up and stats
            for proc, port in zip(procs, ports, strict=True):
                await wait_ready(client, proc, port)
            rng = random.Random(args.seed)
            if args.warmup:  # first uses (lazy imports, connections, caches) are not per turn
                warm = argparse.Namespace(**{**vars(args), "ramp": 0.0})
                await asyncio.gather(
                    *(one_call(ports, base, warm, random.Random(rng.random()), args.calls + n)
                      for n in range(args.warmup))
                )  # fmt: skip
            for port in ports:  # CPU, lag and GC pauses of starting up are not the calls'
                baseline = (await client.get(f"http://127.0.0.1:{port}/bench/stats")).json()
                for name, seconds in baseline["threads"].items():
                    threads[name] = threads.get(name, 0.0) - seconds
                cpu -= baseline["cpu"]
                kernel -= baseline["kernel"]
            started = time.perf_counter()
            client_cpu = time.process_time()
            watcher = asyncio.create_task(watch_loop(client_lags))
            async with asyncio.timeout(args.max_seconds):
                results = await asyncio.gather(
                    *(one_call(ports, base, args, random.Random(rng.random()), n)
                      for n in range(args.calls))
                )  # fmt: skip
            watcher.cancel()
            elapsed = time.perf_counter() - started
            client_cpu = time.process_time() - client_cpu
            for port in ports:
                answer = (await client.get(f"http://127.0.0.1:{port}/bench/stats")).json()
                stats += answer["samples"]
                cpu += answer["cpu"]
                kernel += answer["kernel"]
                for name, seconds in answer["threads"].items():
                    threads[name] = threads.get(name, 0.0) + seconds
                lags += answer["lags"]
                gc_pauses += answer["gc"]
                relay_server += answer.get("relay", [])
                for name, waits in answer.get("store", {}).items():
                    store_waits.setdefault(name, []).extend(waits)
    finally:
        await asyncio.gather(*(stop(proc) for proc in procs))
        llm = await stop_fake_llm(fake)
        hcp_cpu = (await stop_fake_llm(sandbox))["cpu"]
        shutil.rmtree(data_dir, ignore_errors=True)
        if schema:
            await pg_exec(args.postgres, f'DROP SCHEMA "{schema}" CASCADE')
    pauses = (lags, gc_pauses, client_lags)
    cpus = (cpu, kernel, client_cpu, llm["cpu"], hcp_cpu)
    measured = report(args, results, stats, elapsed, llm["requests"], cpus, pauses)
    if relay_server:
        print(line("server: prompt -> first text (ms)", relay_server) + " turns without tools")
    for name, waits in sorted(store_waits.items(), key=lambda kv: -sum(kv[1]))[:8]:
        print(line(f"  store.{name} (ms)", waits))
    turns = max(1, sum(r.turns for r in results))
    by_thread = sorted(threads.items(), key=lambda kv: -kv[1])
    print("server CPU per caller turn by thread: " + ", ".join(
        f"{name} {1000 * seconds / turns:.1f} ms" for name, seconds in by_thread if seconds > 0.05
    ))  # fmt: skip
    if measured is not None:
        print_targets(args, measured)
    return 0 if all(r.error is None for r in results) else 1


def report(
    args: argparse.Namespace,
    results: list[CallResult],
    stats: list[dict[str, Any]],
    elapsed: float,
    llm_requests: int,
    cpus: tuple[float, float, float, float, float],
    pauses: tuple[list[float], list[float], list[float]],
) -> Measured | None:
    """Print the figures; what the targets are checked against (None for relay calls)."""
    cpu, kernel, client_cpu, llm_cpu, hcp_cpu = cpus
    lags, gc_pauses, client_lags = pauses
    errors = [r.error for r in results if r.error]
    ok = len(results) - len(errors)
    gaps = [g for r in results for g in r.gaps]
    overhead = [max(0.0, s["wall"] - s["engine"]) for s in stats]
    turns = sum(r.turns for r in results)
    print(
        f"[{args.transport}, {args.engine} engine, {args.workers} worker(s), "
        f"{'PostgreSQL' if args.postgres else 'SQLite'}] "
        f"voice calls: {args.calls} concurrent, {args.turns} turns each; "
        f"fake LLM ttft "
        f"{args.ttft}s at {args.tokens_per_second} tok/s; HCP sandbox latency "
        f"{args.hcp_latency}s; filler budget {args.budget}s"
    )
    print(f"pacing: {pacing_note(args)}")
    print(
        f"completed {ok}/{len(results)} calls in {elapsed:.1f}s ({ok / elapsed:.1f} calls/s, "
        f"{turns / elapsed:.1f} turns/s), {turns} turns, {len(stats)} webhooks, "
        f"{llm_requests} LLM requests"
    )
    print(
        f"server CPU: {cpu:.1f}s over {elapsed:.1f}s ({100 * cpu / elapsed:.0f}% of one core), "
        f"{1000 * cpu / max(turns, 1):.1f} ms per caller turn "
        f"({1000 * kernel / max(turns, 1):.1f} ms of it in the kernel); callers "
        f"{100 * client_cpu / elapsed:.0f}%, fake LLM {100 * llm_cpu / elapsed:.0f}% and HCP "
        f"sandbox {100 * hcp_cpu / elapsed:.0f}% of one core"
    )
    print(f"errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
    print(
        f"fillers spoken: {sum(r.fillers for r in results)}; honest 'too slow' fallbacks: "
        f"{sum(r.slow_fallbacks for r in results)}"
    )
    if args.transport == "relay":
        plain = [t for r in results for t in r.first_text_plain]
        print(line("prompt -> first text, all (ms)", [t for r in results for t in r.first_text]))
        print(line("prompt -> first text, no tool (ms)", plain))
        print(line("prompt -> first reply token (ms)", [t for r in results for t in r.reply_first]))
        print(line("dead air on tool turns (ms)", [t for r in results for t in r.dead_air]))
        goal = pct(plain, 99) <= 1000 * args.ttft + 50
        print(f"goal p99 first text (no tool) <= TTFT + 50 ms: {'met' if goal else 'NOT met'}")
    print(line("server overhead per webhook (ms)", overhead))
    for path in sorted({s["path"] for s in stats}):
        name = path.removeprefix("/twilio/voice").lstrip("/") or "incoming call"
        mine = [o for o, s in zip(overhead, stats, strict=True) if s["path"] == path]
        print(line(f"  {name} POST (ms)", mine))
    print(line("server wall time per webhook (ms)", [s["wall"] for s in stats]))
    print(line("sent -> reached the app (ms)", [s.get("queued", 0.0) for s in stats]))
    print(line("event-loop lag at arrivals (ms)", lags))
    print(
        line("garbage-collector pauses (ms)", gc_pauses) + f" total {1000 * sum(gc_pauses):.0f} ms"
    )
    print(line("callers' event-loop lag (ms)", client_lags))
    if errors:
        for error, count in sorted(
            {e: errors.count(e) for e in errors}.items(), key=lambda kv: -kv[1]
        )[:5]:
            print(f"  {count} x {error}")
    if args.transport == "relay" or not gaps:
        return None  # relay turns are on the socket: no webhook gaps
    print(line("caller silence per gap (ms)", gaps))
    print(line("longest silence per turn (ms)", [g for r in results for g in r.turn_longest]))
    print(line("total silence per turn (ms)", [g for r in results for g in r.turn_silence]))
    over = sum(g > args.budget for g in gaps)
    late = sum(s["wall"] > args.budget for s in stats)
    print(
        f"gaps longer than the {args.budget * 1000:.0f} ms budget: {over} of {len(gaps)} "
        f"(answers that took over the budget inside the app: {late})"
    )
    print(f"mean silence per gap: {1000 * statistics.fmean(gaps):.1f} ms")
    turn_posts = [o for o, s in zip(overhead, stats, strict=True) if s["path"] == TURN_WEBHOOK]
    return Measured(len(errors), over, len(gaps), pct(turn_posts, 99), 1000 * cpu / max(turns, 1))


TURN_WEBHOOK = "/twilio/voice/turn"
TARGET_TURN_P99_MS = 15.0
TARGET_CPU_PER_TURN_MS = 10.0


@dataclass(frozen=True)
class Measured:
    """What the issue-14 targets are checked against (Gather calls)."""

    errors: int
    over: int  # gaps longer than the budget
    gaps: int
    turn_p99: float  # ms, turn POST overhead
    cpu_per_turn: float  # ms of server CPU per caller turn


def print_targets(args: argparse.Namespace, m: Measured) -> None:
    """The issue-14 targets (500 Gather calls per worker), measured here, met or not."""
    rows = [
        ("errors (target at 500 calls)", f"{m.errors}", "0", m.errors == 0),
        (
            f"gaps over the {args.budget * 1000:.0f} ms budget (at 500 calls)",
            f"{m.over} of {m.gaps}",
            "0",
            m.over == 0,
        ),
        (
            "turn POST overhead p99",
            f"{m.turn_p99:.1f} ms",
            f"<= {TARGET_TURN_P99_MS:g} ms",
            m.turn_p99 <= TARGET_TURN_P99_MS,
        ),
        (
            "server CPU per caller turn (at 200 calls)",
            f"{m.cpu_per_turn:.1f} ms",
            f"<= {TARGET_CPU_PER_TURN_MS:g} ms",
            m.cpu_per_turn <= TARGET_CPU_PER_TURN_MS,
        ),
    ]
    print(f"\ntargets, {args.calls} calls ({'PostgreSQL' if args.postgres else 'SQLite'}):")
    print(f"  {'':<50} {'measured':>14} {'target':>10}")
    for name, measured, target, met in rows:
        print(f"  {name:<50} {measured:>14} {target:>10}  {'met' if met else 'NOT met'}")


def pacing_note(args: argparse.Namespace) -> str:
    """One line saying how the simulated callers were paced."""
    if args.pacing == "stress":
        return (
            f"stress (starts over {args.ramp:g}s; next line "
            f"{0.2 * args.think:g}-{0.8 * args.think:g}s after each answer, not listening)"
        )
    return (
        f"realistic (starts over {args.ramp:g}s; caller listens to each answer at "
        f"{args.words_per_second:g} words/s, speaks at {args.caller_words_per_second:g} "
        f"words/s +-20%, Twilio posts {args.end_of_speech:g}s after speech ends)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--turns", type=int, default=4, choices=range(1, len(LINES) + 1))
    parser.add_argument("--ttft", type=float, default=0.4, help="fake LLM time to first token")
    parser.add_argument("--tokens-per-second", type=float, default=50.0)
    parser.add_argument("--hcp-latency", type=float, default=0.15, help="sandbox latency, s")
    parser.add_argument("--budget", type=float, default=1.2, help="FILLER_AFTER_SECONDS")
    parser.add_argument(
        "--pacing",
        choices=("realistic", "stress"),
        default="realistic",
        help="realistic: callers listen, speak and pause like people; stress: the old rush",
    )
    parser.add_argument(
        "--words-per-second", type=float, default=2.5, help="agent speech (TTS) pace"
    )
    parser.add_argument(
        "--caller-words-per-second", type=float, default=2.5, help="caller speaking pace"
    )
    parser.add_argument(
        "--end-of-speech", type=float, default=1.0, help="Twilio speechTimeout=auto, s"
    )
    parser.add_argument("--think", type=float, default=1.0, help="stress: caller pause scale")
    parser.add_argument(
        "--ramp",
        type=float,
        default=None,
        help="spread call starts over s (default: realistic calls/20, stress 1)",
    )
    parser.add_argument("--call-timeout", type=float, default=180.0)
    parser.add_argument("--max-seconds", type=float, default=420.0)
    parser.add_argument(
        "--postgres",
        nargs="?",
        const="postgresql://postgres@127.0.0.1:5432/test",
        default=None,
        help="use PostgreSQL (a throwaway schema in this database) instead of SQLite",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--warmup",
        type=int,
        default=5,
        help="calls made (and not measured) before the measured ones, as a running server has",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes; each webhook goes to any one"
    )
    parser.add_argument(
        "--engine",
        choices=("real", "scripted"),
        default="real",
        help="real: the dialogue engine, OpenAI SDK and sandbox; scripted: same timing, no CPU",
    )
    parser.add_argument(
        "--transport",
        choices=("gather", "relay"),
        default="gather",
        help="gather: a webhook per turn; relay: ConversationRelay WebSocket streaming",
    )
    parser.add_argument(
        "--loop",
        choices=("auto", "asyncio", "uvloop"),
        default="auto",
        help="server event loop; auto is what `voice-agent serve` uses (uvloop when installed)",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--fake-llm", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sandbox", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--hcp-url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", default="", help=argparse.SUPPRESS)
    parser.add_argument("--openai-base-url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--pg-schema", default="", help=argparse.SUPPRESS)
    parser.add_argument("--public-base-url", default="", help=argparse.SUPPRESS)
    parser.add_argument(
        "--profile", default="", help="server: write cProfile stats (event-loop thread CPU) here"
    )
    args = parser.parse_args()
    if args.ramp is None:
        args.ramp = args.calls / 20 if args.pacing == "realistic" else 1.0
    if args.serve:
        serve(args)
        return 0
    if args.fake_llm:
        serve_fake_llm(args)
        return 0
    if args.sandbox:
        serve_sandbox(args)
        return 0
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
