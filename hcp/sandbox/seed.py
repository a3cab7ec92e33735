"""The demo company: deterministic (seeded RNG) and relative to a given `now`."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hcp.sandbox._common import ONLINE_BOOKING_SOURCE
from hcp.sandbox.render import line_amount
from hcp.sandbox.scheduling import to_utc_z
from hcp.sandbox.store import Doc, SandboxState, new_id

COMPANY_NAME = "Bright Oak Home Services"
TIME_ZONE = "America/Chicago"
HOURS = {
    "monday": ("08:00", "17:00"),
    "tuesday": ("08:00", "17:00"),
    "wednesday": ("08:00", "17:00"),
    "thursday": ("08:00", "17:00"),
    "friday": ("08:00", "17:00"),
    "saturday": ("09:00", "13:00"),
}
EMPLOYEES = [
    ("Maria", "Gonzalez", "field tech", True),
    ("Dev", "Patel", "field tech", True),
    ("Sam", "Okafor", "field tech", True),
    ("Lena", "Kowalski", "field tech", True),
    ("Chris", "Baker", "office manager", False),
]
# (job type, price form name, price cents, duration minutes)
SERVICES = [
    ("Furnace tune-up", "Furnace tune-up", 12900, 60),
    ("AC repair", "AC diagnostic and repair", 18900, 120),
    ("Water heater", "Water heater replacement (50 gal)", 189900, 240),
    ("Drain cleaning", "Drain cleaning (main line)", 24900, 90),
    ("Electrical panel", "Electrical panel inspection", 14900, 60),
    ("Plumbing repair", "Leak repair", 17500, 60),
]
# The product books with the lead source "Phone agent" (voice_agent BOOKING_LEAD_SOURCE's
# default); HCP refuses unknown names with 400, so the demo company has it configured.
PHONE_AGENT_SOURCE = "Phone agent"
LEAD_SOURCES = ["Google", "Referral", "Yelp", "Facebook", "Phone call", ONLINE_BOOKING_SOURCE]
TAGS = ["VIP", "Maintenance plan", "Warranty", "Online booking", "Voice agent"]
FIRST = ["James", "Olivia", "Noah", "Emma", "Liam", "Ava", "Mason", "Sophia", "Lucas", "Mia"]
FIRST += ["Ethan", "Harper", "Aiden", "Ella", "Logan", "Grace", "Jacob", "Chloe", "Henry", "Nora"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Moore"]
LAST += ["Taylor", "Anderson", "Thomas", "Jackson", "White", "Harris", "Martin", "Clark", "Lewis"]
STREETS = ["Oak St", "Maple Ave", "Cedar Ln", "Elm St", "Pine Rd", "Birch Dr", "Walnut St"]
CITIES = [("Springfield", "62701"), ("Chatham", "62629"), ("Rochester", "62563")]
# (zone name, ZIP codes, cities, trip charge cents): every customer's address is in a zone
ZONES = [
    ("Springfield", ["62701", "62702", "62703", "62704"], ["Springfield"], 0),
    ("South county", ["62629", "62563"], ["Chatham", "Rochester"], 2500),
]
AREA_CODES = ["217", "312", "773"]
CUSTOMER_COUNT = 56


def _employee(rng: random.Random, i: int, now: str) -> Doc:
    first, last, role, bookable = EMPLOYEES[i]
    return {
        "id": new_id("pro_", rng),
        "first_name": first,
        "last_name": last,
        "email": f"{first.lower()}@brightoak.example",
        "mobile_number": f"217555{10 + i:04d}"[:10],
        "color_hex": f"#{rng.randrange(0x1000000):06x}",
        "avatar_url": "",
        "role": role,
        "created_at": now,
        "tags": [],
        "permissions": {
            "can_be_booked_online": bookable,
            "can_add_and_edit_job": True,
            "can_see_full_schedule": True,
            "is_admin": role == "office manager",
        },
        "company_name": COMPANY_NAME,
    }


def _customer(rng: random.Random, i: int, created: str, company_id: str) -> Doc:
    first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
    city, zip_code = CITIES[i % len(CITIES)]
    return {
        "id": new_id("cus_", rng),
        "first_name": first,
        "last_name": last,
        "email": f"{first.lower()}.{last.lower()}{i}@example.com",
        "mobile_number": f"{AREA_CODES[i % 3]}55501{i:02d}",
        "home_number": None,
        "work_number": None,
        "company": None,
        "notes": None,
        "notifications_enabled": True,
        "lead_source": LEAD_SOURCES[i % 5],
        "tags": ["Maintenance plan"] if i % 6 == 0 else [],
        "kind": "homeowner",
        "addresses": [
            {
                "id": new_id("adr_", rng),
                "type": "service",
                "street": f"{100 + rng.randrange(9800)} {STREETS[i % len(STREETS)]}",
                "street_line_2": None,
                "city": city,
                "state": "IL",
                "zip": zip_code,
                "country": "US",
                "created_at": created,
            }
        ],
        "created_at": created,
        "updated_at": created,
        "company_name": COMPANY_NAME,
        "company_id": company_id,
    }


def _line(rng: random.Random, service: tuple[str, str, int, int]) -> Doc:
    return {
        "id": new_id("prli_", rng),
        "name": service[1],
        "description": "",
        "unit_price": service[2],
        "unit_cost": service[2] // 3,
        "quantity": 1.0,
        "kind": "labor",
        "taxable": True,
        "unit_of_measure": "each",
        "order_index": 0,
    }


def _visit(
    day: datetime, hour: int, minutes: int, employee: str, zone: ZoneInfo, rng: random.Random
) -> Doc:
    start = datetime.combine(day.date(), time(hour), zone).astimezone(UTC)
    return {
        "id": new_id("appt_", rng),
        "start_time": to_utc_z(start),
        "end_time": to_utc_z(start + timedelta(minutes=minutes)),
        "arrival_window_minutes": 120,
        "anytime": False,
        "dispatched_employees_ids": [employee],
    }


def seed_demo_company(state: SandboxState, *, now: datetime | None = None, seed: int = 7) -> None:
    """Fill `state` with the demo company (relative to `now`); same seed, same data."""
    with state.batch():
        _seed(state, (now or datetime.now(UTC)).astimezone(UTC), seed)


def _seed(state: SandboxState, now: datetime, seed: int) -> None:
    rng = random.Random(seed)
    zone = ZoneInfo(TIME_ZONE)
    stamp = to_utc_z(now - timedelta(days=400))
    company_id = str(new_id("", rng))
    state.set_meta(
        "company",
        {
            "id": company_id,
            "name": COMPANY_NAME,
            "support_email": "office@brightoak.example",
            "phone_number": "2175550100",
            "logo_url": "",
            "address": {
                "street": "400 Monroe St",
                "street_line_2": None,
                "city": "Springfield",
                "state": "IL",
                "zip": "62701",
                "country": "US",
            },
            "website": "https://brightoak.example",
            "default_arrival_window": "120",
            "time_zone": TIME_ZONE,
            "service_areas_data": {"zip_codes": [z for _, z in CITIES]},
        },
    )
    days = [
        {"day_name": d, "schedule_windows": [{"start_time": s, "end_time": e}]}
        for d, (s, e) in HOURS.items()
    ]
    state.set_meta(
        "availability",
        {"availability_buffer_in_days": 0, "daily_availabilities": {"data": days}},
    )
    state.set_meta("settings", {"auto_copy_approved_estimates": True})
    employees = [_employee(rng, i, stamp) | {"company_id": company_id} for i in range(5)]
    for emp in employees:
        state.put("employees", emp)
    techs = [e["id"] for e in employees if e["permissions"]["can_be_booked_online"]]
    job_types = []
    for name, form_name, price, minutes in SERVICES:
        jt = {"id": new_id("jbt_", rng), "name": name, "created_at": stamp}
        job_types.append(state.put("job_types", jt))
        state.put("price_forms", _price_form(rng, form_name, price, minutes, employees))
    for name in LEAD_SOURCES:
        editable = name != ONLINE_BOOKING_SOURCE
        state.put(
            "lead_sources",
            {"id": new_id("lsrc_", rng), "name": name, "editable": editable, "created_at": stamp},
        )
    for name in TAGS:
        state.put("tags", {"id": new_id("tag_", rng), "name": name, "created_at": stamp})
    _seed_materials(state, rng)
    customers = []
    for i in range(CUSTOMER_COUNT):
        created = to_utc_z(now - timedelta(days=365 - i * 5))
        customers.append(state.put("customers", _customer(rng, i, created, company_id)))
    _seed_jobs(state, rng, now, zone, customers, techs, job_types)
    _seed_estimates(state, rng, now, customers, job_types)
    _seed_zones(state, rng, employees, stamp)
    plumbing = state.meta("material_category")["uuid"]
    hvac = str(new_id("", rng))
    state.put("material_categories", _category(hvac, "HVAC parts", None))
    state.put("material_categories", _category(str(new_id("", rng)), "Filters", hvac))
    state.put("material_categories", _category(str(new_id("", rng)), "Fittings", plumbing))
    source = {"id": new_id("lsrc_", rng), "name": PHONE_AGENT_SOURCE, "editable": True}
    state.put("lead_sources", source | {"created_at": stamp})


def _category(uuid: str, name: str, parent: str | None) -> Doc:
    return {
        "id": uuid,
        "object": "material_category",
        "uuid": uuid,
        "parent_uuid": parent,
        "name": name,
        "image": "",
    }


def _seed_zones(state: SandboxState, rng: random.Random, employees: list[Doc], stamp: str) -> None:
    techs = [e for e in employees if e["permissions"]["can_be_booked_online"]]
    for i, (name, zips, cities, charge) in enumerate(ZONES):
        pros = [
            {
                "id": e["id"],
                "first_name": e["first_name"],
                "last_name": e["last_name"],
                "email": e["email"],
                "full_name": f"{e['first_name']} {e['last_name']}",
            }
            for e in techs[i * 2 : i * 2 + 2]
        ]
        state.put(
            "service_zones",
            {
                "id": new_id("", rng),
                "name": name,
                "coverage_type": "zip_codes",
                "trip_charge": charge,
                "fee_name": "Trip charge" if charge else "",
                "zip_codes": zips,
                "cities": [{"city": c, "state": "IL", "country": "US"} for c in cities],
                "service_pros": pros,
                "created_at": stamp,
            },
        )


def _price_form(
    rng: random.Random, name: str, price: int, minutes: int, employees: list[Doc]
) -> Doc:
    pros = [
        {"uuid": e["id"], "full_name": f"{e['first_name']} {e['last_name']}"}
        for e in employees
        if e["permissions"]["can_be_booked_online"]
    ]
    return {
        "id": new_id("pbpf_", rng),
        "name": name,
        "price": price,
        "automatically_add_to_new_job": False,
        "olb_enabled": True,
        "duration_in_minutes": minutes,
        "taxable": True,
        "template_type": "custom",
        "description": f"{name}, flat rate",
        "dynamic_duration_enabled": False,
        "order_index": 0,
        "bookable_as": "jobs",
        "service_area_pricing_enabled": False,
        "fields": {"data": []},
        "assigned": {"pros": pros, "tags": []},
    }


def _seed_materials(state: SandboxState, rng: random.Random) -> None:
    category = new_id("", rng)
    state.set_meta("material_category", {"uuid": category, "name": "Plumbing parts"})
    state.put("material_categories", _category(category, "Plumbing parts", None))
    for name, price in (("PEX fitting 1/2in", 450), ("Wax ring", 899), ("P-trap 1-1/2in", 1499)):
        state.put(
            "materials",
            {
                "id": new_id("", rng),
                "object": "material",
                "uuid": "",
                "material_category_uuid": category,
                "material_category_name": "Plumbing parts",
                "name": name,
                "description": "",
                "cost": price // 2,
                "price": price,
                "unit_of_measure": "each",
                "part_number": f"PB-{rng.randrange(10000):04d}",
                "flat_rate_enabled": False,
                "taxable": True,
            },
        )
    for material in state.all("materials"):
        material["uuid"] = material["id"]
        state.put("materials", material)


def _seed_jobs(
    state: SandboxState,
    rng: random.Random,
    now: datetime,
    zone: ZoneInfo,
    customers: list[Doc],
    techs: list[str],
    job_types: list[Doc],
) -> None:
    number = 1000
    for i, cust in enumerate(customers[:40]):
        service = SERVICES[i % len(SERVICES)]
        past = i < 30
        day = now + timedelta(days=(-(i * 3 + 2) if past else (i - 29)))
        if day.astimezone(zone).weekday() >= 5:  # weekdays only; past visits stay past
            day += timedelta(days=-2 if past else 2)
        visit = _visit(day, 9 + (i % 3) * 2, service[3], techs[i % len(techs)], zone, rng)
        number = state.next_number("job_number", start=1001)
        line = _line(rng, service)
        job: Doc = {
            "id": new_id("job_", rng),
            "invoice_number": str(number),
            "description": service[0],
            "customer_id": cust["id"],
            "address_id": cust["addresses"][0]["id"],
            "notes": [],
            "work_status": "complete rated"
            if past and i % 2
            else "complete unrated"
            if past
            else "scheduled",
            "work_timestamps": {
                "on_my_way_at": visit["start_time"] if past else None,
                "started_at": visit["start_time"] if past else None,
                "completed_at": visit["end_time"] if past else None,
            },
            "arrival_window": 120,
            "appointments": [visit],
            "assigned_employee_ids": visit["dispatched_employees_ids"],
            "line_items": [line],
            "tags": [],
            "lead_source": cust["lead_source"],
            "job_type_id": job_types[i % len(job_types)]["id"],
            "original_estimate_id": None,
            # Records are written before now, whenever the visit is (HCP stamps writes).
            "created_at": to_utc_z(min(day - timedelta(days=5), now - timedelta(days=1))),
            "updated_at": visit["end_time"] if past else None,
        }
        job["updated_at"] = job["updated_at"] or job["created_at"]
        state.put("jobs", job)
        if past:
            invoice = _invoice(rng, job, line, paid=i % 3 != 0, done=visit["end_time"], now=now)
            state.put("invoices", invoice)


def _invoice(
    rng: random.Random, job: Doc, line: Doc, *, paid: bool, done: str, now: datetime
) -> Doc:
    issued = datetime.fromisoformat(done.replace("Z", "+00:00"))
    amount = line_amount(line)
    item: dict[str, Any] = {
        "id": line["id"],
        "name": line["name"],
        "unit_cost": line["unit_cost"],
        "unit_price": line["unit_price"],
        "qty_in_hundredths": 100,
        "amount": amount,
        "invoiced_amount": amount,
        "description": "",
        "type": "labor",
    }
    paid_at = to_utc_z(min(issued + timedelta(days=3), now)) if paid else None
    payments = (
        [
            {
                "id": new_id("pmt_", rng),
                "status": "succeeded",
                "payment_method": "credit_card",
                "amount": amount,
                "note": "",
                "paid_at": paid_at,
                "category": "payment",
            }
        ]
        if paid
        else []
    )
    return {
        "id": new_id("", rng),
        "job_id": job["id"],
        "customer_id": job["customer_id"],
        "invoice_number": job["invoice_number"],
        "status": "paid" if paid else "open",
        "amount": amount,
        "subtotal": amount,
        "due_amount": 0 if paid else amount,
        "due_at": to_utc_z(issued + timedelta(days=14)),
        "display_due_concept": "Net 14",
        "due_concept": "net_14",
        "paid_at": paid_at,
        "sent_at": done,
        "service_date": done,
        "invoice_date": done,
        "created_at": done,
        "items": [item],
        "taxes": [],
        "discounts": [],
        "payments": payments,
    }


def _seed_estimates(
    state: SandboxState,
    rng: random.Random,
    now: datetime,
    customers: list[Doc],
    job_types: list[Doc],
) -> None:
    for i, cust in enumerate(customers[40:46]):
        created = to_utc_z(now - timedelta(days=2 + i))
        good, better = SERVICES[(i + 2) % len(SERVICES)], SERVICES[(i + 3) % len(SERVICES)]
        options = []
        for n, service in enumerate((good, better), start=1):
            options.append(
                {
                    "id": new_id("est_", rng),
                    "name": f"Option #{n}: {service[1]}",
                    "option_number": n,
                    "line_items": [_line(rng, service)],
                    "tax": None,
                    "tags": [],
                    "approval_status": None,
                    "status": "open",
                    "message_from_pro": "",
                    "notes": [],
                    "created_at": created,
                    "updated_at": created,
                }
            )
        state.put(
            "estimates",
            {
                "id": new_id("csr_", rng),
                "estimate_number": state.next_number("estimate"),
                "customer_id": cust["id"],
                "address_id": cust["addresses"][0]["id"],
                "lead_source": cust["lead_source"],
                "assigned_employee_ids": [],
                "job_type_id": job_types[(i + 2) % len(job_types)]["id"],
                "work_status": "needs scheduling",
                "appointments": [],
                "options": options,
                "created_at": created,
                "updated_at": created,
            },
        )


def ensure_company(state: SandboxState) -> None:
    """Give an empty state a minimal company (id, name, time zone, weekday hours)."""
    if state.meta("company"):
        return
    state.set_meta(
        "company",
        {"id": new_id(""), "name": "HCP Sandbox", "time_zone": TIME_ZONE, "locations": []},
    )
    days = [
        {"day_name": d, "schedule_windows": [{"start_time": s, "end_time": e}]}
        for d, (s, e) in HOURS.items()
        if d != "saturday"
    ]
    state.set_meta(
        "availability", {"availability_buffer_in_days": 0, "daily_availabilities": {"data": days}}
    )
    state.set_meta("settings", {"auto_copy_approved_estimates": False})
