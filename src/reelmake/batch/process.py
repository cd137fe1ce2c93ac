"""The Snakemake process: its command line, its signals, and what a killed run of it
leaves behind (its lock, its jobs in a SLURM queue).

This is the one module that starts Snakemake. It runs as a child process (its command
line, through the workflow's ``scripts/snakemake_main.py``) so that profiles,
``--forcerun`` and every other command-line feature apply unchanged; the package
itself never imports it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reelmake.batch.lock import note_group
from reelmake.batch.tree import DONE, Group
from reelmake.core import config

# Snakemake's own variable for its between-workflow cache folder.
SHARED_CACHE_ENV = "SNAKEMAKE_OUTPUT_CACHE"


def snakemake_command(workdir: Path, args: Sequence[str]) -> list[str]:
    """Snakemake's command line for ``args`` in ``workdir``: ``python -m snakemake``
    but for the second a finished run spends waiting on its scheduler's timers."""
    wf = config.workflow_dir()
    return [
        sys.executable, str(wf / "scripts" / "snakemake_main.py"),
        "--snakefile", str(wf / "Snakefile"),
        "--directory", str(workdir),
        *args,
    ]  # fmt: skip


def profile_args(profile: str | None) -> list[str]:
    """A profile given by name is looked up among the workflow's own profiles first."""
    if profile is None:
        return []
    own = config.workflow_dir() / "profiles" / profile
    if own.is_dir():
        return ["--workflow-profile", str(own), *executor_args(own)]
    path = Path(profile)
    return ["--profile", profile, *executor_args(path if path.is_dir() else None)]


def slurm_accounting_disabled() -> bool:
    """Whether the SLURM cluster here keeps no job accounting (no slurmdbd).

    The SLURM plugin asks ``sacct`` about jobs whenever the command exists, and
    ``sacct`` answers nothing on such a cluster: its jobs would never be seen to end.
    """
    if shutil.which("scontrol") is None:
        return False
    out = subprocess.run(
        ["scontrol", "show", "config"], capture_output=True, text=True, check=False
    )
    return bool(
        re.search(
            r"^AccountingStorageType\s*=\s*accounting_storage/none", out.stdout, re.M
        )
    )


def executor_args(profile_dir: Path | None) -> list[str]:
    """Settings a profile cannot know in advance: on a SLURM cluster without
    accounting, job states come from ``squeue``."""
    if profile_dir is None:
        return []
    text = (profile_dir / "config.yaml").read_text(encoding="utf-8")
    if re.search(r"^executor:\s*slurm\b", text, re.M) is None:
        return []
    if "slurm-status-command" in text or not slurm_accounting_disabled():
        return []
    return ["--slurm-status-command", "squeue"]


# After a forwarded stop signal, Snakemake stops its jobs (Ctrl-C) or lets the running
# ones finish (SIGTERM) and exits. Its signal handler can deadlock on its own
# scheduler lock (seen with 9.27.1 when the signal lands while a finished job is
# post-processed); once it alone is left of its group for this long, it is stuck and
# is killed. The next run resumes as after any crash.
STUCK_AFTER_SIGNAL_S = 15.0


@dataclass
class Stop:
    """The signals that stopped a run (Ctrl-C, ``kill -INT``, ``kill -TERM``), in
    the order they came."""

    signals: list[int] = field(default_factory=list)

    @property
    def name(self) -> str | None:
        """The first signal's name (SIGINT for Ctrl-C), None when none came."""
        return signal.Signals(self.signals[0]).name if self.signals else None

    @property
    def code(self) -> int:
        """The exit status of a command stopped this way: 128 + the signal."""
        return 128 + self.signals[0] if self.signals else 0


def run_snakemake(
    workdir: Path,
    args: Sequence[str],
    tick: Callable[[], None] | None = None,
    log: Path | None = None,
    env: dict[str, str] | None = None,
    stop: Stop | None = None,
) -> int:
    """Run Snakemake in a process group of its own that dies with this process,
    pass stop signals on to it, then wait for it to stop.

    ``tick`` is called about twice a second while it runs (progress reports); with
    ``log``, everything Snakemake prints goes to that file instead of the console;
    ``env``: its environment (default: this process's); ``stop`` hears the signals
    that stopped it.
    """
    out = None
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        out = open(log, "ab")  # noqa: SIM115 - closed below, after the process ends
    try:
        proc = subprocess.Popen(
            snakemake_command(workdir, args),
            stdout=out,
            stderr=subprocess.STDOUT if out is not None else None,
            env=env,
            # Its own group: a signal reaches Snakemake and every job at once, and
            # the group can be killed whole; its own session: the terminal's
            # signals come through this process, which passes them on.
            start_new_session=True,
        )
        try:
            watched = _Watched(proc)
        except BaseException:
            # No watchdog (or Ctrl-C before it started): nothing may outlive us.
            Group.of(proc.pid).kill()
            proc.wait()
            raise
        with watched as group:
            return _supervise(proc, group, tick, stop if stop is not None else Stop())
    finally:
        if out is not None:
            out.close()


class _Watched:
    """A watchdog that kills Snakemake's group if this process dies before it says
    the run is over (see :mod:`reelmake.batch.tree`); the group is recorded in the
    run lock."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.group = Group.of(proc.pid)
        read, self._write = os.pipe()
        try:
            self.watchdog = subprocess.Popen(
                [sys.executable, "-m", "reelmake.batch.tree", str(self.group.leader),
                 str(self.group.started), str(read)],
                pass_fds=(read,), start_new_session=True, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        finally:
            os.close(read)
        note_group(self.group)

    def __enter__(self) -> Group:
        return self.group

    def __exit__(self, *exc: object) -> None:
        # Whatever Snakemake left running (it was killed, or a job did not stop)
        # goes with it: nothing of a run outlives the run.
        self.group.kill()
        with contextlib.suppress(OSError):
            os.write(self._write, DONE)
        os.close(self._write)
        self.watchdog.wait()


def _supervise(
    proc: subprocess.Popen[bytes],
    group: Group,
    tick: Callable[[], None] | None,
    stop: Stop,
) -> int:
    signalled: list[float] = []

    def forward(signum: int, _frame: object) -> None:
        """Ctrl-C stops every job at once (as a terminal would, had Snakemake its
        own); SIGTERM lets Snakemake finish its running jobs first, and a second
        signal stops them too."""
        stop.signals.append(signum)
        signalled.append(time.monotonic())
        target = (
            signal.SIGINT
            if signum == signal.SIGINT or len(stop.signals) > 1
            else signum
        )
        with contextlib.suppress(ProcessLookupError):
            if target == signal.SIGINT:
                os.killpg(group.leader, signal.SIGINT)
            else:
                proc.send_signal(target)

    old = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while True:
            try:
                return proc.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                if tick is not None:
                    tick()
            if signalled and len(group.members()) > 1:
                signalled[-1] = time.monotonic()
            elif signalled and time.monotonic() - signalled[-1] > STUCK_AFTER_SIGNAL_S:
                print(
                    "reelmake: Snakemake did not stop after the signal; stopping it "
                    "(the next run resumes)",
                    file=sys.stderr,
                )
                group.kill()
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


def forget_records(workdir: Path, files: Sequence[Path]) -> None:
    """Drop Snakemake's records of removed files, so nothing stale remains."""
    names = [os.path.relpath(p, workdir) for p in files if not p.name.startswith(".")]
    if names:
        subprocess.run(
            snakemake_command(
                workdir, ["--config", "videos=[]", "--cleanup-metadata", *names]
            ),
            capture_output=True,
            check=False,
        )


def release_stale_snakemake_lock(workdir: Path) -> bool:
    """Unlock a working folder whose Snakemake lock outlived its run.

    Only called while holding :class:`RunLock`, which proves that no other reelmake run
    is alive in this folder, and no process of an interrupted one, so any lock found
    here was left by a killed run.
    """
    locks = workdir / ".snakemake" / "locks"
    if not locks.is_dir() or not any(locks.iterdir()):
        return False
    subprocess.run(
        snakemake_command(workdir, ["--unlock", "--quiet", "all"]),
        check=False,
        capture_output=True,
    )
    return True


_SLURM_RUN_ID = re.compile(r"SLURM run ID: ([A-Za-z0-9_-]+)")
# Runs older than this many Snakemake logs are not looked at for orphaned jobs.
_RECENT_LOGS = 20


def slurm_run_ids(workdir: Path) -> list[str]:
    """The SLURM run IDs (the job name of every job a run submits) of the recent
    Snakemake runs in this folder, newest first."""
    logs = sorted(
        (workdir / ".snakemake" / "log").glob("*.snakemake.log"),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    found: list[str] = []
    for log_file in logs[:_RECENT_LOGS]:
        try:
            with open(log_file, encoding="utf-8", errors="replace") as fh:
                head = fh.read(64 * 1024)
        except OSError:
            continue
        found += [m for m in _SLURM_RUN_ID.findall(head) if m not in found]
    return found


@dataclass(frozen=True)
class SlurmJob:
    job_id: str
    run_id: str


def orphaned_slurm_jobs(workdir: Path) -> list[SlurmJob]:
    """Jobs still queued or running for earlier runs in this folder.

    Only meaningful while holding :class:`RunLock`: then no run of this folder is
    alive, and every job of theirs left in the queue is an orphan.
    """
    run_ids = slurm_run_ids(workdir)
    if not run_ids or shutil.which("squeue") is None:
        return []
    out = subprocess.run(
        ["squeue", "--noheader", "--format=%i %j", f"--name={','.join(run_ids)}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        return []
    jobs = [line.split(maxsplit=1) for line in out.stdout.splitlines()]
    return [SlurmJob(j[0], j[1].strip()) for j in jobs if len(j) == 2]


def cancel_orphaned_slurm_jobs(workdir: Path) -> list[str]:
    """Cancel the jobs that interrupted runs left in the queue, so that a rerun does
    not compute the same outputs twice at once. Returns one line per run."""
    jobs = orphaned_slurm_jobs(workdir)
    lines = []
    for run_id in dict.fromkeys(j.run_id for j in jobs):
        ids = [j.job_id for j in jobs if j.run_id == run_id]
        command = ["scancel", f"--name={run_id}"]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode == 0:
            lines.append(
                f"cancelled {len(ids)} SLURM job(s) left by an interrupted run "
                f"(run ID {run_id}: {' '.join(ids)})"
            )
        else:
            lines.append(
                f"warning: {len(ids)} SLURM job(s) of an interrupted run are still "
                f"queued; cancel them with: {' '.join(command)} "
                f"({done.stderr.strip() or 'scancel failed'})"
            )
    return lines
