"""The benchmarks in quick mode: they run and report every figure (no speed asserts)."""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.workflow


def test_quick_benchmarks_report_every_figure(tmp_path: Path) -> None:
    jsonl, docs = tmp_path / "bench.jsonl", tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n\nintro\n")
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--jsonl", str(jsonl),
         "--docs", str(docs)],
        cwd=REPO, capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    rows = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert {r["bench"] for r in rows} == {"noop", "hashing", "transcription", "e2e",
                                          "clips", "scoring", "dag"}  # fmt: skip
    by_case = {r["case"]: r for r in rows}
    assert by_case["requests after a threshold change"]["value"] == 0
    for case in ("real-time factor tiny.en", "real-time factor base"):
        assert 0 < by_case[case]["value"] < 5
    assert not any(
        math.isnan(r["value"])
        for r in rows
        if r["bench"] in ("noop", "hashing", "e2e", "dag")
    )
    text = docs.read_text()
    assert text.startswith("# Benchmarks\n\nintro\n")
    assert "python -m bench --quick" in text and text.count("| noop |") == 4
