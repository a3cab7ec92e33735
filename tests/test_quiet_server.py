"""`voice-agent serve` wakes once a second on its own, not ten times (each idle wake-up
costs CPU), while the Date header stays fresh and a stop is still noticed."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

import pytest
import uvicorn

from voice_agent.cli import serve


async def _app(scope: object, receive: object, send: object) -> None:  # never called
    raise AssertionError


async def test_the_server_wakes_once_a_second_and_stops_when_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = uvicorn.Config(_app, log_config=None)
    config.load()
    server = serve.QuietServer(config)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 3:
            server.should_exit = True  # Ctrl+C or SIGTERM

    counters: list[int] = []
    on_tick = server.on_tick

    async def tick(counter: int) -> bool:
        counters.append(counter)
        return await on_tick(counter)

    monkeypatch.setattr(serve.asyncio, "sleep", sleep)
    monkeypatch.setattr(server, "on_tick", tick)
    await server.main_loop()
    assert slept == [serve.TICK_SECONDS] * 3 and serve.TICK_SECONDS == 1.0
    assert counters == [0, 10, 20, 30]  # uvicorn refreshes its Date header when counter % 10 == 0
    (date,) = [value for name, value in server.server_state.default_headers if name == b"date"]
    assert parsedate_to_datetime(date.decode()).tzinfo is not None  # refreshed at every tick
