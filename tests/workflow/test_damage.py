"""What is on disk is verified before it is trusted: clips cut off, emptied or
overwritten inside and an emptied table are shown as damaged and made again by the
next run, which says so; clips out of step with audio extracted before timestamps
were kept make it extracted again; a full disk and a read-only folder are one line
each, with the cause; a video without clips says why."""

import json
import os
import random
import shutil
import subprocess
import wave
from pathlib import Path

import pytest

from reelmake.batch import store
from reelmake.cli.demo import make_video
from reelmake.pipeline.state import compute_state
from tests.conftest import only_hash, reelmake, results_of, rules_run

pytestmark = pytest.mark.workflow

# Three sentences apart: three clips of a few seconds each.
BEES = (
    "Bees carry pollen from flower to flower all summer long.",
    "A single hive can hold sixty thousand busy workers.",
    "Honey never spoils if you keep the jar sealed tight.",
)
CONFIG = (
    "segments:\n  min_seconds: 2\n  max_seconds: 5\n"
    "highlights:\n  threshold: 0\n  top_k: 3\n  min_gap: 0.2\n"
    "  pad_before: 0.1\n  pad_after: 0.1\n"
)


@pytest.fixture(scope="module")
def clipped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A folder where a video has been made into three clips."""
    work = tmp_path_factory.mktemp("clipped")
    video = make_video(work / "bees.mp4", BEES, pause=1.2)
    (work / "config.yaml").write_text(CONFIG)
    run = reelmake("run", video, cwd=work)
    assert run.returncode == 0, run.stderr
    folder = results_of(work) / only_hash(work)
    assert len(list(folder.glob("clips/*.mp4"))) == 3
    return work, video, folder


def _mount(target: Path, *options: str) -> bool:
    target.mkdir(exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs", str(target)],
        capture_output=True,
    )
    return done.returncode == 0


def _errors(console: str) -> list[str]:
    return [line for line in console.splitlines() if line.startswith("error:")]


def test_damaged_clips_and_table_are_shown_and_made_again(clipped) -> None:
    work, video, folder = clipped
    cut, emptied, overwritten = sorted(folder.glob("clips/*.mp4"))
    with open(cut, "r+b") as fh:
        fh.truncate(cut.stat().st_size // 2)
    emptied.write_bytes(b"")
    with open(overwritten, "r+b") as fh:
        fh.seek(overwritten.stat().st_size // 2)
        fh.write(random.Random(1).randbytes(300))
    table = folder / "metadata/clips.csv"
    table.write_text("")

    (status,) = json.loads(reelmake("status", "--json", video, cwd=work).stdout)
    damaged = status["clips"]["damaged"]
    assert set(damaged) == {str(p) for p in (cut, emptied, overwritten)}
    assert "cut off before its end" in damaged[str(cut)]
    assert damaged[str(emptied)] == "empty (0 bytes)"
    assert "changed since it was written" in damaged[str(overwritten)]
    assert status["metadata"]["damaged"] == {str(table): "is empty"}
    assert status["plan"]["clips"]["status"] == "pending"
    assert status["plan"]["clips"]["reason"].startswith("damaged: ")

    run = reelmake("run", video, cwd=work)
    assert run.returncode == 0, run.stderr
    for path in (cut, emptied, overwritten, table):
        assert f"warning: {path}: damaged (" in run.stderr
    ran = rules_run(run.stderr)
    assert ran.count("render_clip") == 3 and "write_metadata" in ran
    state = compute_state(results_of(work), folder.name)
    assert state["clips"]["completed"] and state["metadata"]["completed"]
    assert "damaged" not in state["clips"] and state["metadata"]["clip_count"] == 3
    again = reelmake("run", video, cwd=work)
    assert rules_run(again.stderr) == [] and "warning:" not in again.stderr


def test_a_full_disk_while_cutting_is_one_line_with_the_folder_and_its_space(
    clipped, tmp_path: Path
) -> None:
    work, video, folder = clipped
    copy = tmp_path / "work"
    copy.mkdir()
    items = [str(p) for p in work.iterdir() if p.name != video.name]
    subprocess.run(["cp", "-a", *items, str(copy)], check=True)
    # The clips' folder on a disk with room for their captions, not for them.
    clips = results_of(copy) / folder.name / "clips"
    shutil.rmtree(clips)
    if not _mount(clips, "size=64k"):
        pytest.skip("cannot mount a tmpfs here")
    try:
        run = reelmake("run", video, cwd=copy)
    finally:
        subprocess.run(["umount", "-l", str(clips)], check=True)
    assert run.returncode == 1
    (line,) = _errors(run.console)
    # Whichever of its files a clip's job could not write, the line says why.
    assert line.startswith(f"error: {video}: "), line
    assert f"; the disk holding {clips} has only " in line, line
    assert "free some space and run again" in line
    assert "Traceback" not in run.console


def test_a_read_only_results_folder_is_one_line(
    tmp_path: Path, speech_video: Path
) -> None:
    results = results_of(tmp_path)
    if _mount(results, "size=64k", "ro"):
        cause = "the file system is read-only"
    elif os.geteuid() != 0:
        results.chmod(0o555)
        cause = "permission denied"
    else:
        pytest.skip("cannot make a read-only folder here")
    try:
        run = reelmake("run", speech_video, cwd=tmp_path)
    finally:
        subprocess.run(["umount", str(results)], capture_output=True)
        results.chmod(0o755)
    assert run.returncode == 2
    assert run.stderr.splitlines() == [
        f"error: {results / '.reelmake'}: {cause}; "
        + (
            "run where results can be written (--directory DIR)"
            if "read-only" in cause
            else "make that folder writable, or run where results can be written "
            "(--directory DIR)"
        )
    ]


def test_clips_out_of_step_with_audio_of_an_earlier_version_extract_it_again(
    clipped,
) -> None:
    """Audio extracted before timestamps were kept lost time where packets were
    lost: words after the damage were timed early, and the clips show it."""
    work, video, folder = clipped
    wav = folder / "audio/audio.wav"
    original, times = wav.read_bytes(), wav.stat()
    with wave.open(str(wav), "rb") as fh:
        params, frames = fh.getparams(), fh.readframes(fh.getnframes())
    lost = int(1.5 * params.framerate) * 2  # in the first sentence
    with wave.open(str(wav), "wb") as fh:  # as the earlier version wrote it
        fh.setparams(params)
        fh.writeframes(frames[lost:])
    try:
        state = compute_state(results_of(work), folder.name)
        lags = state["clips"]["misaligned"]
        # The two clips after the loss are 1.5 s early; the first lost its start.
        later = sorted(folder.glob("clips/*.mp4"))[1:]
        assert all(lags[str(p)] == pytest.approx(1.5, abs=0.05) for p in later)
        (line,) = store.repair(results_of(work), folder.name, state)
        assert line.startswith(f"{wav}: its sound is up to ")
        assert f"s out of step with the picture in {len(lags)} clip(s)" in line
        assert "extracting it again" in line and not wav.exists()
    finally:  # the folder as it was, for the tests after this one
        wav.write_bytes(original)
        os.utime(wav, ns=(times.st_atime_ns, times.st_mtime_ns))


def test_a_video_without_clips_says_why(clipped) -> None:
    work, video, folder = clipped
    (work / "config.yaml").write_text(CONFIG.replace("threshold: 0", "threshold: 10"))
    try:
        run = reelmake("run", video, cwd=work)
    finally:
        (work / "config.yaml").write_text(CONFIG)
    assert run.returncode == 0, run.stderr
    assert f"warning: {video}: no clips: no candidate scored at or above " in (
        run.stderr
    )
    assert "highlights.threshold 10 (the best of " in run.stderr
