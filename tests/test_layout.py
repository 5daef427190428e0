"""The house rules of docs/architecture.md, checked: layers, one layout per action, no cycles, no C."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

from nodes.core import registry

ROOT = Path(__file__).resolve().parents[1]
NODES = ROOT / "nodes"


def _action_packages() -> list[Path]:
    return [NODES / registry.get(name).__module__.split(".")[1] for name in registry.names(include_hidden=True)]


def test_the_import_contracts_hold() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_every_action_is_in_the_contracts() -> None:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["importlinter"]["contracts"]
    independent = next(c["modules"] for c in contracts if c["type"] == "independence")
    layered = " ".join(next(c["layers"] for c in contracts if c["type"] == "layers"))
    for package in _action_packages():
        assert f"nodes.{package.name}" in independent and f"nodes.{package.name}" in layered, package.name


def test_server_imports_only_the_framework() -> None:
    tree = ast.parse((ROOT / "server.py").read_text("utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    ours = {m for m in imported if m == "nodes" or m.startswith("nodes.")}
    assert ours and all(m.startswith("nodes.core") for m in ours), ours


def test_every_action_folder_has_the_same_files() -> None:
    for package in _action_packages():
        names = {p.name for p in package.iterdir()}
        assert {"__init__.py", "node.py", "models.py"} <= names, package.name
        if (package / "data").is_dir():
            assert "eval.py" in names, f"{package.name} has data/ but no eval.py"
        assert (ROOT / "tests" / "nodes" / package.name).is_dir() or package.name == "echo", package.name


def test_no_import_cycles() -> None:
    """Module-level and function-level imports both count: a lazy import is still a circle."""
    graph = grimp.build_graph("nodes", cache_dir=None)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in graph.find_modules_directly_imported_by(module):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    assert not cycles, cycles


def test_no_hand_written_c() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert not [f for f in tracked.splitlines() if f.endswith((".c", ".h", ".pyi", ".pyx"))]
    assert not (ROOT / "setup.py").exists()
