"""`voice-agent followups run-once` and `voice-agent followups status` for operators."""

from __future__ import annotations

import asyncio
from collections import Counter

import typer
from rich.console import Console
from rich.table import Table

from voice_agent.followups.runtime import messaging_runtime
from voice_agent.messaging.dispatcher import DispatchReport
from voice_agent.runtime import running
from voice_agent.settings import load_settings
from voice_agent.storage.base import OutboxItem

followups = typer.Typer(help="SMS follow-ups, reminders and the outbox.", no_args_is_help=True)


async def _run_once() -> DispatchReport:
    async with running(load_settings()) as runtime:
        messaging = messaging_runtime(runtime.settings, runtime.services)
        try:
            return await messaging.run_once()
        finally:
            await messaging.aclose()


async def _outbox() -> list[OutboxItem]:
    async with running(load_settings()) as runtime:
        return await runtime.store.list_outbox()


@followups.command("run-once")
def run_once() -> None:
    """Send every due text, reminder and follow-up now, then exit."""
    report = asyncio.run(_run_once())
    typer.echo(
        f"claimed {report.claimed}: {report.done} done, {report.retried} to retry, "
        f"{report.given_up} given up, {report.skipped} left for other handlers"
    )
    if report.errors:
        raise typer.Exit(1)


@followups.command("status")
def status() -> None:
    """Count outbox items by kind and status."""
    counts = Counter((item.kind, item.status) for item in asyncio.run(_outbox()))
    table = Table("kind", "status", "items")
    for (kind, state), count in sorted(counts.items()):
        table.add_row(kind, state, str(count))
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add the `followups` command group to `app`."""
    app.add_typer(followups, name="followups")
