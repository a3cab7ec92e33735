"""One table per record kind that lived in `settings` under a key prefix; rows are moved.

Upgrade creates the tables and moves every prefixed settings row into them (then deletes it
from `settings`, which keeps only the office's saved settings; a row whose value cannot be
read stays there, logged, rather than be lost); downgrade moves them back into `settings`
in the format the old code wrote, then drops the tables.

    optout:<number>             -> sms_opt_outs
    sms-thread:<number>         -> sms_threads
    web.users                   -> dashboard_users (one row per user)
    web.install_secret          -> install_secrets ("session")
    hcp-own-write:<id>          -> hcp_own_writes
    job-texted-schedule:<id>    -> texted_schedules
    digest-done:<kind>:<date>   -> digest_marks
    scenarios:owner             -> owner_scenarios (one row per slug)
    scenario-run:<id>           -> scenario_runs
    scenarios:last-run          -> (the newest scenario run; written back on downgrade)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from alembic import op

from voice_agent.storage.tables import UtcDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger(__name__)
Row = dict[str, Any]
TIME = UtcDateTime()

settings = sa.table(
    "settings",
    sa.column("key", sa.String),
    sa.column("value", sa.JSON),
    sa.column("updated_at", TIME),
)


def _time(value: Any, default: datetime | None = None) -> datetime | None:
    """An ISO timestamp as written by the old code (naive = UTC); `default` if not one."""
    if not isinstance(value, str):
        return default
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return default
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _dict(value: Any) -> Row:
    return dict(value) if isinstance(value, dict) else {}


# -- one Move per record kind: its table, and how a settings row maps to rows and back ----


class Move(NamedTuple):
    """Rows of `table` made from the settings keys `match` names (a prefix if it ends in ":").

    `rows` raises ValueError for a value it cannot read; that settings row stays where it is.
    """

    table: sa.TableClause
    match: str
    rows: Callable[[str, Any, datetime], Iterator[Row]]
    back: Callable[[list[Row]], Iterator[tuple[str, Any]]]

    def matches(self, key: str) -> bool:
        return key.startswith(self.match) if self.match.endswith(":") else key == self.match


def _opt_out_rows(key: str, value: Any, at: datetime) -> Iterator[Row]:
    record = _dict(value)
    yield {
        "number": key.removeprefix("optout:"),
        "opted_out": bool(record.get("opted_out")),
        "source": str(record.get("source") or ""),
        "at": _time(record.get("at"), at),
    }


def _opt_out_back(rows: list[Row]) -> Iterator[tuple[str, Any]]:
    for r in rows:
        value = {"opted_out": r["opted_out"], "source": r["source"], "at": _iso(r["at"])}
        yield "optout:" + r["number"], value


THREAD_TIMES = ("last_at", "last_inbound_at", "texted_at", "context_at")


def _thread_rows(key: str, value: Any, at: datetime) -> Iterator[Row]:
    record = _dict(value)
    row: Row = {name: _time(record.get(name)) for name in THREAD_TIMES}
    conversation = record.get("conversation_id")
    row.update(
        number=key.removeprefix("sms-thread:"),
        conversation_id=str(conversation) if conversation else None,
        context=_dict(record.get("context")),
    )
    yield row


def _thread_back(rows: list[Row]) -> Iterator[tuple[str, Any]]:
    for r in rows:
        value: Row = {name: _iso(r[name]) for name in THREAD_TIMES}
        value.update(conversation_id=r["conversation_id"], context=r["context"] or {})
        yield "sms-thread:" + r["number"], value


def _user_rows(key: str, value: Any, at: datetime) -> Iterator[Row]:
    for name, record in _dict(value).items():
        record = _dict(record)
        yield {
            "name": name,
            "salt": str(record.get("salt", "")),
            "hash": str(record.get("hash", "")),
        }


def _user_back(rows: list[Row]) -> Iterator[tuple[str, Any]]:
    if rows:
        yield "web.users", {r["name"]: {"salt": r["salt"], "hash": r["hash"]} for r in rows}


def _secret_rows(key: str, value: Any, at: datetime) -> Iterator[Row]:
    if not isinstance(value, str) or not value:
        raise ValueError("no install secret (the next start makes a new one)")
    yield {"name": "session", "value": value}


def _secret_back(rows: list[Row]) -> Iterator[tuple[str, Any]]:
    for r in rows:
        if r["name"] == "session":
            yield "web.install_secret", r["value"]


def _time_rows(prefix: str, id_name: str, time_name: str) -> Callable[..., Iterator[Row]]:
    def rows(key: str, value: Any, at: datetime) -> Iterator[Row]:
        when = _time(value)
        if when is None:
            raise ValueError("not a timestamp")
        yield {id_name: key.removeprefix(prefix), time_name: when}

    return rows


def _time_back(prefix: str, id_name: str, time_name: str) -> Callable[..., Iterator[Any]]:
    def back(rows: list[Row]) -> Iterator[tuple[str, Any]]:
        for r in rows:
            yield prefix + r[id_name], _iso(r[time_name])

    return back


def _digest_rows(key: str, value: Any, at: datetime) -> Iterator[Row]:
    _, kind, start = key.split(":", 2)
    record = _dict(value)
    skipped = record.get("skipped")
    yield {
        "kind": kind,
        "period_start": date.fromisoformat(start),
        "at": _time(record.get("at"), at),
        "queued": [str(q) for q in record.get("queued") or []],
        "skipped": None if skipped is None else str(skipped),
    }


def _digest_back(rows: list[Row]) -> Iterator[tuple[str, Any]]:
    for r in rows:
        key = f"digest-done:{r['kind']}:{r['period_start'].isoformat()}"
        yield key, {"at": _iso(r["at"]), "queued": list(r["queued"]), "skipped": r["skipped"]}


def _scenario_rows(key: str, value: Any, at: datetime) -> Iterator[Row]:
    for slug, text in _dict(value).items():
        yield {"slug": str(slug), "text": str(text)}


def _scenario_back(rows: list[Row]) -> Iterator[tuple[str, Any]]:
    if rows:
        yield "scenarios:owner", {r["slug"]: r["text"] for r in rows}


def _run_rows(key: str, value: Any, at: datetime) -> Iterator[Row]:
    progress = _dict(value)
    started = _time(progress.get("started_at"), at)
    yield {"id": key.removeprefix("scenario-run:"), "progress": progress, "started_at": started}


def _run_back(rows: list[Row]) -> Iterator[tuple[str, Any]]:
    for r in rows:
        yield "scenario-run:" + r["id"], r["progress"]
    if rows:
        newest = max(rows, key=lambda r: (r["started_at"], r["id"]))
        yield "scenarios:last-run", newest["id"]


def _table(name: str, *columns: tuple[str, Any]) -> sa.TableClause:
    return sa.table(name, *(sa.column(n, t) for n, t in columns))


OPT_OUTS = _table(
    "sms_opt_outs",
    ("number", sa.String),
    ("opted_out", sa.Boolean),
    ("source", sa.Text),
    ("at", TIME),
)
THREADS = _table(
    "sms_threads",
    ("number", sa.String),
    ("conversation_id", sa.String),
    *((name, TIME) for name in THREAD_TIMES),
    ("context", sa.JSON),
)
USERS = _table("dashboard_users", ("name", sa.String), ("salt", sa.Text), ("hash", sa.Text))
SECRETS = _table("install_secrets", ("name", sa.String), ("value", sa.Text))
OWN_WRITES = _table("hcp_own_writes", ("resource_id", sa.String), ("at", TIME))
TEXTED = _table("texted_schedules", ("job_id", sa.String), ("start", TIME))
DIGESTS = _table(
    "digest_marks",
    ("kind", sa.String),
    ("period_start", sa.Date),
    ("at", TIME),
    ("queued", sa.JSON),
    ("skipped", sa.Text),
)
SCENARIOS = _table("owner_scenarios", ("slug", sa.String), ("text", sa.Text))
RUNS = _table("scenario_runs", ("id", sa.String), ("progress", sa.JSON), ("started_at", TIME))

MOVES = (
    Move(OPT_OUTS, "optout:", _opt_out_rows, _opt_out_back),
    Move(THREADS, "sms-thread:", _thread_rows, _thread_back),
    Move(USERS, "web.users", _user_rows, _user_back),
    Move(SECRETS, "web.install_secret", _secret_rows, _secret_back),
    Move(
        OWN_WRITES,
        "hcp-own-write:",
        _time_rows("hcp-own-write:", "resource_id", "at"),
        _time_back("hcp-own-write:", "resource_id", "at"),
    ),
    Move(
        TEXTED,
        "job-texted-schedule:",
        _time_rows("job-texted-schedule:", "job_id", "start"),
        _time_back("job-texted-schedule:", "job_id", "start"),
    ),
    Move(DIGESTS, "digest-done:", _digest_rows, _digest_back),
    Move(SCENARIOS, "scenarios:owner", _scenario_rows, _scenario_back),
    Move(RUNS, "scenario-run:", _run_rows, _run_back),
)
DERIVED = frozenset({"scenarios:last-run"})  # the newest scenario run (see `_run_back`)


def _create_tables() -> None:
    def time(name: str, nullable: bool = False) -> sa.Column[Any]:
        return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)

    def pk(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
        return sa.PrimaryKeyConstraint(*columns, name=op.f(f"pk_{table}"))

    op.create_table(
        "sms_opt_outs",
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        time("at"),
        pk("sms_opt_outs", "number"),
    )
    op.create_table(
        "sms_threads",
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=True),
        time("last_at", True),
        time("last_inbound_at", True),
        time("texted_at", True),
        sa.Column("context", sa.JSON(), nullable=False),
        time("context_at", True),
        pk("sms_threads", "number"),
    )
    op.create_table(
        "dashboard_users",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("salt", sa.Text(), nullable=False),
        sa.Column("hash", sa.Text(), nullable=False),
        pk("dashboard_users", "name"),
    )
    op.create_table(
        "install_secrets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        pk("install_secrets", "name"),
    )
    op.create_table(
        "hcp_own_writes",
        sa.Column("resource_id", sa.String(length=128), nullable=False),
        time("at"),
        pk("hcp_own_writes", "resource_id"),
    )
    op.create_table(
        "texted_schedules",
        sa.Column("job_id", sa.String(length=128), nullable=False),
        time("start"),
        pk("texted_schedules", "job_id"),
    )
    op.create_table(
        "digest_marks",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        time("at"),
        sa.Column("queued", sa.JSON(), nullable=False),
        sa.Column("skipped", sa.Text(), nullable=True),
        pk("digest_marks", "kind", "period_start"),
    )
    op.create_table(
        "owner_scenarios",
        sa.Column("slug", sa.String(length=128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        pk("owner_scenarios", "slug"),
    )
    op.create_table(
        "scenario_runs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("progress", sa.JSON(), nullable=False),
        time("started_at"),
        pk("scenario_runs", "id"),
    )
    op.create_index(op.f("ix_scenario_runs_started_at"), "scenario_runs", ["started_at"])


TABLES = (
    "sms_opt_outs",
    "sms_threads",
    "dashboard_users",
    "install_secrets",
    "hcp_own_writes",
    "texted_schedules",
    "digest_marks",
    "owner_scenarios",
    "scenario_runs",
)


def _delete_settings(conn: sa.Connection, keys: list[str]) -> None:
    for start in range(0, len(keys), 500):  # SQLite caps the parameters per statement
        conn.execute(settings.delete().where(settings.c.key.in_(keys[start : start + 500])))


def upgrade() -> None:
    _create_tables()
    conn = op.get_bind()
    moved: list[str] = []
    batches: dict[str, tuple[sa.TableClause, list[Row]]] = {}
    for key, value, at in conn.execute(
        sa.select(settings.c.key, settings.c.value, settings.c.updated_at)
    ):
        move = next((m for m in MOVES if m.matches(key)), None)
        if move is None and key not in DERIVED:
            continue  # a real setting: it stays
        try:
            rows = [] if move is None else list(move.rows(key, value, at))
        except ValueError as exc:
            log.warning("settings row %r left in place: %s", key, exc)
            continue
        if move is not None:
            batches.setdefault(move.table.name, (move.table, []))[1].extend(rows)
        moved.append(key)
    for table, rows in batches.values():
        if rows:
            conn.execute(table.insert(), rows)
    _delete_settings(conn, moved)


def downgrade() -> None:
    conn = op.get_bind()
    now = datetime.now(UTC)
    back: list[Row] = []
    for move in MOVES:
        rows = [dict(r._mapping) for r in conn.execute(sa.select(move.table))]
        back.extend({"key": k, "value": v, "updated_at": now} for k, v in move.back(rows))
    _delete_settings(conn, [r["key"] for r in back])  # none, unless written since
    if back:
        conn.execute(settings.insert(), back)
    op.drop_index(op.f("ix_scenario_runs_started_at"), table_name="scenario_runs")
    for name in reversed(TABLES):
        op.drop_table(name)
