"""An in-memory `FollowupHcp` for reaction and reminder tests that need exact timing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from hcp import BookingWindow, Estimate, HcpNotFoundError, Invoice, Job, JobCreate


@dataclass
class FakeHcp:
    jobs: dict[str, Job] = field(default_factory=dict)
    estimates: dict[str, Estimate] = field(default_factory=dict)
    invoices: dict[str, Invoice] = field(default_factory=dict)
    windows: list[BookingWindow] = field(default_factory=list)
    calls: list[tuple[str, Any]] = field(default_factory=list)

    def add_job(self, **fields: Any) -> Job:
        job = Job.model_validate(fields)
        self.jobs[job.id] = job
        return job

    def add_invoice(self, **fields: Any) -> Invoice:
        invoice = Invoice.model_validate(fields)
        self.invoices[invoice.id] = invoice
        return invoice

    def add_estimate(self, **fields: Any) -> Estimate:
        estimate = Estimate.model_validate(fields)
        self.estimates[estimate.id] = estimate
        return estimate

    def pay(self, invoice_id: str) -> None:
        self.invoices[invoice_id] = self.invoices[invoice_id].model_copy(
            update={"status": "paid", "due_amount": 0}
        )

    @staticmethod
    def _get(table: dict[str, Any], key: str) -> Any:
        if key not in table:
            raise HcpNotFoundError("not found", method="GET", path=f"/{key}", status_code=404)
        return table[key]

    async def get_job(self, job_id: str) -> Job:
        self.calls.append(("get_job", job_id))
        job: Job = self._get(self.jobs, job_id)
        return job

    async def get_estimate(self, estimate_id: str) -> Estimate:
        self.calls.append(("get_estimate", estimate_id))
        estimate: Estimate = self._get(self.estimates, estimate_id)
        return estimate

    async def get_invoice(self, invoice_id: str) -> Invoice:
        self.calls.append(("get_invoice", invoice_id))
        invoice: Invoice = self._get(self.invoices, invoice_id)
        return invoice

    async def booking_windows(self, start: date, days: int) -> list[BookingWindow]:
        self.calls.append(("booking_windows", (start, days)))
        return list(self.windows)

    async def reschedule_job(
        self, job_id: str, start: datetime, end: datetime, arrival_window_minutes: int | None
    ) -> bool:
        self.calls.append(("reschedule_job", (job_id, start, end)))
        return True

    async def find_job(self, customer_id: str, start: datetime) -> Job | None:
        self.calls.append(("find_job", (customer_id, start)))
        return None

    async def approve_option(self, option_id: str) -> str | None:
        self.calls.append(("approve_option", option_id))
        return None

    async def create_job(self, job: JobCreate) -> Job:
        self.calls.append(("create_job", job))
        return self.add_job(id=f"job_new{len(self.jobs)}", customer={"id": job.customer_id})

    async def add_job_note(self, job_id: str, content: str) -> None:
        self.calls.append(("add_job_note", (job_id, content)))


def window(start: datetime, hours: int = 2) -> BookingWindow:
    return BookingWindow(start_time=start, end_time=start + timedelta(hours=hours), available=True)
