"""`voice-agent scenarios run [FILE…] [--dry-run]`: play caller scenarios and grade them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from voice_agent.errors import StorageError
from voice_agent.logs import configure_logging
from voice_agent.overrides import effective_settings
from voice_agent.scenarios import (
    ScenarioError,
    ScenarioResult,
    World,
    load_scenarios,
    run_all,
    starter_scenarios,
)
from voice_agent.scenarios.setup import (
    DryRunUnavailable,
    caller_factory,
    dry_run_key,
)
from voice_agent.settings import load_settings
from voice_agent.storage.migrate import upgrade
from voice_agent.storage.sql import open_store

scenarios_app = typer.Typer(help="Caller scenarios: scripted calls graded against expectations.")
MARKS = {"pass": "PASS", "fail": "FAIL", "error": "ERROR", "xfail": "known gap", "xpass": "XPASS"}
COLOURS = {"pass": "green", "fail": "red", "error": "red", "xfail": "yellow", "xpass": "red"}


async def _run(files: list[Path], dry_run: bool) -> list[ScenarioResult]:
    scenarios = load_scenarios(files) if files else starter_scenarios()
    base = load_settings()
    if base.effective_database_url.startswith("sqlite"):  # the embedded default just runs
        base.data_dir.mkdir(parents=True, exist_ok=True)
        await upgrade(base.effective_database_url)
    store = open_store(base.effective_database_url)
    try:
        settings = await effective_settings(base, store)
        key = await dry_run_key(store, settings) if dry_run else None
    finally:
        await store.close()
    make_caller, llm = caller_factory(settings)
    try:
        async with World(settings, dry_run_key=key) as world:
            return await run_all(scenarios, world, make_caller)
    finally:
        if llm is not None:
            await llm.close()


def render(results: list[ScenarioResult], console: Console) -> None:
    """The results table: verdict, name, why, turns, time."""
    table = Table(show_lines=False)
    for column in ("result", "scenario", "why", "turns", "time"):
        table.add_column(column, overflow="fold")
    for result in results:
        colour = COLOURS[result.status]
        table.add_row(
            f"[{colour}]{MARKS[result.status]}[/{colour}]",
            result.name,
            result.why or (result.outcome or ""),
            str(result.turns),
            f"{result.seconds:.1f}s",
        )
    console.print(table)
    failed = sum(not r.ok for r in results)
    console.print(f"{len(results) - failed} of {len(results)} scenarios as expected")


def run_command(
    files: list[Path] = typer.Argument(
        None, help="Scenario files or folders (default: the starter set)."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Use the real HCP account, writing nothing (reads are real)."
    ),
    verbose: bool = typer.Option(False, "--verbose", help="Show the agent's log lines."),
) -> None:
    """Play each scenario as a phone call; exit 1 if any fails."""
    configure_logging("INFO" if verbose else "ERROR")
    try:
        results = asyncio.run(_run(list(files or []), dry_run))
    except (ScenarioError, DryRunUnavailable) as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from None
    except StorageError as exc:
        typer.secho(f"error: {exc} (run `voice-agent db upgrade`?)", fg="red", err=True)
        raise typer.Exit(2) from None
    render(results, Console(width=120))
    if not all(r.ok for r in results):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `scenarios run` to `app`."""
    scenarios_app.command("run")(run_command)
    app.add_typer(scenarios_app, name="scenarios")
