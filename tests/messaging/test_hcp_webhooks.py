"""`POST /hcp/webhooks`: handshake, signatures, freshness, duplicates, async processing."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from hcp import compute_signature

from .helpers import outbox_by_kind
from .world import WEBHOOK_SECRET, World, world

EVENT = {
    "event": "customer.updated",
    "event_occurred_at": "2026-11-25T15:00:00Z",
    "company_id": "c0",
    "customer": {"id": "cus_1", "first_name": "Ann"},
}


async def post(
    w: World,
    body: bytes,
    *,
    secret: str | None = WEBHOOK_SECRET,
    age: float = 0,
    signature: str | None = None,
) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        timestamp = str(int(w.clock().timestamp() - age))
        headers["Api-Timestamp"] = timestamp
        headers["Api-Signature"] = signature or compute_signature(secret, timestamp, body)
    return await w.agent.post("/hcp/webhooks", content=body, headers=headers)


def raw(event: dict[str, object]) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode()


async def test_handshake_gets_200_and_stores_nothing(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        response = await post(w, b'{"foo":"bar"}', secret=None)
        assert response.status_code == 200
        assert await w.store.list_outbox() == []


async def test_signed_event_is_stored_once_and_processed_later(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        first = await post(w, raw(EVENT))
        again = await post(w, raw(EVENT))
        assert (first.status_code, first.json()["duplicate"]) == (200, False)
        assert (again.status_code, again.json()["duplicate"]) == (200, True)
        (item,) = await outbox_by_kind(w.store, "hcp_event")
        assert item.payload["event"]["customer"]["id"] == "cus_1"
        assert [e.event_id for e in await w.store.list_unprocessed_webhooks("hcp")] == [
            item.payload["event_id"]
        ]
        await w.runtime.run_once()
        assert await w.store.list_unprocessed_webhooks("hcp") == []


@pytest.mark.parametrize(
    ("case", "kwargs"),
    [
        ("wrong secret", {"secret": "not-the-secret"}),
        ("stale", {"age": 301}),
        ("from the future", {"age": -301}),
        ("tampered", {"signature": "0" * 64}),
        ("unsigned event", {"secret": None}),
    ],
)
async def test_forged_or_stale_deliveries_are_refused(
    tmp_path: Path, case: str, kwargs: dict[str, object]
) -> None:
    async with world(tmp_path) as w:
        response = await post(w, raw(EVENT), **kwargs)  # type: ignore[arg-type]
        assert response.status_code == 401, case
        assert await w.store.list_outbox() == []
        assert await w.store.list_unprocessed_webhooks("hcp") == []


async def test_previous_secret_still_accepted_during_rotation(tmp_path: Path) -> None:
    async with world(tmp_path, hcp_webhook_secret=f"new-secret-not-real,{WEBHOOK_SECRET}") as w:
        assert (await post(w, raw(EVENT))).status_code == 200
        assert (await post(w, raw(EVENT), secret="new-secret-not-real")).status_code == 200


async def test_events_for_another_company_are_ignored(tmp_path: Path) -> None:
    async with world(tmp_path, hcp_company_id="c0") as w:
        foreign = await post(w, raw({**EVENT, "company_id": "someone-else"}))
        assert (foreign.status_code, foreign.json().get("ignored")) == (200, True)
        assert await w.store.list_outbox() == []
        assert await w.store.list_unprocessed_webhooks("hcp") == []
        ours = await post(w, raw(EVENT))
        assert ours.status_code == 200 and not ours.json().get("ignored")
        assert len(await outbox_by_kind(w.store, "hcp_event")) == 1


async def test_no_secret_configured_is_a_clear_503(tmp_path: Path) -> None:
    async with world(tmp_path, hcp_webhook_secret=None) as w:
        response = await post(w, raw(EVENT))
        assert response.status_code == 503 and "HCP_WEBHOOK_SECRET" in response.text


async def test_secret_can_come_from_the_vault(tmp_path: Path) -> None:
    import base64

    from voice_agent.vault import Vault

    master = base64.b64encode(b"k" * 32).decode()
    async with world(tmp_path, hcp_webhook_secret=None, voice_agent_master_key=master) as w:
        assert (await post(w, raw(EVENT))).status_code == 503
        vault = Vault.from_settings(w.store, w.settings)
        await vault.put("hcp_webhook", WEBHOOK_SECRET, allowed_domains=("*.housecallpro.com",))
        assert (await post(w, raw(EVENT))).status_code == 200
        assert (await post(w, raw(EVENT), secret="other-secret")).status_code == 401
    from voice_agent.logs import redact

    assert WEBHOOK_SECRET not in redact(f"secret was {WEBHOOK_SECRET}")  # loaded: redacted


async def test_unsigned_json_other_than_the_handshake_is_refused(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        for body in (b"{}", b'{"customer":{"id":"cus_1"}}', b'{"foo":"bar","event":1}'):
            response = await post(w, body, secret=None)
            assert response.status_code == 401, body
        assert await w.store.list_outbox() == []


async def test_nan_timestamp_with_a_valid_signature_is_refused(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        body = raw(EVENT)
        headers = {
            "Content-Type": "application/json",
            "Api-Timestamp": "nan",
            "Api-Signature": compute_signature(WEBHOOK_SECRET, "nan", body),
        }
        response = await w.agent.post("/hcp/webhooks", content=body, headers=headers)
        assert response.status_code == 401
        assert await w.store.list_unprocessed_webhooks("hcp") == []


async def test_a_body_over_1_mb_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """RELIABILITY §8 row 31: oversized input gets 413 and stores nothing."""
    async with world(tmp_path) as w:
        body = b'{"event":"job.created","pad":"' + b"x" * (1024 * 1024) + b'"}'
        response = await post(w, body)
        assert response.status_code == 413
        assert await w.store.list_unprocessed_webhooks("hcp") == []


async def test_a_foreign_company_event_leaves_a_security_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """RELIABILITY §8 row 8: ignored, and the security log says so."""
    async with world(tmp_path, hcp_company_id="c0") as w:
        with caplog.at_level("WARNING", logger="voice_agent.channels.hcp_webhooks"):
            await post(w, raw({**EVENT, "company_id": "someone-else"}))
    assert any("security: ignored HCP webhook" in r.getMessage() for r in caplog.records)
