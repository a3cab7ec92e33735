"""Estimate → summary SMS → "YES"/"approve option 2" → approved in HCP → job scheduled."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hcp import EstimateCreate

from .world import World, world

CHICAGO = ZoneInfo("America/Chicago")


async def a_customer(w: World) -> tuple[dict[str, Any], str]:
    page = (await w.control.get("/customers", params={"page_size": 5})).json()
    customer = next(c for c in page["customers"] if c.get("mobile_number") and c["addresses"])
    return customer, "+1" + customer["mobile_number"]


async def create_estimate(w: World, customer: dict[str, Any], options: list[Any]) -> str:
    estimate = await w.hcp.estimates.create(
        EstimateCreate.model_validate(
            {
                "customer_id": customer["id"],
                "address_id": customer["addresses"][0]["id"],
                "options": options,
            }
        )
    )
    return estimate.id


ONE_OPTION = [{"name": "Valve repair", "line_items": [{"name": "Valve", "unit_price": 18950,
                                                        "quantity": 1}]}]  # fmt: skip
TWO_OPTIONS = [
    {"name": "Repair", "line_items": [{"name": "Repair", "unit_price": 18950, "quantity": 1}]},
    {"name": "Replace", "line_items": [{"name": "New unit", "unit_price": 240000, "quantity": 1}]},
]


async def test_yes_approves_the_option_and_schedules_the_copied_job(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        customer, phone = await a_customer(w)
        estimate_id = await create_estimate(w, customer, ONE_OPTION)
        await w.settle()
        (summary,) = w.texts_to(phone)
        assert "Valve repair: $189.50." in summary and "Reply YES to approve" in summary

        await w.text(phone, "YES")
        await w.settle()
        offer = w.texts_to(phone)[-1]
        assert offer.startswith("Great, Valve repair is approved! We can come: 1) ")
        estimate = await w.hcp.estimates.get(estimate_id)
        assert estimate.options[0].approval_status == "pro approved"

        await w.text(phone, "1")
        await w.settle()
        booked = w.texts_to(phone)[-1]
        assert booked.startswith("You're all set for ")
        label = offer.split("1) ")[1].split(" 2)")[0].rstrip(".")
        assert label in booked
        jobs = await w.hcp.jobs.list(customer_id=customer["id"])
        copied = [j for j in jobs.items if j.original_estimate_id == estimate.options[0].id]
        assert len(copied) == 1
        schedule = copied[0].schedule
        assert schedule is not None and schedule.scheduled_start is not None
        start = schedule.scheduled_start.astimezone(CHICAGO)
        assert f"{start:%a %b} {start.day}" in booked
        assert len(w.texts_to(phone)) == 3  # no echo notices for our own writes


async def test_approve_option_two_without_auto_copy_creates_the_job(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        await w.control.put("/sandbox/settings", json={"auto_copy_approved_estimates": False})
        customer, phone = await a_customer(w)
        estimate_id = await create_estimate(w, customer, TWO_OPTIONS)
        await w.settle()
        (summary,) = w.texts_to(phone)
        assert "Option 1 (Repair): $189.50. Option 2 (Replace): $2,400." in summary

        await w.text(phone, "yes")
        await w.settle()
        assert w.texts_to(phone)[-1] == "Happy to! Which option would you like? Reply 1 or 2."

        before = {j.id for j in (await w.hcp.jobs.list(customer_id=customer["id"])).items}
        await w.text(phone, "approve option 2")
        await w.settle()
        estimate = await w.hcp.estimates.get(estimate_id)
        statuses = {o.name: o.approval_status for o in estimate.options}
        assert statuses == {"Repair": None, "Replace": "pro approved"}

        await w.text(phone, "2")
        await w.settle()
        assert w.texts_to(phone)[-1].startswith("You're all set for ")
        after = (await w.hcp.jobs.list(customer_id=customer["id"])).items
        (new_job,) = [j for j in after if j.id not in before]
        assert new_job.schedule and new_job.schedule.scheduled_start
        assert any("Replace" in (n.content or "") for n in new_job.notes)


async def test_one_polite_follow_up_when_there_is_no_answer(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        customer, phone = await a_customer(w)
        await create_estimate(w, customer, ONE_OPTION)
        await w.settle()
        w.clock.advance(hours=47)
        await w.settle()
        assert len(w.texts_to(phone)) == 1
        w.clock.advance(hours=2)  # 49 h after the summary: 10:00 in Chicago
        await w.settle()
        assert (
            w.texts_to(phone)[-1].startswith("Hi ")
            and "checking in on your estimate" in (w.texts_to(phone)[-1])
        )
        w.clock.advance(days=7)
        await w.settle()
        assert len(w.texts_to(phone)) == 2


async def test_no_follow_up_after_the_customer_answered(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        customer, phone = await a_customer(w)
        await create_estimate(w, customer, TWO_OPTIONS)
        await w.settle()
        await w.text(phone, "yes")
        await w.settle()
        w.clock.advance(days=3)
        await w.settle()
        assert len(w.texts_to(phone)) == 2  # summary + "which option?"
