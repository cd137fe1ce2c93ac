"""ffprobe and ffmpeg: probing the source and extracting its audio."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field

from reelmake.core.errors import ReelmakeError


@functools.cache
def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ReelmakeError(
            f"{name} was not found on PATH; install ffmpeg (apt-get install ffmpeg)"
        )
    return found


@functools.cache
def tool_version(name: str) -> str:
    out = subprocess.run(
        [tool(name), "-version"], capture_output=True, text=True, check=False
    ).stdout
    words = out.split()
    return words[2] if len(words) > 2 else "unknown"


def first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no details"


@dataclass(frozen=True)
class StreamInfo:
    index: int
    kind: str
    codec: str
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    sample_rate: int | None = None
    channels: int | None = None


@dataclass(frozen=True)
class VideoInfo:
    source: str
    size: int
    duration: float
    format: str
    streams: list[StreamInfo] = field(default_factory=list)
    # False for an audio-only episode (.mp3, .m4a, ...): its clips get a picture made
    # for them instead of the source's.
    has_video: bool = True
    # The picture embedded as cover art (an "attached picture" stream), if any; it is
    # not a video stream and not in ``streams``.
    cover: StreamInfo | None = None
    # The file's own title, artist and album (a podcast's episode and show), when it
    # names them: what a title card can say.
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def video(self) -> StreamInfo:
        return next(s for s in self.streams if s.kind == "video")

    @property
    def audio(self) -> StreamInfo:
        return next(s for s in self.streams if s.kind == "audio")


def _fps(rate: str | None) -> float | None:
    if not rate or rate in {"0/0", "0"}:
        return None
    num, _, den = rate.partition("/")
    try:
        return round(float(num) / float(den or 1), 6)
    except (ValueError, ZeroDivisionError):
        return None


def _has_mp4_header(path: str | os.PathLike[str]) -> bool:
    """An MP4/MOV file starts with a box whose type is ``ftyp``."""
    with open(path, "rb") as fh:
        return fh.read(12)[4:8] == b"ftyp"


def probe(path: str | os.PathLike[str], name: str | None = None) -> VideoInfo:
    """Read duration and streams; raise a one-line error for anything unusable.

    ``name`` is how the file is called in error messages (the user's own path).
    """
    name = name or str(path)
    result = subprocess.run(
        [tool("ffprobe"), "-v", "error", "-print_format", "json", "-show_format",
         "-show_streams", "--", str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        if "moov atom not found" in result.stderr and _has_mp4_header(path):
            raise ReelmakeError(
                f"{name}: not a readable video (ffprobe: moov atom not found); "
                "the file is truncated or still being written"
            )
        reason = first_line(result.stderr).replace(f"{path}: ", "")
        raise ReelmakeError(f"{name}: not a readable video (ffprobe: {reason})")
    data = json.loads(result.stdout or "{}")
    fmt = data.get("format", {})
    streams = []
    cover = None
    for s in data.get("streams", []):
        kind = s.get("codec_type")
        if kind not in {"video", "audio"}:
            continue
        stream = StreamInfo(
            index=int(s.get("index", 0)),
            kind=kind,
            codec=str(s.get("codec_name", "unknown")),
            width=s.get("width"),
            height=s.get("height"),
            fps=_fps(s.get("avg_frame_rate")) if kind == "video" else None,
            sample_rate=int(s["sample_rate"]) if s.get("sample_rate") else None,
            channels=s.get("channels"),
        )
        if kind == "video" and s.get("disposition", {}).get("attached_pic"):
            # Cover art is a still picture, not a video stream: the first is kept.
            cover = cover or StreamInfo(stream.index, "cover", stream.codec,
                                        stream.width, stream.height)  # fmt: skip
            continue
        streams.append(stream)
    if not any(s.kind == "audio" for s in streams):
        raise ReelmakeError(
            f"{name}: has no audio stream, so there is no speech to use"
        )
    try:
        duration = float(fmt.get("duration", 0))
    except ValueError:
        duration = 0.0
    if duration <= 0:
        raise ReelmakeError(f"{name}: has no duration; the file may be truncated")
    return VideoInfo(
        source=name,
        size=int(fmt.get("size", 0) or 0),
        duration=duration,
        format=str(fmt.get("format_name", "unknown")),
        streams=streams,
        has_video=any(s.kind == "video" for s in streams),
        cover=cover,
        tags=_tags(fmt.get("tags") or {}),
    )


TAGS = ("title", "artist", "album")


def _tags(found: dict[str, object]) -> dict[str, str]:
    """The tags of ``TAGS`` a file carries (their names' case varies by format)."""
    lower = {str(k).lower(): str(v).strip() for k, v in found.items()}
    return {name: lower[name] for name in TAGS if lower.get(name)}


def wav_duration(path: str | os.PathLike[str]) -> float:
    import wave

    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / float(wav.getframerate())
