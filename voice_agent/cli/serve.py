"""`voice-agent serve` and `voice-agent doctor`."""

from __future__ import annotations

import asyncio
from typing import Any

import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from voice_agent.app import create_app
from voice_agent.doctor import diagnose
from voice_agent.logs import configure_logging
from voice_agent.settings import Settings, load_settings


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn options: `X-Forwarded-For`/`-Proto` are believed only from `FORWARDED_ALLOW_IPS`.

    Trusting every peer would let anyone pick the address the login limiter counts (and
    the scheme Twilio signatures are checked against) by sending the header themselves.
    """
    return {
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
        "server_header": False,
        "log_config": None,
    }


def register(app: typer.Typer) -> None:
    """Add the serve and doctor commands to `app`."""

    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
        port: int = typer.Option(8000, envvar="PORT", help="Port to listen on."),
    ) -> None:
        """Run the web server (voice and SMS webhooks, dashboard, test line)."""
        settings = load_settings()
        configure_logging(settings)
        uvicorn.run(create_app(settings), host=host, port=port, **server_options(settings))

    @app.command()
    def doctor() -> None:
        """Check each component: what is real, what is an embedded default, what is broken."""
        settings = load_settings()
        table = Table("component", "state", "detail", "fix")
        colours = {"real": "green", "default": "cyan", "off": "yellow", "broken": "red"}
        with Console(stderr=True).status("checking components…"):
            checks = asyncio.run(diagnose(settings))
        for check in checks:
            state = f"[{colours[check.state]}]{check.state}[/]"
            table.add_row(check.component, state, check.detail, check.fix)
        Console().print(table)
        if any(check.state == "broken" for check in checks):
            raise typer.Exit(1)
