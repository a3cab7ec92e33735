"""Estimate tools: build one from the price list, list them, approve an option into a job."""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import hcp
from hcp.models.estimates import Estimate
from voice_agent.engine.session import PendingAction, Window
from voice_agent.engine.toolbox import ToolContext
from voice_agent.operations import (
    LineItem,
    approve_option,
    schedule_approved_work,
)
from voice_agent.operations import create_estimate as create_estimate_in_hcp
from voice_agent.outbox import Outbox, SendSms
from voice_agent.speech import speak_money
from voice_agent.tools.booking import confirmation, offered_window, said_yes_to
from voice_agent.tools.common import require_account
from voice_agent.tools.registry import ToolError, tool, writes

MAX_LINE_ITEMS = 3
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PriceItem:
    """One priced entry of the price book (a service price form or a material)."""

    name: str
    price: int
    cost: int | None
    category: str = ""


async def price_list(ctx: ToolContext) -> list[PriceItem]:
    """Every priced service and material in the price book (cached)."""

    async def load() -> list[PriceItem]:
        items: list[PriceItem] = []
        forms = await ctx.hcp.price_book.list_price_forms()
        for form in forms.items:
            price = (form.model_extra or {}).get("price")
            if form.name and isinstance(price, int):
                items.append(PriceItem(form.name, price, None, form.description or ""))
        try:
            categories = await ctx.hcp.price_book.list_material_categories()
            for category in categories.items:
                page = await ctx.hcp.price_book.list_materials(category.uuid, page_size=100)
                items.extend(
                    PriceItem(m.name, m.price, m.cost, m.material_category_name or "")
                    for m in page.items
                    if m.name and m.price is not None
                )
        except hcp.HcpError as exc:  # materials are optional; services carry the prices
            log.info("price-book materials unavailable: %s", exc)
        return items

    return await ctx.cache.get("price_list", load)


def match_items(text: str, items: list[PriceItem]) -> list[PriceItem]:
    """The price-list items whose name or category shares the most words with `text`."""
    said = set(re.findall(r"[a-z]{3,}", text.lower()))
    scored = []
    for item in items:
        words = set(re.findall(r"[a-z]{3,}", f"{item.name} {item.category}".lower()))
        score = len(said & words)
        if score:
            scored.append((score, item.name, item))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [item for _, _, item in scored[:MAX_LINE_ITEMS]]


@writes
@tool
async def create_estimate(ctx: ToolContext, description: str) -> dict[str, Any]:
    """Create an estimate for the caller from our price list, for work they describe; the
    summary is texted to them. Needs the caller identified and a service address.

    Args:
        description: What the caller wants quoted, e.g. "replace 40 gallon water heater".
    """
    session = ctx.session
    if session.customer_id is None or session.address_id is None:
        raise ToolError("I still need the caller's name and service address.")
    if not (session.verified or session.customer_created):
        raise ToolError("Verify the caller first with verify_caller.")
    text = f"{description} {session.job_type_name or ''}"
    items = match_items(text, await price_list(ctx))
    if not items:
        raise ToolError("Nothing in our price list matches; offer a visit or take a message.")
    estimate = await create_estimate_in_hcp(
        ctx.operations,
        key=f"{ctx.conversation.id}:estimate",
        customer_id=session.customer_id,
        address_id=session.address_id,
        note=description,
        items=[LineItem(i.name, i.price, i.cost) for i in items],
        job_type_id=session.job_type_id,
    )
    estimate_id = estimate.id
    total = sum(i.price for i in items)
    lines = ", ".join(f"{i.name} {speak_money(i.price)}" for i in items)
    summary = f"{ctx.settings.business_name} estimate: {lines}. Total {speak_money(total)}."
    await Outbox(ctx.store).put(
        SendSms(to=session.caller, body=summary, conversation_id=ctx.conversation.id),
        idempotency_key=f"sms:estimate:{estimate_id}",
    )
    session.outcome = "estimate"
    return {
        "estimate_number": estimate.estimate_number,
        "items": [{"name": i.name, "price": speak_money(i.price)} for i in items],
        "total": speak_money(total),
        "texted": True,
    }


async def own_estimates(ctx: ToolContext, customer_id: str) -> list[Estimate]:
    """The customer's estimates (only theirs, checked again locally)."""
    page = await ctx.hcp.estimates.list(customer_id=customer_id, page_size=25)
    return [e for e in page.items if e.customer is None or e.customer.id == customer_id]


@tool
async def list_my_estimates(ctx: ToolContext) -> dict[str, Any]:
    """List the verified caller's estimates with their options and totals."""
    customer_id = require_account(ctx)
    result = []
    for estimate in await own_estimates(ctx, customer_id):
        result.append(
            {
                "estimate_number": estimate.estimate_number,
                "options": [
                    {
                        "option_id": o.id,
                        "name": o.name,
                        "total": speak_money(o.total_amount or 0),
                        "status": o.approval_status or "awaiting response",
                    }
                    for o in estimate.options
                ],
            }
        )
    return {"estimates": result}


@tool
async def propose_estimate_approval(
    ctx: ToolContext, option_id: str, window_id: str
) -> dict[str, Any]:
    """Prepare approving one estimate option and scheduling the work in a window from
    check_availability; read the text back and wait for a yes.

    Args:
        option_id: The option id from list_my_estimates.
        window_id: The window id from check_availability.
    """
    customer_id = require_account(ctx)
    estimate, option_name, total = await _own_option(ctx, customer_id, option_id)
    window = offered_window(ctx, window_id)
    readback = (
        f"Just to confirm: you approve the {option_name} option for {total}, and we schedule "
        f"the work {window.spoken}. Shall I go ahead?"
    )
    ctx.session.pending = PendingAction(
        id=uuid.uuid4().hex,
        kind="approve_estimate",
        data={"option_id": option_id, "estimate_id": estimate.id, "window": window.model_dump()},
        readback=readback,
        proposed_seq=ctx.session.seq,
    )
    return {"read_back": readback}


async def _own_option(
    ctx: ToolContext, customer_id: str, option_id: str
) -> tuple[Estimate, str, str]:
    for estimate in await own_estimates(ctx, customer_id):
        for option in estimate.options:
            if option.id == option_id:
                return estimate, option.name or "chosen", speak_money(option.total_amount or 0)
    raise ToolError("I can't find that estimate option on this caller's account.")


@writes
@tool
async def approve_estimate_option(ctx: ToolContext) -> dict[str, Any]:
    """Approve the estimate option the caller just said yes to and schedule it as a job."""
    customer_id = require_account(ctx)
    pending = said_yes_to(ctx.session, "approve_estimate")
    if isinstance(pending, dict):
        return pending
    option_id = str(pending.data["option_id"])
    estimate, _, _ = await _own_option(ctx, customer_id, option_id)
    window = Window.model_validate(pending.data["window"])
    start, end = datetime.fromisoformat(window.start), datetime.fromisoformat(window.end)
    key = f"{ctx.conversation.id}:approve:{option_id}"
    copied = await approve_option(ctx.operations, key=key, option_id=option_id)
    try:
        work = await schedule_approved_work(
            ctx.operations,
            key=key,
            estimate=estimate,
            option_id=option_id,
            copied_job_id=copied,
            start=start,
            end=end,
            said_by="by phone",
            address_id=ctx.session.address_id,
        )
    except ValueError:
        raise ToolError(
            "The estimate has no service address; take a message for the office."
        ) from None
    job = work.job or await ctx.hcp.jobs.get(work.job_id)
    ctx.session.windows = []
    if work.job_id not in ctx.session.booked_job_ids:
        ctx.session.booked_job_ids.append(work.job_id)
    ctx.session.outcome = "booked"
    result: dict[str, Any] = {"approved": True, "job_id": work.job_id}
    if work.scheduled:
        result["confirmation"] = confirmation(ctx, job)
    else:
        result["say"] = "Approved. The office will confirm the visit time by text."
    return ctx.session.consume(pending, result)
