"""Smart cut: a frame-exact clip that re-encodes only its ends.

A clip that keeps the source's picture (same size, no crop, no burned captions) need
not be re-encoded whole. The compressed frames between the first and the last
keyframe inside the clip are copied as they are; only the partial groups of pictures
before the first keyframe and after the last one are encoded, with the source's
size, pixel format, profile and frame rate. The pieces go to MPEG-TS (each carrying
its own parameter sets before every keyframe and its own timestamps), are joined by
ffmpeg's concat demuxer, and muxed to MP4 with the clip's audio. Where the source
does not allow it (another codec, a variable frame rate, open groups of pictures,
keyframes too far apart to gain anything), :func:`plan` says why and the caller
re-encodes the whole clip.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from reelmake.core.errors import ReelmakeError
from reelmake.core.media import tool

log = logging.getLogger(__name__)

# The copied middle must be at least this long, and this share of the clip, for the
# cut to be worth three ffmpeg runs instead of one.
MIN_COPY_SECONDS = 2.0
MIN_COPY_SHARE = 0.3
# Profiles x264 can encode the ends in, by ffprobe's name.
PROFILES = {"High": "high", "Main": "main", "Constrained Baseline": "baseline",
            "Baseline": "baseline"}  # fmt: skip


@dataclass(frozen=True)
class Source:
    """What a smart cut needs to know of the source's video stream."""

    codec: str
    profile: str
    level: int
    pix_fmt: str
    fps: Fraction
    constant_rate: bool
    start_time: float  # of the file: ffmpeg's -ss counts from here


@dataclass(frozen=True)
class Plan:
    start: float  # clip start, on the frame grid, from the file's start
    first_key: float  # first keyframe inside the clip
    last_key: float  # last keyframe inside the clip
    end: float

    def frames(self, a: float, b: float, fps: Fraction) -> int:
        return round((b - a) * fps)


def _probe(args: list[str]) -> Any:
    out = subprocess.run(
        [tool("ffprobe"), "-v", "error", "-of", "json", *args],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if out.returncode != 0:
        raise ReelmakeError(f"ffprobe failed: {out.stderr.strip()[-200:]}")
    return json.loads(out.stdout)


def describe(source: str | os.PathLike[str]) -> Source:
    data = _probe(["-select_streams", "v:0", "-show_entries",
                   "stream=codec_name,profile,level,pix_fmt,r_frame_rate,"
                   "avg_frame_rate:format=start_time", str(source)])  # fmt: skip
    stream = data["streams"][0]
    rate = Fraction(stream.get("r_frame_rate") or "0/1")
    average = Fraction(stream.get("avg_frame_rate") or "0/1")
    return Source(
        codec=stream.get("codec_name", ""),
        profile=stream.get("profile", ""),
        level=int(stream.get("level") or 0),
        pix_fmt=stream.get("pix_fmt", ""),
        fps=rate,
        # Averages over a file come out a hair off the nominal rate.
        constant_rate=bool(rate) and abs(float(average - rate)) < 0.01 * float(rate),
        start_time=float(data.get("format", {}).get("start_time") or 0.0),
    )


def keyframes(
    source: str | os.PathLike[str], src: Source, start: float, end: float
) -> tuple[list[float], bool]:
    """Keyframe times (from the file's start) in ``[start, end]``, and whether each
    group of pictures there is closed (no frame after a keyframe in decoding order
    is shown before it)."""
    a, b = start + src.start_time, end + src.start_time
    data = _probe(["-select_streams", "v:0", "-read_intervals", f"{a}%{b + 1}",
                   "-show_entries", "packet=pts_time,flags", str(source)])  # fmt: skip
    packets = [
        (float(p["pts_time"]), "K" in p.get("flags", ""))
        for p in data.get("packets", [])
        if p.get("pts_time") not in (None, "N/A")
    ]
    keys: list[float] = []
    closed = True
    for i, (pts, key) in enumerate(packets):
        if not key:
            continue
        # Leading pictures: decoded after the keyframe but shown before it.
        if any(p < pts - 1e-6 for p, _ in packets[i + 1 : i + 4]):
            closed = False
        if a - 1e-6 <= pts <= b + 1e-6:
            keys.append(round(pts - src.start_time, 6))
    return keys, closed


def plan(
    source: str | os.PathLike[str], start: float, end: float, src: Source
) -> Plan | str:
    """Where to cut, or why a smart cut can't be done here."""
    if src.codec != "h264":
        return f"the source's video is {src.codec or 'unknown'}, not H.264"
    if src.profile not in PROFILES or src.pix_fmt != "yuv420p":
        return f"H.264 {src.profile} {src.pix_fmt} can't be matched by the encoder"
    if not src.constant_rate:
        return "the source has a variable frame rate"
    keys, closed = keyframes(source, src, start, end)
    if not closed:
        return "the source has open groups of pictures"
    inside = [k for k in keys if start - 1e-6 <= k <= end + 1e-6]
    if len(inside) < 2:
        return "fewer than two keyframes inside the clip"
    first, last = inside[0], inside[-1]
    if last - first < max(MIN_COPY_SECONDS, MIN_COPY_SHARE * (end - start)):
        return (
            f"keyframes too far apart to gain anything ({last - first:.1f} s of "
            f"{end - start:.1f} s could be copied)"
        )
    return Plan(start, first, last, end)


def _run(cmd: list[str], what: str) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        raise ReelmakeError(f"smart cut: {what} failed ({lines[-1:]})")


def cut(
    source: str | os.PathLike[str],
    p: Plan,
    src: Source,
    out: str | os.PathLike[str],
    crf: int,
    preset: str,
    threads: int,
) -> None:
    """Write the clip ``p`` of ``source`` to ``out`` (MP4, H.264 + AAC)."""
    ffmpeg = [tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    source = os.path.abspath(source)
    encode = [
        "-c:v", "libx264", "-preset", preset, "-crf", str(max(crf - 2, 0)),
        "-profile:v", PROFILES[src.profile], "-level:v", f"{src.level / 10:g}",
        "-pix_fmt", src.pix_fmt, "-r", str(src.fps), "-threads", str(threads),
        "-f", "mpegts",
    ]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        pieces: list[Path] = []

        def piece(name: str, start: float, frames: int, how: list[str]) -> None:
            """``frames`` frames from ``start`` on, to an MPEG-TS piece."""
            if frames:
                pieces.append(Path(tmp) / f"{name}.ts")
                _run([*ffmpeg, "-ss", f"{start:.6f}", "-i", source, "-an",
                      "-frames:v", str(frames), *how, str(pieces[-1])],
                     f"making the {name}")  # fmt: skip

        piece("start", p.start, p.frames(p.start, p.first_key, src.fps), encode)
        # Whole closed groups of pictures, in decoding order, with the parameter sets
        # repeated before each keyframe.
        copy = ["-c:v", "copy", "-bsf:v", "h264_mp4toannexb", "-f", "mpegts"]
        piece("middle", p.first_key, p.frames(p.first_key, p.last_key, src.fps), copy)
        piece("end", p.last_key, p.frames(p.last_key, p.end, src.fps), encode)
        listing = Path(tmp) / "pieces.txt"
        listing.write_text("".join(f"file '{piece.name}'\n" for piece in pieces))
        seconds = f"{float(p.frames(p.start, p.end, src.fps) / src.fps):.6f}"
        # The audio is the source's over the same span, cut to the video's length.
        _run([*ffmpeg, "-f", "concat", "-safe", "0", "-i", str(listing),
              "-ss", f"{p.start:.6f}", "-t", seconds, "-i", source,
              "-map", "0:v:0", "-map", "1:a:0", "-t", seconds, "-c:v", "copy",
              "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", "-f", "mp4",
              os.path.abspath(out)], "joining the pieces")  # fmt: skip
