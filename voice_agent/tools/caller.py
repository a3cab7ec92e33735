"""Caller identity tools: status, verification, find-or-create customer, service address."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import hcp
from hcp.models.customers import Address, Customer
from voice_agent import phones, verification
from voice_agent.engine.questions import pending_questions
from voice_agent.engine.session import MAX_VERIFY_ATTEMPTS, Session
from voice_agent.engine.toolbox import ToolContext
from voice_agent.tools.area import in_service_area, refuse
from voice_agent.tools.common import (
    address_text,
    fill_address_defaults,
    name_matches,
    norm_words,
    service_address,
    split_address,
    street_matches,
)
from voice_agent.tools.registry import ToolError, tool, writes

log = logging.getLogger(__name__)


def caller_status(session: Session, intake_pending: Sequence[str] = ()) -> dict[str, Any]:
    """What the session knows, as the model (and guided intake) may see it."""
    own_record = session.verified or session.customer_created
    pending = session.pending
    return {
        "known_caller": session.matched_customer_id is not None,
        "first_name": session.first_name,
        "verified": session.verified,
        "customer_on_file": session.customer_id is not None,
        "address_on_file": session.address_id is not None,
        "service_address": session.address_text if own_record else None,
        "problem": session.problem,
        "job_type": session.job_type_name,
        "offered_windows": [{"id": w.id, "when": w.spoken} for w in session.windows],
        "pending_confirmation": (
            {"kind": pending.kind, "read_back": pending.readback} if pending else None
        ),
        "caller_said_yes": bool(
            pending and session.confirmed_id == pending.id and session.confirmed_seq == session.seq
        ),
        "booked_jobs": len(session.booked_job_ids),
        "awaiting_message": session.awaiting_message,
        "verify_attempts_left": max(MAX_VERIFY_ATTEMPTS - session.verify_attempts, 0),
        "out_of_area": session.out_of_area,
        "intake_questions_pending": list(intake_pending),
    }


def _use_address(session: Session, address: Address) -> None:
    session.address_id, session.address_text = address.id, address_text(address)
    session.address_city, session.address_zip = address.city, address.zip


def _use_customer(session: Session, customer: Customer) -> None:
    session.customer_id = customer.id
    address = service_address(customer)
    if address is not None:
        _use_address(session, address)


@tool
async def identify_caller(ctx: ToolContext) -> dict[str, Any]:
    """Check who is calling and what this call already knows (identity, problem, offered times,
    anything awaiting the caller's yes). Cheap; call it whenever you are unsure what to ask next.
    """
    session = ctx.session
    if not session.lookup_done:
        matches = await ctx.hcp.customers.find_by_phone(session.caller)
        session.lookup_done = True
        if len(matches) == 1:
            session.matched_customer_id = matches[0].id
            session.first_name = matches[0].first_name
    return caller_status(session, pending_questions(ctx.settings, session))


@tool
async def verify_caller(
    ctx: ToolContext,
    street_address: str | None = None,
    full_name: str | None = None,
    zip_code: str | None = None,
) -> dict[str, Any]:
    """Verify the caller before sharing or changing anything on their account. A caller
    recognised by phone number gives the service street address WITH its house number (or the
    ZIP code plus the house number); a name alone is not enough. A caller calling from another
    number gives BOTH their full name and the service address with its house number.

    Args:
        street_address: The street address the caller says is on the account, house number first.
        full_name: The caller's first and last name as on the account.
        zip_code: The ZIP code of the service address, if the caller gave it.
    """
    session = ctx.session
    if session.verified:
        return {"verified": True}
    limit, subject = verification.limiter(ctx, ctx.settings), verification.attempt_subject(ctx)
    if session.verify_attempts >= MAX_VERIFY_ATTEMPTS or await limit.retry_after(
        ctx.store, subject
    ):
        raise ToolError(verification.TOO_MANY_ATTEMPTS)
    if not street_address and not zip_code:
        raise ToolError("Ask the caller for the service address on the account, with its number.")
    session.verify_attempts += 1
    customer = await _verified_customer(ctx, street_address, full_name, zip_code)
    if customer is None:
        await limit.failed(ctx.store, subject)
        log.warning("security: caller verification failed in %s", ctx.conversation.id)
        raise ToolError(
            "Those details don't match our records. Do not reveal what is on file; ask once "
            "more or offer to take a message."
        )
    await limit.succeeded(ctx.store, subject)
    session.matched_customer_id = customer.id
    session.first_name = customer.first_name
    session.verified = True
    _use_customer(session, customer)
    return {"verified": True, "first_name": customer.first_name}


async def _verified_customer(
    ctx: ToolContext, street: str | None, name: str | None, zip_code: str | None
) -> Customer | None:
    session = ctx.session
    if session.matched_customer_id is not None:
        customer = await ctx.hcp.customers.get(session.matched_customer_id)
        if any(verification.proves_address(street, zip_code, a) for a in customer.addresses):
            return customer
        return None
    if not (street and name):
        return None
    page = await ctx.hcp.customers.list(q=" ".join(norm_words(name)[-1:]), page_size=50)
    found = [
        c
        for c in page.items
        if name_matches(name, c)
        and any(verification.proves_address(street, zip_code, a) for a in c.addresses)
    ]
    return found[0] if len(found) == 1 else None


@writes
@tool
async def find_or_create_customer(
    ctx: ToolContext,
    first_name: str,
    last_name: str,
    street: str,
    city: str | None = None,
    state: str | None = None,
    zip: str | None = None,
) -> dict[str, Any]:
    """For a NEW caller (not recognised by phone): find their customer record by name and
    address, or create it. Never creates a duplicate. Call it once you have their name and the
    service address. An address outside our service area is refused (out_of_area): say so and
    offer to take a message.

    Args:
        first_name: Caller's first name.
        last_name: Caller's last name.
        street: Street address of the service location (house number and street).
        city: City, if the caller said it.
        state: State, if the caller said it.
        zip: ZIP code, if the caller said it.
    """
    session = ctx.session
    if session.customer_id is not None:
        return {"customer_on_file": True, "service_address": session.address_text}
    if session.matched_customer_id is not None:
        raise ToolError(
            "This phone number already belongs to a customer on file. Verify the caller with "
            "verify_caller instead of creating a new record."
        )
    said = split_address(street, city, state, zip)
    area = await in_service_area(ctx, city=said["city"], state=said["state"], zip=said["zip"])
    if area.verdict == "no":
        return refuse(ctx, area)
    fields = await fill_address_defaults(ctx, said)
    full_name = f"{first_name} {last_name}"
    existing = await _find_existing(ctx, full_name, fields["street"])
    if existing is not None:
        session.matched_customer_id = existing.id
        session.first_name = existing.first_name
        session.verified = True  # name and service address both match the record
        _use_customer(session, existing)
        address = next(a for a in existing.addresses if street_matches(fields["street"], a))
        _use_address(session, address)
        return {"customer_on_file": True, "service_address": session.address_text}
    body: dict[str, Any] = {
        "first_name": first_name.strip(),
        "last_name": last_name.strip(),
        "mobile_number": phones.national(session.caller) or "",
        "addresses": [{**{k: v for k, v in fields.items() if v}, "type": "service"}],
        "tags": [ctx.settings.booking_tag],
    }

    async def send() -> tuple[str, dict[str, Any]]:
        created = await ctx.hcp.customers.create(body)
        return created.id, created.model_dump(mode="json")

    customer_id, response = await ctx.hcp_write(
        "create_customer", f"{ctx.conversation.id}:customer", body, send
    )
    customer = Customer.model_validate(response)
    if not customer.addresses:
        customer = await ctx.hcp.customers.get(customer_id)
    session.customer_created = True
    session.first_name = customer.first_name
    _use_customer(session, customer)
    return {"customer_on_file": True, "created": True, "service_address": session.address_text}


async def _find_existing(ctx: ToolContext, full_name: str, street: str) -> Customer | None:
    """A customer with this name at this address: searched by phone, name, then address."""
    session = ctx.session
    candidates: dict[str, Customer] = {}
    for customer in await ctx.hcp.customers.find_by_phone(session.caller):
        candidates[customer.id] = customer
    for query in (full_name, street):
        try:
            page = await ctx.hcp.customers.list(q=query, page_size=25)
        except hcp.HcpError:
            log.info("customer search failed; continuing with what was found")
            continue
        for customer in page.items:
            candidates.setdefault(customer.id, customer)
    found = [
        c
        for c in candidates.values()
        if name_matches(full_name, c) and any(street_matches(street, a) for a in c.addresses)
    ]
    return found[0] if len(found) == 1 else None


@writes
@tool
async def add_service_address(
    ctx: ToolContext,
    street: str,
    city: str | None = None,
    state: str | None = None,
    zip: str | None = None,
) -> dict[str, Any]:
    """Use a different service address for this caller's visit (adds it to their record if new).
    Only for a verified caller or a customer created in this call. An address outside our service
    area is refused (out_of_area): say so and offer to take a message.

    Args:
        street: Street address (house number and street).
        city: City, if said.
        state: State, if said.
        zip: ZIP code, if said.
    """
    session = ctx.session
    if session.customer_id is None or not (session.verified or session.customer_created):
        raise ToolError("Identify the caller first (verify_caller or find_or_create_customer).")
    customer = await ctx.hcp.customers.get(session.customer_id)
    for address in customer.addresses:
        if street_matches(street, address):
            area = await in_service_area(
                ctx, city=address.city, state=address.state, zip=address.zip
            )
            if area.verdict == "no":
                return refuse(ctx, area)
            _use_address(session, address)
            return {"service_address": session.address_text}
    said = split_address(street, city, state, zip)
    area = await in_service_area(ctx, city=said["city"], state=said["state"], zip=said["zip"])
    if area.verdict == "no":
        return refuse(ctx, area)
    fields = await fill_address_defaults(ctx, said)
    if not all(fields.get(k) for k in ("street", "city", "state", "zip")):
        raise ToolError("Ask for the city, state and ZIP code of that address.")
    body = {**fields, "country": "US"}

    async def send() -> tuple[str, dict[str, Any]]:
        created = await ctx.hcp.customers.create_address(customer.id, body)
        return created.id, created.model_dump(mode="json")

    key = f"{ctx.conversation.id}:address:{'-'.join(norm_words(fields['street']))}"
    address_id, _ = await ctx.hcp_write("create_address", key, body, send)
    session.address_id = address_id
    session.address_text = ", ".join(p for p in (fields["street"], fields["city"]) if p)
    session.address_city, session.address_zip = fields["city"], fields["zip"]
    return {"service_address": session.address_text}
