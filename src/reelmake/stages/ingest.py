"""Ingest: what the source is (duration, streams, codecs), probed once.

An audio-only episode (``has_video`` false) is a video to every later stage up to the
selection; its clips need a picture, and the one it carries as cover art is kept
beside ``video.json`` as ``cover.png`` (``cover_file`` names it; null without one).
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from reelmake.core import fileio
from reelmake.core.media import (
    StreamInfo,
    VideoInfo,
    first_line,
    probe,
    tool,
    tool_version,
)

log = logging.getLogger(__name__)

COVER_NAME = "cover.png"
# Cover art is often 3000 px square; a clip is at most 1920 px high, so a larger
# picture would only make the PNG heavier.
COVER_MAX = 1920


def ingest_video(
    source: str | os.PathLike[str],
    video_json: str | os.PathLike[str],
    video_hash: str,
    cover: str | os.PathLike[str] | None = None,
) -> VideoInfo:
    """Probe the source (read through its stable link), keep its cover art at
    ``cover`` (by default beside ``video.json``), and write ``video.json`` (last: its
    presence says the stage finished)."""
    real = os.path.realpath(source)
    info = probe(source, name=real)
    picture = Path(cover) if cover else Path(video_json).parent / COVER_NAME
    kept = None
    if info.cover is not None and extract_cover(source, info.cover, picture):
        kept = os.path.relpath(picture, Path(video_json).parent)
    data = fileio.artifact("ingest", {}, {"ffprobe": tool_version("ffprobe")})
    data.update(video_hash=video_hash, **asdict(info), cover_file=kept)
    fileio.write_json(video_json, data)
    return info


def extract_cover(
    source: str | os.PathLike[str], stream: StreamInfo, target: Path
) -> bool:
    """Decode the cover picture to a PNG no larger than ``COVER_MAX`` on a side.

    A picture that does not decode is no reason to lose the episode: its clips then
    get the configured image or a title card, and the log says why.
    """
    fit = (
        f"scale='min({COVER_MAX},iw)':'min({COVER_MAX},ih)'"
        ":force_original_aspect_ratio=decrease"
    )
    try:
        with fileio.atomic_path(target) as tmp:
            result = subprocess.run(
                [tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error",
                 "-y", "-i", str(source), "-map", f"0:{stream.index}",
                 "-frames:v", "1", "-vf", fit, "-c:v", "png", "-f", "image2",
                 "-update", "1", str(tmp)],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if result.returncode != 0 or tmp.stat().st_size == 0:
                raise _NoCover(first_line(result.stderr))
    except _NoCover as exc:
        log.warning(
            "%s: its cover art could not be read (%s); its clips get another picture",
            os.path.realpath(source), exc,
        )  # fmt: skip
        return False
    return True


class _NoCover(Exception):
    """A cover picture that did not decode (leaves no file behind)."""


def summary(paths: Mapping[str, Path]) -> dict[str, Any]:
    """The stage state's duration of the video."""
    return {"duration": fileio.read_artifact(paths["video_json"], "ingest")["duration"]}
