"""A real (non-editable) install runs from any folder, with its own workflow copy."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, only_hash, results_of, rules_run

pytestmark = pytest.mark.workflow


def test_installed_package_runs_from_any_folder(
    tmp_path: Path, speech_video: Path
) -> None:
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps",
         "--no-build-isolation", "--target", str(site), str(REPO)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(site), "HF_HUB_OFFLINE": "1"}
    code = "from reelmake import workflow; print(workflow.workflow_dir())"
    where = subprocess.run(
        [sys.executable, "-c", code],
        env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert Path(where) == site / "reelmake" / "workflow"

    work = tmp_path / "my videos"
    work.mkdir()
    shutil.copy(speech_video, work / "talk.mp4")
    run = subprocess.run(
        [sys.executable, "-m", "reelmake.cli", "run", "talk.mp4", "--cores", "2"],
        cwd=work, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert str(site / "reelmake" / "workflow" / "Snakefile") in run.stderr
    assert "transcribe_audio" in rules_run(run.stderr)
    state = results_of(work) / only_hash(work) / "stage_state.json"
    assert '"last_stage": "metadata"' in state.read_text()
