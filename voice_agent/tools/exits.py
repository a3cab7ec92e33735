"""Exits: take a message for the office, transfer to a person, end the call."""

from __future__ import annotations

from typing import Any

from voice_agent.engine.questions import answer_lines
from voice_agent.engine.toolbox import ToolContext
from voice_agent.operations import can_call_back
from voice_agent.operations import take_message as take_message_in_hcp
from voice_agent.tools.registry import tool, writes

NO_CALLBACK_PROMISE = "The office will see your message first thing; do not promise a call-back."


@writes
@tool
async def take_message(
    ctx: ToolContext, message: str, name: str | None = None, callback_number: str | None = None
) -> dict[str, Any]:
    """Take a message for the office (creates a lead in Housecall Pro and notifies the office).
    Use it when you cannot help, after hours, or when the caller asks.

    Args:
        message: What the caller wants the office to know, in their words.
        name: The caller's name, if given.
        callback_number: A different number to call back on, if given.
    """
    session = ctx.session
    note = f"Phone message: {message.strip()[:1000]}"
    if callback_number:
        note += f" Call back on {callback_number}."
    if session.out_of_area:
        note += f" Address outside the service area: {session.out_of_area}."
    if session.intake_answers:
        note += "\n" + answer_lines(session)
    await take_message_in_hcp(
        ctx.operations,
        message=message,
        note=note,
        customer_id=session.customer_id or session.matched_customer_id,
        name=name,
    )
    session.awaiting_message = False
    if session.outcome in (None, "out_of_area"):  # a message for the office is what matters
        session.outcome = "message"
    if can_call_back(ctx.settings):
        return {"message_taken": True, "call_back": True}
    # nobody to notify: promise only what happens (issue 19)
    return {"message_taken": True, "call_back": False, "tell_caller": NO_CALLBACK_PROMISE}


@tool
async def transfer_to_human(ctx: ToolContext, reason: str) -> dict[str, Any]:
    """Transfer the caller to a person at the office (only during opening hours; otherwise
    this tells you to take a message).

    Args:
        reason: Why the caller needs a person.
    """
    now = ctx.now().astimezone(ctx.settings.zone)
    number = ctx.settings.office_number
    if number and ctx.settings.opening_hours.is_open(now.weekday(), now.time()):
        ctx.control.append(
            {
                "type": "transfer",
                "number": number,
                "reason": reason[:200],
                "text": "I'll connect you with the office now.",
            }
        )
        return {"transferring": True}
    ctx.session.awaiting_message = True
    return {"transferring": False, "instead": "The office is closed; offer to take a message."}


@tool
async def end_call(ctx: ToolContext, reason: str) -> dict[str, Any]:
    """End the call after the caller has said goodbye or has nothing else.

    Args:
        reason: Short reason, e.g. "caller done".
    """
    ctx.control.append(
        {
            "type": "end",
            "reason": reason[:200],
            "text": f"Thanks for calling {ctx.settings.business_name}. Goodbye!",
        }
    )
    return {"ending": True}
