"""Highlights end to end on the demo talk: ranking, boundaries, what re-runs."""

import json
import re
import shutil
from pathlib import Path

import pytest

from reelmake.cli.demo import DEMO_STRONG_PHRASES
from reelmake.pipeline import registry
from reelmake.stages.scores.common import CONTENT_SUBSCORES, SUBSCORES
from tests.conftest import (
    REPORT_RULES,
    assert_ran,
    fast_clips,
    only_hash,
    reelmake,
    reelmake_with_config,
    results_of,
    rules_run,
    threshold_adding_one_clip,
)

pytestmark = pytest.mark.workflow

# A clip is made by two rules: its edit plan, then its render.
MAKING = {"plan_clip", "render_clip"}
AFTER_SELECTION = {
    "select_highlights", *MAKING, "write_clip_metadata", "write_metadata",
    "stage_state", "all",
}  # fmt: skip
AFTER_SEGMENTATION = AFTER_SELECTION | {"segment_transcript", "score_segments"}


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory, long_speech_video: Path):
    workdir = fast_clips(tmp_path_factory.mktemp("talk"))
    video = workdir / "talk.mp4"
    shutil.copy(long_speech_video, video)
    run = reelmake("run", video, cwd=workdir)
    assert run.returncode == 0, run.stderr
    return workdir, video, results_of(workdir) / only_hash(workdir)


def _json(path: Path) -> dict:
    return json.loads(path.read_text())


def test_strong_passages_rank_first(talk) -> None:
    """Every clip is one strong passage, and filler never makes a clip. (The talk's
    last story is transcribed without punctuation or pauses into the filler after it,
    so no candidate holds it alone: it is rightly left out rather than cut with 15 s
    of "uh, yeah, okay" attached.)"""
    _, _, folder = talk
    highlights = _json(folder / "highlights/highlights.json")["highlights"]
    assert len(highlights) >= 2
    texts = [h["text"].lower() for h in highlights]
    for text in texts:
        assert sum(phrase in text for phrase in DEMO_STRONG_PHRASES) == 1, text
    found = {p for p in DEMO_STRONG_PHRASES if any(p in text for text in texts)}
    assert len(found) >= 2, texts
    assert [h["rank"] for h in highlights] == list(range(1, len(highlights) + 1))


def test_every_clip_boundary_is_in_a_pause(talk) -> None:
    _, _, folder = talk
    words = _json(folder / "transcript/transcript.json")["words"]
    for h in _json(folder / "highlights/highlights.json")["highlights"]:
        first = next(i for i, w in enumerate(words) if w["start"] >= h["speech_start"])
        last = max(i for i, w in enumerate(words) if w["end"] <= h["speech_end"])
        assert first == 0 or words[first]["start"] - words[first - 1]["end"] >= 0.15
        assert (
            last == len(words) - 1
            or words[last + 1]["start"] - words[last]["end"] >= 0.15
        )
        assert h["start"] >= (words[first - 1]["end"] if first else 0)
        assert h["end"] <= (words[last + 1]["start"] if last + 1 < len(words) else 1e9)


def test_outputs_of_every_clip(talk) -> None:
    _, _, folder = talk
    state = _json(folder / "stage_state.json")
    names = [
        h["clip"] for h in _json(folder / "highlights/highlights.json")["highlights"]
    ]
    assert state["clips"]["clip_count"] == len(names) == state["metadata"]["clip_count"]
    assert state["segmentation"]["candidate_count"] > 10
    assert state["ai_scoring"]["high_quality_count"] >= len(names)
    for name in names:
        for ext in ("mp4", "srt", "vtt"):
            assert (folder / "clips" / f"{name}.{ext}").stat().st_size > 0
        meta = _json(folder / "metadata" / f"{name}.json")
        assert meta["title"] and meta["description"] and meta["hashtags"]
        assert set(meta["subscores"]) == set(SUBSCORES + CONTENT_SUBSCORES)
        assert meta["source_timecode"].count("-->") == 1
    table = (folder / "metadata/clips.csv").read_text().splitlines()
    assert len(table) == len(names) + 1 and table[0].startswith("rank,clip,title")


def test_threshold_change_reruns_only_selection_onwards(talk) -> None:
    workdir, video, folder = talk
    before = _json(folder / "highlights/highlights.json")["highlights"]
    cut = before[-1]["overall"] + 0.01  # drops the last clip
    run = reelmake_with_config(video, f"highlights:\n  threshold: {cut}\n", workdir)
    assert run.returncode == 0, run.stderr
    # No clip is made again: the others' descriptions did not change.
    assert_ran(run.stderr, AFTER_SELECTION - MAKING)
    assert not MAKING & set(rules_run(run.stderr))
    after = _json(folder / "highlights/highlights.json")["highlights"]
    assert [h["clip"] for h in after] == [h["clip"] for h in before[:-1]]
    # The dropped clip's files are gone; the table lists the current clips.
    assert sorted(p.stem for p in (folder / "clips").glob("*.mp4")) == sorted(
        h["clip"] for h in after
    )
    assert not (folder / "metadata" / f"{before[-1]['clip']}.json").exists()


def test_a_threshold_that_adds_a_clip_cuts_only_that_clip(talk) -> None:
    workdir, video, folder = talk
    assert reelmake("run", video, cwd=workdir).returncode == 0  # the defaults
    before = {p: p.stat().st_mtime_ns for p in (folder / "clips").iterdir()}
    threshold = threshold_adding_one_clip(folder)
    run = reelmake_with_config(
        video, f"highlights:\n  threshold: {threshold}\n", workdir
    )
    assert run.returncode == 0, run.stderr
    assert rules_run(run.stderr).count("plan_clip") == 1
    assert rules_run(run.stderr).count("render_clip") == 1
    assert {p: p.stat().st_mtime_ns for p in before} == before
    after = _json(folder / "highlights/highlights.json")["highlights"]
    per_clip = len(registry.stage("clips").per_clip)  # the video, captions, plan
    assert len(after) == len(before) // per_clip + 1
    ranked = sorted(p.name for p in (folder / "ranked").glob("*.mp4"))
    assert ranked == sorted(f"{h['ranked']}.mp4" for h in after)
    assert all((folder / "ranked" / name).resolve(strict=True) for name in ranked)
    # Set back: nothing is cut again, and the extra clip is no longer listed.
    run = reelmake("run", video, cwd=workdir)
    assert run.returncode == 0, run.stderr
    assert not MAKING & set(rules_run(run.stderr))
    assert {p for p in (folder / "clips").iterdir()} == set(before)
    assert {p: p.stat().st_mtime_ns for p in before} == before
    assert len(list((folder / "ranked").glob("*.mp4"))) == len(before) // per_clip


def test_pause_gap_change_reruns_segmentation_onwards(talk) -> None:
    workdir, video, _ = talk
    run = reelmake_with_config(video, "segments:\n  pause_gap: 0.25\n", workdir)
    assert run.returncode == 0, run.stderr
    # Clips whose span the new segmentation keeps are not cut again.
    ran = set(rules_run(run.stderr))
    expected = AFTER_SEGMENTATION - MAKING
    assert expected <= ran <= AFTER_SEGMENTATION | REPORT_RULES, sorted(ran)


def test_a_caption_style_change_renders_every_clip_and_nothing_before(talk) -> None:
    workdir, video, folder = talk
    assert reelmake("run", video, cwd=workdir).returncode == 0  # the defaults
    clips = sorted(p.name for p in (folder / "clips").glob("*.mp4"))
    run = reelmake_with_config(video, "clips:\n  caption_style: quiet\n", workdir)
    assert run.returncode == 0, run.stderr
    ran = rules_run(run.stderr)
    # Every clip planned and rendered again, in the new style...
    assert ran.count("plan_clip") == ran.count("render_clip") == len(clips)
    # ...and nothing tracked, transcribed, segmented, scored or selected again.
    before = {"track_subjects", "transcribe_audio", "segment_transcript",
              "score_segments", "select_highlights"}  # fmt: skip
    assert not before & set(ran), sorted(ran)
    for name in clips:
        plan = _json(folder / "clips" / name.replace(".mp4", ".plan.json"))
        assert plan["captions"]["style"]["font"] == "DejaVu Sans"
    assert sorted(p.name for p in (folder / "clips").glob("*.mp4")) == clips


def test_clips_made_again_share_the_cores(talk) -> None:
    """--no-cache clips renders every clip again, although each exists: they run
    side by side, as a first run's do, not one after another with every core each."""
    workdir, video, folder = talk
    clips = registry.clip_names(folder) or []
    assert len(clips) >= 2
    run = reelmake("run", video, "--no-cache", "clips", "--dry-run", "--cores", "2",
                   cwd=workdir)  # fmt: skip
    assert run.returncode == 0, run.stderr
    output = run.stdout + run.stderr
    # Each job: its rule's line, then its indented details.
    jobs = re.findall(r"^rule render_clip:\n((?:[ \t]+.*\n?)*)", output, re.M)
    assert len(jobs) == len(clips), output
    # Snakemake names a job's threads only when it has more than one.
    assert not any("threads:" in job for job in jobs), jobs
