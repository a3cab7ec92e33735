"""The `voice-agent` command line."""

from __future__ import annotations

from importlib import metadata

import typer

from voice_agent import __version__
from voice_agent.cli.chat import register as register_chat
from voice_agent.cli.credentials import register as register_credentials
from voice_agent.cli.db import register as register_db
from voice_agent.cli.digest import register as register_digest
from voice_agent.cli.doctor import register as register_doctor
from voice_agent.cli.followups import register as register_followups
from voice_agent.cli.sandbox import register as register_sandbox
from voice_agent.cli.scenarios import register as register_scenarios
from voice_agent.cli.serve import register as register_serve
from voice_agent.errors import ConfigError

app = typer.Typer(
    help="hcp-voice-agent: the phone and SMS agent for Housecall Pro businesses.",
    no_args_is_help=True,
)


def package_version() -> str:
    """The installed package's version (the source tree's when not installed)."""
    try:
        return metadata.version("hcp-voice-agent")
    except metadata.PackageNotFoundError:
        return __version__


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"voice-agent {package_version()}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """hcp-voice-agent: the phone and SMS agent for Housecall Pro businesses."""


register_serve(app)
register_doctor(app)
register_db(app)
register_followups(app)
register_credentials(app)
register_chat(app)
register_sandbox(app)
register_digest(app)
register_scenarios(app)


def main() -> None:
    """Entry point of the `voice-agent` console script; config errors are one clear line."""
    try:
        app()
    except ConfigError as exc:
        typer.secho(f"configuration error: {exc}", fg="red", err=True)
        raise SystemExit(2) from None
