"""Replays HCP writes that failed during a call ("hcp_write" outbox items), exactly once.

A write that HCP could not take (down, 5xx, timeout) was recorded as an `HcpWrite` with
status "queued" and put in the outbox. This handler sends it again when HCP is back. Writes
that could create a duplicate look for their earlier result first (a job at the same start
for the customer; a customer with the same phone number), because a timed-out POST may have
landed. What cannot be replayed automatically, or what HCP now refuses (the window was taken
meanwhile), is handed to the office with the details, so nothing is lost silently.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import hcp
from voice_agent.messaging.dispatcher import GiveUp, OutboxDispatcher, RetryLater
from voice_agent.storage.base import OutboxItem, Store
from voice_agent.tools.booking import existing_job_at
from voice_agent.tools.lead_source import without_unknown_lead_source

log = logging.getLogger(__name__)

KIND = "hcp_write"
Result = tuple[str, dict[str, Any]]
Replay = Callable[[hcp.HcpClient, dict[str, Any]], Awaitable[Result]]
_ENVELOPE = ("write_id", "operation", "conversation_id", "request")


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
    note = await client.jobs.add_note(str(request["job_id"]), str(request["content"]))
    return note.id or str(request["job_id"]), {"job_id": request["job_id"]}


async def _reschedule_job(client: hcp.HcpClient, request: dict[str, Any]) -> Result:
    job_id = str(request["job_id"])
    body = {k: v for k, v in request.items() if k != "job_id"}
    await client.jobs.update_schedule(job_id, body)
    return job_id, {"start_time": body.get("start_time"), "end_time": body.get("end_time")}


REPLAYS: dict[str, Replay] = {
    "create_job": _create_job,
    "create_customer": _create_customer,
    "create_lead": _create_lead,
    "add_note": _add_note,
    "reschedule_job": _reschedule_job,
}


def request_of(payload: dict[str, Any]) -> dict[str, Any]:
    """The write's request: nested under "request", or the payload minus its envelope."""
    nested = payload.get("request")
    if isinstance(nested, dict):
        return nested
    return {k: v for k, v in payload.items() if k not in _ENVELOPE}


class HcpWriteReplayer:
    """The outbox handler for "hcp_write" items."""

    def __init__(self, store: Store, client: hcp.HcpClient) -> None:
        self._store = store
        self._client = client

    def register(self, dispatcher: OutboxDispatcher) -> None:
        """Handle "hcp_write" items on `dispatcher`."""
        dispatcher.register(KIND, self.handle)

    async def handle(self, item: OutboxItem, now: datetime) -> None:
        """Send the write; retry while HCP is unavailable, hand it to the office if refused."""
        operation = str(item.payload.get("operation", ""))
        write_id = str(item.payload.get("write_id", ""))
        request = request_of(item.payload)
        replay = REPLAYS.get(operation)
        if replay is None:
            await self._hand_to_office(item, write_id, operation, "it needs a person to enter it")
            return
        try:
            hcp_id, response = await replay(self._client, request)
        except hcp.HcpError as exc:
            if exc.retryable:
                reason = f"{operation}: HCP still unavailable ({type(exc).__name__})"
                raise RetryLater(reason) from exc
            await self._hand_to_office(item, write_id, operation, f"HCP refused it: {exc}")
            raise GiveUp(f"{operation} refused by HCP") from exc
        if write_id:
            await self._store.finish_hcp_write(
                write_id, status="done", hcp_id=hcp_id, response=response
            )
        log.info("queued HCP write %s done (%s)", operation, hcp_id)

    async def _hand_to_office(
        self, item: OutboxItem, write_id: str, operation: str, why: str
    ) -> None:
        if write_id:
            await self._store.finish_hcp_write(write_id, status="failed", error=why[:500])
        summary = ", ".join(f"{k}={v}" for k, v in sorted(request_of(item.payload).items()))
        await self._store.enqueue(
            "notify_office",
            {
                "conversation_id": item.payload.get("conversation_id"),
                "text": f"Please enter in Housecall Pro by hand ({why}): {operation} {summary}"[
                    :600
                ],
            },
            idempotency_key=f"notify_office:hcp_write:{item.idempotency_key}",
        )
