"""`voice-agent serve`."""

from __future__ import annotations

import typer
import uvicorn

from voice_agent.app import create_app
from voice_agent.logs import configure_logging
from voice_agent.settings import load_settings


def register(app: typer.Typer) -> None:
    """Add the serve command to `app`."""

    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
        port: int = typer.Option(8000, envvar="PORT", help="Port to listen on."),
    ) -> None:
        """Run the web server (voice and SMS webhooks, dashboard, test line)."""
        settings = load_settings()
        configure_logging(settings.log_level)
        uvicorn.run(
            create_app(settings),
            host=host,
            port=port,
            proxy_headers=True,
            forwarded_allow_ips="*",
            log_config=None,
        )
