"""A real (non-editable) install runs from any folder, with its own workflow copy."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FULL_LOG, REPO, only_hash, results_of, rules_run

pytestmark = pytest.mark.workflow


def test_installed_package_runs_the_demo_from_any_folder(tmp_path: Path) -> None:
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps",
         "--no-build-isolation", "--target", str(site), str(REPO)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(site), "HF_HUB_OFFLINE": "1"}
    code = "from reelmake.core import config; print(config.workflow_dir())"
    where = subprocess.run(
        [sys.executable, "-c", code],
        env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert Path(where) == site / "reelmake" / "workflow"

    # The demo command of the README: it makes its own talk and runs every stage.
    work = tmp_path / "my videos"
    run = subprocess.run(
        [sys.executable, "-m", "reelmake.cli", "demo", "--directory", str(work),
         "--cores", "2"],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert (work / "demo-talk.mp4").is_file()
    # Snakemake ran the installed copy of the workflow (its log says which), and
    # its structured events reached the display through our logger plugin.
    named = FULL_LOG.search(run.stdout)
    assert named, run.stdout
    log = (tmp_path / named.group(1)).read_text()
    assert str(site / "reelmake" / "workflow" / "Snakefile") in log
    assert "transcribe_audio" in rules_run(log)
    assert re.search(r"^jobs (\d+) of \1 done", run.stdout, re.M), run.stdout
    assert f"done: results are in {results_of(work)}" in run.stdout
    state = results_of(work) / only_hash(work) / "stage_state.json"
    assert '"last_stage": "metadata"' in state.read_text()
    assert list((results_of(work) / only_hash(work) / "clips").glob("*.mp4"))
