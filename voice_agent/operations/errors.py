"""What an operation can answer instead of a result: sentences the caller (or model) is told."""

from __future__ import annotations

from voice_agent.errors import AgentError

QUEUED = (
    "The system didn't answer in time, so the request is saved and the office will confirm "
    "by text. Tell the caller that honestly; do not say it is booked."
)
BUSY = (
    "Our scheduling system is busy right now, so the request is saved and the office will "
    "confirm by text. Tell the caller exactly that; do not say it is booked."
)
REFUSED = "The system refused that request. Offer to take a message."
STALE = "The caller has moved on; this step was not saved. Answer the caller's latest words."
IN_FLIGHT = "That request is still being saved. Tell the caller it is in progress."


class OperationError(AgentError):
    """A short sentence for whoever drives the operation (the model, guided intake, an SMS)."""


class WriteQueuedError(OperationError):
    """HCP failed transiently; the write is in the outbox and the office was told."""

    def __init__(self, message: str = QUEUED) -> None:
        super().__init__(message)


class HcpBusyError(WriteQueuedError):
    """HCP answered 429 (even after one short wait); the write is queued for the outbox."""

    def __init__(self, message: str = BUSY) -> None:
        super().__init__(message)


class StaleTurnError(OperationError):
    """The turn that asked for the write no longer owns the conversation: nothing is written."""

    def __init__(self, message: str = STALE) -> None:
        super().__init__(message)


class SlotTakenError(OperationError):
    """The window was taken (or has no free technician) just before the write."""
