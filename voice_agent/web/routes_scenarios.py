"""The Scenarios page: run the set, watch results arrive, read each run's transcript.

`/scenarios` lists the starter set and the owner's scenarios; `POST /scenarios/run` starts
a run (against the sandbox, or in dry-run against the real HCP account when one is
configured: reads are real, nothing is written) and opens its results page, which polls
`/api/scenarios/runs/{id}`. `/scenarios/new?from=<conversation>` turns a real
conversation into a scenario ("make this a test").
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, HTTPException, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from voice_agent.deps import RuntimeDep, SettingsDep, StoreDep
from voice_agent.overrides import effective_settings
from voice_agent.scenarios.library import all_scenarios, from_conversation, save_scenario
from voice_agent.scenarios.model import ScenarioError
from voice_agent.scenarios.runs import ScenarioRuns, load_run
from voice_agent.storage.base import Store
from voice_agent.vault import configured_key
from voice_agent.web.guard import DashboardDep, DashboardState, page
from voice_agent.web.routes_auth import guarded

EXAMPLE = """name: Caller outside the area is not booked
caller:
  phone: "+12125550144"
say:
  - my water heater is leaking
  - Sam Rivera
  - 400 Lake Shore Drive, Chicago, IL 60611
  - no thanks
expect:
  outcome: out_of_area
  no_job: true
"""


def scenario_runs(state: DashboardState) -> ScenarioRuns:
    """The app's run starter (built once; its tasks are cancelled with the dashboard)."""
    if state.scenario_runs is None:
        state.scenario_runs = ScenarioRuns()
        state.closers.append(state.scenario_runs.aclose)
    return state.scenario_runs


@guarded.get("/scenarios")
async def scenarios_page(request: Request, runtime: RuntimeDep) -> Response:
    """The scenario set and the last run."""
    store = runtime.store
    scenarios = await all_scenarios(store)
    last = await store.last_scenario_run()
    return page(
        request,
        "scenarios.html",
        {
            "scenarios": scenarios,
            "last_run": str(last) if last else None,
            "dry_run": not runtime.services.uses_sandbox,
        },
    )


@guarded.post("/scenarios/run")
async def run_scenarios(
    runtime: RuntimeDep, settings: SettingsDep, state: DashboardDep
) -> Response:
    """Start a run of the whole set and open its results page."""
    store = runtime.store
    effective = await effective_settings(settings, store)
    key: str | None = None
    if not runtime.services.uses_sandbox:  # the real account: dry-run, nothing written
        key, _ = await configured_key(store, effective)
    run_id = await scenario_runs(state).start(
        store,
        effective,
        await all_scenarios(store),
        dry_run_key=key,
        hcp_transport=runtime.hcp_transport,
    )
    return RedirectResponse(f"/scenarios/runs/{run_id}", status_code=303)


async def _run(store: Store, run_id: str) -> dict[str, Any]:
    run = await load_run(store, run_id)
    if run is None:
        raise HTTPException(status_code=404, detail="no such run")
    return run


@guarded.get("/scenarios/runs/{run_id}")
async def run_page(request: Request, store: StoreDep, run_id: str) -> Response:
    """A run's results; the page polls the JSON below until the run is over."""
    return page(request, "scenario_run.html", {"run": await _run(store, run_id)})


@guarded.get("/api/scenarios/runs/{run_id}")
async def run_progress(request: Request, store: StoreDep, run_id: str) -> Response:
    """A run's progress as JSON (status, results so far)."""
    run = await _run(store, run_id)
    results = [{k: v for k, v in r.items() if k != "transcript"} for r in run["results"]]
    return JSONResponse({**run, "results": results})


@guarded.get("/scenarios/runs/{run_id}/{index}")
async def run_transcript(request: Request, store: StoreDep, run_id: str, index: int) -> Response:
    """One scenario's call, transcript first, like a real call's page."""
    run = await _run(store, run_id)
    if not 0 <= index < len(run["results"]):
        raise HTTPException(status_code=404, detail="no such result")
    return page(request, "scenario_transcript.html", {"run": run, "result": run["results"][index]})


@guarded.get("/scenarios/new")
async def new_scenario(request: Request, store: StoreDep) -> Response:
    """The scenario editor; `?from=<conversation id>` starts from a real conversation."""
    source = request.query_params.get("from", "")
    text = EXAMPLE
    if source:
        made = await from_conversation(store, source)
        if made is None:
            raise HTTPException(status_code=404, detail="no such conversation")
        text = made
    return page(request, "scenario_new.html", {"text": text, "error": None, "source": source})


@guarded.post("/scenarios/new")
async def create_scenario(
    request: Request, store: StoreDep, text: Annotated[str, Form(max_length=20_000)]
) -> Response:
    """Save the scenario, or show the editor again with what is wrong."""
    try:
        await save_scenario(store, text)
    except ScenarioError as exc:
        context = {"text": text, "error": str(exc), "source": ""}
        return page(request, "scenario_new.html", context, status_code=422)
    return RedirectResponse("/scenarios?saved=1", status_code=303)
