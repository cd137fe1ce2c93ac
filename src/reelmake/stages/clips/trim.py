"""Trimming a clip on word boundaries: hesitations that stand alone are cut out and
long pauses shortened, so that a clip keeps its pace; captions follow the words onto
the clip's own timeline."""

from __future__ import annotations

import os
import re
import wave
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Hesitations, as transcribers write them. A word is one only when it stands alone
# (nothing but punctuation around it): "um," is, "umbrella" is not.
FILLERS = frozenset("um umm uhm uh uhh erm er err ah ahh hmm hm mm mmm mhm eh".split())
# Trim levels: (a pause longer than this is shortened, to this), seconds.
LEVELS: dict[str, tuple[float, float] | None] = {
    "off": None,
    "light": (0.6, 0.3),
    "tight": (0.35, 0.15),
}
_BARE = re.compile(r"[^\w'-]+")
# Sound is judged loud or quiet in frames this long.
FRAME_SECONDS = 0.02


@dataclass(frozen=True)
class Timed:
    """A word in source time."""

    text: str
    start: float
    end: float


def is_filler(text: str) -> bool:
    return _BARE.sub("", text).lower() in FILLERS


def silences(
    audio: str | os.PathLike[str], start: float, end: float, shortest: float
) -> list[tuple[float, float]]:
    """Stretches of ``[start, end)`` of a 16-bit mono WAV quieter than the speech
    around them (30 dB under its loud end, or under -60 dBFS), at least
    ``shortest`` seconds long: where the speaker pauses, found in the sound itself
    (a transcriber often stretches the last word before a pause over it)."""
    with wave.open(str(audio), "rb") as wav:
        rate = wav.getframerate()
        wav.setpos(max(0, min(wav.getnframes(), int(start * rate))))
        count = max(0, int((end - start) * rate))
        samples = np.frombuffer(wav.readframes(count), dtype=np.int16)
    step = max(1, int(rate * FRAME_SECONDS))
    frames = len(samples) // step
    if frames == 0:
        return []
    blocks = samples[: frames * step].astype(np.float64).reshape(frames, step)
    level = 20 * np.log10(np.maximum(np.sqrt((blocks**2).mean(axis=1)), 1.0) / 32768)
    quiet = level < max(float(np.percentile(level, 95)) - 30.0, -60.0)
    out = []
    run_start = None
    for k, q in enumerate([*quiet, False]):
        if q and run_start is None:
            run_start = k
        elif not q and run_start is not None:
            a, b = start + run_start * FRAME_SECONDS, start + k * FRAME_SECONDS
            if b - a >= shortest:
                out.append((round(a, 3), round(min(b, end), 3)))
            run_start = None
    return out


def kept_ranges(
    words: Sequence[Timed],
    start: float,
    end: float,
    max_pause: float | None,
    keep_pause: float = 0.3,
    quiet: Sequence[tuple[float, float]] = (),
    drop_fillers: bool = True,
) -> list[tuple[float, float]]:
    """The stretches of ``[start, end)`` a trimmed clip keeps.

    Hesitations are dropped (with ``drop_fillers``), and the silence around one is
    shortened to ``keep_pause``; a pause longer than ``max_pause`` is shortened to
    ``keep_pause`` (half after the speech before it, half before the speech after
    it). Pauses are the silences of ``quiet`` (measured in the sound, see
    :func:`silences`), else the gaps between words. The lead-in and tail are kept.
    ``max_pause`` None keeps everything.
    """
    if max_pause is None:
        return [(start, end)]
    spoken = [w for w in words if start <= w.start and w.end <= end]
    dropped = [w for w in spoken if drop_fillers and is_filler(w.text)]
    kept = [w for w in spoken if w not in dropped]
    cuts: list[tuple[float, float]] = []
    half = keep_pause / 2
    for d in dropped:
        before = max((w.end for w in kept if w.end <= d.start), default=start)
        after = min((w.start for w in kept if w.start >= d.end), default=end)
        cuts.append((max(before + half, start), min(after - half, end)))
    if quiet:
        pauses = [(a, b) for a, b in quiet if b - a > max_pause]
    else:
        pauses = [
            (a.end, b.start) for a, b in zip(kept, kept[1:], strict=False)
            if b.start - a.end > max_pause
        ]  # fmt: skip
    for a, b in pauses:
        if a > start and b < end:  # the lead-in and the tail stay
            cuts.append((a + half, b - half))
    return _between(start, end, cuts)


def _between(
    start: float, end: float, cuts: Sequence[tuple[float, float]]
) -> list[tuple[float, float]]:
    """``[start, end)`` less the cuts (which may overlap)."""
    out = []
    at = start
    for a, b in sorted((a, b) for a, b in cuts if b > a):
        if a > at:
            out.append((at, a))
        at = max(at, b)
    if end > at:
        out.append((at, end))
    return out or [(start, end)]


def snap_ranges(
    ranges: Sequence[tuple[float, float]], fps: float
) -> list[tuple[float, float]]:
    """Ranges on the source's frame grid, each at least one frame long."""
    out: list[tuple[float, float]] = []
    for a, b in ranges:
        fa, fb = round(a * fps), round(b * fps)
        if fb <= fa:
            continue
        if out and fa <= round(out[-1][1] * fps):
            out[-1] = (out[-1][0], round(fb / fps, 6))
        else:
            out.append((round(fa / fps, 6), round(fb / fps, 6)))
    return out


def to_clip_time(t: float, ranges: Sequence[tuple[float, float]]) -> float | None:
    """Where source time ``t`` lands on the trimmed clip's timeline (None: cut)."""
    offset = 0.0
    for a, b in ranges:
        if a - 1e-6 <= t <= b + 1e-6:
            return round(offset + min(max(t, a), b) - a, 6)
        offset += b - a
    return None


def retime(
    words: Sequence[Timed], ranges: Sequence[tuple[float, float]]
) -> list[Timed]:
    """The words a trimmed clip keeps, on its own timeline. A word whose start was
    cut starts where its sound resumes (a transcriber's word often begins early, in
    the silence before it); one cut away whole is gone; one whose end was cut ends
    at the cut."""
    out = []
    for w in words:
        start = to_clip_time(w.start, ranges)
        if start is None:
            resumes = next((a for a, _ in ranges if w.start < a < w.end), None)
            if resumes is None:
                continue
            start = to_clip_time(resumes, ranges)
        end = to_clip_time(w.end, ranges)
        if end is None:
            # Ends in a cut: until the end of the range it starts in.
            end = next(
                (to_clip_time(b, ranges) for a, b in ranges if a <= w.start <= b), start
            )
        assert start is not None
        out.append(Timed(w.text, start, max(start, end or start)))
    return out
