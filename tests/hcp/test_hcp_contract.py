"""Contract tests: every request the client can make is validated against hcp/spec/openapi.yaml.

The spec is HCP's export with known slips, so it is loaded without validating the spec itself
(``Config(spec_validator_cls=None)``) and three slips are patched in memory, each said below.
Where the spec and recorded live behaviour disagree, the test names the disagreement.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hcp_fakes import TEST_KEY, Recorder
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest
from werkzeug.datastructures import ImmutableMultiDict

import hcp
from hcp import (
    AddressCreate,
    AppointmentCreate,
    BookingWindow,
    Customer,
    Employee,
    EstimateCreate,
    EstimateOptionCreate,
    HcpClient,
    JobCreate,
    JobScheduleCreate,
    LeadCreate,
    LineItemCreate,
    Tag,
)
from hcp._pagination import parse_page
from hcp.models import BookingWindows, LineItem, ScheduleResult

pytestmark = pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning")

SPEC_PATH = Path(hcp.__file__).parent / "spec" / "openapi.yaml"
T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
T1 = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)


@cache
def raw_spec() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
    return data


def patched_spec() -> dict[str, Any]:
    """The spec with its parameter slips fixed (documented, not hidden).

    Slip: several array query params put `enum` on the array instead of on `items`
    (`expand`, invoices `status`, `payment_method`), so a correct request
    ``expand[]=appointments`` would be refused; and some arrays lack `items`.
    """
    spec = copy.deepcopy(raw_spec())
    for item in spec["paths"].values():
        for op in item.values():
            for param in op.get("parameters", []) if isinstance(op, dict) else []:
                schema = param.get("schema", {})
                if schema.get("type") == "array":
                    items = schema.setdefault("items", {"type": "string"})
                    if "enum" in schema:
                        items["enum"] = schema.pop("enum")
                        schema.pop("example", None)
    return spec


@cache
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(patched_spec(), config=Config(spec_validator_cls=None))


def to_openapi_request(request: httpx.Request) -> MockRequest:
    """Adapt an httpx request for openapi-core.

    Spec vs live: the spec names array params `work_status`; HCP live needs `work_status[]`
    (a bare name gets 422 "must be an array"), so the client sends brackets and the adapter
    strips them before validating the name against the spec.
    """
    args = [(k[:-2] if k.endswith("[]") else k, v) for k, v in request.url.params.multi_items()]
    mock = MockRequest(
        "https://api.housecallpro.com",
        request.method,
        request.url.path,
        headers=dict(request.headers),
        data=request.content or None,
        content_type=request.headers.get("content-type", "application/json"),
    )
    mock.parameters.query = ImmutableMultiDict(args)
    return mock


def validate(request: httpx.Request) -> None:
    openapi().validate_request(to_openapi_request(request))


UNIVERSAL: dict[str, Any] = {
    "id": "x_1",
    "uuid": "u_1",
    "name": "Name",
    "content": "note",
    "start_time": "2026-03-02T14:00:00Z",
    "end_time": "2026-03-02T16:00:00Z",
}
LIST_KEYS = (
    "customers",
    "addresses",
    "jobs",
    "employees",
    "job_types",
    "lead_sources",
    "tags",
    "estimates",
    "invoices",
    "leads",
    "appointments",
    "service_zones",
    "data",
)


def universal_handler(request: httpx.Request) -> httpx.Response:
    """Answer any call with a body every model accepts (the request is what is under test)."""
    body: dict[str, Any] = dict(UNIVERSAL)
    body.update({"page": 1, "page_size": 10, "total_pages": 1, "total_items": 1})
    body.update({key: [UNIVERSAL] for key in LIST_KEYS})
    if (
        request.url.path in ("/tags",)
        or request.url.path.endswith("/tags")
        or "/tags/" in request.url.path
    ):
        body["tags"] = [UNIVERSAL]
    else:
        body["tags"] = ["voice"]  # customers/jobs carry tag names
    body["booking_windows"] = [dict(UNIVERSAL, available=True)]
    return httpx.Response(200, json=body)


Call = Callable[[HcpClient], Awaitable[Any]]

# (operation "METHOD /template", call). Each is one request the client can make.
CASES: list[tuple[str, Call]] = [
    (
        "GET /customers",
        lambda c: c.customers.list(
            q="5551234567",
            page=2,
            page_size=50,
            sort_by="created_at",
            sort_direction="asc",
            location_ids=["loc_1"],
            expand=["attachments", "do_not_service"],
        ),
    ),
    ("GET /customers/{customer_id}", lambda c: c.customers.get("cus_1", expand=["attachments"])),
    (
        "POST /customers",
        lambda c: c.customers.create(
            first_name="Ann",
            last_name="Lee",
            mobile_number="5551234567",
            email="ann@example.com",
            notifications_enabled=True,
            tags=["voice"],
            lead_source="Phone",
            notes="from the agent",
            addresses=[
                {
                    "street": "1 Main St",
                    "city": "Austin",
                    "state": "TX",
                    "zip": "78701",
                    "country": "US",
                }
            ],
        ),
    ),
    (
        "PUT /customers/{customer_id}",
        lambda c: c.customers.update("cus_1", first_name="Ann", work_number="5550001111"),
    ),
    (
        "GET /customers/{customer_id}/addresses",
        lambda c: c.customers.list_addresses(
            "cus_1", page=1, page_size=20, sort_by="created_at", sort_direction="desc"
        ),
    ),
    (
        "GET /customers/{customer_id}/addresses/{address_id}",
        lambda c: c.customers.get_address("cus_1", "adr_1"),
    ),
    (
        "POST /customers/{customer_id}/addresses",
        lambda c: c.customers.create_address(
            "cus_1", AddressCreate(street="1 Main St", city="Austin", state="TX", zip="78701")
        ),
    ),
    ("GET /customers", lambda c: c.customers.find_by_phone("(555) 123-4567")),
    (
        "GET /jobs",
        lambda c: c.jobs.list(
            customer_id="cus_1",
            work_status=["needs scheduling", "in progress", "completed"],
            scheduled_start_min=T0,
            scheduled_start_max=T1,
            scheduled_end_min=T0,
            scheduled_end_max=T1,
            employee_ids=["pro_1", "pro_2"],
            location_ids=["loc_1"],
            expand=["appointments", "attachments"],
            sort_by="updated_at",
            sort_direction="desc",
            page=1,
            page_size=200,
        ),
    ),
    ("GET /jobs/{id}", lambda c: c.jobs.get("job_1", expand=["appointments"])),
    (
        "POST /jobs",
        lambda c: c.jobs.create(
            JobCreate(
                customer_id="cus_1",
                address_id="adr_1",
                schedule=JobScheduleCreate(scheduled_start=T0, scheduled_end=T1, arrival_window=60),
                assigned_employee_ids=["pro_1"],
                line_items=[
                    LineItemCreate(name="Diagnostic", unit_price=8900, quantity=1, unit_cost=0)
                ],
                tags=["voice"],
                lead_source="Phone",
                notes="Leaking water heater",
                job_fields={"job_type_id": "jbt_1", "business_unit_id": "bu_1"},
            )
        ),
    ),
    (
        "POST /jobs",
        lambda c: c.jobs.create(
            customer_id="cus_1",
            address_id="adr_1",
            schedule={"anytime": True, "anytime_start_date": date(2026, 3, 2)},
        ),
    ),
    ("GET /jobs/{job_id}/appointments", lambda c: c.jobs.list_appointments("job_1")),
    (
        "POST /jobs/{job_id}/appointments",
        lambda c: c.jobs.create_appointment(
            "job_1",
            AppointmentCreate(
                start_time=T0,
                end_time=T1,
                dispatched_employees_ids=["pro_1"],
                arrival_window_minutes=30,
            ),
        ),
    ),
    (
        "PUT /jobs/{job_id}/appointments/{appointment_id}",
        lambda c: c.jobs.update_appointment(
            "job_1", "appt_1", start_time=T0, end_time=T1, dispatched_employees_ids=["pro_1"]
        ),
    ),
    (
        "DELETE /jobs/{job_id}/appointments/{appointment_id}",
        lambda c: c.jobs.delete_appointment("job_1", "appt_1"),
    ),
    (
        "PUT /jobs/{job_id}/schedule",
        lambda c: c.jobs.update_schedule(
            "job_1",
            start_time=T0,
            end_time=T1,
            arrival_window_in_minutes=60,
            notify=False,
            notify_pro=False,
            dispatched_employees=[{"employee_id": "pro_1"}],
        ),
    ),
    ("DELETE /jobs/{job_id}/schedule", lambda c: c.jobs.delete_schedule("job_1")),
    ("POST /jobs/{job_id}/notes", lambda c: c.jobs.add_note("job_1", "Gate code 1234")),
    ("DELETE /jobs/{job_id}/notes/{note_id}", lambda c: c.jobs.delete_note("job_1", "nte_1")),
    ("GET /jobs/{job_id}/line_items", lambda c: c.jobs.list_line_items("job_1")),
    (
        "PUT /jobs/{job_id}/line_items/bulk_update",
        lambda c: c.jobs.bulk_update_line_items(
            "job_1",
            [
                {
                    "id": "li_1",
                    "name": "Trip",
                    "unit_price": 4900,
                    "quantity": 1,
                    "kind": "labor",
                    "taxable": False,
                },
                {"name": "New part", "unit_price": 1250},
            ],
            append=True,
        ),
    ),
    ("GET /jobs/{job_id}/invoices", lambda c: c.jobs.list_invoices("job_1")),
    ("POST /jobs/{job_id}/tags", lambda c: c.jobs.add_tag("job_1", "tag_1")),
    ("DELETE /jobs/{job_id}/tags/{tag_id}", lambda c: c.jobs.remove_tag("job_1", "tag_1")),
    (
        "GET /employees",
        lambda c: c.employees.list(
            page=1,
            page_size=100,
            sort_by="created_at",
            sort_direction="asc",
            location_ids=["loc_1"],
        ),
    ),
    ("GET /job_fields/job_types", lambda c: c.job_types.list(name="Repair")),
    (
        "GET /lead_sources",
        lambda c: c.lead_sources.list(q="Goo", page=1, page_size=50, sort_direction="asc"),
    ),
    (
        "GET /tags",
        lambda c: c.tags.list(page=1, page_size=50, sort_by="name", sort_direction="asc"),
    ),
    ("POST /tags", lambda c: c.tags.create("voice-agent")),
    ("GET /company", lambda c: c.company.get()),
    (
        "GET /service_zones",
        lambda c: c.service_zones.list(zip_code="62701", address="1 Main St", page=1, page_size=50),
    ),
    ("GET /company/schedule_availability", lambda c: c.schedule.availability()),
    (
        "GET /company/schedule_availability/booking_windows",
        lambda c: c.schedule.booking_windows(
            start_date=date(2026, 3, 2),
            show_for_days=3,
            service_id="svc_1",
            service_duration=90,
            price_form_id="pbpf_1",
            employee_ids=["pro_1", "pro_2"],
        ),
    ),
    (
        "GET /estimates",
        lambda c: c.estimates.list(
            customer_id="cus_1",
            work_status=["scheduled"],
            employee_ids=["pro_1"],
            expand=["attachments"],
            sort_by="updated_at",
            sort_direction="desc",
            page=1,
            page_size=10,
            scheduled_start_min=T0,
        ),
    ),
    ("GET /estimates/{estimate_id}", lambda c: c.estimates.get("csr_1", expand=["attachments"])),
    (
        "POST /estimates",
        lambda c: c.estimates.create(
            EstimateCreate(
                customer_id="cus_1",
                address_id="adr_1",
                note="n",
                message="m",
                lead_source="Phone",
                assigned_employee_ids=["pro_1"],
                options=[
                    {
                        "name": "Good",
                        "tags": ["t"],
                        "line_items": [
                            {
                                "name": "Heater",
                                "unit_price": 120000,
                                "quantity": 1,
                                "unit_cost": 80000,
                            }
                        ],
                    }
                ],
                tax={"taxable": True, "tax_rate": 0.0825, "tax_name": "TX"},
                schedule={
                    "start_time": T0,
                    "end_time": T1,
                    "arrival_window_in_minutes": 60,
                    "notify_customer": False,
                },
                estimate_fields={"job_type_id": "jbt_1"},
            )
        ),
    ),
    (
        "POST /estimates",
        lambda c: c.estimates.create(
            customer_id="cus_1",
            address={"street": "1 Main St", "city": "Austin", "state": "TX", "zip": "78701"},
        ),
    ),
    (
        "POST /estimates/{estimate_id}/options",
        lambda c: c.estimates.add_option(
            "csr_1",
            EstimateOptionCreate(
                name="Better",
                line_items=[{"name": "Tank", "unit_price": 150000, "quantity": 1, "taxable": True}],
                tax={"taxable": True, "tax_rate": 0.0825, "tax_name": "TX"},
            ),
        ),
    ),
    ("POST /estimates/options/approve", lambda c: c.estimates.approve_options(["est_1"])),
    ("POST /estimates/options/decline", lambda c: c.estimates.decline_options(["est_1", "est_2"])),
    (
        "GET /invoices",
        lambda c: c.invoices.list(
            status=["open", "paid"],
            customer_uuid=["cus_1"],
            created_at_min=T0,
            created_at_max=T1,
            due_at_min=T0,
            due_at_max=T1,
            paid_at_min=T0,
            paid_at_max=T1,
            amount_due_min=0,
            amount_due_max=100000,
            payment_method=["credit_card"],
            location_ids=["loc_1"],
            sort_by="due_at",
            sort_direction="asc",
            page=1,
            page_size=25,
        ),
    ),
    ("GET /api/invoices/{uuid}", lambda c: c.invoices.get("2b0c2c1e-0000-4000-8000-000000000001")),
    (
        "POST /leads",
        lambda c: c.leads.create(
            LeadCreate(
                customer={
                    "first_name": "Ann",
                    "mobile_number": "5551234567",
                    "addresses": [
                        {"street": "1 Main St", "city": "Austin", "state": "TX", "zip": "78701"}
                    ],
                },
                address={"street": "1 Main St", "city": "Austin", "state": "TX", "zip": "78701"},
                lead_source="Phone",
                note="Wants a quote",
                tags=["voice"],
                line_items=[
                    {"name": "Quote visit", "kind": "labor", "quantity": 1, "unit_price": 0}
                ],
            )
        ),
    ),
    ("POST /leads", lambda c: c.leads.create(customer_id="cus_1", address_id="adr_1")),
    (
        "GET /leads",
        lambda c: c.leads.list(
            customer_id="cus_1",
            status="open",
            employee_ids=["pro_1"],
            tag_ids=["tag_1"],
            lead_source=["Phone"],
            location_ids=["loc_1"],
            sort_by="created_at",
            sort_direction="desc",
            page=1,
            page_size=10,
        ),
    ),
    ("GET /leads/{id}", lambda c: c.leads.get("lea_1")),
    ("POST /leads/{id}/convert", lambda c: c.leads.convert("lea_1", "job")),
    ("GET /api/price_book/price_forms", lambda c: c.price_book.list_price_forms()),
    ("GET /api/price_book/price_forms/{uuid}", lambda c: c.price_book.get_price_form("pbpf_1")),
    (
        "GET /api/price_book/materials",
        lambda c: c.price_book.list_materials(
            "cat_1", page=1, page_size=10, sort_by="name", sort_direction="asc"
        ),
    ),
    (
        "GET /api/price_book/material_categories",
        lambda c: c.price_book.list_material_categories(parent_uuid="cat_0", page=1, page_size=10),
    ),
]


def template_regex(op: str) -> tuple[str, re.Pattern[str]]:
    method, template = op.split(" ", 1)
    pattern = re.sub(r"\{[^}]+\}", r"[^/]+", template)
    return method, re.compile(f"^{pattern}$")


@pytest.mark.parametrize(
    ("op", "call"), CASES, ids=[f"{i}:{op}" for i, (op, _) in enumerate(CASES)]
)
async def test_request_matches_spec(op: str, call: Call) -> None:
    recorder = Recorder(universal_handler)
    async with HcpClient(TEST_KEY, transport=httpx.MockTransport(recorder), max_retries=0) as c:
        await call(c)
    assert len(recorder.requests) == 1
    request = recorder.requests[0]
    method, regex = template_regex(op)
    assert request.method == method and regex.match(request.url.path), request.url
    assert request.headers["authorization"] == f"Token {TEST_KEY}"
    validate(request)


def test_every_case_names_a_spec_operation() -> None:
    spec_ops = {
        f"{m.upper()} {p}"
        for p, item in raw_spec()["paths"].items()
        for m in item
        if m in {"get", "post", "put", "patch", "delete"}
    }
    assert {op for op, _ in CASES} <= spec_ops


def test_every_public_resource_method_has_a_contract_case() -> None:
    """A new resource method without a contract case fails here."""
    client = HcpClient(TEST_KEY)
    methods = {
        f"{name}.{attr}"
        for name in (
            "customers",
            "jobs",
            "employees",
            "job_types",
            "lead_sources",
            "tags",
            "company",
            "schedule",
            "estimates",
            "invoices",
            "leads",
            "price_book",
            "service_zones",
        )
        for attr in dir(getattr(client, name))
        if not attr.startswith("_")
    }
    source = Path(__file__).read_text()
    missing = sorted(m for m in methods if f"c.{m}(" not in source)
    assert missing == []


def _validate_raw(method: str, path: str, body: Any = None, params: Any = None) -> None:
    request = httpx.Request(method, f"https://api.housecallpro.com{path}", json=body, params=params)
    validate(request)


def test_harness_rejects_bad_requests() -> None:
    """The contract check can fail: missing required fields / wrong enums are refused."""
    with pytest.raises(Exception, match="address_id"):
        _validate_raw("POST", "/jobs", {"customer_id": "cus_1"})
    with pytest.raises(Exception, match="work_status"):
        _validate_raw(
            "GET", "/jobs", params=[("work_status[]", "in progress")]
        )  # returned spelling
    with pytest.raises(Exception, match="dispatched_employees_ids"):
        _validate_raw("POST", "/jobs/job_1/appointments", {"start_time": "x", "end_time": "y"})
    with pytest.raises(Exception):  # noqa: B017 - no such operation in the spec
        _validate_raw("DELETE", "/customers/cus_1")


def test_spec_slips_are_real() -> None:
    """The patched slips exist in the vendored spec (if HCP fixes them, drop the patch)."""
    params = raw_spec()["paths"]["/jobs"]["get"]["parameters"]
    expand = next(p for p in params if p["name"] == "expand")
    assert "enum" in expand["schema"] and "items" not in expand["schema"]
    assert "work_status" in {p["name"] for p in params}  # spec: no brackets; live: work_status[]


# --- The spec's own examples parse -------------------------------------------------------


def _response_example(method: str, path: str, code: str = "200") -> Any:
    content = raw_spec()["paths"][path][method]["responses"][code]["content"]["application/json"]
    if "examples" in content:
        return next(iter(content["examples"].values()))["value"]
    return content["example"]


def _schema_example(name: str) -> Any:
    return next(iter(raw_spec()["components"]["schemas"][name]["x-examples"].values()))


def test_customers_list_example_parses() -> None:
    data = copy.deepcopy(_response_example("get", "/customers"))
    # Spec slip: the example customer has no `id` although every live customer has one.
    for row in data["customers"]:
        row.setdefault("id", "cus_example")
    page = parse_page(data, "customers", Customer)
    assert page.items[0].first_name == "string"
    assert page.items[0].created_at is None  # placeholder "string" timestamps are not dates


def test_employees_examples_parse() -> None:
    page = parse_page(_response_example("get", "/employees"), "employees", Employee)
    assert page.items[0].can_be_booked_online is True
    assert Employee.model_validate(_schema_example("Employee")).id == "string"


def test_tags_examples_parse() -> None:
    assert parse_page(_response_example("get", "/tags"), "tags", Tag).items[0].name == "string"
    assert Tag.model_validate(_schema_example("Tag")).id == "string"
    body = _response_example("post", "/jobs/{job_id}/tags", "201")
    assert [t.id for t in parse_page(body, "tags", Tag)] == ["string"]


def test_schedule_put_example_parses() -> None:
    result = ScheduleResult.model_validate(_response_example("put", "/jobs/{job_id}/schedule"))
    # The example has a naive time; responses are documented UTC, so it is read as UTC.
    assert result.start_time == datetime(2021, 1, 10, 20, 45, tzinfo=UTC)
    assert result.assigned_employees[0].role == "field tech"


def test_booking_windows_example_uses_placeholders() -> None:
    """Spec's example has "string" for times; BookingWindow times are strict on purpose
    (a window without a real time cannot be offered), so the test fills in real times."""
    example = copy.deepcopy(
        _response_example("get", "/company/schedule_availability/booking_windows")
    )
    with pytest.raises(ValueError):
        BookingWindows.model_validate(example)
    for w in example["booking_windows"]:
        w.update(start_time="2026-03-02T14:00:00Z", end_time="2026-03-02T16:00:00Z")
    parsed = BookingWindows.model_validate(example)
    assert parsed.booking_windows == [BookingWindow(start_time=T0, end_time=T1, available=True)]


def test_estimate_create_example_builds_a_request() -> None:
    example = copy.deepcopy(_schema_example("EstimateCreate"))
    # The example's schedule times are the placeholder "string"; outgoing times must be aware.
    with pytest.raises(ValueError):
        EstimateCreate.model_validate(example)
    example["schedule"].update(start_time=T0, end_time=T1)
    body = EstimateCreate.model_validate(example).to_body()
    assert body["schedule"]["start_time"] == "2026-03-02T14:00:00Z"
    validate(httpx.Request("POST", "https://api.housecallpro.com/estimates", json=body))


def test_error_examples_parse() -> None:
    from hcp._errors import parse_error_body

    assert (
        parse_error_body(_response_example("post", "/estimates/{estimate_id}/options", "404"), 404)[
            0
        ]
        == "Estimate not found"
    )
    assert parse_error_body(
        _response_example("post", "/estimates/{estimate_id}/options", "422"), 422
    ) == ("name is missing", {"name": ["is missing"]})


def test_line_items_envelope_spec_vs_live() -> None:
    """Spec: ``{url, data}``. Live (RUBY probe): ``{"object":"list","data":[...]}``. Both parse."""
    spec_shape = {
        "url": "/jobs/job_1/line_items",
        "data": [{"id": "li_1", "name": "Trip", "unit_price": 4900}],
    }
    live_shape = {"object": "list", "data": [{"id": "li_1", "name": "Trip", "unit_price": 4900}]}
    for shape in (spec_shape, live_shape):
        items = parse_page(shape, "data", LineItem).items
        assert items[0].unit_price == 4900


def test_addresses_list_envelope_spec_vs_live() -> None:
    """Spec slip: the addresses envelope is declared as a request body of the GET; the client
    sends no body and reads ``{...paging, addresses: [...]}`` from the response."""
    op = raw_spec()["paths"]["/customers/{customer_id}/addresses"]["get"]
    assert "requestBody" in op and "200" in op["responses"]


def test_job_create_body_is_exactly_what_is_set() -> None:
    body = JobCreate(customer_id="cus_1", address_id="adr_1", notes="n").to_body()
    assert json.dumps(body, sort_keys=True) == (
        '{"address_id": "adr_1", "customer_id": "cus_1", "notes": "n"}'
    )


# --- Every field the spec declares fits the models ------------------------------------------

TIME_NAMES = ("_at", "_time", "scheduled_start", "scheduled_end")


def synthesize(schema: dict[str, Any], name: str = "", depth: int = 0) -> Any:
    """An instance of `schema` using the spec's own property examples where it gives them."""
    if "$ref" in schema:
        schema = raw_spec()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = synthesize(part, name, depth)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    kind = schema.get("type", "object" if "properties" in schema else None)
    if kind == "object" or "properties" in schema:
        if depth > 4:
            return {}
        return {k: synthesize(v, k, depth + 1) for k, v in schema.get("properties", {}).items()}
    if kind == "array":
        return [synthesize(schema.get("items", {"type": "string"}), name, depth + 1)]
    if "example" in schema and not isinstance(schema["example"], dict | list):
        return schema["example"]
    if kind == "string":
        if schema.get("format") == "date-time" or name.endswith(TIME_NAMES):
            return "2026-03-02T14:00:00Z"
        return schema.get("enum", ["x"])[0]
    if kind in ("integer", "number"):
        return 1
    if kind == "boolean":
        return True
    return None


MODEL_SCHEMAS = [
    ("Customer", hcp.Customer),
    ("Address", hcp.Address),
    ("Job", hcp.Job),
    ("Appointment", hcp.Appointment),
    ("Employee", hcp.Employee),
    ("Estimate", hcp.Estimate),
    ("EstimateOption", hcp.EstimateOption),
    ("Lead", hcp.Lead),
    ("LeadSource", hcp.LeadSource),
    ("JobType", hcp.JobType),
    ("Tag", hcp.Tag),
    ("Note", hcp.Note),
    ("Company", hcp.Company),
    ("JobInvoice", hcp.Invoice),
    ("LineItemResponse", hcp.LineItem),
    ("Material", hcp.Material),
    ("MaterialCategory", hcp.MaterialCategory),
    ("PriceFormResponse", hcp.PriceForm),
    ("CompleteScheduleAvailability", hcp.ScheduleAvailability),
    ("ServiceZoneResponse", hcp.ServiceZone),
]


@pytest.mark.parametrize(("schema_name", "model"), MODEL_SCHEMAS, ids=[n for n, _ in MODEL_SCHEMAS])
def test_model_accepts_every_spec_field(schema_name: str, model: type[Any]) -> None:
    instance = synthesize({"$ref": f"#/components/schemas/{schema_name}"})
    instance.setdefault("id", "x_1")
    instance.setdefault("uuid", "u_1")
    parsed = model.model_validate(instance)
    assert parsed is not None
