"""Audio: the speech track as a 16 kHz mono WAV, the input of transcription.

The WAV keeps the source's timestamps: where packets of a damaged source are lost,
or its sound starts late or has gaps, silence fills the time, so that every word is
timed where the picture shows it (a clip cut by those times starts where its first
word is said).
"""

from __future__ import annotations

import os
import re
import subprocess
import wave
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from reelmake.core import config, fileio
from reelmake.core.errors import ReelmakeError, notice
from reelmake.core.media import first_line, tool
from reelmake.core.options import Options

_AUDIO = config.defaults("audio")
# Every WAV this stage makes carries this comment: one made before (without it) may
# have lost time where its source was damaged.
TIMESTAMPS_KEPT = "reelmake: timestamps kept"


@dataclass(frozen=True)
class AudioOptions(Options):
    """``audio``: the WAV that transcription hears."""

    section = "audio"

    sample_rate: int = _AUDIO["sample_rate"]

    def params(self) -> dict[str, Any]:
        # The param as results made before took it: the same value re-runs nothing.
        return {"sample_rate": self.sample_rate}

    @classmethod
    def from_job(
        cls, params: Mapping[str, Any], config: Mapping[str, Any], threads: int
    ) -> Self:
        return cls(sample_rate=params["sample_rate"])


def extract_command(
    source: str | os.PathLike[str], target: str | os.PathLike[str], sample_rate: int
) -> list[str]:
    """ffmpeg decoding the first audio stream to mono 16-bit PCM; ``aresample``
    with ``async`` fills lost time with silence (and drops overlaps) by the
    packets' timestamps, from the start of the file (``first_pts``). Its log has a
    level on every line, and the decoded sample count (verbose) for
    :func:`damage`."""
    return [
        tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "level+verbose",
        "-y", "-i", str(source), "-map", "0:a:0", "-vn",
        "-af", "aresample=async=1:first_pts=0", "-ac", "1", "-ar", str(sample_rate),
        "-c:a", "pcm_s16le", "-metadata", f"comment={TIMESTAMPS_KEPT}",
        "-f", "wav", str(target),
    ]  # fmt: skip


def extract_audio(
    source: str | os.PathLike[str],
    audio: str | os.PathLike[str],
    options: AudioOptions = AudioOptions(),
    video_json: str | os.PathLike[str] | None = None,
) -> Path:
    """Decode the first audio stream to mono 16-bit PCM WAV at the options' rate,
    in step with the picture (``video_json``: the probe of the source, made first).
    A source whose sound could not all be decoded gets one warning line saying how
    much was lost."""
    real = os.path.realpath(source)
    with fileio.atomic_path(audio) as tmp:
        result = subprocess.run(
            extract_command(source, tmp, options.sample_rate),
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            errors = _errors(result.stderr)
            reason = errors[-1] if errors else first_line(result.stderr)
            if "No space left" in result.stderr:
                reason = f"disk full writing {audio}; free some space and run again"
            raise ReelmakeError(f"{real}: audio could not be extracted ({reason})")
        with wave.open(str(tmp), "rb") as wav:
            frames, rate = wav.getnframes(), wav.getframerate()
        if frames == 0:
            raise ReelmakeError(f"{real}: audio track decoded to nothing")
    lost = damage(result.stderr, frames / rate)
    if lost is not None:
        notice().warning(
            "%s: %d packet(s) of its sound could not be decoded (the file is "
            "damaged); %.1f s of sound are missing and filled with silence, so "
            "that words stay in time with the picture",
            real, lost[0], lost[1],
        )  # fmt: skip
    return Path(audio)


def _errors(log: str) -> list[str]:
    """The error lines of a log written with ``-loglevel level+...``."""
    lines = [line.replace("[fatal] ", "[error] ") for line in log.splitlines()]
    return [line.split("[error] ", 1)[1] for line in lines if "[error] " in line]


_LOST = re.compile(r"\[error\] Error while decoding stream #\d+:\d+")
_DECODED = re.compile(r"Input stream #\d+:\d+ \(audio\): .*\((\d+) samples\)")
_INPUT_RATE = re.compile(r"Stream #\d+:\d+.*: Audio: .*?, (\d+) Hz")


def damage(log: str, seconds: float) -> tuple[int, float] | None:
    """From the log of :func:`extract_command` and the WAV's length: how many audio
    packets could not be decoded and how many seconds of sound that lost (now
    silence); None when every packet decoded."""
    lost = len(_LOST.findall(log))
    if not lost:
        return None
    decoded = _DECODED.search(log)
    rate = _INPUT_RATE.search(log.split("Output #0", 1)[0])
    missing = 0.0
    if decoded and rate:
        missing = max(0.0, seconds - int(decoded.group(1)) / int(rate.group(1)))
    return lost, round(missing, 1)


def timestamps_kept(path: str | os.PathLike[str]) -> bool:
    """Whether a WAV was made by :func:`extract_audio` keeping the source's
    timestamps (its header carries :data:`TIMESTAMPS_KEPT`)."""
    with open(path, "rb") as fh:
        return TIMESTAMPS_KEPT.encode() in fh.read(4096)


def summary(paths: Mapping[str, Path]) -> dict[str, Any]:
    """The stage state's duration of the WAV."""
    with wave.open(str(paths["audio"]), "rb") as wav:
        seconds = wav.getnframes() / float(wav.getframerate())
    return {"duration": round(seconds, 3)}
