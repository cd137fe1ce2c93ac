"""The suite's own check that it leaves no process behind."""

from __future__ import annotations

import subprocess
import time

import pytest

from tests.conftest import _ours_still_running

pytestmark = pytest.mark.unit


def test_a_process_the_suite_started_is_found_until_it_ends() -> None:
    stray = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        assert stray.pid in {pid for pid, _ in _ours_still_running()}
    finally:
        stray.kill()
        stray.wait()
    time.sleep(0.1)
    assert stray.pid not in {pid for pid, _ in _ours_still_running()}
