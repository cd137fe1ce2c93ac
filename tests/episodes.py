"""Generated audio-only episodes: the sound of a generated talk as .mp3, .m4a, ...,
with or without a cover picture embedded the way podcast files carry one."""

from __future__ import annotations

import subprocess
from pathlib import Path

from reelmake.core.media import tool

# Encoders of each kind of episode (all in Debian's ffmpeg).
CODECS = {
    ".mp3": ["-c:a", "libmp3lame", "-b:a", "64k"],
    ".m4a": ["-c:a", "aac", "-b:a", "64k"],
    ".wav": ["-c:a", "pcm_s16le"],
    ".flac": ["-c:a", "flac"],
    ".ogg": ["-c:a", "libvorbis", "-q:a", "2"],
}


def make_cover(target: Path, size: int = 600) -> Path:
    """A colourful square JPEG, as cover art usually is."""
    subprocess.run(
        [tool("ffmpeg"), "-v", "error", "-y", "-f", "lavfi", "-i",
         f"testsrc2=size={size}x{size}:rate=1", "-frames:v", "1", str(target)],
        check=True,
    )  # fmt: skip
    return target


def make_episode(
    target: Path,
    talk: Path,
    cover: Path | None = None,
    tags: dict[str, str] | None = None,
) -> Path:
    """The sound of ``talk`` as an audio-only file of ``target``'s kind, with
    ``cover`` embedded as its attached picture (mp3 and m4a only) and ``tags``."""
    command = [tool("ffmpeg"), "-v", "error", "-y", "-i", str(talk)]
    if cover is not None:
        command += ["-i", str(cover), "-map", "0:a", "-map", "1", "-c:v", "mjpeg",
                    "-disposition:v", "attached_pic"]  # fmt: skip
        if target.suffix == ".mp3":
            command += ["-id3v2_version", "3"]
    else:
        command += ["-vn"]
    for key, value in (tags or {}).items():
        command += ["-metadata", f"{key}={value}"]
    command += [*CODECS[target.suffix], str(target)]
    subprocess.run(command, check=True)
    return target
