"""Dry-run against the real HCP account: reads go through, writes are answered locally.

The test line's dry-run mode gives its engine an `HcpClient` whose transport forwards reads
to HCP and answers every write itself: the request body echoed back as the record HCP would
return (new ids prefixed `dryrun_`, fields that would not parse as HCP's model dropped), and
later reads of those records answered from memory. The conversation sees the real customers,
job types and booking windows while nothing is created or changed in HCP.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import uuid
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError

from hcp.models import Address, Appointment, Customer, Estimate, Job, Lead, Note

log = logging.getLogger(__name__)

DRY_RUN_PREFIX = "dryrun_"
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_SHAPES: tuple[tuple[re.Pattern[str], type[BaseModel] | None, str], ...] = (
    (re.compile(r"^/customers/[^/]+/addresses$"), Address, "adr"),
    (re.compile(r"^/customers(/[^/]+)?$"), Customer, "cus"),
    (re.compile(r"^/jobs/[^/]+/notes$"), Note, "nte"),
    (re.compile(r"^/jobs/[^/]+/appointments(/[^/]+)?$"), Appointment, "apt"),
    (re.compile(r"^/jobs(/[^/]+)?$"), Job, "job"),
    (re.compile(r"^/leads$"), Lead, "lea"),
    (re.compile(r"^/estimates$"), Estimate, "est"),
)


def is_dry_run_id(hcp_id: str | None) -> bool:
    """Whether an HCP id was made up by a dry run."""
    return bool(hcp_id and hcp_id.startswith(DRY_RUN_PREFIX))


def _new_id(prefix: str) -> str:
    return f"{DRY_RUN_PREFIX}{prefix}_{uuid.uuid4().hex[:12]}"


def shape_record(path: str, body: Any, *, method: str = "POST") -> dict[str, Any]:
    """The record HCP would answer a write to `path` with, made from the request body.

    POST makes a new `dryrun_` id; PUT/PATCH keep the id in the path (an update).
    """
    model, prefix = next(((m, p) for rx, m, p in _SHAPES if rx.match(path)), (None, "rec"))
    record: dict[str, Any] = copy.deepcopy(body) if isinstance(body, dict) else {}
    last = path.rstrip("/").rsplit("/", 1)[-1]
    keep = is_dry_run_id(last) or method in ("PUT", "PATCH")
    record["id"] = last if keep else _new_id(prefix)
    for item in record.get("addresses") or []:
        if isinstance(item, dict):
            item.setdefault("id", _new_id("adr"))
    record["dry_run"] = True
    if model is None:
        return record
    for _ in range(len(record)):
        try:
            model.model_validate(record)
            return record
        except ValidationError as exc:
            bad = {str(e["loc"][0]) for e in exc.errors() if e["loc"]} - {"id"}
            if not bad:
                break
            for key in bad:
                record.pop(key, None)
    return {"id": record["id"], "dry_run": True}


class DryRunTransport(httpx.AsyncBaseTransport):
    """Forwards reads to `inner`; answers writes (and reads of their records) locally."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner
        self.records: dict[str, dict[str, Any]] = {}
        self.writes: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method in _READS:
            last = path.rstrip("/").rsplit("/", 1)[-1]
            if is_dry_run_id(last):
                record = self.records.get(last)
                if record is None:
                    return httpx.Response(404, json={"error": "not found"}, request=request)
                return httpx.Response(200, json=record, request=request)
            return await self._inner.handle_async_request(request)
        raw = await request.aread()
        self.writes.append((request.method, path))
        log.info("dry run: %s %s not sent to HCP", request.method, path)
        if request.method == "DELETE":
            return httpx.Response(204, request=request)
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {}
        record = shape_record(path, body, method=request.method)
        self.records[record["id"]] = record
        return httpx.Response(201, json=record, request=request)

    async def aclose(self) -> None:
        await self._inner.aclose()
