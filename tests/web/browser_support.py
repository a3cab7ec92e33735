"""The real app on a free port in a thread, and Debian's Chromium, for the browser tests."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn

from voice_agent.settings import Settings
from voice_agent.storage import upgrade

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 15_000


def _serve(settings: Settings, sock: socket.socket, ready: dict[str, object]) -> None:
    """Run the real app (services built here, in the server's own event loop)."""
    from voice_agent.app import create_app
    from voice_agent.services import build_services

    async def main() -> None:
        services = build_services(settings)
        try:
            app = create_app(settings, services=services)
            config = uvicorn.Config(
                app, http="h11", ws="none", lifespan="on", log_config=None, loop="asyncio"
            )
            server = uvicorn.Server(config)
            ready["server"] = server
            await server.serve(sockets=[sock])
        finally:
            await services.aclose()

    asyncio.run(main())


@contextmanager
def running_server(settings: Settings) -> Iterator[str]:
    """The app on a free 127.0.0.1 port (migrated first); yields its base URL."""
    migrate = threading.Thread(  # its own thread: sync Playwright may own this one's loop
        target=lambda: asyncio.run(upgrade(settings.effective_database_url))
    )
    migrate.start()
    migrate.join()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    ready: dict[str, object] = {}
    thread = threading.Thread(target=_serve, args=(settings, sock, ready), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server = ready.get("server")
        if isinstance(server, uvicorn.Server):
            server.should_exit = True
        thread.join(timeout=20)
        sock.close()


@contextmanager
def chromium() -> Iterator[object]:
    """A headless Debian Chromium driven by Playwright (fails when it is not installed)."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.fail(f"browser tests need Chromium at {CHROMIUM} (make browser)")
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
