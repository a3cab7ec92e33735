"""Which tools the model may call at each stage of a conversation, as data.

The stages only decide what is *offered*; every tool still enforces its own rules server-side
(verification, recorded yes), so a model that calls an unoffered tool gains nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from voice_agent.engine.session import Session

INTAKE_TOOLS = (
    "identify_caller",
    "verify_caller",
    "record_problem",
    "list_services",
    "record_intake_answer",
    "find_or_create_customer",
    "add_service_address",
    "check_availability",
    "propose_booking",
    "book_job",
    "create_estimate",
    "take_message",
    "transfer_to_human",
    "end_call",
    "set_language",
)
ACCOUNT_TOOLS = (
    "list_my_appointments",
    "propose_reschedule",
    "reschedule_appointment",
    "propose_cancellation",
    "request_cancellation",
    "list_my_estimates",
    "propose_estimate_approval",
    "approve_estimate_option",
    "my_invoices",
    "send_payment_link",
)
CLOSING_TOOLS = ("identify_caller", "take_message", "end_call", "set_language")


@dataclass(frozen=True)
class Stage:
    """A named stage: when it applies and which tools it offers."""

    name: str
    applies: Callable[[Session], bool]
    tools: tuple[str, ...]


STAGES: tuple[Stage, ...] = (
    Stage("ended", lambda s: s.ended, ()),
    Stage("message", lambda s: s.awaiting_message, CLOSING_TOOLS),
    Stage("verified", lambda s: s.verified, INTAKE_TOOLS + ACCOUNT_TOOLS),
    Stage("intake", lambda s: True, INTAKE_TOOLS),
)


def stage_for(session: Session) -> Stage:
    """The first stage whose condition holds."""
    return next(stage for stage in STAGES if stage.applies(session))


def tools_for(session: Session) -> tuple[str, ...]:
    """Names of the tools offered to the model now."""
    return stage_for(session).tools
