"""What must be true after a scenario call, checked against the store and HCP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from voice_agent.channels.voice_summary import created_jobs
from voice_agent.scenarios.model import Expect, Job
from voice_agent.storage.base import Conversation, HcpWrite, OutboxItem


@dataclass(frozen=True)
class Evidence:
    """Everything the checks look at, gathered once after the call."""

    conversation: Conversation | None
    writes: list[HcpWrite]
    outbox: list[OutboxItem]
    heard: str  # everything the agent said, joined
    transferred: bool
    jobs: list[dict[str, Any]]  # the jobs this call created, as HCP returns them
    now: datetime
    zone: ZoneInfo
    can_transfer: bool = True  # an on-call or office number is configured

    @property
    def outcome(self) -> str | None:
        return self.conversation.outcome if self.conversation else None

    @property
    def message_left(self) -> bool:
        cid = self.conversation.id if self.conversation else None
        return any(
            item.kind == "notify_office" and item.payload.get("conversation_id") == cid
            for item in self.outbox
        )


def job_ids(writes: list[HcpWrite]) -> list[str]:
    """Ids of the jobs the conversation created."""
    return [job_id for job_id, _ in created_jobs(writes)]


def _job_type(job: dict[str, Any]) -> str:
    fields = job.get("job_fields") or {}
    kind = (fields.get("job_type") or {}).get("name") if isinstance(fields, dict) else None
    return " ".join(str(part) for part in (kind, job.get("description")) if part)


def _start(job: dict[str, Any]) -> datetime | None:
    schedule = job.get("schedule") or {}
    value = schedule.get("scheduled_start") if isinstance(schedule, dict) else None
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return None


def _check_job(want: Job, jobs: list[dict[str, Any]], evidence: Evidence) -> list[str]:
    if not jobs:
        return ["expected a job, none was booked"]
    problems: list[str] = []
    job = jobs[-1]
    if want.type and want.type.lower() not in _job_type(job).lower():
        problems.append(f"job type is {_job_type(job) or 'unknown'!r}, expected {want.type!r}")
    start = _start(job)
    if (want.within_days is not None or want.starts_between) and start is None:
        return [*problems, "the job has no scheduled time"]
    if start is not None and want.within_days is not None:
        latest = evidence.now + timedelta(days=want.within_days)
        if not evidence.now - timedelta(hours=1) <= start <= latest:
            problems.append(
                f"job starts {start.astimezone(evidence.zone):%a %b %d %H:%M}, "
                f"expected within {want.within_days} days"
            )
    if start is not None and want.starts_between:
        low, high = want.starts_between.split("-")
        local = start.astimezone(evidence.zone).strftime("%H:%M")
        if not low <= local <= high:
            problems.append(f"job starts at {local}, expected between {low} and {high}")
    return problems


def check(expect: Expect, evidence: Evidence) -> list[str]:
    """The reasons the scenario failed (empty when every expectation holds)."""
    problems: list[str] = []
    if evidence.conversation is None:
        return ["no conversation was recorded"]
    if expect.outcome and evidence.outcome != expect.outcome:
        problems.append(f"outcome was {evidence.outcome or 'none'}, expected {expect.outcome}")
    if expect.job is not None:
        problems.extend(_check_job(expect.job, evidence.jobs, evidence))
    if expect.no_job and evidence.jobs:
        problems.append(f"expected no job, {len(evidence.jobs)} booked")
    if expect.message is not None and evidence.message_left != expect.message:
        problems.append(
            "expected a message for the office, none was left"
            if expect.message
            else "a message for the office was left, expected none"
        )
    if expect.transfer is not None and evidence.transferred != expect.transfer:
        if not expect.transfer:
            problems.append("the agent transferred the call, expected no transfer")
        elif evidence.can_transfer:
            problems.append("expected a transfer, the agent did not transfer")
        else:
            problems.append(
                "expected a transfer, but no ON_CALL_NUMBER or OFFICE_NUMBER is set"
                " (Setup page), so the agent could not transfer"
            )
    heard = evidence.heard.lower()
    for words in expect.heard:
        if words.lower() not in heard:
            problems.append(f"never heard {words!r}")
    for words in expect.never_heard:
        if words.lower() in heard:
            problems.append(f"heard {words!r}")
    return problems
