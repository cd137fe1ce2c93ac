"""What an assistant or an automation asks of reelmake (``reelmake mcp`` serves it):
start a run in the background, follow it, read each video's stages and clips.

A run is the ``reelmake run`` command itself, started as a child process whose
console goes to a log file: it takes the results folder's lock, shows the same lines
and leaves the same summary as a run started by hand. Everything here answers in
plain JSON-ready values; a problem the caller can fix is a :class:`ReelmakeError`.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelmake.batch import links, store, summary
from reelmake.core import fileio
from reelmake.core.errors import ReelmakeError
from reelmake.core.hashing import INDEX_NAME, HashIndex, short
from reelmake.pipeline import discovery, registry
from reelmake.pipeline.state import compute_state

# A display line of a run in a pipe: "talk.mp4: transcribing, 3 job(s) done".
_VIDEO_LINE = re.compile(r"^(?P<name>[^:]+?): (?P<what>.*\d+ job\(s\) done)$")
_HASH = re.compile(r"[0-9a-f]{16}")
# A stopped run's Snakemake finishes the jobs it is running; after this long it is
# stopped for good.
STOP_SECONDS = 30.0
TAIL_LINES = 30
# A person's decisions on a video's clips, in its results folder (written through
# the decisions module, which keeps what a person wrote by hand).
DECISIONS_FILE = "decisions.yaml"


@dataclass
class Run:
    """One run started here: its process and the file its console goes to."""

    id: str
    directory: Path
    inputs: list[str]
    command: list[str]
    log: Path
    process: subprocess.Popen[bytes]
    started: float = field(default_factory=time.time)


class Runs:
    """The runs started by one server, stopped when it stops."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()
        self._logs = Path(tempfile.mkdtemp(prefix="reelmake-runs-"))
        self._runs: dict[str, Run] = {}

    def workdir(self, directory: str | None) -> Path:
        """A folder named by the caller (relative to the server's), or the server's."""
        if not directory:
            return self.directory
        folder = (self.directory / os.path.expanduser(directory)).resolve()
        if not folder.is_dir():
            raise ReelmakeError(f"{directory}: no such folder")
        return folder

    def start(
        self,
        inputs: Sequence[str],
        directory: str | None = None,
        until: str | None = None,
        no_cache: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """Start ``reelmake run`` on files, folders, globs or links; its id."""
        if not inputs:
            raise ReelmakeError("name at least one video, audio file, folder or link")
        if until is not None:
            registry.stage(until, listed=True)  # an unknown name stops here
        workdir = self.workdir(directory)
        run_id = uuid.uuid4().hex[:12]
        log = self._logs / f"{run_id}.log"
        command = [sys.executable, "-m", "reelmake.cli", "run",
                   "--directory", str(workdir)]  # fmt: skip
        if until:
            command += ["--until", until]
        if no_cache is not None:
            # Stage names first: every word after --no-cache that names a stage is one.
            command += ["--no-cache", *no_cache]
        # "--" keeps an input that starts with a dash from being read as an option.
        command += ["--", *inputs]
        with open(log, "wb") as out:
            process = subprocess.Popen(
                command,
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                # The server's process group: a client that stops the server's
                # group (the MCP SDK's does) stops the run with it, Snakemake and
                # its jobs included; an interrupted run resumes next time.
            )
        run = Run(run_id, workdir, list(inputs), command, log, process)
        self._runs[run_id] = run
        return {"run_id": run_id, "directory": str(workdir), "inputs": run.inputs}

    def get(self, run_id: str) -> Run:
        try:
            return self._runs[run_id]
        except KeyError:
            known = ", ".join(self._runs) or "none yet"
            raise ReelmakeError(
                f"no run {run_id!r} was started here (runs: {known})"
            ) from None

    def progress(self, run_id: str) -> dict[str, Any]:
        """How a run is going: running or finished, each video's latest line, the
        error lines, the end of its console; once finished, its batch table."""
        run = self.get(run_id)
        code = run.process.poll()
        lines = run.log.read_text(errors="replace").splitlines()
        videos: dict[str, str] = {}
        for line in lines:
            found = _VIDEO_LINE.match(line)
            if found:
                videos[found["name"]] = found["what"]
        out: dict[str, Any] = {
            "run_id": run.id,
            "state": "running" if code is None else "finished",
            "exit_code": code,
            "seconds": round(time.time() - run.started, 1),
            "videos": videos,
            "errors": [
                x.removeprefix("error: ") for x in lines if x.startswith("error: ")
            ],  # fmt: skip
            "console_tail": lines[-TAIL_LINES:],
            "summary": [],
        }
        table = run.directory / "results" / summary.SUMMARY_FILE
        # The table of this run: written after it started (another run may follow).
        fresh = table.is_file() and table.stat().st_mtime >= run.started
        if code is not None and fresh:
            out["summary"] = summary.read_summary(table)
        return out

    def stop_all(self) -> None:
        """Stop every run still going: a signal, time to finish, then for good."""
        going = [r for r in self._runs.values() if r.process.poll() is None]
        for run in going:
            with contextlib.suppress(ProcessLookupError):
                run.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for run in going:
            try:
                run.process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                run.process.kill()
                run.process.wait()
        for run in self._runs.values():
            run.log.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self._logs.rmdir()


def video_hash(entry: str, workdir: Path) -> str:
    """The results folder name of a video given by path, link or hash."""
    results = workdir / "results"
    if _HASH.fullmatch(entry) and (results / entry).is_dir():
        return entry
    path: Path | None = None
    if links.is_link(entry):
        path = links.cached(entry.strip(), links.downloads_of(workdir))
        if path is None:
            raise ReelmakeError(f"{entry}: this link has not been fetched here yet")
    else:
        path = (workdir / os.path.expanduser(entry)).resolve()
        if not path.is_file():
            raise ReelmakeError(f"{entry}: no such file, link or video hash")
    index = HashIndex(results / discovery.STATE_DIR / INDEX_NAME)
    digest = short(index.hash(path))
    if not (results / digest).is_dir():
        raise ReelmakeError(f"{entry}: not processed here yet; start a run on it")
    return digest


def status(workdir: Path, videos: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Each video's stages (every video with results when none is named)."""
    results = workdir / "results"
    hashes = [video_hash(v, workdir) for v in videos] or store.known_hashes(results)
    out = []
    for digest in hashes:
        state = compute_state(results, digest)
        out.append(
            {
                "video": state["video_path"],
                "video_hash": digest,
                "last_stage": state["last_stage"],
                "completed": state["completed"],
                "stages": {
                    s.name: bool(state[s.key]["completed"]) for s in registry.LISTED
                },
            }
        )
    return out


def clips(workdir: Path, video: str) -> dict[str, Any]:
    """A video's selected clips in rank order: scores, titles, times and the paths
    of the files made so far (absent until its clips are rendered)."""
    digest = video_hash(video, workdir)
    folder = workdir / "results" / digest
    selection = registry.path("highlights", "highlights", folder)
    if not selection.is_file():
        raise ReelmakeError(f"{video}: has no selection yet; its run is not that far")
    chosen = fileio.read_json(selection)["highlights"]
    names = [h["clip"] for h in chosen]
    made = {
        key: path
        for s in registry.LISTED
        if s.per_clip
        for key, path in registry.results_of(s, folder, names).items()
        if ":" in key and path.is_file()
    }
    about = registry.stage("highlights").side["description"]
    listed = []
    for h in chosen:
        meta_path = made.get(f"json:{h['clip']}")
        meta = fileio.read_json(meta_path) if meta_path else {}
        described = folder / about.format(clip=h["clip"])
        said = fileio.read_json(described)["words"] if described.is_file() else []
        files = {
            key.split(":", 1)[0]: str(path)
            for key, path in made.items()
            if key.endswith(f":{h['clip']}")
        }
        listed.append(
            {
                "rank": h["rank"],
                "clip": h["clip"],
                "title": meta.get("title", h["title"]),
                "score": h["overall"],
                "subscores": h["subscores"],
                "reason": h["reason"],
                "hook": h["hook"],
                "start": h["start"],
                "end": h["end"],
                "duration": round(h["end"] - h["start"], 3),
                # The span the selection gave it: what a decision on it is keyed by.
                "selected": h.get("selected") or [h["start"], h["end"]],
                "decision": h.get("decision", ""),
                # What is said in it (seconds of the source, corrections applied).
                "words": [{"text": w["text"], "start": w["start"]} for w in said],
                "description": meta.get("description"),
                "hashtags": meta.get("hashtags"),
                "files": files,
            }
        )
    state = compute_state(workdir / "results", digest)
    return {
        "video": state["video_path"],
        "video_hash": digest,
        "clips": listed,
    }


def clip_span(workdir: Path, video: str, clip: str) -> tuple[Path, tuple[float, float]]:
    """Where a person's decisions on a video are kept, and the span the selection
    gave one of its clips (named by its name or its rank): what a decision on the
    clip is keyed by."""
    found = clips(workdir, video)
    for item in found["clips"]:
        if clip in (item["clip"], str(item["rank"])):
            folder = workdir / "results" / found["video_hash"]
            at = item["selected"]
            return folder / DECISIONS_FILE, (at[0], at[1])
    names = ", ".join(f"{c['rank']} ({c['clip']})" for c in found["clips"]) or "none"
    raise ReelmakeError(f"{video}: has no clip {clip!r}; its clips are {names}")


# How far from a word's start a correction may be given (seconds).
WORD_REACH = 1.0


def word_at(workdir: Path, video: str, at: float) -> tuple[Path, float, str]:
    """Where a person's decisions on a video are kept, and the transcript's word
    that starts nearest ``at`` (its start and what it says now)."""
    from reelmake.stages.transcript import load_transcript

    digest = video_hash(video, workdir)
    folder = workdir / "results" / digest
    path = registry.path("transcript", "transcript", folder)
    if not path.is_file():
        raise ReelmakeError(f"{video}: has no transcript yet; its run is not that far")
    words = load_transcript(path).words
    near = min(words, key=lambda w: abs(w.start - at), default=None)
    if near is None or abs(near.start - at) > WORD_REACH:
        raise ReelmakeError(
            f"{video}: no word starts within {WORD_REACH:g} s of {at:g} s"
        )
    return folder / DECISIONS_FILE, near.start, near.text
