"""The domain layer: every HCP business operation, exactly once, for every channel.

Voice tools, guided intake, SMS replies and follow-ups call these functions; none of them
writes to HCP directly. Build an `Operations` per turn or task, then call e.g.::

    ops = Operations.build(hcp_client=client, store=store, settings=settings,
                           conversation_id=conversation.id, caller=caller)
    booking = await book(ops, BookingRequest(key=..., customer_id=..., address_id=...,
                                             start=..., end=..., notes=...))

Every write goes through the write journal (`WriteJournal`): recorded and leased to its
owner before it is sent, sent at most once per idempotency key, reconciled with HCP only
after its owner's lease expired, queued in the outbox on transient failures.

Errors are `OperationError` sentences meant for whoever talks to the customer:
`SlotTakenError` (offer other windows), `WriteQueuedError` / `HcpBusyError` (saved; the
office confirms by text), `StaleTurnError` (the caller moved on; nothing was written).
"""

from __future__ import annotations

from voice_agent.operations.booking import Booking, BookingRequest, book, existing_job_at
from voice_agent.operations.cache import ReferenceCache
from voice_agent.operations.context import Operations
from voice_agent.operations.errors import (
    HcpBusyError,
    OperationError,
    SlotTakenError,
    StaleTurnError,
    WriteQueuedError,
)
from voice_agent.operations.estimates import (
    LineItem,
    ScheduledWork,
    approve_option,
    create_estimate,
    schedule_approved_work,
)
from voice_agent.operations.journal import WriteJournal
from voice_agent.operations.messages import can_call_back, send_pay_link, take_message
from voice_agent.operations.technicians import bookable_technicians
from voice_agent.operations.visits import Rescheduled, add_note, request_cancellation, reschedule

__all__ = [
    "Booking",
    "BookingRequest",
    "HcpBusyError",
    "LineItem",
    "OperationError",
    "Operations",
    "ReferenceCache",
    "Rescheduled",
    "ScheduledWork",
    "SlotTakenError",
    "StaleTurnError",
    "WriteJournal",
    "WriteQueuedError",
    "add_note",
    "approve_option",
    "book",
    "bookable_technicians",
    "can_call_back",
    "create_estimate",
    "existing_job_at",
    "request_cancellation",
    "reschedule",
    "schedule_approved_work",
    "send_pay_link",
    "take_message",
]
