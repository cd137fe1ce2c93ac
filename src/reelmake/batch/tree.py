"""The processes of a run: Snakemake and its jobs, in a process group of their own,
that die with the ``reelmake`` process that started them, however it dies.

``reelmake run`` starts Snakemake as the leader of a new process group (its jobs, and
what they start, stay in it) and a watchdog beside it, which waits on a pipe that only
``reelmake`` holds open. A ``kill -9`` of ``reelmake`` closes the pipe, and the
watchdog kills the group; a run that ends as it should says so on the pipe first. The
group is also recorded in the folder's run lock, so that the next run can see whether
any process of an interrupted run is still alive before it takes over.

Run as ``python -m reelmake.batch.tree LEADER STARTED FD``, this module is the
watchdog: it imports nothing of the package, so that it starts at once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# What reelmake writes on the pipe when its run ended as it should.
DONE = b"done"
# How long a group gets to be gone once killed (the kernel needs only moments).
KILL_WAIT_S = 5.0


@dataclass(frozen=True)
class ProcStat:
    pgrp: int
    started: int  # clock ticks after boot
    state: str


def _stat(pid: int) -> ProcStat | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (in parentheses) may hold spaces: the fields follow its end.
    fields = text.rsplit(")", 1)[1].split()
    return ProcStat(pgrp=int(fields[2]), started=int(fields[19]), state=fields[0])


@dataclass(frozen=True)
class Group:
    """A process group, named by its leader's pid and the leader's start time (so
    that a pid used again later is not taken for it)."""

    leader: int
    started: int

    @classmethod
    def of(cls, pid: int) -> Group:
        stat = _stat(pid)
        return cls(pid, stat.started if stat else 0)

    def __str__(self) -> str:
        return f"group {self.leader} {self.started}"

    @classmethod
    def parse(cls, line: str) -> Group | None:
        words = line.split()
        if len(words) == 3 and words[0] == "group":
            with contextlib.suppress(ValueError):
                return cls(int(words[1]), int(words[2]))
        return None

    def members(self) -> list[int]:
        """The processes still running in the group; none once its id names
        another group (the leader died and its pid was given to a new process)."""
        leader = _stat(self.leader)
        if leader is not None and leader.started != self.started:
            return []
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            stat = _stat(int(entry.name))
            if stat is not None and stat.pgrp == self.leader and stat.state != "Z":
                found.append(int(entry.name))
        return sorted(found)

    def kill(self) -> None:
        """Kill every process of the group and wait (a little) until none runs."""
        deadline = time.monotonic() + KILL_WAIT_S
        while self.members() and time.monotonic() < deadline:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.leader, signal.SIGKILL)
            time.sleep(0.05)


def command_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    return raw.replace(b"\0", b" ").decode(errors="replace").strip() or "?"


def watch(leader: int, started: int, fd: int) -> None:
    """Wait until reelmake closes the pipe ``fd``; unless it said the run ended as
    it should, kill the group: nothing of the run outlives it."""
    said = b""
    with contextlib.suppress(OSError):
        while chunk := os.read(fd, 64):
            said += chunk
    if said.startswith(DONE):
        return
    Group(leader, started).kill()


if __name__ == "__main__":
    # A signal meant for the terminal's foreground never reaches this process (it
    # has a session of its own); reelmake's end is its only cue.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
