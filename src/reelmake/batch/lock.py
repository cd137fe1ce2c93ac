"""One run per results folder: a lock held for the whole of a run, by the whole of
its process tree."""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from types import TracebackType
from typing import IO

from reelmake.batch.tree import Group, command_line
from reelmake.core.errors import ReelmakeError
from reelmake.pipeline import discovery

# How long a run waits for the processes of an interrupted one to be gone (their
# watchdog kills them at once: waiting longer means something else keeps them).
OLD_RUN_WAIT_S = 10.0


class RunLock:
    """An exclusive lock on a results folder, held for the whole of a run.

    The kernel drops it when the process dies, however it dies. Snakemake and its
    jobs run in a process group recorded in the lock file (:meth:`note`); a lock
    taken after a crash is trusted only once no process of that group is alive.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[str] | None = None

    def __enter__(self) -> RunLock:
        global _held
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+")  # noqa: SIM115 - held open for the lock's life
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().split("\n", 1)[0].strip() or "unknown"
            fh.close()
            raise ReelmakeError(
                f"{self.path.parent.parent}: another reelmake run is working here "
                f"(pid {holder}); wait for it to finish, or stop it first"
            ) from None
        fh.seek(0)
        left = [g for g in map(Group.parse, fh.read().splitlines()[1:]) if g]
        try:
            self._outlived(left)
        except ReelmakeError:
            fh.close()
            raise
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        self._fh = fh
        _held = self
        return self

    def _outlived(self, groups: list[Group]) -> None:
        """Wait for the processes of an interrupted run to be gone; stop in one
        line when they are not."""
        deadline = time.monotonic() + OLD_RUN_WAIT_S
        alive = [pid for g in groups for pid in g.members()]
        while alive and time.monotonic() < deadline:
            time.sleep(0.2)
            alive = [pid for g in groups for pid in g.members()]
        if alive:
            leaders = " ".join(f"-{g.leader}" for g in groups if g.members())
            raise ReelmakeError(
                f"{self.path.parent.parent}: {len(alive)} process(es) of an "
                f"interrupted run still work here (pid {alive[0]}: "
                f"{command_line(alive[0])[:80]}); wait for them to end, or stop "
                f"them with: kill -9 -- {leaders}"
            )

    def note(self, group: Group) -> None:
        """Record a process group of this run (Snakemake and its jobs)."""
        if self._fh is not None:
            self._fh.write(f"{group}\n")
            self._fh.flush()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        global _held
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        if _held is self:
            _held = None


# The lock this process holds, if any: the groups it starts are recorded in it.
_held: RunLock | None = None


def note_group(group: Group) -> None:
    """Record a process group in the run lock this process holds (if it holds
    one: ``snakemake_plan`` and others run Snakemake briefly without it)."""
    if _held is not None:
        _held.note(group)


def lock(results: Path) -> RunLock:
    return RunLock(results / discovery.STATE_DIR / "run.lock")
