"""Audio-only episodes (.mp3, .m4a, ...) through the workflow, cached and resumed
like a video, to clips that are audiograms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reelmake.cli.demo import DEMO_STRONG_PHRASES
from reelmake.core import media
from tests.conftest import fast_clips, reelmake, results_of, rules_run
from tests.episodes import make_cover, make_episode

pytestmark = pytest.mark.workflow


def _hashes(workdir: Path, *files: Path) -> dict[str, str]:
    out = reelmake("hash", *files, cwd=workdir).stdout.splitlines()
    return {Path(line.split(maxsplit=1)[1]).name: line.split()[0] for line in out}


def test_episodes_run_to_a_selection_cached_and_resumed(
    tmp_path: Path, long_speech_video: Path, speech_video: Path
) -> None:
    fast_clips(tmp_path)
    podcast = tmp_path / "podcast"
    podcast.mkdir()
    cover = make_cover(tmp_path / "cover.jpg")
    art = make_episode(podcast / "with cover.mp3", long_speech_video, cover)
    # A short one: every stage runs, and it has no passage long enough for a clip.
    plain = make_episode(podcast / "plain.m4a", speech_video)
    (podcast / "notes.txt").write_text("show notes")

    first = reelmake("run", podcast, "--until", "highlights", cwd=tmp_path)
    assert first.returncode == 0, first.console
    assert "error" not in first.console
    hashes = _hashes(tmp_path, art, plain)
    for name, digest in hashes.items():
        folder = results_of(tmp_path) / digest
        ingest = json.loads((folder / "ingest/video.json").read_text())
        assert ingest["has_video"] is False
        has_cover = name == art.name
        assert ingest["cover_file"] == ("cover.png" if has_cover else None)
        assert (folder / "ingest/cover.png").is_file() == has_cover
        transcript = json.loads((folder / "transcript/transcript.json").read_text())
        text = " ".join(w["text"] for w in transcript["words"]).lower()
        selection = json.loads((folder / "highlights/highlights.json").read_text())
        if has_cover:
            assert sum(p in text for p in DEMO_STRONG_PHRASES) >= 2, text
            assert selection["highlights"], selection
        else:
            assert "tomatoes" in text
            assert selection["highlights"] == []
    assert rules_run(first.stderr).count("transcribe_audio") == 2

    again = reelmake("run", podcast, "--until", "highlights", cwd=tmp_path)
    assert again.returncode == 0, again.console
    assert rules_run(again.stderr) == []

    # A stage run again runs only what follows it, for both episodes.
    resumed = reelmake(
        "run", podcast, "--until", "highlights", "--no-cache", "scores", cwd=tmp_path
    )
    assert resumed.returncode == 0, resumed.console
    ran = rules_run(resumed.stderr)
    assert sorted(ran) == sorted(2 * ["score_segments", "select_highlights"])

    # The whole run: the episode with a selection gets audiograms of its cover art,
    # its exports and its report; nothing before the clips runs again.
    full = reelmake("run", podcast, cwd=tmp_path)
    assert full.returncode == 0, full.console
    ran = rules_run(full.stderr)
    assert not {"transcribe_audio", "score_segments", "select_highlights"} & set(ran)
    folder = results_of(tmp_path) / hashes[art.name]
    plans = sorted((folder / "clips").glob("*.plan.json"))
    assert plans
    for path in plans:
        plan = json.loads(path.read_text())
        assert plan["layout"]["kind"] == "audiogram"
        assert plan["layout"]["reason"] == "the episode's cover"
        clip = media.probe(path.with_name(path.name.replace(".plan.json", ".mp4")))
        assert (clip.video.width, clip.video.height) == (144, 256)
        assert any(s.kind == "audio" for s in clip.streams)
        assert clip.duration == pytest.approx(plan["duration"], abs=0.15)
    timeline = json.loads((folder / "export/timeline.otio").read_text())
    (track,) = timeline["tracks"]["children"]
    assert track["kind"] == "Audio" and len(track["children"]) >= len(plans)
    assert "clipitem" in (folder / "export/timeline.xml").read_text()
    assert "sound-only episode" in (folder / "export/timeline.edl").read_text()
    assert (folder / "report.html").is_file()
