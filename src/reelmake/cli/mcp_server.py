"""``reelmake mcp``: reelmake as a Model Context Protocol server on stdio.

An assistant (or any MCP client) starts runs on files, folders or links, follows
them, reads each video's stages and lists its clips with scores, titles and paths.
The tools are thin: :mod:`reelmake.batch.agent` does the work. stdout is the
protocol's: nothing else may be printed there.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

from reelmake.batch import agent
from reelmake.core.errors import ReelmakeError
from reelmake.stages import decisions

INSTRUCTIONS = """\
reelmake turns long videos, talks and podcast episodes into ranked highlight clips.
Start a run with start_run (files, folders, glob patterns or http(s) links, fetched
once), poll run_progress until its state is finished, then list_clips for each video.
video_status tells which stages of each video are done. decide, add_clip and
correct_word record a person's decisions (kept in the video's decisions.yaml and
honoured by every later run); start_run again renders what they changed. Paths are
relative to the server's folder unless absolute."""

F = TypeVar("F", bound=Callable[..., Any])


def _user_errors(fn: F) -> F:
    """A problem the caller can fix reaches it as the tool's error, in one line."""
    from mcp.server.mcpserver.exceptions import ToolError

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ReelmakeError as exc:
            raise ToolError(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def build_server(directory: Path) -> tuple[Any, agent.Runs]:
    """The server and the runs it starts (stop them when it ends)."""
    from mcp.server.mcpserver import MCPServer

    server = MCPServer("reelmake", instructions=INSTRUCTIONS, version=_version())
    runs = agent.Runs(directory)

    @server.tool()
    @_user_errors
    def start_run(
        inputs: list[str],
        directory: str | None = None,
        until: str | None = None,
        no_cache: list[str] | None = None,
    ) -> dict[str, Any]:
        """Start processing videos or audio episodes in the background: files,
        folders, glob patterns or http(s) links (fetched once with yt-dlp).
        ``directory``: the folder holding results/ (default: the server's);
        ``until``: stop after this stage (ingest, audio, transcript, segments,
        scores, highlights, clips, metadata); ``no_cache``: run these stages (all
        when empty) again. Returns the run's id for run_progress."""
        return runs.start(inputs, directory, until, no_cache)

    @server.tool()
    @_user_errors
    def run_progress(run_id: str) -> dict[str, Any]:
        """How a run started with start_run is going: state (running, finished),
        exit_code (0 when every video is done), each video's latest step, the
        errors (one line each) and, once finished, the batch table."""
        return runs.progress(run_id)

    @server.tool()
    @_user_errors
    def video_status(
        videos: list[str] | None = None, directory: str | None = None
    ) -> list[dict[str, Any]]:
        """Each video's stages, done or not (every processed video when none is
        named). A video is named by its path, its link or its video_hash."""
        return agent.status(runs.workdir(directory), videos or [])

    @server.tool()
    @_user_errors
    def list_clips(video: str, directory: str | None = None) -> dict[str, Any]:
        """A video's selected clips in rank order: score and sub-scores, reason,
        title, hook, start and end in the source (seconds), the span the selection
        gave it, a person's decision, its words with their starts, description,
        hashtags and the paths of its files (the clip, its captions)."""
        return agent.clips(runs.workdir(directory), video)

    @server.tool()
    @_user_errors
    def decide(
        video: str,
        clip: str,
        decision: Literal["approve", "reject", "undecided"] | None = None,
        start: float | None = None,
        end: float | None = None,
        title: str | None = None,
        hook: str | None = None,
        hashtags: list[str] | None = None,
        rank: int | None = None,
        directory: str | None = None,
    ) -> dict[str, Any]:
        """Record a person's decision on one clip (named by its name or its rank)
        in the video's decisions file, which every later run honours: approve or
        reject it ("undecided" withdraws either), move its start or end (seconds
        of the source; snapped to words), give it a title, hook line, hashtags or a
        place in the order. Only the fields given change. Run the video again
        (start_run) to render what changed; returns its clips as list_clips."""
        workdir = runs.workdir(directory)
        path, at = agent.clip_span(workdir, video, clip)
        given = {"start": start, "end": end, "title": title, "hook": hook,
                 "hashtags": hashtags, "rank": rank}  # fmt: skip
        fields: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
        if decision is not None:
            fields["decision"] = None if decision == "undecided" else decision
        if not fields:
            raise ReelmakeError("decide: name at least one thing to change")
        decisions.decide(path, at, **fields)
        return agent.clips(workdir, video)

    @server.tool()
    @_user_errors
    def add_clip(
        video: str,
        start: float,
        end: float,
        title: str | None = None,
        directory: str | None = None,
    ) -> dict[str, Any]:
        """Add a clip from a stretch of the video's transcript (seconds of the
        source; snapped to words); run the video again to render it."""
        workdir = runs.workdir(directory)
        found = agent.clips(workdir, video)
        path = workdir / "results" / found["video_hash"] / decisions.FILE_NAME
        extra = {"title": title} if title else {}
        decisions.add_clip(path, start, end, **extra)
        return agent.clips(workdir, video)

    @server.tool()
    @_user_errors
    def correct_word(
        video: str, at: float, text: str, directory: str | None = None
    ) -> dict[str, Any]:
        """Correct a misheard word of the transcript: the word that starts nearest
        ``at`` (seconds of the source, within a second; list_clips gives each
        clip's words and their starts) says ``text``. Clips' captions and the whole
        video's use the correction from the next run."""
        path, start, was = agent.word_at(runs.workdir(directory), video, at)
        decisions.correct_word(path, start, text)
        return {"at": start, "was": was, "text": text}

    return server, runs


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("reelmake")
    except PackageNotFoundError:
        return "unknown"


def cmd_mcp(args: argparse.Namespace) -> int:
    server, runs = build_server(Path(args.directory))
    try:
        server.run("stdio")
    finally:
        runs.stop_all()
    return 0
