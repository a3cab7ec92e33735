"""kill -9 between the HCP write and the journal on the SMS-reply path: still one write.

A worker handles the customer's "C" (confirm) and dies right after HCP added the job note,
before anything else is recorded. The inbound message is handled again (its outbox lease
and the write's lease expired), and the journal finds the note in HCP instead of adding a
second one.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from hcp import HcpClient
from hcp.sandbox import create_sandbox_app, seed_demo_company
from hcp.sandbox.store import SandboxState
from hcp.sandbox.testing import SANDBOX_BASE_URL, FakeClock
from voice_agent.followups.runtime import build_runtime
from voice_agent.messaging.threads import SmsThreads
from voice_agent.settings import Settings
from voice_agent.storage import open_store, upgrade

ROOT = Path(__file__).resolve().parents[2]
SID = "SM" + "c" * 32
CHILD = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    import httpx
    from hcp import HcpClient
    from hcp.sandbox import create_sandbox_app
    from hcp.sandbox.store import SandboxState
    from hcp.sandbox.testing import SANDBOX_BASE_URL, FakeClock
    from voice_agent.followups.runtime import build_runtime
    from voice_agent.settings import Settings
    from voice_agent.storage import open_store

    class DieAfterNote(httpx.AsyncBaseTransport):
        def __init__(self, inner):
            self.inner = inner

        async def handle_async_request(self, request):
            response = await self.inner.handle_async_request(request)
            if request.method == "POST" and request.url.path.endswith("/notes"):
                os.kill(os.getpid(), signal.SIGKILL)  # HCP has the note; nothing else ran
            return response

    async def main(agent_db, sandbox_db, data_dir):
        clock = FakeClock()
        state = SandboxState.open(sandbox_db)
        app = create_sandbox_app(state=state, clock=clock)
        transport = DieAfterNote(httpx.ASGITransport(app=app))
        client = HcpClient("sandbox", base_url=SANDBOX_BASE_URL,
                           allowed_domains=("sandbox.hcp.test",), transport=transport)
        store = open_store(f"sqlite+aiosqlite:///{agent_db}")
        settings = Settings(_env_file=None, data_dir=data_dir)
        runtime = build_runtime(settings, store=store, hcp=client, clock=clock, worker="doomed")
        await runtime.dispatcher.run_once(clock())

    asyncio.run(main(*sys.argv[1:4]))
    """
)


def _upcoming_job_with_phone(state: SandboxState) -> tuple[str, str]:
    for job in state.all("jobs"):
        if job["work_status"] != "scheduled":
            continue
        customer = state.get("customers", job["customer_id"])
        if customer and customer.get("mobile_number"):
            return job["id"], "+1" + customer["mobile_number"]
    raise AssertionError("the seed has no upcoming job")


async def test_a_crash_after_the_hcp_write_does_not_repeat_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    agent_db, sandbox_db = tmp_path / "agent.db", tmp_path / "sandbox.db"
    url = f"sqlite+aiosqlite:///{agent_db}"
    await upgrade(url)
    state = SandboxState.open(sandbox_db)
    seed_demo_company(state, now=clock())
    job_id, number = _upcoming_job_with_phone(state)
    notes_before = len(state.get("jobs", job_id)["notes"])  # type: ignore[index]
    state.close()
    store = open_store(url)
    await SmsThreads(store).set_context(number, {"kind": "booking", "job_id": job_id}, at=clock())
    await store.enqueue(
        "sms_in",
        {"message_sid": SID, "from": number, "to": "+15005550006", "body": "C"},
        idempotency_key=f"sms_in:{SID}",
        due_at=clock(),
    )

    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHILD,
        str(agent_db),
        str(sandbox_db),
        str(tmp_path),
        cwd=ROOT,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(child.communicate(), timeout=120)

    assert child.returncode == -signal.SIGKILL, stderr.decode()[-2000:]
    state = SandboxState.open(sandbox_db)
    assert len(state.get("jobs", job_id)["notes"]) == notes_before + 1  # type: ignore[index]
    try:  # the write's lease is wall-clock: step past it (the old code has no journal)
        from voice_agent.operations import journal

        real = journal.utcnow
        monkeypatch.setattr(journal, "utcnow", lambda: real() + timedelta(hours=1))
    except ImportError:
        pass
    app = create_sandbox_app(state=state, clock=clock)
    client = HcpClient(
        "sandbox",
        base_url=SANDBOX_BASE_URL,
        allowed_domains=("sandbox.hcp.test",),
        transport=httpx.ASGITransport(app=app),
    )
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    runtime = build_runtime(settings, store=store, hcp=client, clock=clock, worker="next")
    try:
        await runtime.dispatcher.run_once(clock() + timedelta(hours=1))  # past the outbox lease
        notes = state.get("jobs", job_id)["notes"]  # type: ignore[index]
        assert len(notes) == notes_before + 1
        replies = [i for i in await store.list_outbox() if i.kind == "sms"]
        assert len(replies) == 1 and "confirmed" in replies[0].payload["body"]
        [inbound] = [i for i in await store.list_outbox() if i.kind == "sms_in"]
        assert inbound.status == "done"
    finally:
        await runtime.aclose()
        await client.aclose()
        await store.close()
        state.close()
