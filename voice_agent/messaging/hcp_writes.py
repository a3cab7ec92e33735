"""Replays HCP writes that failed during a call (`RetryHcpWrite` jobs), exactly once.

A write that HCP could not take (down, 5xx, timeout, 429) was recorded in the write journal
with status "queued" and put in the outbox. This handler leases the journal entry (so no
other worker or turn sends it meanwhile), looks for an earlier result first when the write
could create a duplicate (a job at the same start for the customer; a customer with the same
phone number), and only then sends it. A 429 is retried no earlier than its Retry-After.
What cannot be replayed automatically, or what HCP now refuses (the window was taken
meanwhile), is handed to the office with the details, so nothing is lost silently.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import hcp
from voice_agent.messaging.dispatcher import GiveUp, OutboxDispatcher, RetryLater
from voice_agent.operations import Operations, SlotTakenError
from voice_agent.operations.booking import create_in_window, existing_job_at
from voice_agent.operations.journal import WRITE_LEASE_SECONDS, retry_after_seconds, utcnow
from voice_agent.operations.lead_source import without_unknown_lead_source
from voice_agent.outbox import NotifyOffice, Outbox, RetryHcpWrite
from voice_agent.settings import Settings
from voice_agent.storage.base import HcpWrite, OutboxItem, Store

log = logging.getLogger(__name__)

Result = tuple[str, dict[str, Any]]
Replay = Callable[[hcp.HcpClient, dict[str, Any]], Awaitable[Result]]


async def _create_job(client: hcp.HcpClient, request: dict[str, Any]) -> Result:
    start = datetime.fromisoformat(str(request["schedule"]["scheduled_start"]))
    landed = await existing_job_at(client, str(request["customer_id"]), start)
    if landed is not None:
        return landed  # the first attempt reached HCP after all
    job = await without_unknown_lead_source(client.jobs.create, request, note_field="notes")
    return job.id, job.model_dump(mode="json")


async def _create_customer(client: hcp.HcpClient, request: dict[str, Any]) -> Result:
    phone = request.get("mobile_number")
    if phone:
        for customer in await client.customers.find_by_phone(str(phone)):
            return customer.id, customer.model_dump(mode="json")
    customer = await client.customers.create(request)
    return customer.id, customer.model_dump(mode="json")


async def _create_lead(client: hcp.HcpClient, request: dict[str, Any]) -> Result:
    lead = await without_unknown_lead_source(client.leads.create, request)
    return lead.id, lead.model_dump(mode="json")


async def _add_note(client: hcp.HcpClient, request: dict[str, Any]) -> Result:
    job_id, content = str(request["job_id"]), str(request["content"])
    job = await client.jobs.get(job_id)
    for note in job.notes:  # the first attempt landed after all
        if note.content == content:
            return note.id or job_id, {"job_id": job_id}
    note = await client.jobs.add_note(job_id, content)
    return note.id or job_id, {"job_id": job_id}


async def _reschedule_job(client: hcp.HcpClient, request: dict[str, Any]) -> Result:
    job_id = str(request["job_id"])
    body = {k: v for k, v in request.items() if k != "job_id"}
    await client.jobs.update_schedule(job_id, body)
    return job_id, {"via": "schedule", "start_time": body.get("start_time")}


REPLAYS: dict[str, Replay] = {
    "create_job": _create_job,
    "create_customer": _create_customer,
    "create_lead": _create_lead,
    "add_note": _add_note,
    "reschedule_job": _reschedule_job,
}


class HcpWriteReplayer:
    """The outbox handler for `RetryHcpWrite` jobs."""

    def __init__(
        self,
        store: Store,
        client: hcp.HcpClient,
        *,
        worker: str = "outbox",
        settings: Settings | None = None,
    ) -> None:
        self._store = store
        self._client = client
        self._worker = worker
        self._ops = (
            Operations.build(hcp_client=client, store=store, settings=settings)
            if settings is not None
            else None
        )

    def register(self, dispatcher: OutboxDispatcher) -> None:
        """Handle `RetryHcpWrite` jobs on `dispatcher`."""
        self._worker = dispatcher.worker
        dispatcher.register(RetryHcpWrite, self.handle)

    async def handle(self, job: RetryHcpWrite, item: OutboxItem, now: datetime) -> None:
        """Send the write; retry while HCP is unavailable, hand it to the office if refused."""
        operation, write_id = job.operation, job.write_id or ""
        write = await self._journal_entry(item)
        if write is not None:
            if write.status == "done":
                return  # sent meanwhile (by its turn, or an earlier delivery of this item)
            claimed = await self._store.claim_hcp_write(
                write.id,
                f"{self._worker}:{item.id}",
                now=utcnow(),
                lease_until=utcnow() + timedelta(seconds=WRITE_LEASE_SECONDS),
            )
            if claimed is None:  # its owner is still sending it: look again after the lease
                at = write.lease_until or (now + timedelta(seconds=WRITE_LEASE_SECONDS))
                raise RetryLater(f"{operation} is being sent by {write.owner}", at=at)
            write_id = write.id
        request = job.request
        replay = REPLAYS.get(operation)
        if operation == "create_job" and self._ops is not None:
            replay = self._book_with_technician
        if replay is None:
            await self._hand_to_office(job, item, write_id, "it needs a person to enter it")
            return
        try:
            hcp_id, response = await replay(self._client, request)
        except hcp.HcpError as exc:
            if exc.retryable:
                if write_id:
                    await self._store.finish_hcp_write(write_id, status="queued", error=str(exc))
                wait = retry_after_seconds(exc)
                not_before = now + timedelta(seconds=wait) if wait else None
                reason = f"{operation}: HCP still unavailable ({type(exc).__name__})"
                raise RetryLater(reason, not_before=not_before) from exc
            await self._hand_to_office(job, item, write_id, f"HCP refused it: {exc}")
            raise GiveUp(f"{operation} refused by HCP") from exc
        if write_id:
            await self._store.finish_hcp_write(
                write_id, status="done", hcp_id=hcp_id, response=response
            )
        log.info("queued HCP write %s done (%s)", operation, hcp_id)

    async def _book_with_technician(self, client: hcp.HcpClient, request: dict[str, Any]) -> Result:
        """A queued booking: an earlier landing first, else a free technician (re-checked)."""
        assert self._ops is not None
        schedule = request["schedule"]
        start = datetime.fromisoformat(str(schedule["scheduled_start"]))
        end = datetime.fromisoformat(str(schedule["scheduled_end"]))
        landed = await existing_job_at(client, str(request["customer_id"]), start)
        if landed is not None:
            return landed
        try:
            job = await create_in_window(self._ops, request, start, end)
        except SlotTakenError as exc:  # the window filled up while HCP was away
            raise hcp.HcpUnprocessableError(
                str(exc), method="POST", path="/jobs", status_code=422
            ) from exc
        return job.id, job.model_dump(mode="json")

    async def _journal_entry(self, item: OutboxItem) -> HcpWrite | None:
        for key in (item.idempotency_key.removeprefix("hcp_write:"), item.idempotency_key):
            write = await self._store.get_hcp_write(key)
            if write is not None:
                return write
        return None

    async def _hand_to_office(
        self, job: RetryHcpWrite, item: OutboxItem, write_id: str, why: str
    ) -> None:
        if write_id:
            await self._store.finish_hcp_write(write_id, status="failed", error=why[:500])
        summary = ", ".join(f"{k}={v}" for k, v in sorted(job.request.items()))
        text = f"Please enter in Housecall Pro by hand ({why}): {job.operation} {summary}"
        await Outbox(self._store).put(
            NotifyOffice(text=text[:600], conversation_id=job.conversation_id),
            idempotency_key=f"notify_office:hcp_write:{item.idempotency_key}",
        )
