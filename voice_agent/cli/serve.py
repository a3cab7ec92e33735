"""`voice-agent serve`."""

from __future__ import annotations

from typing import Any

import typer
import uvicorn

from voice_agent.app import create_app
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
    """Add the serve command to `app`."""

    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
        port: int = typer.Option(8000, envvar="PORT", help="Port to listen on."),
    ) -> None:
        """Run the web server (voice and SMS webhooks, dashboard, test line)."""
        settings = load_settings()
        configure_logging(settings)
        uvicorn.run(create_app(settings), host=host, port=port, **server_options(settings))
