"""The package is importable and testable without Snakemake: it only runs it."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import reelmake

pytestmark = pytest.mark.unit


def test_no_module_of_the_package_imports_snakemake() -> None:
    names = sorted(
        m.name for m in pkgutil.walk_packages(reelmake.__path__, "reelmake.")
    )
    assert "reelmake.workflow" in names and "reelmake.framing" in names
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
