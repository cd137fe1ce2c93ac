"""Generated media: talking-head stand-ins made with ffmpeg and espeak-ng.

The demo and the tests use these instead of shipped media files.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from reelmake.errors import ReelmakeError
from reelmake.media import tool

DEMO_SCRIPT = (
    "Welcome back to the show. Today we talk about why most people never finish "
    "the projects they start.",
    "Here is a question for you. What would you do with one extra hour every day?",
    "We asked two thousand listeners, and seventy percent said they would sleep. "
    "That surprised us.",
    "So, um, you know, let me, uh, check the notes here. Right. Okay.",
    "Last year I almost quit this podcast. Then one email from a listener changed "
    "everything, and that is the story I want to tell you now.",
    "The lesson is simple. Start small, finish something today, and tell one person "
    "about it.",
)


def speak(text: str, target: Path, words_per_minute: int = 160) -> Path:
    """Speak ``text`` to a WAV file with espeak-ng."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise ReelmakeError(
            "espeak-ng was not found on PATH; install it (apt-get install espeak-ng)"
        )
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write(text)
    try:
        subprocess.run(
            [espeak, "-s", str(words_per_minute), "-w", str(target), "-f", fh.name],
            check=True,
            capture_output=True,
        )
    finally:
        Path(fh.name).unlink(missing_ok=True)
    return target


def make_video(
    target: Path,
    paragraphs: Sequence[str] | None = None,
    *,
    seconds: float | None = None,
    size: str = "320x180",
    fps: int = 15,
    pause: float = 0.8,
    audio: bool = True,
    faststart: bool = False,
) -> Path:
    """A test-pattern video with spoken ``paragraphs`` separated by ``pause`` seconds.

    With no paragraphs it has a tone (or no audio track with ``audio=False``) and lasts
    ``seconds``.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        inputs = ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}"]
        if paragraphs:
            parts = [
                speak(p, Path(tmp) / f"p{i}.wav") for i, p in enumerate(paragraphs)
            ]
            gap = Path(tmp) / "gap.wav"
            subprocess.run(
                [tool("ffmpeg"), "-v", "error", "-f", "lavfi", "-i",
                 "anullsrc=r=22050:cl=mono", "-t", str(pause), str(gap)],
                check=True,
            )  # fmt: skip
            listing = Path(tmp) / "list.txt"
            listing.write_text(
                "".join(f"file '{p}'\nfile '{gap}'\n" for p in parts), encoding="utf-8"
            )
            inputs += ["-f", "concat", "-safe", "0", "-i", str(listing)]
            length = ["-shortest"]
        else:
            if seconds is None:
                raise ValueError("give paragraphs or seconds")
            if audio:
                inputs += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050"]
            length = ["-t", str(seconds)]
        audio_codec = (
            ["-c:a", "aac", "-b:a", "64k"] if (paragraphs or audio) else ["-an"]
        )
        flags = ["-movflags", "+faststart"] if faststart else []
        subprocess.run(
            [tool("ffmpeg"), "-nostdin", "-v", "error", "-y", *inputs, *length,
             "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
             *audio_codec, *flags, str(target)],
            check=True,
        )  # fmt: skip
    return target
