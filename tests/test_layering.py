"""The import layering: channels -> application (engine, tools) -> domain -> hcp / storage.

Read from the source (AST), not by importing: every `import` counts, including ones inside
functions and `TYPE_CHECKING` blocks, and importing `a.b.c` counts as importing the packages
`a` and `a.b` too (their `__init__` runs). Rules are checked on what a package reaches
transitively, so a lower layer cannot pull a higher one in through a third package.
"""

from __future__ import annotations

import ast
from collections import deque
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# lowest first: each may reach only the layers before it, so no two can form a cycle
LAYERS = (
    "hcp",
    "voice_agent.storage",
    "voice_agent.outbox",
    "voice_agent.operations",
    "voice_agent.engine",
    "voice_agent.tools",
    "voice_agent.messaging",
    "voice_agent.followups",
    "voice_agent.channels",
)
ALSO_FORBIDDEN = {
    "hcp": ("voice_agent",),  # standalone
    "voice_agent.storage": ("voice_agent.followups",),
    "voice_agent.operations": ("voice_agent.followups",),
    "voice_agent.runtime": ("voice_agent.web",),  # the root builds channels, not pages
}
PHONE_LIBRARY = "phonenumbers"
PHONE_MODULES = {"voice_agent.phones", "hcp._phone"}  # hcp stays standalone: its own


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _sources(root: Path = ROOT) -> dict[str, Path]:
    files = [*root.glob("voice_agent/**/*.py"), *root.glob("hcp/**/*.py")]
    return {_module_name(p, root): p for p in files}


@cache
def _imported(module: str, root: Path = ROOT) -> frozenset[str]:
    """Every module name `module` imports (absolute, any depth in the file)."""
    path = _sources(root)[module]
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join([*base, *([node.module] if node.module else [])])
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
    return frozenset(names)


def _edges(module: str, root: Path = ROOT) -> set[str]:
    """Our modules that loading `module` loads next: its imports and their parent packages."""
    known = _sources(root)
    out: set[str] = set()
    for name in _imported(module, root) | {module}:
        parts = name.split(".")
        out.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return {m for m in out if m in known and m != module}


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _path_to(start: str, target: str, root: Path = ROOT) -> list[str] | None:
    """The shortest import chain from package `start` into package `target`, if any."""
    sources = [m for m in _sources(root) if _inside(m, start)]
    came_from: dict[str, str | None] = dict.fromkeys(sources)
    queue = deque(sources)
    while queue:
        module = queue.popleft()
        if _inside(module, target):
            chain = [module]
            while (previous := came_from[chain[-1]]) is not None:
                chain.append(previous)
            return chain[::-1]
        for nxt in _edges(module, root):
            if nxt not in came_from:
                came_from[nxt] = module
                queue.append(nxt)
    return None


def layering_violations(root: Path = ROOT) -> list[str]:
    """Every package reaching one it must not, each with the import chain that does it."""
    found = []
    rules = {package: LAYERS[i + 1 :] for i, package in enumerate(LAYERS)}
    for package, extra in ALSO_FORBIDDEN.items():
        rules[package] = (*rules.get(package, ()), *extra)
    for package, banned_ones in rules.items():
        for banned in banned_ones:
            chain = _path_to(package, banned, root)
            if chain:
                found.append(f"{package} reaches {banned}: {' -> '.join(chain)}")
    return found


def phone_library_users(root: Path = ROOT) -> set[str]:
    """Modules importing `phonenumbers` (only the phone modules may)."""
    return {
        m
        for m in _sources(root)
        if any(_inside(name, PHONE_LIBRARY) for name in _imported(m, root))
    }


def test_the_layers_point_one_way() -> None:
    assert layering_violations() == []


def test_only_the_phone_modules_use_phonenumbers() -> None:
    assert phone_library_users() <= PHONE_MODULES


@pytest.mark.parametrize(
    ("files", "broken"),
    [
        (
            {"voice_agent/engine/x.py": "from voice_agent.tools import registry"},
            "voice_agent.engine",
        ),
        ({"voice_agent/engine/x.py": "import voice_agent.channels.sms"}, "voice_agent.engine"),
        ({"hcp/x.py": "def f():\n    from voice_agent import phones"}, "hcp"),
        ({"voice_agent/storage/x.py": "from ..engine import session"}, "voice_agent.storage"),
        (  # through a package's __init__ and a third package
            {
                "voice_agent/operations/x.py": "from voice_agent.other.y import Z",
                "voice_agent/other/__init__.py": "from voice_agent.tools import t",
            },
            "voice_agent.operations",
        ),
    ],
)
def test_a_broken_rule_is_reported(tmp_path: Path, files: dict[str, str], broken: str) -> None:
    packages = ("voice_agent", "voice_agent/tools", "voice_agent/channels", "voice_agent/engine")
    layout = {f"{p}/__init__.py": "" for p in packages} | files
    for name, text in layout.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert any(v.startswith(f"{broken} reaches") for v in layering_violations(tmp_path))


def test_a_cycle_is_reported_as_its_upward_edge(tmp_path: Path) -> None:
    for name, text in {
        "voice_agent/tools/a.py": "from voice_agent.channels import b",
        "voice_agent/channels/b.py": "from voice_agent.tools import a",
    }.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert layering_violations(tmp_path) == [
        "voice_agent.tools reaches voice_agent.channels: "
        "voice_agent.tools.a -> voice_agent.channels.b"
    ]
