"""Online booking → confirmation SMS → "can we do Friday" → the job moves in the sandbox."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from .world import World, world

CHICAGO = ZoneInfo("America/Chicago")
ANN = "+13125550177"


async def book_online(w: World, phone: str = ANN) -> str:
    response = await w.control.post(
        "/sandbox/online_booking",
        json={
            "name": "Ann Online",
            "mobile_number": phone[2:],
            "address": {"street": "1 Elm St", "city": "Chicago", "state": "IL", "zip": "60601"},
        },
    )
    assert response.status_code == 201, response.text
    job_id: str = response.json()["job"]["id"]
    return job_id


async def test_online_booking_confirmation_then_reschedule_by_text(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        job_id = await book_online(w)
        await w.settle()

        (confirmation,) = w.texts_to(ANN)
        job = await w.hcp.jobs.get(job_id)
        assert job.schedule and job.schedule.scheduled_start
        start = job.schedule.scheduled_start.astimezone(CHICAGO)
        assert "Hi Ann, thanks for booking with Bright Oak Home Services!" in confirmation
        assert f"{start:%a %b} {start.day}" in confirmation and "Reply STOP" in confirmation

        await w.text(ANN, "can we do Friday instead?")
        await w.settle()
        offer = w.texts_to(ANN)[-1]
        assert offer.startswith("We can come: 1) Fri Nov 27") and "Reply 1" in offer

        await w.text(ANN, "2")
        await w.settle()
        done = w.texts_to(ANN)[-1]
        assert done.startswith("You're all set for Fri Nov 27")

        moved = await w.hcp.jobs.get(job_id)
        assert moved.schedule and moved.schedule.scheduled_start
        new_start = moved.schedule.scheduled_start.astimezone(CHICAGO)
        assert new_start.weekday() == 4 and new_start.date().day == 27
        label = offer.split("2) ")[1].split(" 3)")[0].split(".")[0]
        assert label in done
        # The sandbox echoed our reschedule as job.scheduled: recognised, no extra text.
        assert len(w.texts_to(ANN)) == 3


async def test_confirm_and_call_back_replies(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        job_id = await book_online(w)
        await w.settle()
        await w.text(ANN, "Yes")
        await w.settle()
        assert w.texts_to(ANN)[-1].startswith("Thanks, you're confirmed for ")
        notes = [n.content for n in (await w.hcp.jobs.get(job_id)).notes]
        assert "Customer confirmed the visit by text." in notes

        job_id_2 = await book_online(w, "+13125550178")
        await w.settle()
        await w.text("+13125550178", "CALL")
        await w.settle()
        assert w.texts_to("+13125550178")[-1].startswith("Got it. Someone from the office")
        (office,) = w.texts_to("+13125550199")
        assert "Call back +13125550178" in office and job_id_2 in office


async def test_office_scheduled_job_gets_a_notice_not_an_online_confirmation(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        customers = (await w.control.get("/customers", params={"page_size": 1})).json()
        customer = customers["customers"][0]
        await w.hcp.jobs.create(
            customer_id=customer["id"],
            address_id=customer["addresses"][0]["id"],
            schedule={
                "scheduled_start": datetime(2026, 12, 1, 9, tzinfo=CHICAGO),
                "scheduled_end": datetime(2026, 12, 1, 11, tzinfo=CHICAGO),
            },
        )
        await w.settle()
        (notice,) = [m["body"] for m in w.twilio.messages]
        assert "has your visit scheduled for Tue Dec 1, 9-11 AM" in notice
        assert "thanks for booking" not in notice
