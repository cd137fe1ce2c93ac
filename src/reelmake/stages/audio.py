"""Audio: the speech track as a 16 kHz mono WAV, the input of transcription."""

from __future__ import annotations

import os
import subprocess
import wave
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from reelmake.core import config, fileio
from reelmake.core.errors import ReelmakeError
from reelmake.core.media import first_line, tool
from reelmake.core.options import Options

_AUDIO = config.defaults("audio")


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


def extract_audio(
    source: str | os.PathLike[str],
    audio: str | os.PathLike[str],
    options: AudioOptions = AudioOptions(),
    video_json: str | os.PathLike[str] | None = None,
) -> Path:
    """Decode the first audio stream to mono 16-bit PCM WAV at the options' rate
    (``video_json``: the probe of the source, made first)."""
    real = os.path.realpath(source)
    sample_rate = options.sample_rate
    with fileio.atomic_path(audio) as tmp:
        result = subprocess.run(
            [tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
             "-i", str(source), "-map", "0:a:0", "-vn", "-ac", "1", "-ar",
             str(sample_rate), "-c:a", "pcm_s16le", "-f", "wav", str(tmp)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            reason = first_line(result.stderr)
            if "No space left" in result.stderr:
                reason = f"disk full writing {audio}; free some space and run again"
            raise ReelmakeError(f"{real}: audio could not be extracted ({reason})")
        if tmp.stat().st_size <= 44:
            raise ReelmakeError(f"{real}: audio track decoded to nothing")
    return Path(audio)


def summary(paths: Mapping[str, Path]) -> dict[str, Any]:
    """The stage state's duration of the WAV."""
    with wave.open(str(paths["audio"]), "rb") as wav:
        seconds = wav.getnframes() / float(wav.getframerate())
    return {"duration": round(seconds, 3)}
