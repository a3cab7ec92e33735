"""An embedded Housecall Pro: HCP's v1 API over local state, for demos and tests.

`create_sandbox_app()` returns an ASGI app; `SandboxState.open(path)` holds its data;
`seed_demo_company(state, now=...)` fills it with a realistic demo company.
"""

from hcp.sandbox.app import DEFAULT_API_KEY, create_sandbox_app
from hcp.sandbox.faults import FaultRule, Faults
from hcp.sandbox.seed import seed_demo_company
from hcp.sandbox.store import SandboxState
from hcp.sandbox.webhooks import WebhookDispatcher, sign

__all__ = [
    "DEFAULT_API_KEY",
    "FaultRule",
    "Faults",
    "SandboxState",
    "WebhookDispatcher",
    "create_sandbox_app",
    "seed_demo_company",
    "sign",
]
