"""Ingest: what the source video is (duration, streams, codecs), probed once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from reelmake.core import fileio
from reelmake.core.media import VideoInfo, probe, tool_version


def ingest_video(source: str | os.PathLike[str], video_json: str | os.PathLike[str],
                 video_hash: str) -> VideoInfo:  # fmt: skip
    """Probe the source (read through its stable link) and write ``video.json``."""
    real = os.path.realpath(source)
    info = probe(source, name=real)
    data = fileio.artifact("ingest", {}, {"ffprobe": tool_version("ffprobe")})
    data.update(video_hash=video_hash, **asdict(info))
    fileio.write_json(video_json, data)
    return info


def summary(paths: Mapping[str, Path]) -> dict[str, Any]:
    """The stage state's duration of the video."""
    return {"duration": fileio.read_artifact(paths["video_json"], "ingest")["duration"]}
