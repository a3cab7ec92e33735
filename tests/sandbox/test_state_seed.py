"""State persistence and the demo seed."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from hcp.sandbox import SandboxState, seed_demo_company

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def _snapshot(state: SandboxState) -> dict[str, list[dict[str, object]]]:
    names = ("customers", "employees", "jobs", "invoices", "estimates", "price_forms")
    return {n: state.all(n) for n in names}


def test_seed_is_deterministic() -> None:
    a, b = SandboxState.open(None), SandboxState.open(None)
    seed_demo_company(a, now=NOW)
    seed_demo_company(b, now=NOW)
    assert _snapshot(a) == _snapshot(b)
    c = SandboxState.open(None)
    seed_demo_company(c, now=NOW, seed=8)
    assert _snapshot(c)["customers"][0]["id"] != _snapshot(a)["customers"][0]["id"]


def test_seed_is_realistic() -> None:
    state = SandboxState.open(None)
    seed_demo_company(state, now=NOW)
    customers = state.all("customers")
    assert len(customers) >= 50
    phones = [c["mobile_number"] for c in customers]
    assert all(len(p) == 10 and p.isdigit() and p[3:8] == "55501" for p in phones)
    assert len(set(phones)) == len(phones)
    assert all(c["addresses"] for c in customers)
    assert 4 <= len(state.all("employees")) <= 6
    statuses = Counter(j["work_status"] for j in state.all("jobs"))
    assert statuses["scheduled"] > 0 and statuses["complete rated"] > 0
    invoices = state.all("invoices")
    overdue = [
        i for i in invoices if i["status"] == "open" and i["due_at"] < "2026-11-25T15:00:00Z"
    ]
    assert overdue and any(i["status"] == "paid" for i in invoices)
    assert all(isinstance(f["price"], int) for f in state.all("price_forms"))
    assert all(o["approval_status"] is None for e in state.all("estimates") for o in e["options"])


def test_seed_moves_with_the_clock() -> None:
    later = datetime(2027, 6, 1, 15, tzinfo=UTC)
    a, b = SandboxState.open(None), SandboxState.open(None)
    seed_demo_company(a, now=NOW)
    seed_demo_company(b, now=later)
    assert a.all("jobs")[0]["appointments"][0]["start_time"] < "2026-11-25"
    assert b.all("jobs")[0]["appointments"][0]["start_time"] > "2027-05"


def test_file_state_persists(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "hcp-sandbox.db"
    state = SandboxState.open(path)
    seed_demo_company(state, now=NOW)
    state.put("tags", {"id": "tag_x", "name": "Persisted"})
    assert state.next_number("job_number") == 1041
    state.close()
    reopened = SandboxState.open(path)
    assert reopened.get("tags", "tag_x") == {"id": "tag_x", "name": "Persisted"}
    assert len(reopened.all("customers")) == len(_snapshot(reopened)["customers"]) >= 50
    assert reopened.meta("company")["time_zone"] == "America/Chicago"
    assert reopened.next_number("job_number") == 1042
    reopened.delete("tags", "tag_x")
    assert reopened.get("tags", "tag_x") is None
