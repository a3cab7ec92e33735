"""Play scenarios as phone calls and grade them: `run_scenario`, `run_all`."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from hcp import HcpClient
from voice_agent.channels.twilio_sim import Reply, SimulatedCall
from voice_agent.channels.voice_followup import run_call_follow_ups
from voice_agent.scenarios.caller import Caller, ScriptedCaller, SimulatedCaller
from voice_agent.scenarios.checks import Evidence, check, job_ids
from voice_agent.scenarios.model import Scenario
from voice_agent.scenarios.world import LOCAL_TOKEN, PUBLIC_URL, Stage, World

log = logging.getLogger(__name__)

Status = Literal["pass", "fail", "xfail", "xpass", "error"]


@dataclass
class ScenarioResult:
    """How one scenario went: verdict, reasons, the transcript and timing."""

    name: str
    source: str
    status: Status
    reasons: list[str] = field(default_factory=list)
    transcript: list[tuple[str, str]] = field(default_factory=list)  # (caller|agent, text)
    seconds: float = 0.0
    outcome: str | None = None
    mode: str = "sandbox"

    @property
    def ok(self) -> bool:
        """Whether the run counts as green (a pass, or a known gap that still fails)."""
        return self.status in ("pass", "xfail")

    @property
    def turns(self) -> int:
        """Caller turns played."""
        return sum(1 for role, _ in self.transcript if role == "caller")

    @property
    def why(self) -> str:
        return "; ".join(self.reasons)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "status": self.status,
            "reasons": self.reasons,
            "transcript": [{"role": r, "text": t} for r, t in self.transcript],
            "seconds": round(self.seconds, 2),
            "turns": self.turns,
            "outcome": self.outcome,
            "mode": self.mode,
        }


async def caller_values(client: HcpClient, phone: str) -> dict[str, str]:
    """Placeholders from the caller's HCP record (empty for a new caller)."""
    try:
        matches = await client.customers.find_by_phone(phone)
    except Exception as exc:  # a lookup failure only leaves placeholders unfilled
        log.warning("scenario: caller lookup failed (%s)", type(exc).__name__)
        return {}
    if not matches:
        return {}
    customer = matches[0]
    values = {"first_name": customer.first_name or "", "last_name": customer.last_name or ""}
    values["name"] = f"{values['first_name']} {values['last_name']}".strip()
    if customer.addresses:
        address = customer.addresses[0]
        values["address"] = f"{address.street}, {address.city} {address.state} {address.zip}"
        values["street"] = address.street or ""
    return values


async def _job(client: HcpClient, job_id: str) -> dict[str, Any]:
    """The job as HCP has it, its job type named (a dry-run echo carries only the id)."""
    job = (await client.jobs.get(job_id)).model_dump()
    fields = job.get("job_fields") or {}
    type_id = fields.get("job_type_id") if isinstance(fields, dict) else None
    if type_id and not (fields.get("job_type") or {}).get("name"):
        types = {t.id: t.name for t in (await client.job_types.list()).items}
        fields["job_type"] = {"id": type_id, "name": types.get(type_id)}
    return job


def _said(reply: Reply) -> str:
    return " ".join(part for part in reply.said if part)


class _Call:
    """One scenario call in progress: plays lines, records the transcript."""

    def __init__(self, scenario: Scenario, stage: Stage, caller: Caller) -> None:
        self.scenario = scenario
        self.stage = stage
        self.caller = caller
        self.transcript: list[tuple[str, str]] = []
        self.transferred = False
        self.sim = SimulatedCall(
            stage.client,
            auth_token=LOCAL_TOKEN,
            public_base_url=PUBLIC_URL,
            caller=scenario.caller.phone,
            to=stage.settings.twilio_phone_number or "",
        )

    def heard(self, reply: Reply) -> str:
        if reply.status != 200:
            raise RuntimeError(f"the voice webhook answered HTTP {reply.status}")
        text = _said(reply)
        if text:
            self.transcript.append(("agent", text))
        return text

    async def play(self) -> None:
        reply = await self.sim.start()
        heard = self.heard(reply)
        for _ in range(self.scenario.max_turns):
            if reply.dial is not None:
                self.transferred = True
                status = "completed" if self.scenario.transfer_answered else "no-answer"
                self.transcript.append(("system", f"transfer to the office ({status})"))
                reply = await self.sim.dial_ended(status)
                heard = self.heard(reply)
                continue
            if reply.hung_up or self.sim.action is None:
                return
            line = await self.caller.next_line(heard)
            if line is None:
                self.transcript.append(
                    ("system", "the caller has nothing more to say and hangs up")
                )
                return
            self.transcript.append(("caller", line.shown))
            reply = await (self.sim.press(line.digits) if line.digits else self.sim.say(line.text))
            heard = self.heard(reply)
        self.transcript.append(("system", f"{self.scenario.max_turns} turns played; hanging up"))

    async def hang_up(self, seconds: float) -> None:
        exchange = await self.sim.hang_up(duration=max(1, int(seconds)))
        if exchange.status != 200:
            raise RuntimeError(f"the status callback answered HTTP {exchange.status}")
        if self.stage.app is not None:  # the follow-up the status callback queued
            await run_call_follow_ups(self.stage.app.state.runtime.voice)


async def _evidence(stage: Stage, call: _Call) -> Evidence:
    store = stage.store
    conversation = await store.find_conversation("voice", call.sim.call_sid)
    writes = await store.list_hcp_writes(conversation.id) if conversation else []
    jobs: list[dict[str, Any]] = []
    client = stage.services.hcp
    for job_id in job_ids(writes):
        jobs.append(await _job(client, job_id))
    return Evidence(
        conversation=conversation,
        writes=writes,
        outbox=await store.list_outbox(),
        heard=" ".join(text for role, text in call.transcript if role == "agent"),
        transferred=call.transferred,
        jobs=jobs,
        now=datetime.now(UTC),
        zone=stage.settings.zone,
        can_transfer=bool(stage.settings.on_call_number or stage.settings.office_number),
    )


CallerFactory = Callable[[Scenario, dict[str, str]], Caller]


def scripted(scenario: Scenario, values: dict[str, str]) -> Caller:
    """The default caller: the scenario's rules and fixed lines."""
    return ScriptedCaller(scenario, values)


def llm_callers(client: Any, model: str) -> CallerFactory:
    """Callers played by an LLM for scenarios with `simulated:`; scripted ones otherwise."""

    def make(scenario: Scenario, values: dict[str, str]) -> Caller:
        if scenario.simulated is None:
            return ScriptedCaller(scenario, values)
        return SimulatedCaller(scenario, client, model, values)

    return make


def _verdict(scenario: Scenario, problems: list[str]) -> tuple[Status, list[str]]:
    if scenario.expected_failure:
        if problems:
            return "xfail", [f"expected to fail: {scenario.expected_failure}", *problems]
        return "xpass", [f"passed, but marked expected to fail: {scenario.expected_failure}"]
    return ("fail", problems) if problems else ("pass", [])


async def run_scenario(
    scenario: Scenario, world: World, make_caller: CallerFactory = scripted
) -> ScenarioResult:
    """Play `scenario` as one phone call on a fresh stage and grade it."""
    started = time.perf_counter()
    result = ScenarioResult(scenario.name, scenario.source, "error", mode=world.mode)
    try:
        async with world.stage() as stage:
            values = await caller_values(stage.services.hcp, scenario.caller.phone)
            call = _Call(scenario, stage, make_caller(scenario, values))
            result.transcript = call.transcript
            await call.play()
            await call.hang_up(time.perf_counter() - started)
            evidence = await _evidence(stage, call)
        result.outcome = evidence.outcome
        result.status, result.reasons = _verdict(scenario, check(scenario.expect, evidence))
    except Exception as exc:  # a broken run is reported, never mistaken for a pass
        log.exception("scenario %r could not run", scenario.name)
        result.status, result.reasons = "error", [f"could not run: {exc}"]
    result.seconds = time.perf_counter() - started
    return result


async def run_all(
    scenarios: Sequence[Scenario],
    world: World,
    make_caller: CallerFactory = scripted,
    on_result: Callable[[ScenarioResult], Awaitable[None]] | None = None,
) -> list[ScenarioResult]:
    """Run scenarios one after another (each on its own fresh stage)."""
    results: list[ScenarioResult] = []
    for scenario in scenarios:
        result = await run_scenario(scenario, world, make_caller)
        results.append(result)
        if on_result is not None:
            await on_result(result)
    return results
