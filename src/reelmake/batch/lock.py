"""One run per results folder: a lock held for the whole of a run."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from reelmake.core.errors import ReelmakeError
from reelmake.pipeline import discovery


class RunLock:
    """An exclusive lock on a results folder, held for the whole of a run.

    The kernel drops it when the process dies, however it dies, so a lock that can be
    taken is never stale.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: object | None = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+")  # noqa: SIM115 - held open for the lock's life
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            fh.close()
            raise ReelmakeError(
                f"{self.path.parent.parent}: another reelmake run is working here "
                f"(pid {holder}); wait for it to finish, or stop it first"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fh is not None:
            self._fh.close()  # type: ignore[attr-defined]
            self._fh = None


def lock(results: Path) -> RunLock:
    return RunLock(results / discovery.STATE_DIR / "run.lock")
