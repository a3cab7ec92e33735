"""Dashboard users, install secrets and scenario records on SQL."""

from __future__ import annotations

from sqlalchemy import delete, select

from voice_agent.storage.base import DashboardUser, ScenarioRun
from voice_agent.storage.sql.core import (
    SqlCore,
    dashboard_users,
    install_secrets,
    owner_scenarios,
    scenario_runs,
)


class SqlDashboardUsers(SqlCore):
    """The `DashboardUsers` aggregate."""

    async def list_users(self) -> list[DashboardUser]:
        query = select(dashboard_users).order_by(dashboard_users.c.name)
        async with self._tx(read_only=True) as conn:
            rows = (await conn.execute(query)).all()
        return [DashboardUser(**r._asdict()) for r in rows]

    async def put_user(self, user: DashboardUser) -> None:
        stmt = self._upsert(dashboard_users, dict(user.__dict__), ["name"])
        await self._write(lambda conn: conn.execute(stmt))

    async def delete_user(self, name: str) -> bool:
        table = dashboard_users
        stmt = delete(table).where(table.c.name == name).returning(table.c.name)
        return await self._write(lambda conn: conn.execute(stmt).first() is not None)


class SqlInstallSecrets(SqlCore):
    """The `InstallSecrets` aggregate."""

    async def install_secret(self, name: str, new_value: str) -> str:
        row, _ = await self._insert_or_get(
            install_secrets, {"name": name, "value": new_value}, ["name"]
        )
        return str(row["value"])


class SqlScenarioRecords(SqlCore):
    """The `ScenarioRecords` aggregate."""

    async def owner_scenario_texts(self) -> dict[str, str]:
        query = select(owner_scenarios).order_by(owner_scenarios.c.slug)
        async with self._tx(read_only=True) as conn:
            rows = (await conn.execute(query)).all()
        return {r.slug: r.text for r in rows}

    async def put_owner_scenario(self, slug: str, text: str) -> None:
        stmt = self._upsert(owner_scenarios, {"slug": slug, "text": text}, ["slug"])
        await self._write(lambda conn: conn.execute(stmt))

    async def delete_owner_scenario(self, slug: str) -> bool:
        table = owner_scenarios
        stmt = delete(table).where(table.c.slug == slug).returning(table.c.slug)
        return await self._write(lambda conn: conn.execute(stmt).first() is not None)

    async def put_scenario_run(self, run: ScenarioRun) -> None:
        stmt = self._upsert(scenario_runs, dict(run.__dict__), ["id"], only=["progress"])
        await self._write(lambda conn: conn.execute(stmt))

    async def get_scenario_run(self, run_id: str) -> ScenarioRun | None:
        query = select(scenario_runs).where(scenario_runs.c.id == run_id)
        async with self._tx(read_only=True) as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else ScenarioRun(**row._asdict())

    async def last_scenario_run(self) -> str | None:
        c = scenario_runs.c
        query = select(c.id).order_by(c.started_at.desc(), c.id.desc()).limit(1)
        async with self._tx(read_only=True) as conn:
            return (await conn.execute(query)).scalar_one_or_none()
