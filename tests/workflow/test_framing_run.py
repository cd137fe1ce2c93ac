"""Reframing through the workflow: faces are tracked only when a crop follows them,
once per clip span, and a selection change tracks only the spans it adds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reelmake.stages.highlights import span_of
from tests.conftest import (
    fast_clips,
    only_hash,
    reelmake_with_config,
    rules_run,
    threshold_adding_one_clip,
)

pytestmark = pytest.mark.workflow

VERTICAL = "clips: {aspect: '9:16'}\n"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory, long_speech_video: Path):
    folder = fast_clips(tmp_path_factory.mktemp("framing"))
    shutil.copy(long_speech_video, folder / "talk.mp4")
    return folder


def _clips(folder: Path) -> list[str]:
    data = json.loads((folder / "highlights" / "highlights.json").read_text())
    return [h["clip"] for h in data["highlights"]]


def _spans(folder: Path) -> dict[str, int]:
    """Each tracked span's file, by clip, and when it was written."""
    return {
        p.stem: p.stat().st_mtime_ns for p in (folder / "framing" / "spans").iterdir()
    }


def test_each_span_is_tracked_once_and_only_new_spans_are(workdir: Path) -> None:
    video = workdir / "talk.mp4"
    first = reelmake_with_config(video, VERTICAL, workdir)
    assert first.returncode == 0, first.stderr
    folder = workdir / "results" / only_hash(workdir)
    clips = _clips(folder)
    assert clips, "no clip was made"
    # One tracking job per clip, over that clip's span (and a margin) only.
    assert rules_run(first.stdout + first.stderr).count("track_subjects") == len(clips)
    spans = _spans(folder)
    assert sorted(spans) == sorted(clips)
    for clip in clips:
        data = json.loads((folder / "framing" / "spans" / f"{clip}.json").read_text())
        start, end = span_of(clip)
        assert data["stage"] == "framing" and data["span"] == [start, end]
        assert data["origin"] <= start
        covered = data["samples"] / data["sample_fps"]
        assert end - start <= covered <= end - start + 2 * 1.0 + 0.5
        plan = json.loads((folder / "clips" / f"{clip}.plan.json").read_text())
        # The generated talk has no face: the run says it fell back to the centre.
        layout = plan["layout"]
        assert layout["kind"] == "single" and "no face" in layout["reason"]
    state = json.loads((folder / "stage_state.json").read_text())["clips"]
    assert state["layouts"] == {"single": len(clips)}
    assert state["following_a_face"] == 0

    # A threshold that adds one clip tracks that clip's span alone.
    threshold = threshold_adding_one_clip(folder)
    added = reelmake_with_config(
        video, VERTICAL + f"highlights: {{threshold: {threshold}}}\n", workdir
    )
    assert added.returncode == 0, added.stderr
    ran = rules_run(added.stdout + added.stderr)
    assert ran.count("track_subjects") == 1, ran
    assert ran.count("render_clip") == 1, ran
    new = sorted(set(_clips(folder)) - set(clips))
    assert len(new) == 1
    now = _spans(folder)
    assert sorted(now) == sorted(clips + new)
    assert {c: now[c] for c in clips} == spans

    # Back to the first threshold: the clip is dropped, nothing is tracked, planned
    # or rendered; its tracked span stays for when it comes back.
    dropped = reelmake_with_config(video, VERTICAL, workdir)
    assert dropped.returncode == 0, dropped.stderr
    ran = rules_run(dropped.stdout + dropped.stderr)
    assert not {"track_subjects", "plan_clip", "render_clip"} & set(ran), ran
    assert _clips(folder) == clips
    assert not (folder / "clips" / f"{new[0]}.mp4").exists()
    assert _spans(folder) == now

    # It comes back: rendered again, not tracked again.
    back = reelmake_with_config(
        video, VERTICAL + f"highlights: {{threshold: {threshold}}}\n", workdir
    )
    assert back.returncode == 0, back.stderr
    ran = rules_run(back.stdout + back.stderr)
    assert "track_subjects" not in ran and ran.count("render_clip") == 1, ran
    assert _spans(folder) == now


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
