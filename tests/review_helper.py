"""What the tests of ``reelmake review`` and ``reelmake import-edits`` share: a talk
processed once per test session (copied for each test), the review server as a
child process, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import fast_clips, only_hash, reelmake, results_of

# Short candidates and a low threshold: the demo talk gives four short clips, cut
# at the centre of the frame (no face tracking) and not levelled, so that a render
# takes seconds.
REVIEW_CONFIG = (
    "segments:\n  min_seconds: 5\n  max_seconds: 20\n"
    "highlights:\n  threshold: 2.0\n  min_gap: 1.0\n"
    "clips:\n  reframe: centre\n  loudness: false\n"
)
CHROMIUM = "/usr/bin/chromium"
# Chromium as root needs --no-sandbox; the rest keeps it from reaching out (this
# machine's network refuses its background connections).
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update",
    "--disable-sync",
]  # fmt: skip
# Where the tests write the review page's screenshots (default: the test's own
# temporary folder).
SCREENSHOTS = "REELMAKE_SCREENSHOTS"


def processed_talk(factory: pytest.TempPathFactory, video: Path) -> Path:
    """A working folder where the talk has been processed: made once per test
    session, then copied by :func:`copy_of`."""
    base = factory.getbasetemp() / "review-talk"
    done = base / "done"
    if not done.exists():
        workdir = fast_clips(base / "work", REVIEW_CONFIG)
        shutil.copy(video, workdir / "talk.mp4")
        run = reelmake("run", "talk.mp4", cwd=workdir)
        assert run.returncode == 0, run.stderr
        done.touch()
    return base / "work"


def copy_of(factory: pytest.TempPathFactory, video: Path, name: str) -> Path:
    """A test's own copy of the processed talk (the files keep their times, so a
    run in the copy has nothing to do)."""
    target = factory.mktemp(name) / "work"
    shutil.copytree(processed_talk(factory, video), target, symlinks=True)
    return target


def video_folder(workdir: Path) -> Path:
    return results_of(workdir) / only_hash(workdir)


def chosen(folder: Path) -> list[dict[str, Any]]:
    data = json.loads((folder / "highlights/highlights.json").read_text())
    return list(data["highlights"])


def clip_times(folder: Path) -> dict[str, int]:
    """Every clip file and its modification time."""
    return {p.name: p.stat().st_mtime_ns for p in (folder / "clips").iterdir()}


class ReviewServer:
    """``reelmake review`` in ``workdir``, as a person starts it; stopped with
    Ctrl-C (SIGINT), as a person stops it."""

    def __init__(self, workdir: Path, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "reelmake.cli", "review", *args],
            cwd=workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )
        self.output: list[str] = []
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)
            found = re.match(r"open (http://127\.0\.0\.1:(\d+)/\?token=(\S+))$", line)
            if found:
                self.url, self.port, self.token = (
                    found.group(1), int(found.group(2)), found.group(3)
                )  # fmt: skip
                break
        else:
            self.proc.wait()
            raise AssertionError("review did not start:\n" + "".join(self.output))

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        assert self.proc.stdout is not None
        self.output.append(self.proc.stdout.read())
        return self.proc.returncode

    def __enter__(self) -> ReviewServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def chromium(profile: Path, **context: Any) -> Iterator[Any]:
    """A browser context of Debian's Chromium (never a downloaded browser), with a
    fresh profile."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            **context,
        )
        try:
            yield browser
        finally:
            browser.close()


def screenshot_dir(fallback: Path) -> Path:
    folder = Path(os.environ.get(SCREENSHOTS) or fallback)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
