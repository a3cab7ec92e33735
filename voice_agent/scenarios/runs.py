"""Scenario runs started from the dashboard: run in the background, progress in the store.

Each result is written to the store as it finishes, so the results page (on any worker)
shows them live by polling. One run at a time per server process.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from voice_agent.scenarios.model import Scenario
from voice_agent.scenarios.runner import ScenarioResult, run_all
from voice_agent.scenarios.setup import caller_factory
from voice_agent.scenarios.world import World
from voice_agent.settings import Settings
from voice_agent.storage.base import ScenarioRecords, ScenarioRun

log = logging.getLogger(__name__)


async def load_run(store: ScenarioRecords, run_id: str) -> dict[str, Any] | None:
    """A run's progress: status, mode, names, results so far."""
    if not run_id.isalnum():
        return None
    found = await store.get_scenario_run(run_id)
    return None if found is None else found.progress


async def _save(store: ScenarioRecords, progress: dict[str, Any]) -> None:
    started = datetime.fromisoformat(progress["started_at"])
    await store.put_scenario_run(ScenarioRun(progress["id"], progress, started))


@dataclass
class ScenarioRuns:
    """Starts runs as background tasks (one at a time) and keeps them until shutdown."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(
        self,
        store: ScenarioRecords,
        settings: Settings,
        scenarios: Sequence[Scenario],
        *,
        dry_run_key: str | None = None,
        hcp_transport: httpx.AsyncBaseTransport | None = None,
    ) -> str:
        """Record a new run and start it; returns its id."""
        run_id = uuid.uuid4().hex[:16]
        progress: dict[str, Any] = {
            "id": run_id,
            "status": "queued",
            "mode": "dry-run" if dry_run_key else "sandbox",
            "started_at": datetime.now(UTC).isoformat(),
            "names": [s.name for s in scenarios],
            "results": [],
        }
        await _save(store, progress)
        world = World(settings, dry_run_key=dry_run_key, hcp_transport=hcp_transport)
        task = asyncio.create_task(self._run(store, settings, world, list(scenarios), progress))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return run_id

    async def _run(
        self,
        store: ScenarioRecords,
        settings: Settings,
        world: World,
        scenarios: list[Scenario],
        progress: dict[str, Any],
    ) -> None:
        make_caller, llm = caller_factory(settings)

        async def record(result: ScenarioResult) -> None:
            progress["results"].append(result.as_dict())
            await _save(store, progress)

        try:
            async with self.lock:
                progress["status"] = "running"
                await _save(store, progress)
                async with world:
                    await run_all(scenarios, world, make_caller, on_result=record)
            progress["status"] = "finished"
        except Exception as exc:  # the page says so instead of spinning forever
            log.exception("scenario run %s failed", progress["id"])
            progress["status"] = "failed"
            progress["error"] = str(exc)[:300]
        finally:
            if llm is not None:
                await llm.close()
        progress["finished_at"] = datetime.now(UTC).isoformat()
        await _save(store, progress)

    async def aclose(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
