"""Cache management on real runs: the Python API, clean, gc, repair, --until, a full
disk."""

import fnmatch
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from reelmake.batch.lock import RunLock
from reelmake.batch.store import LAST_USED
from reelmake.cache import PipelineCache, get_video_hash
from reelmake.core.errors import ReelmakeError
from reelmake.pipeline import registry
from tests.conftest import assert_ran, reelmake, results_of, rules_run

pytestmark = pytest.mark.workflow

FROM_SEGMENTATION = {
    "segment_transcript", "score_segments", "select_highlights", "write_metadata",
    "stage_state", "all",
}  # fmt: skip


@pytest.fixture()
def done(tmp_path: Path, speech_video: Path):
    video = tmp_path / "garden.mp4"
    shutil.copy(speech_video, video)
    run = reelmake("run", video, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    return (
        tmp_path,
        video,
        results_of(tmp_path) / get_video_hash(video, str(results_of(tmp_path))),
    )


def _owned_by_the_registry(folder: Path) -> None:
    """Every file of a finished video belongs to a stage of the registry (besides
    its logs, its timings, the source link and the last-used mark)."""
    owned = [g for s in registry.REGISTRY for g in registry.globs(s)]
    files = [p.relative_to(folder) for p in folder.rglob("*") if not p.is_dir()]
    assert len(files) > 20
    for rel in files:
        if rel.parts[0] in ("logs", "benchmarks") or rel.name == LAST_USED:
            continue
        if rel.name.startswith("source."):  # the stable link made at registration
            continue
        assert any(fnmatch.fnmatch(str(rel), g) for g in owned), rel


def test_python_api_of_the_design_notes(done) -> None:
    workdir, video, folder = done
    _owned_by_the_registry(folder)
    api = PipelineCache(results_of(workdir))
    state = api.load_state(video)
    assert state is not None and state["last_stage"] == "metadata"
    assert api.has_completed_stage(state, "transcription")
    transcript = api.get_stage_result(state, "transcription", "transcript_path")
    assert Path(transcript).is_file()
    assert api.get_stage_result(state, "segmentation", "candidate_count") == 0
    assert api.get_stage_result(state, "transcription", "nope", "dflt") == "dflt"

    saved = api.save_state(video, state, "ai_scoring")
    assert json.loads(saved.read_text())["last_stage"] == "metadata"
    assert json.loads(saved.read_text())["ai_scoring"]["completed"]

    api.clear_cache(video, stage="segmentation")
    with pytest.raises(ReelmakeError, match="segments is not complete"):
        api.save_state(video, api.load_state(video), "segmentation")
    assert not (folder / "segments/candidates.json").exists()
    assert (folder / "transcript/transcript.json").exists()
    assert not api.has_completed_stage(api.load_state(video), "segmentation")
    run = reelmake("run", video, cwd=workdir)
    assert_ran(run.stderr, FROM_SEGMENTATION)

    api.clear_cache(video)
    assert not folder.exists() and api.load_state(video) is None
    (workdir / "other.mp4").write_bytes(b"not used")
    api.clear_cache()
    assert not results_of(workdir).exists()


def test_clean_one_stage_then_status_and_run_agree(done) -> None:
    workdir, video, folder = done
    out = reelmake("clean", video, "--stage", "segment_transcript", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert "segment_transcript and later stages" in out.stdout
    for gone in ("segments", "scores", "highlights", "metadata"):
        assert not any((folder / gone).glob("*.json")), gone
    status = json.loads(reelmake("status", "--json", video, cwd=workdir).stdout)[0]
    assert status["last_stage"] == "transcription"  # the design notes' key
    assert status["plan"]["transcript"]["status"] == "done"
    assert status["plan"]["segments"]["status"] == "pending"
    run = reelmake("run", video, cwd=workdir)
    assert_ran(run.stderr, FROM_SEGMENTATION)
    again = reelmake("run", video, cwd=workdir)
    assert rules_run(again.stderr) == []


def test_clean_all_and_one_video(done) -> None:
    workdir, video, folder = done
    out = reelmake("clean", video, cwd=workdir)
    assert out.returncode == 0 and not folder.exists()
    assert (
        "no video has been processed here yet" in reelmake("status", cwd=workdir).stdout
    )
    reelmake("run", video, cwd=workdir)
    out = reelmake("clean", "--all", cwd=workdir)
    assert out.returncode == 0 and not results_of(workdir).exists()
    run = reelmake("run", video, cwd=workdir)
    assert "transcribe_audio" in rules_run(run.stderr)


def test_status_names_changed_params(done) -> None:
    workdir, video, _ = done
    (workdir / "config.yaml").write_text("highlights:\n  threshold: 2.5\n")
    status = json.loads(reelmake("status", "--json", video, cwd=workdir).stdout)[0]
    assert status["plan"]["highlights"] == {
        "status": "stale",
        "reason": "params changed",
    }
    assert status["plan"]["scores"]["status"] == "done"
    assert status["plan"]["metadata"]["status"] == "stale"


def test_damaged_files_are_rebuilt_by_their_stage(done) -> None:
    workdir, video, folder = done
    transcript = folder / "transcript/transcript.json"
    transcript.write_text(transcript.read_text()[:200])
    (folder / "stage_state.json").write_text("{")
    run = reelmake("run", video, cwd=workdir)
    assert run.returncode == 0, run.stderr
    assert "transcript output is damaged" in run.stderr
    assert "damaged stage state" in run.stderr
    assert "transcribe_audio" in rules_run(run.stderr)
    assert json.loads(transcript.read_text())["word_count"] > 10
    assert json.loads((folder / "stage_state.json").read_text())["completed"] is True

    (folder / "audio/audio.wav").unlink()
    run = reelmake("run", video, cwd=workdir)
    assert "extract_audio" in rules_run(run.stderr)
    assert "ingest_video" not in rules_run(run.stderr)


def test_gc_expires_old_videos_and_never_a_running_one(done, long_speech_video) -> None:
    workdir, video, folder = done
    other = workdir / "talk.mp4"
    shutil.copy(long_speech_video, other)
    assert reelmake("run", other, "--until", "ingest", cwd=workdir).returncode == 0
    old = time.time() - 30 * 86400
    os.utime(folder / LAST_USED, (old, old))

    dry = reelmake("gc", "--older-than", "7d", "--dry-run", cwd=workdir)
    assert f"would remove {folder.name}" in dry.stdout and folder.exists()
    with RunLock(results_of(workdir) / ".reelmake" / "run.lock"):
        busy = reelmake("gc", "--older-than", "7d", cwd=workdir)
    assert busy.returncode == 2 and "another reelmake run" in busy.stderr
    assert folder.exists()
    real = reelmake("gc", "--older-than", "7d", cwd=workdir)
    assert real.returncode == 0 and not folder.exists()
    status = json.loads(reelmake("status", "--json", cwd=workdir).stdout)
    assert [s["video_path"] for s in status] == [str(other)]
    assert reelmake("gc", "--max-size", "1", cwd=workdir).returncode == 0
    assert json.loads(reelmake("status", "--json", cwd=workdir).stdout) == []


def test_until_stops_after_a_stage(tmp_path: Path, speech_video: Path) -> None:
    run = reelmake("run", speech_video, "--until", "transcription", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    # The stage's files: its transcript and the whole video's captions.
    assert set(rules_run(run.stderr)) == {
        "ingest_video", "extract_audio", "plan_chunks", "transcribe_audio",
        "write_captions",
    }  # fmt: skip
    state = json.loads(reelmake("status", "--json", cwd=tmp_path).stdout)[0]
    assert state["last_stage"] == "transcription"  # the design notes' key


def test_full_disk_gives_a_clear_error_and_no_complete_looking_file(
    tmp_path: Path, speech_video: Path
) -> None:
    results = tmp_path / "results"
    results.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(results)],
        capture_output=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr!r}")
    try:
        run = reelmake("run", speech_video, cwd=tmp_path)
        assert run.returncode == 1
        errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
        assert any("disk full" in line for line in errors), run.stderr
        assert not list(results.glob("*/audio/audio.wav"))
        assert not list(results.glob("*/audio/.*tmp"))
    finally:
        subprocess.run(["umount", str(results)], check=True)
