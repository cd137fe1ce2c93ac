"""ffprobe and ffmpeg: probing the source and extracting its audio."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reelmake.core import hashing
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


def _ffprobe(path: str | os.PathLike[str]) -> subprocess.CompletedProcess[str]:
    """ffprobe's JSON of a file's format and streams (its errors in ``stderr``)."""
    return subprocess.run(
        [tool("ffprobe"), "-v", "error", "-print_format", "json", "-show_format",
         "-show_streams", "--", str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def probe(path: str | os.PathLike[str], name: str | None = None) -> VideoInfo:
    """Read duration and streams; raise a one-line error for anything unusable.

    ``name`` is how the file is called in error messages (the user's own path).
    """
    name = name or str(path)
    result = _ffprobe(path)
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


# -- verifying media that a stage made ------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """What a media file should hold, as its plan says: its ``duration`` (seconds,
    within ``tolerance``), its picture size and its kinds of ``streams``. ``None``
    checks nothing of that kind."""

    duration: float | None = None
    width: int | None = None
    height: int | None = None
    streams: tuple[str, ...] = ("video", "audio")
    tolerance: float = 0.25

    @classmethod
    def of_plan(cls, plan: Mapping[str, Any]) -> Expected:
        """From a clip's edit plan: ``{"duration": ..., "output": {"width": ...,
        "height": ...}}``."""
        output = plan.get("output") or {}
        return cls(
            duration=float(plan["duration"]),
            width=output.get("width"),
            height=output.get("height"),
        )


# ffmpeg's errors are one a line; a damaged file can have thousands.
_ERRORS_SHOWN = 1


def check_media(
    path: str | os.PathLike[str],
    expected: Expected,
    decode: bool = True,
    written: str | None = None,
) -> str:
    """Why a media file is not what ``expected`` says, in a few words ("" when it
    is): empty, unreadable, a missing stream, another size or length, or errors when
    it is read through (``decode``: every frame decoded, else every packet read,
    which finds a cut-off file but not one overwritten inside a frame).

    ``written`` is the hash of the bytes its maker wrote (ffmpeg done without an
    error): a file that still holds them is not read through again, and one that
    does not is changed, even when it reads without an error."""
    size = os.path.getsize(path)
    if size == 0:
        return "empty (0 bytes)"
    probed = _ffprobe(path)
    if probed.returncode != 0:
        reason = first_line(probed.stderr).replace(f"{path}: ", "")
        return f"unreadable ({reason})"
    data = json.loads(probed.stdout or "{}")
    problem = _against(data, expected)
    if problem:
        return problem
    if written is None:
        return _read_through(path, decode)
    if hashing.hash_file(path) == written:
        return ""
    return _read_through(path, decode) or (
        "changed since it was written (its bytes are not those its maker wrote)"
    )


def _against(data: Mapping[str, Any], expected: Expected) -> str:
    """What the probe of a file says against its plan."""
    streams = data.get("streams", [])
    kinds = {s.get("codec_type") for s in streams}
    missing = [k for k in expected.streams if k not in kinds]
    if missing:
        return f"has no {' or '.join(missing)} stream"
    video: Mapping[str, Any] = next(
        (s for s in streams if s.get("codec_type") == "video"), {}
    )
    want = (expected.width, expected.height)
    got = (video.get("width"), video.get("height"))
    if None not in want and got != want:
        return f"is {got[0]}x{got[1]}, not {want[0]}x{want[1]}"
    try:
        duration = float(data.get("format", {}).get("duration", 0))
    except ValueError:
        duration = 0.0
    if expected.duration is not None and not (
        abs(duration - expected.duration) <= expected.tolerance
    ):
        return f"lasts {duration:.2f} s, not {expected.duration:.2f} s"
    return ""


def _read_through(path: str | os.PathLike[str], decode: bool) -> str:
    codec = [] if decode else ["-c", "copy"]
    done = subprocess.run(
        [tool("ffmpeg"), "-nostdin", "-hide_banner", "-v", "error", "-i", str(path),
         "-map", "0", *codec, "-f", "null", "-"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    errors = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    if done.returncode == 0 and not errors:
        return ""
    cut = any("partial file" in line for line in errors)
    what = "cut off before its end" if cut else "damaged inside"
    first = errors[0].split("] ", 1)[-1] if errors else f"exit {done.returncode}"
    return f"{what} ({len(errors)} error(s) reading it, first: {first})"


# Envelopes are compared at this many frames a second; lags of up to this many
# seconds are looked for.
_ENVELOPE_RATE = 100
_MAX_LAG = 3.0


def audio_lag(
    clip: str | os.PathLike[str],
    wav: str | os.PathLike[str],
    start: float,
    length: float | None = None,
) -> float | None:
    """How many seconds early ``wav`` has the sound of ``clip``, cut from the source
    at ``start`` (negative: late), from their loudness over time, judged on the
    clip's first ``length`` seconds (all of it when None); None when that has too
    little variation in loudness to tell (silence, a tone).

    A clip is cut by the source's timestamps and its words are timed on the WAV: a
    lag means its captions, and where it starts and ends, miss the speech.
    """
    import wave

    import numpy as np

    decoded = subprocess.run(
        [tool("ffmpeg"), "-nostdin", "-v", "error", "-i", str(clip), "-map", "0:a:0",
         *(["-t", f"{length:.3f}"] if length is not None else []),
         "-ac", "1", "-ar", "16000", "-f", "s16le", "-"],
        capture_output=True, check=False,
    )  # fmt: skip
    if decoded.returncode != 0 or not decoded.stdout:
        return None
    ours = np.frombuffer(decoded.stdout, dtype="<i2")
    with wave.open(str(wav), "rb") as fh:
        rate = fh.getframerate()
        first = max(0, round((start - _MAX_LAG) * rate))
        fh.setpos(min(first, fh.getnframes()))
        length = round((len(ours) / 16000 + 2 * _MAX_LAG) * rate)
        raw = fh.readframes(length)
        width = fh.getsampwidth()
    if width != 2:
        return None
    theirs = np.frombuffer(raw, dtype="<i2")
    a = _envelope(ours, 16000)
    b = _envelope(theirs, rate)
    if len(a) < _ENVELOPE_RATE or a.std() < 1e-3 * (a.mean() + 1e-9) or len(b) < len(a):
        return None
    offset = (start - first / rate) * _ENVELOPE_RATE  # where the clip should lie in b
    best, best_lag = -2.0, None
    for shift in range(len(b) - len(a) + 1):
        window = b[shift : shift + len(a)]
        if window.std() == 0:
            continue
        score = float(np.corrcoef(a, window)[0, 1])
        if score > best:
            best, best_lag = score, shift
    if best_lag is None or best < 0.5:
        return None
    return round((offset - best_lag) / _ENVELOPE_RATE, 2)


def _envelope(samples: Any, rate: int) -> Any:
    """Log loudness of every 1/_ENVELOPE_RATE s."""
    import numpy as np

    hop = rate // _ENVELOPE_RATE
    count = len(samples) // hop
    frames = samples[: count * hop].astype(np.float64).reshape(count, hop)
    return np.log1p(np.sqrt((frames**2).mean(axis=1)))
