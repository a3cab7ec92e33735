"""Every setting is documented in the README's configuration table (issue 19)."""

from __future__ import annotations

import re
from pathlib import Path

from voice_agent.settings import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_setting_has_a_row_in_the_readme_table() -> None:
    rows = [line for line in README.read_text().splitlines() if line.startswith("| `")]
    documented = {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row)}
    missing = [name.upper() for name in Settings.model_fields if name.upper() not in documented]
    assert not missing, f"undocumented settings (add them to README → Configuration): {missing}"
