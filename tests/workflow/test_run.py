"""Real ``reelmake run`` / ``snakemake`` runs in temporary folders."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from reelmake.cli.demo import make_video
from reelmake.pipeline.discovery import STILL_WRITTEN
from tests.conftest import (
    REPO,
    REPORT_RULES,
    assert_ran,
    fast_clips,
    only_hash,
    reelmake,
    results_of,
    rules_run,
)

pytestmark = pytest.mark.workflow

# The short test video has no passage long enough for a clip: no clip jobs.
ALL_RULES = {
    "ingest_video", "extract_audio", "plan_chunks", "transcribe_audio",
    "write_captions", "segment_transcript",
    "score_segments", "select_highlights", "write_metadata", "stage_state", "all",
}  # fmt: skip
# The transcript stage and what follows (forcing it runs its chunk plan again too).
FROM_TRANSCRIPTION = ALL_RULES - {"ingest_video", "extract_audio"}


def _state(workdir: Path, video_hash: str) -> dict:
    return json.loads(
        (results_of(workdir) / video_hash / "stage_state.json").read_text()
    )


@pytest.fixture(scope="module")
def done(tmp_path_factory: pytest.TempPathFactory, speech_video: Path):
    """A folder where one video has been processed completely."""
    workdir = tmp_path_factory.mktemp("done")
    video = workdir / "garden talk.mp4"
    shutil.copy(speech_video, video)
    first = reelmake("run", video, cwd=workdir)
    assert first.returncode == 0, first.stdout + first.stderr
    return workdir, video, first


def test_first_run_makes_every_stage(done) -> None:
    workdir, video, first = done
    assert_ran(first.stderr, ALL_RULES)
    assert "CHECKING FOR CACHED STATE" in first.stdout
    state = _state(workdir, only_hash(workdir))
    assert state["last_stage"] == "metadata"
    assert state["video_path"] == str(video)
    assert state["transcription"]["word_count"] > 15
    assert state["transcription"]["language"] == "en"
    folder = results_of(workdir) / only_hash(workdir)
    for rule in ("ingest_video", "extract_audio", "transcribe_audio", "stage_state"):
        assert (folder / "logs" / f"{rule}.log").is_file()
    bench = (folder / "benchmarks" / "transcribe_audio.tsv").read_text().splitlines()
    assert bench[0].startswith("s\t") and len(bench) == 2
    # Clips that keep the source's shape (the default) track no faces.
    assert not (folder / "framing").exists()
    assert "track_subjects" not in rules_run(first.stderr)


def test_second_run_does_nothing_and_says_so(done) -> None:
    workdir, video, _ = done
    again = reelmake("run", video, cwd=workdir)
    assert again.returncode == 0
    assert rules_run(again.stderr) == []
    assert "Nothing to be done" in again.stderr
    assert "transcript: SKIPPED (using cached result)" in again.stdout


def test_moving_the_video_reruns_nothing(done, tmp_path: Path) -> None:
    workdir, video, _ = done
    moved = tmp_path / "elsewhere" / "renamed.mp4"
    moved.parent.mkdir()
    shutil.copy2(video, moved)  # a copy with the same bytes, as on another disk
    os.utime(moved)  # and a new mtime
    run = reelmake("run", moved, cwd=workdir)
    assert run.returncode == 0, run.stderr
    assert rules_run(run.stderr) == []


def test_changed_bytes_make_a_new_folder(done, tmp_path: Path) -> None:
    workdir, video, _ = done
    changed = tmp_path / video.name
    data = bytearray(video.read_bytes())
    data[-1] ^= 0xFF  # same size, other bytes
    changed.write_bytes(bytes(data))
    listed = reelmake("hash", video, changed, cwd=workdir)
    hashes = [line.split()[0] for line in listed.stdout.splitlines()]
    assert len(set(hashes)) == 2


def test_no_cache_stage_reruns_it_and_what_follows(done) -> None:
    workdir, video, _ = done
    folder = results_of(workdir) / only_hash(workdir)
    audio_mtime = (folder / "audio/audio.wav").stat().st_mtime_ns
    run = reelmake("run", "--no-cache", "transcribe_audio", video, cwd=workdir)
    assert run.returncode == 0, run.stderr
    # What follows the checkpoint re-runs only if its inputs' content changed.
    assert (
        {"transcribe_audio", "segment_transcript", "score_segments"}
        <= set(rules_run(run.stderr))
        <= FROM_TRANSCRIPTION | REPORT_RULES
    )
    assert "transcript: will run again (--no-cache)" in run.stdout
    assert (folder / "audio/audio.wav").stat().st_mtime_ns == audio_mtime


def test_no_cache_reruns_everything(done) -> None:
    workdir, video, _ = done
    run = reelmake("run", video, "--no-cache", cwd=workdir)
    assert run.returncode == 0, run.stderr
    assert_ran(run.stderr, ALL_RULES)


def test_status_shows_stages(done) -> None:
    workdir, video, _ = done
    out = reelmake("status", "--json", video, cwd=workdir)
    (state,) = json.loads(out.stdout)
    assert state["last_stage"] == "metadata"
    text = reelmake("status", cwd=workdir).stdout
    assert "transcript " in text and "done" in text


def test_kill_during_transcription_resumes_there(
    tmp_path: Path, long_speech_video: Path
) -> None:
    video = fast_clips(tmp_path) / "talk.mp4"
    shutil.copy(long_speech_video, video)
    proc = subprocess.Popen(
        [sys.executable, "-m", "reelmake.cli", "run", str(video), "--cores", "2"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    results = results_of(tmp_path)
    deadline = time.monotonic() + 120
    log = None
    while time.monotonic() < deadline and proc.poll() is None:
        logs = list(results.glob("*/logs/transcribe_audio.log"))
        if logs and "transcribing" in logs[0].read_text():
            log = logs[0]
            break
        time.sleep(0.1)
    assert log is not None, "transcription never started"
    os.killpg(proc.pid, signal.SIGKILL)  # the whole run dies at once
    proc.wait()
    folder = log.parent.parent
    assert not (folder / "transcript/transcript.json").exists()
    assert _no_final_file_is_partial(folder)
    audio_mtime = (folder / "audio/audio.wav").stat().st_mtime_ns

    rerun = reelmake("run", video, cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    rerun_rules = set(rules_run(rerun.stderr))
    assert "transcribe_audio" in rerun_rules
    assert not rerun_rules & {"ingest_video", "extract_audio"}
    assert "released the lock" in rerun.stdout
    assert (folder / "audio/audio.wav").stat().st_mtime_ns == audio_mtime
    state = _state(tmp_path, folder.name)
    assert state["last_stage"] == "metadata"
    assert state["transcription"]["word_count"] > 60


def _no_final_file_is_partial(folder: Path) -> bool:
    """Only finished files carry final names; temporary ones start with a dot."""
    for path in folder.rglob("*.json"):
        json.loads(path.read_text())
    return True


def test_bad_inputs_each_get_a_line_and_good_videos_finish(
    tmp_path: Path, speech_video: Path
) -> None:
    good = tmp_path / 'it\'s a "good" $(touch pwned) vidéo.mp4'
    shutil.copy(speech_video, good)
    # A finished video whose results must survive the bad batch untouched.
    earlier = tmp_path / "earlier.mp4"
    make_video(earlier, ["An earlier talk about bees and honey."])
    first = reelmake("run", earlier, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    earlier_hash = only_hash(tmp_path)
    earlier_files = {  # results, not bookkeeping such as .last_used
        p: p.stat().st_mtime_ns
        for p in (results_of(tmp_path) / earlier_hash).rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty folder").mkdir()
    (bad / "folder.mp4").mkdir()
    (bad / "zero.mp4").write_bytes(b"")
    (bad / "notes.mp4").write_text("these are my notes, not a video\n")
    data = speech_video.read_bytes()
    (bad / "truncated.mp4").write_bytes(data[: len(data) // 2])
    make_video(bad / "silent.mp4", seconds=2, audio=False)
    entries = [
        bad / "missing.mp4",
        bad / "empty folder",
        bad / "folder.mp4",
        bad / "zero.mp4",
        bad / "notes.mp4",
        bad / "truncated.mp4",
        bad / "silent.mp4",
        good,
        earlier,
    ]
    run = reelmake("run", *entries, cwd=tmp_path)
    assert run.returncode == 1
    errors = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    expected = {
        "missing.mp4": "no such file or folder",
        "empty folder": "folder has no video files",
        "folder.mp4": "is a folder, not a video file",
        "zero.mp4": "is empty (0 bytes)",
        "notes.mp4": "not a readable video",
        "truncated.mp4": "truncated",
        "silent.mp4": "has no audio stream",
    }
    for name, problem in expected.items():
        matching = [e for e in errors if str(bad / name) in e]
        assert len(matching) == 1, (name, errors)
        assert problem in matching[0], matching[0]
    # On the console: the clean lines only, none of Snakemake's exception blocks.
    for noise in ("RuleException", "WorkflowError", "Traceback", "Error in rule"):
        assert noise not in run.console, run.console
    shown_errors = [x for x in run.console.splitlines() if x.startswith("error: ")]
    assert len(shown_errors) == len(expected), run.console
    assert not (tmp_path / "pwned").exists()
    good_hash = next(
        line.split()[0]
        for line in reelmake("hash", good, cwd=tmp_path).stdout.splitlines()
    )
    assert _state(tmp_path, good_hash)["last_stage"] == "metadata"
    for path, mtime in earlier_files.items():
        assert path.stat().st_mtime_ns == mtime, path


def test_second_concurrent_run_stops_with_a_clear_message(
    tmp_path: Path, speech_video: Path
) -> None:
    from reelmake.batch.lock import RunLock

    with RunLock(results_of(tmp_path) / ".reelmake" / "run.lock"):
        run = reelmake("run", speech_video, cwd=tmp_path)
    assert run.returncode == 2
    assert "another reelmake run is working here" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_plain_snakemake_with_videos_in_the_config(
    tmp_path: Path, speech_video: Path
) -> None:
    clone = tmp_path / "clone"
    clone.mkdir()
    for name in ("Snakefile", "rules", "scripts", "config", "profiles"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, clone / name)
    shutil.copy(REPO / "environment.yml", clone)
    shutil.copy(speech_video, clone / "talk.mp4")
    config = clone / "config" / "config.yaml"
    config.write_text(config.read_text().replace("videos: []", "videos: [talk.mp4]"))
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2"]
    run = subprocess.run(cmd, cwd=clone, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert_ran(run.stderr, ALL_RULES)
    again = subprocess.run(cmd, cwd=clone, capture_output=True, text=True)
    assert rules_run(again.stderr) == [] and "Nothing to be done" in again.stderr


def test_bad_config_value_is_reported(tmp_path: Path, speech_video: Path) -> None:
    (tmp_path / "config.yaml").write_text("transcript:\n  beam_size: 0\n")
    run = reelmake("run", speech_video, cwd=tmp_path)
    assert run.returncode != 0
    assert "beam_size" in run.stderr


def test_an_empty_config_file_changes_nothing(done) -> None:
    workdir, video = done[0], done[1]
    (workdir / "config.yaml").write_text("# nothing set yet\n")
    try:
        run = reelmake("run", video, cwd=workdir)
    finally:
        (workdir / "config.yaml").unlink()
    assert run.returncode == 0, run.stderr
    assert "Nothing to be done" in run.stderr


def test_output_into_a_closed_pipe_ends_quietly(done) -> None:
    workdir = done[0]
    # `true` exits without reading: every write of the status finds the pipe closed.
    piped = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {sys.executable} -m reelmake.cli status "
         "--json | true"],
        cwd=workdir, capture_output=True, text=True,
    )  # fmt: skip
    assert piped.returncode == 0, piped.stderr
    assert "Traceback" not in piped.stderr and "Error" not in piped.stderr


def test_snakemake_options_pass_through(done) -> None:
    workdir, video, _ = done
    run = reelmake("run", video, "--dry-run", "--forceall", "--printshellcmds",
                   "--keep-incomplete", cwd=workdir)  # fmt: skip
    assert run.returncode == 0, run.stderr
    # Everything would run again: --forceall reached Snakemake.
    assert "transcribe_audio" in run.stdout + run.stderr
    assert "Nothing to be done" not in run.stdout + run.stderr
    wrong = reelmake("status", "--forceall", cwd=workdir)
    assert wrong.returncode == 2 and "unrecognized arguments" in wrong.stderr


def test_the_run_ends_by_naming_each_video_s_clips_and_report(done) -> None:
    workdir, video, first = done
    folder = results_of(workdir) / only_hash(workdir)
    lines = first.stdout.splitlines()
    line = next(
        x for x in lines if x.startswith(f"{video.name}: ") and " clip(s) in " in x
    )
    assert f"results/{folder.name}/ranked/" in line
    assert f"report results/{folder.name}/report.html" in line
    assert (workdir / line.split("report ")[-1]).is_file()
    assert "all videos: results/report.html" in lines


def test_the_header_says_why_a_stage_will_run_again(done) -> None:
    """After a changed setting the cached-state report agrees with `status` and with
    what Snakemake runs: the selection is not SKIPPED, it runs again for its params."""
    workdir, video, _ = done
    (workdir / "config.yaml").write_text("highlights:\n  threshold: 6.5\n")
    try:
        run = reelmake("run", video, "--dry-run", cwd=workdir)
        status = reelmake("status", cwd=workdir)
    finally:
        (workdir / "config.yaml").unlink()
    assert run.returncode == 0, run.stderr
    assert "highlights: will run again (params changed)" in run.stdout
    assert "highlights: SKIPPED" not in run.stdout
    assert "transcript: SKIPPED" in run.stdout
    assert re.search(r"highlights\s+stale \(params changed\)", status.stdout)
    assert "select_highlights" in run.stdout  # what Snakemake plans


def test_estimate_runs_nothing_and_writes_nothing(done, tmp_path: Path) -> None:
    workdir, video, _ = done
    summary = results_of(workdir) / "summary.tsv"
    before = (summary.read_bytes(), summary.stat().st_mtime_ns)
    logs = set((workdir / ".snakemake" / "log").iterdir())
    est = reelmake("estimate", video, cwd=workdir)
    assert est.returncode == 0, est.stderr
    assert "scoring sends no requests" in est.stdout  # the offline scorer is on
    assert "from its candidates" in est.stdout
    assert (summary.read_bytes(), summary.stat().st_mtime_ns) == before
    assert set((workdir / ".snakemake" / "log").iterdir()) == logs  # no Snakemake run
    # A video never processed here: planned from its duration, and no results/.
    fresh = reelmake("estimate", video, cwd=tmp_path)
    assert fresh.returncode == 0, fresh.stderr
    assert "from its duration" in fresh.stdout
    assert not (tmp_path / "results").exists()
    row = next(x.split() for x in fresh.stdout.splitlines()
               if x.startswith(video.name[:32]) and " transcript " in x)  # fmt: skip
    assert int(row[-2]) > 0  # prompt tokens: the speech's model is not empty


def _grow(path: Path, stop: threading.Event, every: float = 0.2) -> None:
    """Append to ``path`` until ``stop`` is set, as a recorder writing it would."""
    while not stop.is_set():
        with open(path, "ab") as fh:
            fh.write(os.urandom(4096))
        stop.wait(every)


def test_a_video_still_being_written_is_left_for_the_next_run(
    tmp_path: Path, speech_video: Path
) -> None:
    growing = tmp_path / "recording.mp4"
    shutil.copy(speech_video, growing)
    stop = threading.Event()
    writer = threading.Thread(target=_grow, args=(growing, stop))
    writer.start()
    try:
        run = reelmake("run", growing, cwd=tmp_path)
    finally:
        stop.set()
        writer.join()
    assert run.returncode != 0
    errors = [x for x in run.console.splitlines() if x.startswith("error: ")]
    assert errors == [f"error: {growing}: {STILL_WRITTEN}"], run.console
    assert not list(results_of(tmp_path).glob("[0-9a-f]*/source.*"))


def test_a_video_replaced_during_the_run_keeps_one_name_and_fails(
    tmp_path: Path, speech_video: Path
) -> None:
    video = tmp_path / "talk.mp4"
    shutil.copy(speech_video, video)
    proc = subprocess.Popen(
        [sys.executable, "-m", "reelmake.cli", "run", str(video)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not list(results_of(tmp_path).glob("*/audio/audio.wav")):
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        with open(video, "ab") as fh:  # the recorder writes a little more
            fh.write(os.urandom(65536))
        out, err = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode != 0, out + err
    header = re.search(r"talk\.mp4  \[([0-9a-f]{16})\]", out)
    assert header, out
    # Processed under the name the header gave it, and no other.
    folders = [p.name for p in results_of(tmp_path).glob("[0-9a-f]*") if p.is_dir()]
    assert folders == [header.group(1)]
    assert f"error: {video}: changed while it was processed" in err
    assert "summary: 0 of 1 video(s) done" in out
