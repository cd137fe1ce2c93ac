"""Kill soak: interrupt ``reelmake run`` in every stage, rerun, compare.

For each kill point (a rule and a signal), a fresh folder runs the demo talk, the run is
interrupted as soon as that rule starts, and ``reelmake run`` is repeated until it
succeeds. A point survives when no process of the interrupted run is left 10 s after
it ended, no job that had finished before the kill runs again and the final results
equal those of an uninterrupted run (timestamps and tool versions aside). The seconds
lost are those of the interrupted run and its reruns beyond the uninterrupted run's.

Signals: ``kill -9`` of the reelmake process alone, ``kill -9 all`` of it and every
process of its run at once (a machine that loses power, say), ``SIGTERM`` and
``Ctrl-C`` (SIGINT to reelmake, as a terminal sends it).

    python -m tests.soak                  # every rule x every signal (40 points)
    python -m tests.soak --points 8       # the first points of that list
    python -m tests.soak --signal Ctrl-C  # the points of one signal
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RULES = (
    "ingest_video", "extract_audio", "transcribe_audio", "segment_transcript",
    "score_segments", "select_highlights", "plan_clip", "render_clip",
    "write_clip_metadata",
    "write_metadata", "stage_state",
)  # fmt: skip
SIGNALS = ("kill -9", "SIGTERM", "Ctrl-C", "kill -9 all")
# Every process of one point's runs carries this in its environment.
MARK = "REELMAKE_SOAK_POINT"
_JOB = re.compile(
    r"^(?:local)?(?:rule|checkpoint) (\w+):\n(.*?)^\s+jobid: (\d+)$", re.M | re.S
)
_FINISHED = re.compile(r"Finished jobid: (\d+) \(Rule: (\w+)\)")
# Fields that change from run to run by nature.
_VOLATILE = {"last_updated", "versions", "video_path", "source"}


@dataclass
class Point:
    rule: str
    signal: str
    killed: bool = False
    finished_before: int = 0
    rerun_jobs: int = 0
    repeated: tuple[str, ...] = ()
    equal: bool = False
    reruns: int = 0
    differences: tuple[str, ...] = ()
    left: int = 0  # processes of the interrupted run alive 10 s after it ended
    lost_s: float = 0.0  # seconds beyond an uninterrupted run

    @property
    def survived(self) -> bool:
        return self.killed and not self.left and not self.repeated and self.equal


def all_points() -> list[tuple[str, str]]:
    """Every rule with every signal, ordered so that a prefix covers many of both."""
    n = len(SIGNALS)
    return [(r, SIGNALS[(i + j) % n]) for j in range(n) for i, r in enumerate(RULES)]


def _default_sigint() -> None:
    # A shell starts background jobs with Ctrl-C ignored, and children inherit that;
    # the run must react to Ctrl-C as it does in a terminal.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _cli(*args: str, cwd: Path, mark: str = "", **kw: Any) -> subprocess.Popen[bytes]:
    """``reelmake ARGS``; a run shows Snakemake's own output (``--verbose``), which
    says when each job starts and which files it finished; ``mark`` goes into the
    environment of every process of the run."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1", MARK: mark}
    verbose = ["--verbose"] if args[:1] == ("run",) else []
    return subprocess.Popen(
        [sys.executable, "-m", "reelmake.cli", *args, *verbose],
        cwd=cwd,
        env=env,
        preexec_fn=_default_sigint,
        **kw,
    )


def job_outputs(log: str, finished_only: bool) -> dict[str, tuple[str, set[str]]]:
    """jobid -> (rule, outputs) of the jobs a Snakemake log started (or finished)."""
    jobs = {}
    for rule, body, jobid in _JOB.findall(log):
        out = re.search(r"^\s+output: (.*)$", body, re.M)
        jobs[jobid] = (rule, set(out.group(1).split(", ")) if out else set())
    if finished_only:
        done = {jobid for jobid, _ in _FINISHED.findall(log)}
        jobs = {k: v for k, v in jobs.items() if k in done}
    return jobs


def snapshot(results: Path) -> dict[str, object]:
    """Comparable content of a results folder."""
    out: dict[str, object] = {}
    for path in sorted(results.glob("*/**/*")):
        rel = str(path.relative_to(results))
        if not path.is_file() or "/logs/" in rel or "/benchmarks/" in rel:
            continue
        if rel.startswith(".") or path.name.startswith("."):
            continue
        if path.name == "report.html":
            continue  # a view of the results, with timings that differ by nature
        if path.suffix == ".json":
            data = json.loads(path.read_text())
            for key in _VOLATILE:
                data.pop(key, None)
            out[rel] = data
        elif path.suffix in {".srt", ".vtt", ".csv", ".otio", ".edl", ".xml"}:
            out[rel] = _without_source_path(path, results)
        elif path.suffix == ".mp4":
            probe = subprocess.run(
                ["ffprobe", "-v", "error", "-show_entries", "format=duration",
                 "-of", "csv=p=0", str(path)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            out[rel] = round(float(probe.stdout), 2)
        else:
            out[rel] = path.stat().st_size
    return out


def _without_source_path(path: Path, results: Path) -> str:
    """Exports name the source video by its absolute path, which differs per folder."""
    text = path.read_text()
    folder = results / Path(path.relative_to(results)).parts[0]
    for link in folder.glob("source.*"):
        real = Path(os.path.realpath(link))
        text = text.replace(real.as_uri(), "<source>").replace(str(real), "<source>")
    return text


def _marked(mark: str) -> list[int]:
    """Running processes whose environment carries ``MARK=mark``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if (
                entry.name.isdigit()
                and f"{MARK}={mark}".encode()
                in (entry / "environ").read_bytes().split(b"\0")
                and (entry / "cmdline").read_bytes()
            ):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _left_after(mark: str, seconds: float) -> int:
    """Processes of a run still alive ``seconds`` after it ended (then stopped)."""
    deadline = time.monotonic() + seconds
    while _marked(mark) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = _marked(mark)
    for pid in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return len(left)


def _interrupt(proc: subprocess.Popen[bytes], sig: str, mark: str) -> None:
    if sig == "kill -9":
        os.killpg(proc.pid, signal.SIGKILL)  # reelmake's own group: it alone
    elif sig == "kill -9 all":
        for pid in [proc.pid, *_marked(mark)]:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
    elif sig == "SIGTERM":
        proc.send_signal(signal.SIGTERM)
    else:
        os.killpg(proc.pid, signal.SIGINT)


def run_point(
    video: Path,
    rule: str,
    sig: str,
    reference: dict[str, object],
    config: str = "",
    reference_s: float = 0.0,
) -> Point:
    """Interrupt a run at ``rule`` with ``sig``, resume it, and compare the results
    with ``reference`` (made with the same ``config.yaml``, when given, in
    ``reference_s`` seconds)."""
    point = Point(rule, sig)
    mark = uuid.uuid4().hex
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        work = Path(tmp)
        shutil.copy(video, work / video.name)
        if config:
            (work / "config.yaml").write_text(config)
        log_path = work / "first.log"
        start = time.monotonic()
        with open(log_path, "wb") as log:
            proc = _cli("run", video.name, cwd=work, stdout=log, stderr=log,
                        start_new_session=True, mark=mark)  # fmt: skip
            pattern = re.compile(rf"^(?:local)?(?:rule|checkpoint) {rule}:", re.M)
            deadline = time.monotonic() + 300
            while proc.poll() is None and time.monotonic() < deadline:
                if pattern.search(log_path.read_text(errors="replace")):
                    _interrupt(proc, sig, mark)
                    point.killed = True
                    break
                time.sleep(0.02)
            proc.wait(timeout=600)
        spent = time.monotonic() - start
        point.left = _left_after(mark, 10.0)
        # A run that still finished everything was not interrupted at all.
        point.killed = point.killed and proc.returncode != 0
        first = log_path.read_text(errors="replace")
        finished = job_outputs(first, finished_only=True)
        point.finished_before = len(finished)
        done_files = set().union(*(outs for _, outs in finished.values()))
        rerun_log = ""
        start = time.monotonic()
        for attempt in range(1, 4):
            rerun = _cli("run", video.name, cwd=work, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)  # fmt: skip
            text = rerun.communicate()[0].decode(errors="replace")
            rerun_log += text
            point.reruns = attempt
            if rerun.returncode == 0:
                break
        point.lost_s = round(spent + time.monotonic() - start - reference_s, 1)
        again = job_outputs(rerun_log, finished_only=False)
        point.rerun_jobs = len(again)
        point.repeated = tuple(
            sorted(f for _, outs in again.values() for f in outs & done_files)
        )
        final = snapshot(work / "results")
        point.equal = final == reference
        point.differences = tuple(
            sorted(
                k
                for k in set(final) | set(reference)
                if final.get(k) != reference.get(k)
            )
        )
        if point.repeated or not point.equal:
            (Path(tempfile.gettempdir()) / f"soak-{rule}-failed.log").write_text(
                first + "\n==== rerun ====\n" + rerun_log
            )
    return point


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=len(all_points()))
    parser.add_argument("--signal", choices=SIGNALS, help="only this signal's points")
    args = parser.parse_args(argv)
    chosen = [(r, s) for r, s in all_points() if args.signal in (None, s)]
    from reelmake.cli.demo import DEMO_SCRIPT, make_video

    with tempfile.TemporaryDirectory(prefix="soak-ref-") as tmp:
        ref = Path(tmp)
        video = make_video(ref / "talk.mp4", DEMO_SCRIPT)
        start = time.monotonic()
        proc = _cli("run", video.name, cwd=ref, stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL)  # fmt: skip
        if proc.wait() != 0:
            print("the uninterrupted reference run failed", file=sys.stderr)
            return 1
        reference_s = time.monotonic() - start
        print(f"reference run: {reference_s:.1f} s")
        reference = snapshot(ref / "results")
        points = []
        print(f"{'rule':<22}{'signal':<12}{'done before':>12}{'rerun jobs':>11}"
              f"{'reruns':>7}{'lost s':>8}  result")  # fmt: skip
        for rule, sig in chosen[: args.points]:
            p = run_point(video, rule, sig, reference, reference_s=reference_s)
            points.append(p)
            verdict = "survived" if p.survived else (
                "not killed (finished first)" if not p.killed
                else f"FAILED left={p.left} repeated={list(p.repeated)} "
                f"differs={list(p.differences)}"
            )  # fmt: skip
            print(f"{rule:<22}{sig:<12}{p.finished_before:>12}{p.rerun_jobs:>11}"
                  f"{p.reruns:>7}{p.lost_s:>8.1f}  {verdict}", flush=True)  # fmt: skip
    killed = [p for p in points if p.killed]
    survived = [p for p in killed if p.survived]
    lost = sum(p.lost_s for p in killed)
    mean = lost / len(killed) if killed else 0.0
    print(f"kill points tried: {len(killed)}, survived: {len(survived)}, seconds "
          f"lost: {lost:.0f} in all, {mean:.1f} per point (reference run "
          f"{reference_s:.1f} s)")  # fmt: skip
    return 0 if len(survived) == len(killed) == len(points) else 1


if __name__ == "__main__":
    sys.exit(main())
