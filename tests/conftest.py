"""Shared fixtures: generated media and helpers that run the real command line."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml

from reelmake.cli.demo import make_video

REPO = Path(__file__).resolve().parents[1]

# Two short spoken paragraphs: enough speech to check words, fast to transcribe.
SHORT_SCRIPT = (
    "Welcome to the garden podcast. Today we plant tomatoes and basil together.",
    "Water the seedlings every morning, and keep them in bright sunlight.",
)


# Every process the suite starts carries this in its environment (workers of
# pytest-xdist, and what they start, inherit it), so that the suite can find any it
# left behind.
SESSION_VAR = "REELMAKE_TEST_SESSION"


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault(SESSION_VAR, uuid.uuid4().hex)


def _ours_still_running() -> list[tuple[int, str]]:
    """Processes of this test session other than pytest's own."""
    mark = f"{SESSION_VAR}={os.environ[SESSION_VAR]}".encode()
    mine = {os.getpid()}
    pid = os.getpid()
    while pid > 1:  # this process and its ancestors
        try:
            pid = int(
                Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]
            )
        except (OSError, ValueError, IndexError):
            break
        mine.add(pid)
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in mine:
            continue
        try:
            if mark not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if command.strip():  # zombies have no command line and are not running
            found.append((int(entry.name), command.strip()[:160]))
    return found


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The suite leaves no process behind: anything it started and that still runs
    at its end fails the run (and is stopped)."""
    if hasattr(session.config, "workerinput"):
        return  # a worker: the controller looks once every worker has ended
    deadline = time.monotonic() + 15
    left = _ours_still_running()
    while left and time.monotonic() < deadline:
        time.sleep(0.5)
        left = _ours_still_running()
    if not left:
        return
    lines = "\n".join(f"  {pid} {command}" for pid, command in left)
    print(f"\nthe test session left {len(left)} process(es) running:\n{lines}")
    for pid, _ in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def speech_video(media_dir: Path) -> Path:
    """A ~9 s talking video, generated once per test session."""
    return make_video(media_dir / "garden.mp4", SHORT_SCRIPT)


@pytest.fixture(scope="session")
def long_speech_video(media_dir: Path) -> Path:
    """A ~40 s talking video: transcription lasts long enough to interrupt it."""
    from reelmake.cli.demo import DEMO_SCRIPT

    return make_video(media_dir / "talk.mp4", DEMO_SCRIPT)


class Run(subprocess.CompletedProcess[str]):
    """A finished ``reelmake`` command. ``console`` is exactly what it printed;
    ``stderr`` also holds the full Snakemake log of each run it named ("full log:
    PATH"), so that tests can check which jobs ran."""

    console: str


# The line a run names its full log with (the path may hold spaces).
FULL_LOG = re.compile(r"^full log: (.+) \(--verbose shows it here\)$", re.M)


def reelmake(
    *args: str | os.PathLike[str],
    cwd: Path,
    timeout: float = 600,
    env: dict[str, str] | None = None,
) -> Run:
    """Run the real ``reelmake`` command line in ``cwd`` (in ``env``, default: this
    process's environment)."""
    done = subprocess.run(
        [sys.executable, "-m", "reelmake.cli", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**(os.environ if env is None else env), "HF_HUB_OFFLINE": "1"},
    )
    run = Run(done.args, done.returncode, done.stdout, done.stderr)
    run.console = done.stdout + done.stderr
    for name in FULL_LOG.findall(done.stdout):
        log = cwd / name
        if log.is_file():
            run.stderr += f"\n--- {name} ---\n" + log.read_text(errors="replace")
    return run


# Clips of the workflow tests: small and quickly encoded. The defaults' own finish
# (1080x1920, captions, title, levelled) is tested on its own, in
# tests/media/test_render.py and tests/workflow/test_finish.py.
FAST_CLIPS = "clips:\n  size: [144, 256]\n  preset: ultrafast\n"


def merged_config(*texts: str) -> str:
    """YAML configs merged key by key, the later ones winning."""
    from reelmake.core.config import deep_update

    out: dict = {}
    for text in texts:
        out = deep_update(out, yaml.safe_load(text) or {})
    return yaml.safe_dump(out)


def fast_clips(folder: Path, extra: str = "") -> Path:
    """A working folder whose runs make small, quickly encoded clips."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yaml").write_text(merged_config(FAST_CLIPS, extra))
    return folder


def reelmake_with_config(video: Path, config: str, cwd: Path) -> Run:
    """``reelmake run`` with ``config`` added to the working folder's
    ``config.yaml`` for this one run."""
    own = cwd / "config.yaml"
    before = own.read_text() if own.exists() else None
    own.write_text(merged_config(before or "", config))
    try:
        return reelmake("run", video, cwd=cwd)
    finally:
        if before is None:
            own.unlink()
        else:
            own.write_text(before)


def rules_run(output: str) -> list[str]:
    """The rules Snakemake finished, in order, from its log output."""
    return re.findall(r"Finished jobid: \d+ \(Rule: (\w+)\)", output)


def results_of(workdir: Path) -> Path:
    return workdir / "results"


def only_hash(workdir: Path) -> str:
    folders = [
        p.name
        for p in results_of(workdir).iterdir()
        if re.fullmatch("[0-9a-f]{16}", p.name)
    ]
    assert len(folders) == 1, folders
    return folders[0]


class Server:
    """A server process on 127.0.0.1 started by a test, stopped at its end."""

    def __init__(self, *args: str, timeout: float = 60) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", *args],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = ""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline() if self.proc.stdout else ""
            if line.startswith("listening on"):
                break
            if self.proc.poll() is not None:
                break
        if not line.startswith("listening on"):
            self.stop()
            raise RuntimeError(f"{args[0]} did not start: {line!r}")
        self.port = int(line.split()[-1])
        self.base_url = f"http://127.0.0.1:{self.port}/v1"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture()
def llm_server(tmp_path: Path):
    """Start the test chat server: ``llm_server(mode, bad=0, delay=5)``."""
    started: list[Server] = []

    def start(mode: str = "normal", bad: int = 0, delay: float = 5.0) -> Server:
        log = tmp_path / f"server-{len(started)}.jsonl"
        server = Server(
            "tests.llm_server", "--mode", mode, "--bad", str(bad),
            "--delay", str(delay), "--log", str(log),
        )  # fmt: skip
        server.log = log  # type: ignore[attr-defined]
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def server_requests(log: Path) -> list[dict]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


# Rules after the stage state; whether they re-run depends on whether their inputs'
# content changed (Snakemake compares checksums of small files).
REPORT_RULES = frozenset({"export_timeline", "report_video", "report_batch"})


def assert_ran(output: str, expected: set[str]) -> None:
    """Exactly ``expected`` ran, give or take the report rules."""
    ran = set(rules_run(output))
    assert expected <= ran <= expected | REPORT_RULES, sorted(ran)


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text())


def threshold_adding_one_clip(folder: Path) -> float:
    """The highest threshold under which the selection of the video in ``folder``
    gains exactly one clip."""
    from reelmake.stages.highlights import SelectOptions, select
    from reelmake.stages.scores.common import load_scores
    from reelmake.stages.segments import load_candidates

    chosen = _read_json(folder / "highlights/highlights.json")
    params = {k: v for k, v in chosen["params"].items() if k != "picture"}
    candidates = load_candidates(folder / "segments/candidates.json")
    scores = load_scores(folder / "scores/scores.json")
    duration = _read_json(folder / "ingest/video.json")["duration"]
    count = chosen["highlight_count"]
    for s in sorted(scores, key=lambda s: -s.overall):
        if s.overall >= params["threshold"]:
            continue
        options = SelectOptions(**{**params, "threshold": s.overall})
        found = len(select(candidates, scores, options, duration))
        if found == count + 1:
            return s.overall
        assert found == count, "no threshold adds exactly one clip"
    raise AssertionError("no lower score adds a clip")
