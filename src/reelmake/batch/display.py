"""What ``reelmake run`` shows while Snakemake works: a few lines per video.

Snakemake's own text goes to a log file. Its structured events come through our
logger plugin (``snakemake_logger_plugin_reelmake``) as JSON lines, which this module
reads as they are written: which job of which video started, finished or failed, and
how many of all jobs are done. On a terminal the block of lines is redrawn in place;
elsewhere (a pipe, a CI log) a plain line is printed for each change, with no escape
codes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from reelmake.batch.process import Stop, run_snakemake
from reelmake.pipeline import discovery, registry

# What a video is doing while a job of each rule runs.
DOING = {
    **{step.rule: step.doing for step in registry.steps()},
    "report_batch": registry.BATCH_REPORT_DOING,
}
_TRANSCRIBED = re.compile(r"transcribed ([0-9.]+) of ([0-9.]+) s")


class EventFeed:
    """The JSON lines of a file that another process is still appending to."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._partial = ""

    def read(self) -> list[dict[str, Any]]:
        try:
            with open(self.path, encoding="utf-8") as fh:
                fh.seek(self._offset)
                text = fh.read()
                self._offset = fh.tell()
        except FileNotFoundError:
            return []
        text = self._partial + text
        lines = text.split("\n")
        self._partial = lines.pop()  # an unfinished last line waits for the rest
        out = []
        for line in lines:
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return out


@dataclass
class VideoLine:
    name: str
    video_hash: str
    running: dict[int, str] = field(default_factory=dict)  # job id -> rule
    logs: dict[int, str] = field(default_factory=dict)  # job id -> its log file
    done: int = 0
    clips_cut: int = 0
    failures: list[str] = field(default_factory=list)
    heard: str = ""  # "53.9 of 109.4 s" while transcribing
    ended: bool = False  # the run is over
    interrupted: bool = False  # a stop signal came: its jobs' ends are no failures

    def text(self, results: Path, leading: bool = False) -> str:
        if self.interrupted and self.running and not self.ended:
            jobs = " and ".join(
                dict.fromkeys(DOING.get(r, r) for r in self.running.values())
            )
            return f"{self.name}: stopping once {jobs} ends, {self.done} job(s) done"
        if self.interrupted:
            return f"{self.name}: interrupted, {self.done} job(s) done and kept"
        if self.failures:
            return f"{self.name}: failed in {', '.join(self.failures)}"
        return f"{self.activity(results, leading)}, {self.done} job(s) done"

    def activity(self, results: Path, leading: bool = False) -> str:
        """What the video is at, without the job count (in the pipeline's order, so
        that the same jobs always read the same); ``leading``: only the earliest
        stage it is at, which changes as the video moves on, not with every job
        that starts or ends beside it."""
        if self.failures:
            return self.text(results)
        parts = []
        if self.running:
            order = {rule: i for i, rule in enumerate(DOING)}
            rules = sorted(self.running.values(), key=lambda r: order.get(r, 99))
            doing = list(dict.fromkeys(DOING.get(r, r) for r in rules))
            parts.append(doing[0] if leading else " and ".join(doing))
        elif self.ended:
            parts.append("finished" if self.done else "nothing to do")
        elif self.done:
            parts.append("waiting")
        else:
            parts.append("queued")
        if self.heard and "transcribing" in parts[0]:
            parts.append(f"{self.heard} heard")
        if self.clips_cut or "rendering clips" in parts[0]:
            clips = registry.clip_names(results / self.video_hash)
            total = len(clips) if clips is not None else "?"
            parts.append(f"{self.clips_cut} of {total} clips rendered")
        return f"{self.name}: " + ", ".join(parts)


class Display:
    """Reads the event feed on every :meth:`tick` and shows what changed."""

    def __init__(
        self,
        videos: Sequence[tuple[str, str]],
        results: Path,
        events: Path,
        stream: TextIO,
        terminal: bool,
        stop: Stop | None = None,
    ) -> None:
        self.results = results
        self.stop = stop or Stop()
        self.feed = EventFeed(events)
        self.stream = stream
        self.terminal = terminal
        self.lines = {h: VideoLine(name, h) for name, h in videos}
        self.jobs: dict[int, tuple[str, str | None]] = {}  # id -> rule, video hash
        self.done = 0
        self.total: int | None = None
        self.started = time.monotonic()
        self._drawn = 0
        self._last: dict[str, str] = {}

    def _video(self, wildcards: Any) -> str | None:
        if isinstance(wildcards, dict):
            value = wildcards.get("video_hash")
            return value if isinstance(value, str) else None
        return None

    def _apply(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "job_info":
            jobid, rule = int(event["jobid"]), str(event["rule_name"])
            video = self._video(event.get("wildcards"))
            self.jobs[jobid] = (rule, video)
            if video in self.lines:
                self.lines[video].running[jobid] = rule
                logs = event.get("log") or []
                if logs:
                    self.lines[video].logs[jobid] = str(logs[0])
        elif kind == "job_finished":
            jobid = int(event["job_id"])
            rule, video = self.jobs.get(jobid, ("", None))
            if video in self.lines:
                line = self.lines[video]
                line.running.pop(jobid, None)
                line.logs.pop(jobid, None)
                line.done += 1
                if rule == "render_clip":
                    line.clips_cut += 1
        elif kind == "job_error":
            jobid = int(event["jobid"])
            rule, video = self.jobs.get(jobid, (str(event.get("rule_name")), None))
            if video in self.lines:
                line = self.lines[video]
                line.running.pop(jobid, None)
                logs = event.get("log") or []
                where = f" (log: {logs[0]})" if logs else ""
                line.failures.append(f"{rule}{where}")
        elif kind == "progress":
            self.done, self.total = int(event["done"]), int(event["total"])

    def _hearing(self, line: VideoLine) -> None:
        """The newest "transcribed X of N s" of a running transcription's log."""
        for jobid, rule in line.running.items():
            if rule not in ("transcribe_audio", "transcribe_chunk"):
                continue
            log_file = line.logs.get(jobid)
            if log_file is None:
                continue
            path = Path(log_file)
            if not path.is_absolute():
                path = self.results.parent / path
            try:
                found = _TRANSCRIBED.findall(path.read_text(errors="replace"))
            except OSError:
                continue
            if found:
                line.heard = f"{found[-1][0]} of {found[-1][1]} s"

    def _elapsed(self) -> str:
        seconds = int(time.monotonic() - self.started)
        return f"{seconds // 60}:{seconds % 60:02d}"

    def _jobs(self) -> str:
        total = f" of {self.total}" if self.total is not None else ""
        return f"jobs {self.done}{total} done, {self._elapsed()}"

    def tick(self) -> None:
        for event in self.feed.read():
            self._apply(event)
        for line in self.lines.values():
            self._hearing(line)
            line.interrupted = bool(self.stop.signals)
        if self.terminal:
            texts = [line.text(self.results) for line in self.lines.values()]
            self._redraw([*texts, self._jobs()])
            return
        # In a pipe, a line is written when the earliest stage the video is at
        # changes (not for every job that starts or ends beside it).
        for h, line in self.lines.items():
            doing = line.activity(self.results, leading=True)
            if self._last.get(h) != doing:
                self.stream.write(line.text(self.results, leading=True) + "\n")
                self._last[h] = doing
        self.stream.flush()

    def _redraw(self, lines: list[str]) -> None:
        width = max(20, _columns() - 1)
        out = ""
        if self._drawn:
            # Up to the first line of the block, then clear to the end of the screen.
            out += f"\x1b[{self._drawn}F\x1b[J"
        out += "".join(text[:width] + "\n" for text in lines)
        self.stream.write(out)
        self.stream.flush()
        self._drawn = len(lines)

    def finish(self) -> None:
        """A last look at the feed, and the batch's job count."""
        for line in self.lines.values():
            line.ended = True
        self.tick()
        if not self.terminal:
            self.stream.write(self._jobs() + "\n")
            self.stream.flush()


def _columns() -> int:
    # COLUMNS first, then the terminal's size; a terminal that says 0 gets 100.
    return shutil.get_terminal_size((100, 24)).columns or 100


class LiveOutput:
    """Where Snakemake's output goes during a run: live on the console (``live``:
    verbose and dry runs), or to a log file while :class:`Display` shows a few lines
    per video; ``note`` hears where that log is."""

    def __init__(
        self,
        live: bool,
        results: Path,
        videos: Sequence[discovery.Video],
        env: dict[str, str] | None,
        note: Callable[[str], None],
    ) -> None:
        self.display: Display | None = None
        self.log: Path | None = None
        self.logger_args: list[str] = []
        self.env = env
        self.up_to_date = False
        self.stop = Stop()
        if live:
            return
        logs = results / discovery.STATE_DIR / "logs"
        stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"
        self.log = logs / f"run-{stamp}.log"
        events = logs / f"run-{stamp}.events.jsonl"
        logs.mkdir(parents=True, exist_ok=True)
        # Snakemake's structured events, for the display (our logger plugin).
        self.logger_args = ["--logger", "reelmake", "--logger-reelmake-events",
                            str(events)]  # fmt: skip
        note(f"full log: {shown(self.log, Path.cwd())} (--verbose shows it here)")
        self.display = Display(
            [(v.path.name, v.hash) for v in videos],
            results,
            events,
            sys.stdout,
            terminal=sys.stdout.isatty(),
            stop=self.stop,
        )

    def run(self, workdir: Path, smk_args: list[str]) -> int:
        if self.display is None:
            return run_snakemake(workdir, smk_args, env=self.env, stop=self.stop)
        return run_snakemake(
            workdir,
            smk_args + self.logger_args,
            tick=self.display.tick,
            log=self.log,
            env=self.env,
            stop=self.stop,
        )

    def finish(self) -> None:
        if self.display is None:
            return
        self.display.finish()
        self.up_to_date = not self.display.jobs


def shown(path: Path, here: Path) -> str:
    """``path`` as a person would type it from ``here``."""
    try:
        return str(path.relative_to(here))
    except ValueError:
        return str(path)
