"""Public surface: every exported name exists, and hcp stands alone (no voice_agent)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import hcp
import hcp.models

HCP_DIR = Path(hcp.__file__).parent


def test_all_names_exist_and_are_unique() -> None:
    for module in (hcp, hcp.models):
        assert len(module.__all__) == len(set(module.__all__))
        missing = [name for name in module.__all__ if not hasattr(module, name)]
        assert missing == []


def test_core_surface_exported() -> None:
    for name in (
        "HcpClient",
        "HcpError",
        "Page",
        "iter_all",
        "verify_webhook",
        "Customer",
        "JobCreate",
        "BookingWindow",
        "WorkStatus",
        "HcpDomainNotAllowedError",
    ):
        assert name in hcp.__all__


def test_client_package_imports_nothing_from_voice_agent() -> None:
    offenders = []
    for path in HCP_DIR.rglob("*.py"):
        if "sandbox" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "voice_agent"]
    assert offenders == []
    code = "import sys, hcp; print(any(m.startswith('voice_agent') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_no_print_in_library() -> None:
    for path in HCP_DIR.rglob("*.py"):
        if "sandbox" in path.parts:
            continue
        calls = [
            n
            for n in ast.walk(ast.parse(path.read_text()))
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print"
        ]
        assert calls == [], path
