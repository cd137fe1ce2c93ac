"""Reframing through the workflow: tracking runs only when a crop follows faces,
once per video, and a selection change re-uses it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import only_hash, reelmake, reelmake_with_config, rules_run

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory, long_speech_video: Path):
    folder = tmp_path_factory.mktemp("framing")
    shutil.copy(long_speech_video, folder / "talk.mp4")
    return folder


def test_vertical_clips_track_once_and_reuse_the_tracks(workdir: Path) -> None:
    video = workdir / "talk.mp4"
    first = reelmake_with_config(video, "clips: {aspect: '9:16'}\n", workdir)
    assert first.returncode == 0, first.stderr
    ran = rules_run(first.stdout + first.stderr)
    assert ran.count("track_subjects") == 1
    folder = workdir / "results" / only_hash(workdir)
    subjects = folder / "framing" / "subjects.json"
    assert json.loads(subjects.read_text())["stage"] == "framing"
    crops = sorted((folder / "clips").glob("*.crop.json"))
    assert crops, "no clip was cut"
    for crop in crops:
        data = json.loads(crop.read_text())
        # The generated talk has no face: the run says it fell back to the centre.
        assert data["mode"] == "centre" and "no face" in data["reason"]
    stamp = subjects.stat().st_mtime_ns
    again = reelmake_with_config(
        video, "clips: {aspect: '9:16'}\nhighlights: {threshold: 0.5}\n", workdir
    )
    assert again.returncode == 0, again.stderr
    ran = rules_run(again.stdout + again.stderr)
    assert "select_highlights" in ran
    assert "track_subjects" not in ran
    assert subjects.stat().st_mtime_ns == stamp


def test_source_aspect_tracks_nothing(workdir: Path) -> None:
    """Back to clips that keep the source's shape (the default): every clip is cut
    again (its picture changed) and nothing is tracked."""
    run = reelmake("run", workdir / "talk.mp4", cwd=workdir)
    assert run.returncode == 0, run.stderr
    ran = rules_run(run.stdout + run.stderr)
    assert "cut_clip" in ran
    assert "track_subjects" not in ran
    folder = workdir / "results" / only_hash(workdir)
    for crop in (folder / "clips").glob("*.crop.json"):
        assert json.loads(crop.read_text())["mode"] == "source"
