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
from typing import Any, TypeVar

from reelmake.batch import agent
from reelmake.core.errors import ReelmakeError

INSTRUCTIONS = """\
reelmake turns long videos, talks and podcast episodes into ranked highlight clips.
Start a run with start_run (files, folders, glob patterns or http(s) links, fetched
once), poll run_progress until its state is finished, then list_clips for each video.
video_status tells which stages of each video are done. Paths are relative to the
server's folder unless absolute."""

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
        title, hook, start and end in the source (seconds), description, hashtags
        and the paths of its files (the clip, its captions)."""
        return agent.clips(runs.workdir(directory), video)

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
