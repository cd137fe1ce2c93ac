"""``reelmake run`` with a Whisper model given by faster-whisper's name."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import only_hash, reelmake, results_of
from tests.model_cache import prepare_hub_cache

pytestmark = pytest.mark.workflow


def test_standard_name_from_a_prepared_cache_transcribes(
    tmp_path: Path, speech_video: Path
) -> None:
    hub = tmp_path / "hub"
    prepare_hub_cache(hub, "Systran/faster-whisper-small.en")
    video = tmp_path / "garden.mp4"
    shutil.copy(speech_video, video)
    (tmp_path / "config.yaml").write_text("transcript:\n  model: small.en\n")
    # The cache reaches this run (and its jobs) through its own environment only;
    # downloads are off (the helper sets HF_HUB_OFFLINE=1).
    run = reelmake(
        "run", video, "--until", "transcript",
        cwd=tmp_path, env={**os.environ, "HF_HUB_CACHE": str(hub)},
    )  # fmt: skip
    assert run.returncode == 0, run.console
    assert "downloading" not in run.console
    folder = results_of(tmp_path) / only_hash(tmp_path)
    transcript = json.loads((folder / "transcript/transcript.json").read_text())
    assert transcript["model"] == "small.en"
    text = " ".join(w["text"] for w in transcript["words"]).lower()
    assert "tomatoes" in text


@pytest.mark.parametrize("section", ["transcript", "transcribe"])
def test_unknown_name_is_one_line_before_any_work(
    tmp_path: Path, speech_video: Path, section: str
) -> None:
    (tmp_path / "config.yaml").write_text(f"{section}:\n  model: large-v9\n")
    run = reelmake("run", speech_video, cwd=tmp_path)
    assert run.returncode == 2
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    if section == "transcribe":  # the former name still works, with a warning
        assert lines.pop(0).endswith(
            "section 'transcribe' is now called 'transcript'; rename it"
        )
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("error: transcript.model 'large-v9': not a Whisper")
    assert not results_of(tmp_path).exists()


def test_missing_model_offline_is_one_line_before_any_work(
    tmp_path: Path, speech_video: Path
) -> None:
    (tmp_path / "config.yaml").write_text("transcript:\n  model: large-v3\n")
    env = {**os.environ, "HF_HUB_CACHE": str(tmp_path / "hub")}
    run = reelmake("run", speech_video, cwd=tmp_path, env=env)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert (
        "'large-v3' (Systran/faster-whisper-large-v3) is not in the local" in lines[0]
    )
    assert not results_of(tmp_path).exists()
