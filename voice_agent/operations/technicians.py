"""Who can take a visit: technicians bookable online with nothing scheduled in the window.

HCP computes booking windows from each employee's open time, so a job without an assigned
technician frees nothing and the same window would be offered (and booked) again. Every
booking therefore names a technician, chosen from one `GET /jobs` over the window (jobs of
any technician, and unassigned ones, which each use up one free technician) plus the cached
employee list.
"""

from __future__ import annotations

from datetime import datetime

from hcp import HcpClient
from hcp.models.jobs import Job
from hcp.models.reference import Employee
from voice_agent.operations.cache import ReferenceCache
from voice_agent.operations.context import Operations

EMPLOYEES_KEY = "employees"
_CANCELED = ("canceled", "user canceled", "pro canceled")
MAX_EMPLOYEE_PAGES = 5


async def bookable_technicians(ops: Operations) -> list[Employee]:
    """Employees who can be booked online (cached with the reference-data TTL)."""
    return await technicians_of(ops.hcp, ops.cache)


async def technicians_of(client: HcpClient, cache: ReferenceCache) -> list[Employee]:
    """`bookable_technicians` for a bare client and cache."""

    async def load() -> list[Employee]:
        found: list[Employee] = []
        for page_number in range(1, MAX_EMPLOYEE_PAGES + 1):
            page = await client.employees.list(page=page_number, page_size=200)
            found.extend(page.items)
            if page.total_pages is None or page_number >= page.total_pages:
                break
        return found

    employees = await cache.get(EMPLOYEES_KEY, load)
    return [e for e in employees if e.can_be_booked_online]


def _overlaps(job: Job, start: datetime, end: datetime) -> bool:
    schedule = job.schedule
    if schedule is None or schedule.scheduled_start is None:
        return False
    job_end = schedule.scheduled_end or schedule.scheduled_start
    if job.canceled_at or job.deleted_at or (job.work_status or "").lower() in _CANCELED:
        return False
    return schedule.scheduled_start < end and start < job_end


async def jobs_in_window(client: HcpClient, start: datetime, end: datetime) -> list[Job]:
    """Live jobs whose schedule overlaps [start, end)."""
    page = await client.jobs.list(scheduled_start_max=end, scheduled_end_min=start, page_size=200)
    return [j for j in page.items if _overlaps(j, start, end)]


def free_technicians(technicians: list[Employee], jobs: list[Job]) -> list[str]:
    """Technicians left for one more visit: not on any job, minus one per unassigned job."""
    busy = {e.id for job in jobs for e in job.assigned_employees}
    free = [t.id for t in technicians if t.id not in busy]
    unassigned = sum(1 for job in jobs if not job.assigned_employees)
    return free[unassigned:] if unassigned < len(free) else []


async def free_technician_of(
    client: HcpClient,
    cache: ReferenceCache,
    start: datetime,
    end: datetime,
    *,
    moving: str | None = None,
) -> str | None:
    """A technician who can take [start, end) right now, or None (the window is full).

    `moving` is the job being moved into the window (its own visit does not count).
    """
    technicians = await technicians_of(client, cache)
    jobs = [j for j in await jobs_in_window(client, start, end) if j.id != moving]
    free = free_technicians(technicians, jobs)
    return free[0] if free else None
