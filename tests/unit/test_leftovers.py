"""The suite's own check that it leaves no process behind."""

from __future__ import annotations

import subprocess
import time

import pytest

from tests.conftest import _ours_still_running

pytestmark = pytest.mark.unit


def _seen(pid: int, present: bool, timeout: float = 5.0) -> bool:
    """Whether ``pid`` is (or is no longer) among the session's processes within
    ``timeout``: /proc can lag a moment behind a fork or an exit."""
    deadline = time.monotonic() + timeout
    while True:
        if (pid in {p for p, _ in _ours_still_running()}) == present:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def test_a_process_the_suite_started_is_found_until_it_ends() -> None:
    stray = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        assert _seen(stray.pid, present=True)
    finally:
        stray.kill()
        stray.wait()
    assert _seen(stray.pid, present=False)
