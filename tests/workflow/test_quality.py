"""The workflow's own checks: Snakemake's linter, formatters, type checks."""

import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.workflow


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)


def test_snakemake_lint_is_clean() -> None:
    run = _run(sys.executable, "-m", "snakemake", "--lint")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Lints for" not in run.stdout + run.stderr


def test_snakefmt_ruff_and_mypy_are_clean() -> None:
    for cmd in (
        ("snakefmt", "--check", "."),
        ("ruff", "check", "."),
        ("ruff", "format", "--check", "."),
        ("mypy",),
    ):
        run = _run(sys.executable, "-m", *cmd)
        assert run.returncode == 0, (cmd, run.stdout + run.stderr)
