"""Caption cues from word-timed speech, written as SubRip (.srt) and WebVTT (.vtt)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

MAX_CHARS = 42
MAX_SECONDS = 5.0
PAUSE_BREAK = 0.6
_SENTENCE_END = (".", "?", "!")


class TimedWord(Protocol):
    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...
    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


def cues_from_words(
    words: Sequence[TimedWord],
    max_chars: int = MAX_CHARS,
    max_seconds: float = MAX_SECONDS,
    offset: float = 0.0,
) -> list[Cue]:
    """Group words into short cues: a cue ends at a sentence end, a pause, or a limit.

    ``offset`` is subtracted from every time (for clip-relative captions).
    """
    cues: list[Cue] = []
    group: list[TimedWord] = []

    def flush() -> None:
        if group:
            text = " ".join(w.text.strip() for w in group).strip()
            start = max(0.0, group[0].start - offset)
            cues.append(Cue(start, max(start, group[-1].end - offset), text))
            group.clear()

    for word in words:
        if group:
            length = len(" ".join(w.text.strip() for w in group)) + 1 + len(word.text)
            if (
                word.start - group[-1].end >= PAUSE_BREAK
                or length > max_chars
                or word.end - group[0].start > max_seconds
            ):
                flush()
        group.append(word)
        if word.text.strip().endswith(_SENTENCE_END):
            flush()
    flush()
    return cues


def _timecode(seconds: float, sep: str) -> str:
    ms = max(0, round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def to_srt(cues: Sequence[Cue]) -> str:
    blocks = [
        f"{i}\n{_timecode(c.start, ',')} --> {_timecode(c.end, ',')}\n{c.text}\n"
        for i, c in enumerate(cues, 1)
    ]
    return "\n".join(blocks)


def to_vtt(cues: Sequence[Cue]) -> str:
    blocks = [
        f"{_timecode(c.start, '.')} --> {_timecode(c.end, '.')}\n{c.text}\n"
        for c in cues
    ]
    return "WEBVTT\n\n" + "\n".join(blocks)
