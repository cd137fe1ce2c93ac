"""One run per folder, whatever happens to it: Snakemake and its jobs die with the
``reelmake`` process, a run never takes over a folder while a process of an earlier
one still works in it, and Ctrl-C, ``kill -INT`` and SIGTERM stop a run cleanly and
are reported as interruptions."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from reelmake.batch import lock
from reelmake.batch.tree import DONE, Group
from reelmake.core.errors import ReelmakeError
from tests.conftest import REPO, results_of

pytestmark = pytest.mark.workflow

MARK = "REELMAKE_TEST_RUN"


def _ours(mark: str) -> list[tuple[int, str]]:
    """Running processes whose environment carries ``MARK=mark``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if f"{MARK}={mark}".encode() not in (entry / "environ").read_bytes():
                continue
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if command.strip():  # a zombie has no command line
            found.append((int(entry.name), command.strip()[:100]))
    return found


def _gone(mark: str, within: float) -> list[tuple[int, str]]:
    deadline = time.monotonic() + within
    left = _ours(mark)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = _ours(mark)
    return left


def _sleeper(mark: str = "") -> subprocess.Popen[bytes]:
    """A process leading a group of its own, as Snakemake does in a run."""
    return subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"],
        start_new_session=True, env={**os.environ, MARK: mark},
    )  # fmt: skip


def _run(video: Path, cwd: Path, mark: str, log: Path) -> subprocess.Popen[bytes]:
    """``reelmake run VIDEO`` in the background, as a person starts it."""
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "reelmake.cli", "run", str(video)],
            cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "HF_HUB_OFFLINE": "1", MARK: mark},
        )  # fmt: skip


def _job_running(cwd: Path, proc: subprocess.Popen[bytes], rule: str) -> Group:
    """Wait until Snakemake runs a job of ``rule``; its process group."""
    run_lock = results_of(cwd) / ".reelmake" / "run.lock"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None:
        groups = []
        if run_lock.exists():
            groups = [g for g in map(Group.parse, run_lock.read_text().splitlines())
                      if g]  # fmt: skip
        started = list(results_of(cwd).glob(f"*/logs/{rule}.log"))
        if groups and started and len(groups[-1].members()) >= 2:
            return groups[-1]
        time.sleep(0.05)
    raise AssertionError(f"no {rule} job seen running")


def test_the_watchdog_kills_the_group_when_reelmake_dies(tmp_path: Path) -> None:
    for said, killed in ((b"", True), (DONE, False)):
        leader = _sleeper()
        group = Group.of(leader.pid)
        read, write = os.pipe()
        watchdog = subprocess.Popen(
            [sys.executable, "-m", "reelmake.batch.tree", str(group.leader),
             str(group.started), str(read)], pass_fds=(read,), cwd=REPO,
        )  # fmt: skip
        os.close(read)
        os.write(write, said)
        os.close(write)  # as the kernel does when reelmake dies
        watchdog.wait(timeout=10)
        try:
            assert (
                (leader.wait(timeout=5) == -signal.SIGKILL)
                if killed
                else (leader.poll() is None)
            )
        finally:
            leader.kill()
            leader.wait()


def test_a_folder_is_not_taken_over_while_a_process_of_the_old_run_lives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lock, "OLD_RUN_WAIT_S", 0.5)
    results = tmp_path / "results"
    old = _sleeper()
    try:
        with lock.lock(results):  # the old run, whose reelmake then died
            lock.note_group(Group.of(old.pid))
        with pytest.raises(ReelmakeError) as refused, lock.lock(results):
            pass
        assert str(refused.value) == (
            f"{results}: 1 process(es) of an interrupted run still work here (pid "
            f"{old.pid}: {sys.executable} -c import time; time.sleep(60)); wait for "
            f"them to end, or stop them with: kill -9 -- -{old.pid}"
        )
    finally:
        old.kill()
        old.wait()
    with lock.lock(results):
        pass  # gone: the folder is free


def test_kill_9_of_reelmake_alone_leaves_no_process_of_the_run(
    tmp_path: Path, speech_video: Path
) -> None:
    mark = uuid.uuid4().hex
    proc = _run(speech_video, tmp_path, mark, tmp_path / "run.log")
    try:
        group = _job_running(tmp_path, proc, "extract_audio")
        os.kill(proc.pid, signal.SIGKILL)  # reelmake alone, not its group
        proc.wait()
        left = _gone(mark, within=10)
        assert left == [], left
        assert group.members() == []
    finally:
        for pid, _ in _ours(mark):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize(
    ("sig", "code", "said", "rule"),
    [
        # Ctrl-C stops the jobs at once; SIGTERM lets the running ones finish.
        (signal.SIGINT, 130, "interrupted by Ctrl-C (SIGINT)", "transcribe_audio"),
        (signal.SIGTERM, 143, "interrupted by SIGTERM", "extract_audio"),
    ],
)
def test_a_stop_signal_is_an_interruption_not_a_failure(
    tmp_path: Path, speech_video: Path, sig: int, code: int, said: str, rule: str
) -> None:
    mark = uuid.uuid4().hex
    log = tmp_path / "run.log"
    proc = _run(speech_video, tmp_path, mark, log)
    try:
        _job_running(tmp_path, proc, rule)
        os.kill(proc.pid, sig)  # `kill -INT PID`: reelmake alone hears it
        assert proc.wait(timeout=120) == code
    finally:
        proc.kill()
    console = log.read_text()
    lines = console.splitlines()
    assert f"reelmake: {said}; " in console
    assert "run the same command again to resume" in lines[-1]
    assert not [x for x in lines if x.startswith("error:")], console
    assert "failed" not in console and "could not be processed" not in console
    assert _gone(mark, within=10) == []
