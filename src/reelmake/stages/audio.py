"""Audio: the speech track as a 16 kHz mono WAV, the input of transcription."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from reelmake.core import fileio
from reelmake.core.errors import ReelmakeError
from reelmake.core.media import first_line, tool


def extract_audio(
    source: str | os.PathLike[str],
    audio: str | os.PathLike[str],
    sample_rate: int = 16000,
) -> Path:
    """Decode the first audio stream to mono 16-bit PCM WAV at ``sample_rate``."""
    real = os.path.realpath(source)
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
