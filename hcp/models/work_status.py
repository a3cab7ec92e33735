"""The two `work_status` spellings: returned on jobs vs accepted by the list filter."""

from __future__ import annotations

from enum import StrEnum


class WorkStatus(StrEnum):
    """Filter spelling accepted by ``GET /jobs`` / ``GET /estimates`` ``work_status[]``."""

    UNSCHEDULED = "unscheduled"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELED = "canceled"


_RETURNED_TO_FILTER: dict[str, WorkStatus] = {
    "needs scheduling": WorkStatus.UNSCHEDULED,
    "unscheduled": WorkStatus.UNSCHEDULED,
    "scheduled": WorkStatus.SCHEDULED,
    "in progress": WorkStatus.IN_PROGRESS,
    "in_progress": WorkStatus.IN_PROGRESS,
    "complete rated": WorkStatus.COMPLETED,
    "complete unrated": WorkStatus.COMPLETED,
    "completed": WorkStatus.COMPLETED,
    "user canceled": WorkStatus.CANCELED,
    "pro canceled": WorkStatus.CANCELED,
    "canceled": WorkStatus.CANCELED,
}

_FILTER_TO_RETURNED: dict[WorkStatus, tuple[str, ...]] = {
    WorkStatus.UNSCHEDULED: ("needs scheduling",),
    WorkStatus.SCHEDULED: ("scheduled",),
    WorkStatus.IN_PROGRESS: ("in progress",),
    WorkStatus.COMPLETED: ("complete rated", "complete unrated"),
    WorkStatus.CANCELED: ("user canceled", "pro canceled"),
}


def to_filter(status: str | WorkStatus) -> WorkStatus:
    """Map either spelling ("in progress", "in_progress", "complete rated"...) to the filter value.

    Raises:
        ValueError: For an unknown status.
    """
    key = str(status).strip().lower()
    try:
        return _RETURNED_TO_FILTER[key]
    except KeyError:
        raise ValueError(f"unknown work_status {status!r}") from None


def returned_spellings(status: str | WorkStatus) -> tuple[str, ...]:
    """The values a job may carry for a filter value (e.g. completed -> complete rated/unrated)."""
    return _FILTER_TO_RETURNED[to_filter(status)]
