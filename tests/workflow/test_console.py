"""What a person sees while ``reelmake run`` works, on a terminal and in a pipe."""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FULL_LOG, fast_clips, reelmake, rules_run

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory, long_speech_video: Path):
    folder = fast_clips(tmp_path_factory.mktemp("console"))
    shutil.copy(long_speech_video, folder / "talk.mp4")
    return folder


def _in_a_terminal(args: list[str], cwd: Path, timeout: float = 300) -> str:
    """Run ``reelmake ARGS`` with a pseudo-terminal as its output; what it wrote."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "reelmake.cli", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "120"},
    )
    os.close(follower)
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([leader], [], [], timeout)
            if not ready:
                raise TimeoutError("no output for too long")
            try:
                data = os.read(leader, 4096)
            except OSError:  # the other side closed
                break
            if not data:
                break
            chunks.append(data)
    finally:
        proc.wait(timeout=60)
        os.close(leader)
    assert proc.returncode == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks).decode(errors="replace")


def test_a_first_run_prints_a_few_lines_and_logs_the_rest(workdir: Path) -> None:
    run = reelmake("run", workdir / "talk.mp4", cwd=workdir)
    assert run.returncode == 0, run.stderr
    shown = run.console
    # Snakemake's job blocks are in the log, not on the console.
    assert "Finished jobid" not in shown and "rule " not in shown
    assert "\x1b[" not in shown  # no escape codes into a pipe
    lines = shown.splitlines()
    assert len(lines) <= 40, shown
    log = FULL_LOG.search(run.stdout)
    assert log, shown
    assert "Finished jobid" in (workdir / log.group(1)).read_text()
    assert "talk.mp4: transcribing" in shown
    clips = re.findall(r"(\d+) of (\d+) clips rendered", shown)
    assert clips and clips[-1][0] == clips[-1][1] != "0", shown
    jobs = re.search(r"^jobs (\d+) of (\d+) done, \d+:\d\d$", shown, re.M)
    assert jobs and jobs.group(1) == jobs.group(2), shown
    # Then where the results are.
    assert re.search(r"^talk\.mp4: \d+ clip\(s\) in results/", shown, re.M)


def test_a_run_with_nothing_to_do_says_so(workdir: Path) -> None:
    run = reelmake("run", workdir / "talk.mp4", cwd=workdir)
    assert run.returncode == 0, run.stderr
    assert "nothing to do: every result is up to date" in run.console
    assert rules_run(run.stderr) == []
    # --brief skips Snakemake's account of what it would run again, and says so.
    brief = reelmake("run", "--brief", workdir / "talk.mp4", cwd=workdir)
    assert brief.returncode == 0, brief.stderr
    assert "(--brief: cached stages not checked for changed settings)" in brief.console
    assert "nothing to do" in brief.console and rules_run(brief.stderr) == []


def test_no_cache_shows_the_progress_of_the_forced_jobs(workdir: Path) -> None:
    """Forced stages have their files already: progress comes from the jobs, not
    from the files on disk."""
    run = reelmake("run", workdir / "talk.mp4", "--no-cache", "clips", cwd=workdir)
    assert run.returncode == 0, run.stderr
    cut = re.findall(r"talk\.mp4: .*?(\d+) of (\d+) clips rendered", run.console)
    assert cut[0][0] == "0" and cut[-1][0] == cut[-1][1] != "0", run.console
    assert "transcribing" not in run.console


def test_on_a_terminal_the_lines_are_redrawn_in_place(workdir: Path) -> None:
    shown = _in_a_terminal(["run", str(workdir / "talk.mp4"), "--no-cache",
                            "metadata"], workdir)  # fmt: skip
    assert "\x1b[" in shown and "F\x1b[J" in shown
    assert re.search(r"talk\.mp4: \w[^\n]*\d+ job\(s\) done", shown), shown
    assert re.search(r"jobs (\d+) of \1 done", shown), shown
    assert "Finished jobid" not in shown


def test_verbose_shows_snakemake_as_it_runs(workdir: Path) -> None:
    run = reelmake(
        "run", workdir / "talk.mp4", "--no-cache", "metadata", "--verbose",
        cwd=workdir,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "Finished jobid" in run.console
    assert "full log:" not in run.console
