"""The package is importable and testable without Snakemake: only the runner starts
it, as a child process, and no module imports it; the modules import each other
without a cycle."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import reelmake

pytestmark = pytest.mark.unit

PACKAGE = Path(reelmake.__file__).parent


def _modules() -> dict[str, Path]:
    found = {}
    for m in pkgutil.walk_packages(reelmake.__path__, "reelmake."):
        if m.name.endswith(".__main__"):
            continue  # running it is the command itself
        rel = m.name.removeprefix("reelmake.").replace(".", "/")
        path = PACKAGE / f"{rel}.py"
        found[m.name] = path if path.is_file() else PACKAGE / rel / "__init__.py"
    return found


def _imports(path: Path, name: str) -> set[str]:
    """The package's modules ``name`` imports (at any depth of its code)."""
    out = set()
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base]).strip(".")
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}
    return {m for m in out if m.split(".")[0] == "reelmake"}


def test_importing_every_module_loads_no_snakemake() -> None:
    names = sorted(_modules())
    assert {
        "reelmake.batch.process",
        "reelmake.stages.scores.picks",
        "reelmake.stages.framing",
    } <= set(names)
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'snakemake'))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout


def test_only_the_runner_starts_snakemake() -> None:
    """Naming Snakemake's module (``-m snakemake``) or the workflow's launcher of
    it, or importing it, is the runner's alone."""
    starters = set()
    for name, path in _modules().items():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in (
                "snakemake",
                "snakemake_main.py",
            ):
                starters.add(name)
            if isinstance(node, ast.Import | ast.ImportFrom):
                mods = [a.name for a in node.names] + [getattr(node, "module", "")]
                if any((m or "").split(".")[0] == "snakemake" for m in mods):
                    starters.add(name)
    assert starters == {"reelmake.batch.process"}


def test_no_import_cycle() -> None:
    modules = _modules()
    graph = {
        name: {m for m in _imports(path, name) if m in modules and m != name}
        for name, path in modules.items()
    }
    # A package's __init__ importing nothing of its own keeps it out of cycles.
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt) :] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)
    # The test can find one: scoring's modules import only downwards.
    assert "reelmake.stages.scores.common" in graph["reelmake.stages.scores.picks"]


# The package's layers, lowest first: a module imports only from its own layer or
# a lower one, so the tree shows the architecture and no arrow runs back up.
LAYERS = ("core", "stages", "pipeline", "batch", "cli")


def _layer(name: str) -> int:
    parts = name.split(".")
    if len(parts) > 1 and parts[1] in LAYERS:
        return LAYERS.index(parts[1])
    return len(LAYERS)  # the package itself and its public API (reelmake.cache)


def test_no_import_runs_back_up_the_layers() -> None:
    modules = _modules()
    upward = [
        f"{name} -> {imported}"
        for name, path in modules.items()
        for imported in _imports(path, name)
        if imported in modules and _layer(imported) > _layer(name)
    ]
    assert upward == []
    # Each layer holds modules (the test can see one).
    assert {_layer(n) for n in modules} >= set(range(len(LAYERS)))
