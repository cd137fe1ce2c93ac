"""Generated media: talking-head stand-ins made with ffmpeg and espeak-ng.

The demo and the tests use these instead of shipped media files.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reelmake.core.errors import ReelmakeError
from reelmake.core.media import tool

# Strong passages (a question hook, a surprising number, a story with a payoff)
# between filler, so that the ranking has something to find.
DEMO_SCRIPT = (
    "Welcome back to the show. Today we talk about why most people never finish "
    "the projects they start.",
    "So, um, yeah. Let me, uh, just find my notes here. Okay. Right. Um, where was I. "
    "You know, it is what it is, I guess.",
    "What would you do with one extra hour every day? Most people say they would "
    "sleep. But the people who use that hour to build something small change their "
    "whole year. One hour a day is three hundred and sixty five hours a year. That is "
    "nine full work weeks.",
    "Anyway, uh, so, like, I was saying, um, there is a lot of stuff, you know, and, "
    "uh, things. Okay. So yeah.",
    "Here is a number that surprised me. Seventy percent of new habits fail in the "
    "first two weeks. The reason is simple. People start too big. They plan to run ten "
    "miles, when one mile would change their life. Start with one page, one push up, "
    "or one email.",
    "Um, right, okay, so, uh, let me, you know, check the time. Yeah. Okay, okay. Um. "
    "So, like, anyway.",
    "Last year I almost quit this podcast. Then one email from a listener changed "
    "everything. She wrote that one episode got her through the worst month of her "
    "life. The lesson I learned is this. Never underestimate what one person can do. "
    "If you are about to quit something you love, wait one more week.",
    "So, uh, yeah, um, that is, you know, kind of it for this part, I guess. Okay. "
    "Right. Um, so, yeah.",
    "The lesson is simple. Start small, finish something today, and tell one person "
    "about it.",
)
# A phrase of each strong passage, as the transcript spells it (lower case).
DEMO_STRONG_PHRASES = ("extra hour", "habits fail", "almost quit")


def speak(
    text: str, target: Path, words_per_minute: int = 160, voice: str | None = None
) -> Path:
    """Speak ``text`` to a WAV file with espeak-ng (in ``voice``, an espeak-ng voice
    name such as ``en-gb+f3``, or its default)."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise ReelmakeError(
            "espeak-ng was not found on PATH; install it (apt-get install espeak-ng)"
        )
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write(text)
    try:
        subprocess.run(
            [espeak, *(["-v", voice] if voice else []), "-s", str(words_per_minute),
             "-w", str(target), "-f", fh.name],
            check=True,
            capture_output=True,
        )  # fmt: skip
    finally:
        Path(fh.name).unlink(missing_ok=True)
    return target


def portrait() -> Path:
    """A photograph of a person that ships with matplotlib (Grace Hopper, from its
    sample data): the demo's speaker."""
    from matplotlib import cbook

    return Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


def make_demo(target: Path, paragraphs: Sequence[str] = ()) -> Path:
    """The demo talk: a person at 1080p, off-centre, speaking ``paragraphs`` (the
    demo script by default)."""
    return make_talk(
        target,
        list(paragraphs) or list(DEMO_SCRIPT),
        size="1920x1080",
        picture=portrait(),
        preset="veryfast",
        keyframe_seconds=2.0,
    )[0]


def make_video(
    target: Path, paragraphs: Sequence[str] | None = None, **options: Any
) -> Path:
    """A test-pattern video with spoken ``paragraphs`` separated by ``pause`` seconds
    (see :func:`make_talk` for the options).

    With no paragraphs it has a tone (or no audio track with ``audio=False``) and lasts
    ``seconds``.
    """
    return make_talk(target, paragraphs, **options)[0]


def _wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def make_talk(
    target: Path,
    paragraphs: Sequence[str] | None = None,
    *,
    seconds: float | None = None,
    size: str = "320x180",
    fps: int = 25,
    pause: float = 0.8,
    audio: bool = True,
    faststart: bool = False,
    voices: Sequence[str] | None = None,
    preset: str = "ultrafast",
    keyframe_seconds: float | None = None,
    picture: Path | None = None,
) -> tuple[Path, list[tuple[float, float]]]:
    """:func:`make_video`, also returning where each paragraph is spoken (start and
    end in seconds); paragraph ``i`` is spoken in ``voices[i]`` when given.

    ``preset`` is x264's (``veryfast`` writes B-frames, as cameras and editors do);
    ``keyframe_seconds`` puts a keyframe exactly that often, as streaming encoders do;
    ``picture``: a photograph shown right of centre, two thirds of the frame tall, on
    a plain backdrop (else a test pattern).
    """
    keys = (
        ["-g", str(round(keyframe_seconds * fps)), "-keyint_min",
         str(round(keyframe_seconds * fps)), "-sc_threshold", "0"]
        if keyframe_seconds else []
    )  # fmt: skip
    if voices is not None and len(voices) != len(paragraphs or ()):
        raise ValueError("give one voice per paragraph")
    spans: list[tuple[float, float]] = []
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        if picture is None:
            inputs = ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}"]
            picture_args: list[str] = []
        else:
            width, height = (int(v) for v in size.split("x"))
            tall = round(height * 2 / 3) // 2 * 2
            inputs = [
                "-f", "lavfi", "-i", f"color=c=0x22313f:size={size}:rate={fps}",
                "-loop", "1", "-framerate", str(fps), "-i", str(picture),
            ]  # fmt: skip
            picture_args = [
                "-filter_complex",
                f"[1:v]scale=-2:{tall}[p];[0:v][p]overlay=x={round(width * 0.58)}:"
                f"y={(height - tall) // 2}:shortest=1,format=yuv420p[v]",
                "-map", "[v]",
            ]  # fmt: skip
        if paragraphs:
            parts = [
                speak(p, Path(tmp) / f"p{i}.wav", voice=voices[i] if voices else None)
                for i, p in enumerate(paragraphs)
            ]
            at = 0.0
            for part in parts:
                length = _wav_seconds(part)
                spans.append((round(at, 3), round(at + length, 3)))
                at += length + pause
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
            duration = ["-shortest"]
        else:
            if seconds is None:
                raise ValueError("give paragraphs or seconds")
            if audio:
                inputs += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050"]
            duration = ["-t", str(seconds)]
        audio_codec = (
            ["-c:a", "aac", "-b:a", "64k"] if (paragraphs or audio) else ["-an"]
        )
        flags = ["-movflags", "+faststart"] if faststart else []
        audio_input = "1" if picture is None else "2"
        maps = picture_args + (
            ["-map", f"{audio_input}:a"]
            if picture_args and (paragraphs or audio)
            else []
        )
        subprocess.run(
            [tool("ffmpeg"), "-nostdin", "-v", "error", "-y", *inputs, *duration,
             *maps, "-c:v", "libx264", "-preset", preset, *keys,
             "-pix_fmt", "yuv420p", *audio_codec, *flags, str(target)],
            check=True,
        )  # fmt: skip
    return target, spans
