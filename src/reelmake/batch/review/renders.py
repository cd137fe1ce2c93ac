"""Renders started from the review page: ``reelmake run VIDEO`` as a child process.

A child process, not a thread: the run supervises Snakemake with signal handlers,
which only a main thread may install, and a run that fails or is stopped leaves the
page's server as it was. Its progress is read from what the run itself writes: its
console lines (a line per change in a pipe) and the events of our Snakemake logger
plugin, whose file the run names on its ``full log:`` line.
"""

from __future__ import annotations

import collections
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelmake.batch.display import EventFeed
from reelmake.batch.review.model import Video
from reelmake.core.errors import ReelmakeError

_FULL_LOG = re.compile(r"^full log: (.+) \(--verbose shows it here\)$")
# Lines of the run's console kept for the page.
KEPT_LINES = 200
# After SIGTERM a run stops Snakemake and waits for its jobs; past this it is killed.
STOP_SECONDS = 60.0


@dataclass
class Render:
    """One run of one video, as it goes."""

    video: Video
    proc: subprocess.Popen[str]
    started: float = field(default_factory=time.monotonic)
    lines: collections.deque[str] = field(
        default_factory=lambda: collections.deque(maxlen=KEPT_LINES)
    )
    feed: EventFeed | None = None
    done: int = 0
    total: int | None = None
    rendered: int = 0
    jobs: dict[int, str] = field(default_factory=dict)
    ended: float | None = None
    code: int | None = None

    def read_events(self) -> None:
        if self.feed is None:
            return
        for event in self.feed.read():
            kind = event.get("event")
            if kind == "progress":
                self.done, self.total = int(event["done"]), int(event["total"])
            elif kind == "job_info":
                self.jobs[int(event["jobid"])] = str(event.get("rule_name"))
            elif (
                kind == "job_finished"
                and self.jobs.get(int(event["job_id"])) == "render_clip"
            ):
                self.rendered += 1

    def report(self) -> dict[str, Any]:
        """What the page shows: running, done or failed, jobs done of all, the
        run's newest line about the video and its error lines."""
        self.read_events()
        now = self.ended if self.ended is not None else time.monotonic()
        state = (
            "running" if self.code is None else "done" if self.code == 0 else "failed"
        )
        about = [
            line for line in self.lines
            if line.startswith(f"{self.video.name}:") or line.startswith("jobs ")
        ]  # fmt: skip
        return {
            "state": state,
            "done": self.done,
            "total": self.total,
            "rendered": self.rendered,
            "seconds": round(now - self.started, 1),
            "line": about[-1] if about else "starting",
            "errors": [
                line for line in self.lines
                if line.startswith(("error:", "reelmake:"))
            ],
            "code": self.code,
        }  # fmt: skip


class Renders:
    """At most one run at a time (a results folder takes one run at a time)."""

    def __init__(self, workdir: Path, configfile: str | None, cores: int) -> None:
        self.workdir = workdir
        self.configfile = configfile
        self.cores = cores
        self._lock = threading.Lock()
        self._runs: dict[str, Render] = {}

    def _command(self, video: Path) -> list[str]:
        config = ["--configfile", self.configfile] if self.configfile else []
        return [
            sys.executable, "-m", "reelmake.cli", "run", "--brief",
            "--cores", str(self.cores), *config, str(video),
        ]  # fmt: skip

    def start(self, video: Video) -> dict[str, Any]:
        with self._lock:
            busy = next(
                (r for r in self._runs.values() if r.code is None), None
            )  # fmt: skip
            if busy is not None:
                raise ReelmakeError(
                    f"{busy.video.name} is rendering; wait until it is done"
                )
            if video.path is None or not video.path.is_file():
                raise ReelmakeError(
                    f"{video.path or video.name}: the video is gone; put it back "
                    "where it was to render its clips"
                )
            proc = subprocess.Popen(
                self._command(video.path),
                cwd=self.workdir,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                # Its own session: Ctrl-C in the server's terminal reaches the
                # server, which stops the run in order.
                start_new_session=True,
            )
            render = Render(video, proc)
            self._runs[video.hash] = render
        threading.Thread(
            target=self._follow, args=(render,), name="review-render", daemon=True
        ).start()
        return render.report()

    def _follow(self, render: Render) -> None:
        assert render.proc.stdout is not None
        for raw in render.proc.stdout:
            line = raw.rstrip("\n")
            with self._lock:
                render.lines.append(line)
                found = _FULL_LOG.match(line)
                if found and render.feed is None:
                    log = self.workdir / found.group(1)
                    render.feed = EventFeed(log.with_name(log.stem + ".events.jsonl"))
        code = render.proc.wait()
        with self._lock:
            render.read_events()
            render.code = code
            render.ended = time.monotonic()

    def report(self, video_hash: str) -> dict[str, Any] | None:
        with self._lock:
            render = self._runs.get(video_hash)
            return None if render is None else render.report()

    def running(self) -> bool:
        with self._lock:
            return any(r.code is None for r in self._runs.values())

    def stop(self) -> None:
        """Stop every run in order (the run stops Snakemake, whose next run resumes),
        killing one that does not stop in time."""
        with self._lock:
            procs = [r.proc for r in self._runs.values() if r.proc.poll() is None]
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            # Whatever is left of its session (Snakemake, a job, a planning run
            # the signal came too early for) goes with it.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
