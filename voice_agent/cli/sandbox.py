"""`voice-agent sandbox`: run, seed and poke the embedded HCP sandbox."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx
import typer
import uvicorn

from hcp.sandbox import DEFAULT_API_KEY, SandboxState, create_sandbox_app, seed_demo_company
from hcp.sandbox.testing import sandbox_client

DEFAULT_DB = Path("data") / "hcp-sandbox.db"
DEFAULT_PORT = 8100

sandbox_app = typer.Typer(
    help="The embedded Housecall Pro sandbox (HCP's API on local data, no account needed).",
)

_DB = typer.Option(DEFAULT_DB, "--db", help="SQLite file holding the sandbox's data.")
# `voice-agent sandbox` and `voice-agent sandbox serve` take the same options.
_HOST = typer.Option("127.0.0.1", help="Interface to listen on.")
_PORT = typer.Option(DEFAULT_PORT, help="Port to listen on.")
_API_KEY = typer.Option(DEFAULT_API_KEY, help="Key clients must send (Token <key>).")
_EMPTY = typer.Option(False, "--empty", help="Start without the demo company.")
_WEBHOOK_URL = typer.Option(None, help="POST HCP-shaped webhooks here.")
_WEBHOOK_SECRET = typer.Option(
    None, envvar="HCP_WEBHOOK_SECRET", help="Signing secret for Api-Signature."
)
_STRICT_KEY = typer.Option(
    False,
    "--strict-key",
    help="Refuse (401) the operations HCP's spec lists for application keys/OAuth only "
    "(PUT/DELETE /jobs/{id}/schedule, dispatch, GET /estimates/{id}, services, zones...).",
)


def register(app: typer.Typer) -> None:
    """Add the `sandbox` command group to `app`."""
    app.add_typer(sandbox_app, name="sandbox")


def open_state(db: Path, *, empty: bool) -> SandboxState:
    """Open the sandbox DB, seeding the demo company into a new one unless `empty`."""
    state = SandboxState.open(db)
    if state.is_empty and not empty:
        seed_demo_company(state)
    return state


def serve_sandbox(
    *,
    host: str,
    port: int,
    api_key: str,
    empty: bool,
    db: Path,
    webhook_url: str | None,
    webhook_secret: str | None,
    strict_key: bool = False,
) -> None:
    """Serve the sandbox with uvicorn until interrupted."""
    state = open_state(db, empty=empty)
    app = create_sandbox_app(
        state=state,
        api_key=api_key,
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        strict_key=strict_key,
    )
    url = f"http://{host}:{port}"
    typer.echo(f"HCP sandbox on {url} - use HCP_BASE_URL={url} HCP_API_KEY={api_key}")
    typer.echo(f"data: {db}" + (" (empty)" if empty else ""))
    if strict_key:
        typer.echo("strict key: application-key-only operations answer 401")
    uvicorn.run(app, host=host, port=port, log_config=None)


SERVE_OPTIONS: tuple[str, ...] = ("host", "port", "api_key", "empty", "db", "webhook_url")
SERVE_OPTIONS += ("webhook_secret", "strict_key")


def _given(ctx: typer.Context, name: str, *, env_counts: bool = True) -> bool:
    """True when option `name` was given (on the command line, or in the environment)."""
    source = ctx.get_parameter_source(name)
    skipped = {"DEFAULT", "DEFAULT_MAP"} | (set() if env_counts else {"ENVIRONMENT"})
    return source is not None and source.name not in skipped


def _merged_options(ctx: typer.Context) -> dict[str, Any]:
    """`serve`'s options, each taken from `sandbox ... serve` itself when given there, else
    from `sandbox ...` before it (so `sandbox --port N serve` and `sandbox serve --port N`
    both work)."""
    parent = ctx.parent.params if ctx.parent is not None else {}
    merged = {}
    for name in SERVE_OPTIONS:
        given_here = _given(ctx, name)
        merged[name] = ctx.params[name] if given_here or name not in parent else parent[name]
    return merged


@sandbox_app.callback(invoke_without_command=True)
def sandbox_main(
    ctx: typer.Context,
    host: str = _HOST,
    port: int = _PORT,
    api_key: str = _API_KEY,
    empty: bool = _EMPTY,
    db: Path = _DB,
    webhook_url: str | None = _WEBHOOK_URL,
    webhook_secret: str | None = _WEBHOOK_SECRET,
    strict_key: bool = _STRICT_KEY,
) -> None:
    """Serve the sandbox when no subcommand is given (`voice-agent sandbox --port N`); the
    same options may also come before `serve`."""
    if ctx.invoked_subcommand is None:
        serve_sandbox(
            host=host,
            port=port,
            api_key=api_key,
            empty=empty,
            db=db,
            webhook_url=webhook_url,
            webhook_secret=webhook_secret,
            strict_key=strict_key,
        )
    elif ctx.invoked_subcommand != "serve":
        given = [name for name in SERVE_OPTIONS if _given(ctx, name, env_counts=False)]
        if given:
            flags = ", ".join("--" + name.replace("_", "-") for name in given)
            raise typer.BadParameter(
                f"{flags} before `{ctx.invoked_subcommand}` would be ignored; "
                f"put options after it: `voice-agent sandbox {ctx.invoked_subcommand} ...`"
            )


@sandbox_app.command()
def serve(
    ctx: typer.Context,
    host: str = _HOST,
    port: int = _PORT,
    api_key: str = _API_KEY,
    empty: bool = _EMPTY,
    db: Path = _DB,
    webhook_url: str | None = _WEBHOOK_URL,
    webhook_secret: str | None = _WEBHOOK_SECRET,
    strict_key: bool = _STRICT_KEY,
) -> None:
    """Serve the sandbox over HTTP (options may also come before `serve`)."""
    serve_sandbox(**_merged_options(ctx))


@sandbox_app.command()
def seed(
    db: Path = _DB,
    force: bool = typer.Option(False, "--force", help="Replace existing sandbox data."),
) -> None:
    """Create the demo company (customers, jobs, invoices, estimates) in the sandbox DB."""
    if db.exists() and not force and not SandboxState.open(db).is_empty:
        typer.secho(f"{db} already has data; use --force to replace it", fg="red", err=True)
        raise typer.Exit(1)
    if db.exists():
        db.unlink()
    state = SandboxState.open(db)
    seed_demo_company(state)
    counts = ", ".join(
        f"{len(state.all(name))} {name}"
        for name in ("customers", "employees", "jobs", "invoices", "estimates")
    )
    state.close()
    typer.echo(f"seeded {db}: {counts}")


ADDRESS_RE = re.compile(
    r"^\s*(?P<street>[^,]+),\s*(?P<city>[^,]+),\s*(?P<state>[A-Za-z]{2})\s+"
    r"(?P<zip>\d{5})\s*$"
)


def parse_address(text: str) -> dict[str, str]:
    """Split "77 Birch Dr, Springfield, IL 62701" into HCP address fields."""
    match = ADDRESS_RE.match(text)
    if match is None:
        raise typer.BadParameter('expected "street, city, ST 12345"', param_hint="--address")
    return {k: v.strip() for k, v in match.groupdict().items()} | {"country": "US"}


async def _post_booking(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/sandbox/online_booking", json=body)
    if response.status_code != 201:
        raise typer.BadParameter(f"sandbox refused the booking: {response.text}")
    result: dict[str, Any] = response.json()["job"]
    return result


@sandbox_app.command("book-online")
def book_online(
    name: str = typer.Option(..., help="Customer's full name."),
    phone: str = typer.Option(..., help="Customer's phone (10 digits)."),
    address: str = typer.Option(..., help='"street, city, ST 12345"'),
    email: str | None = typer.Option(None, help="Customer's email."),
    price_form_id: str | None = typer.Option(None, help="Price-book service (pbpf_...)."),
    start_time: str | None = typer.Option(None, help="UTC start; default: first open window."),
    notes: str | None = typer.Option(None, help="What the customer wrote."),
    url: str | None = typer.Option(None, help="A running sandbox; default: edit --db directly."),
    api_key: str = typer.Option(DEFAULT_API_KEY, help="The running sandbox's key."),
    db: Path = _DB,
) -> None:
    """Simulate a customer booking on the company's website (job with the online-booking
    lead source)."""
    body = {
        "name": name,
        "phone": phone,
        "email": email,
        "address": parse_address(address),
        "price_form_id": price_form_id,
        "start_time": start_time,
        "notes": notes,
    }
    body = {k: v for k, v in body.items() if v is not None}

    async def run() -> dict[str, Any]:
        if url:
            headers = {"Authorization": f"Token {api_key}"}
            async with httpx.AsyncClient(base_url=url, headers=headers) as client:
                return await _post_booking(client, body)
        state = open_state(db, empty=False)
        try:
            async with sandbox_client(create_sandbox_app(state=state)) as client:
                return await _post_booking(client, body)
        finally:
            state.close()

    job = asyncio.run(run())
    start = job.get("schedule", {}).get("scheduled_start")
    typer.echo(f"booked job {job['id']} (#{job['invoice_number']}) at {start}")
