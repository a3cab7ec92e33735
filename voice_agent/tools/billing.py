"""Invoice tools for a verified caller: balance (overdue derived) and the payment link by SMS."""

from __future__ import annotations

import asyncio
from typing import Any

from voice_agent.engine.toolbox import ToolContext
from voice_agent.operations import send_pay_link
from voice_agent.speech import speak_money
from voice_agent.tools.common import require_account
from voice_agent.tools.registry import tool, writes

MAX_JOBS_CHECKED = 20


@tool
async def my_invoices(ctx: ToolContext) -> dict[str, Any]:
    """Tell the verified caller what they owe: open invoices, which are overdue, and the total."""
    customer_id = require_account(ctx)
    jobs = await ctx.hcp.jobs.list(customer_id=customer_id, page_size=MAX_JOBS_CHECKED)
    own = [j for j in jobs.items if j.customer is None or j.customer.id == customer_id]
    per_job = await asyncio.gather(*(ctx.hcp.jobs.list_invoices(j.id) for j in own))
    now = ctx.now()
    invoices = [i for batch in per_job for i in batch if i.status == "open"]
    balance = sum(i.due_amount if i.due_amount is not None else (i.amount or 0) for i in invoices)
    return {
        "balance": speak_money(balance),
        "open_invoices": [
            {
                "invoice_number": i.invoice_number,
                "amount_due": speak_money(
                    i.due_amount if i.due_amount is not None else (i.amount or 0)
                ),
                "overdue": i.is_overdue(now),
            }
            for i in invoices
        ],
        "overdue_count": sum(1 for i in invoices if i.is_overdue(now)),
    }


@writes
@tool
async def send_payment_link(ctx: ToolContext) -> dict[str, Any]:
    """Text the verified caller a link to pay their invoices online (to the number they are
    calling from)."""
    require_account(ctx)
    await send_pay_link(ctx.operations, to=ctx.session.caller)
    return {"queued": True, "say": "I've texted you a payment link."}
