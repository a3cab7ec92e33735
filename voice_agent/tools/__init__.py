"""The tools the dialogue engine offers the model, and the registry that holds them.

The registry implements the engine's `Toolbox` (`voice_agent.engine.toolbox`); the app wiring
hands it to the engine.
"""

from __future__ import annotations

from voice_agent.tools import (
    account,
    billing,
    booking,
    caller,
    estimates,
    exits,
    intake,
    language,
)
from voice_agent.tools.registry import Tool, ToolError, ToolRegistry, tool

ALL_TOOLS: tuple[Tool, ...] = (
    caller.identify_caller,
    caller.verify_caller,
    booking.record_problem,
    booking.list_services,
    intake.record_intake_answer,
    caller.find_or_create_customer,
    caller.add_service_address,
    booking.check_availability,
    booking.propose_booking,
    booking.book_job,
    estimates.create_estimate,
    account.list_my_appointments,
    account.propose_reschedule,
    account.reschedule_appointment,
    account.propose_cancellation,
    account.request_cancellation,
    estimates.list_my_estimates,
    estimates.propose_estimate_approval,
    estimates.approve_estimate_option,
    billing.my_invoices,
    billing.send_payment_link,
    exits.take_message,
    exits.transfer_to_human,
    exits.end_call,
    language.set_language,
)


def default_registry() -> ToolRegistry:
    """A registry with every tool."""
    return ToolRegistry(ALL_TOOLS)


__all__ = [
    "ALL_TOOLS",
    "Tool",
    "ToolError",
    "ToolRegistry",
    "default_registry",
    "tool",
]
