"""Reframing through the workflow: tracking runs only when a crop follows faces,
once per video, and a selection change re-uses it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import (
    fast_clips,
    only_hash,
    reelmake_with_config,
    rules_run,
)

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory, long_speech_video: Path):
    folder = fast_clips(tmp_path_factory.mktemp("framing"))
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
    plans = sorted((folder / "clips").glob("*.plan.json"))
    assert plans, "no clip was made"
    for plan in plans:
        layout = json.loads(plan.read_text())["layout"]
        # The generated talk has no face: the run says it fell back to the centre.
        assert layout["kind"] == "single" and "no face" in layout["reason"]
    stamp = subjects.stat().st_mtime_ns
    again = reelmake_with_config(
        video, "clips: {aspect: '9:16'}\nhighlights: {threshold: 0.5}\n", workdir
    )
    assert again.returncode == 0, again.stderr
    ran = rules_run(again.stdout + again.stderr)
    assert "select_highlights" in ran
    assert "track_subjects" not in ran
    assert subjects.stat().st_mtime_ns == stamp


def test_source_format_tracks_nothing(workdir: Path) -> None:
    """Clips that keep the source's picture: every clip is planned and rendered
    again (its picture changed) and nothing is tracked."""
    run = reelmake_with_config(workdir / "talk.mp4", "clips: {format: source}\n",
                               workdir)  # fmt: skip
    assert run.returncode == 0, run.stderr
    ran = rules_run(run.stdout + run.stderr)
    assert "plan_clip" in ran and "render_clip" in ran
    assert "track_subjects" not in ran
    folder = workdir / "results" / only_hash(workdir)
    for plan in (folder / "clips").glob("*.plan.json"):
        assert json.loads(plan.read_text())["layout"]["kind"] == "source"
