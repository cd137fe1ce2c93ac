"""Segmentation: sentences, pauses and candidate clip windows from word timings.

Candidates are built on sentence boundaries that fall in a pause, so every clip starts
and ends cleanly; a scorer only ranks them and never invents timestamps.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Self

import xxhash

from reelmake.core import config, fileio
from reelmake.core.options import Options
from reelmake.stages.transcript import Word, load_transcript

PRESETS: dict[str, tuple[float, float]] = {
    "shorts": (15.0, 60.0),
    "medium": (60.0, 90.0),
    "long": (90.0, 180.0),
}
_SENTENCE_END = (".", "?", "!", "…")


_SEGMENT = config.defaults("segments")


@dataclass(frozen=True)
class SegmentOptions(Options):
    """``segments``, with the preset's band in place of lengths left null."""

    section = "segments"
    # The schema's preset: its band is in min_seconds and max_seconds.
    derived = ("preset",)

    # The default preset's band (the schema's own lengths are null: the preset's).
    min_seconds: float = PRESETS[_SEGMENT["preset"]][0]
    max_seconds: float = PRESETS[_SEGMENT["preset"]][1]
    pause_gap: float = _SEGMENT["pause_gap"]
    sentence_pause: float = _SEGMENT["sentence_pause"]
    max_sentence_seconds: float = _SEGMENT["max_sentence_seconds"]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        settings = cls.settings(config)
        low, high = PRESETS[settings.pop("preset")]
        for key, band in (("min_seconds", low), ("max_seconds", high)):
            if settings.get(key) is None:
                settings[key] = band
        return cls(**settings)


@dataclass(frozen=True)
class Sentence:
    first_word: int
    last_word: int
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Pause:
    after_word: int
    start: float
    end: float

    @property
    def length(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Candidate:
    id: str
    first_word: int
    last_word: int
    start: float
    end: float
    text: str
    sentence_count: int
    word_count: int
    pause_before: float  # silence before the first word (from 0 for the first)
    pause_after: float | None  # silence after the last word; None at the end
    words_per_second: float
    mean_probability: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def _gap(words: Sequence[Word], i: int) -> float:
    """Silence after word ``i`` (to the next word, or none after the last)."""
    return words[i + 1].start - words[i].end if i + 1 < len(words) else float("inf")


def _text(words: Sequence[Word], first: int, last: int) -> str:
    return " ".join(w.text for w in words[first : last + 1])


def split_sentences(words: Sequence[Word], options: SegmentOptions) -> list[Sentence]:
    """Sentences end at final punctuation or a long pause; run-ons are split at their
    longest pauses until each is short enough."""
    spans: list[tuple[int, int]] = []
    first = 0
    for i, word in enumerate(words):
        if (
            word.text.endswith(_SENTENCE_END)
            or _gap(words, i) >= options.sentence_pause
        ):
            spans.append((first, i))
            first = i + 1
    if first < len(words):
        spans.append((first, len(words) - 1))

    def split_long(a: int, b: int) -> list[tuple[int, int]]:
        if words[b].end - words[a].start <= options.max_sentence_seconds or a == b:
            return [(a, b)]
        cut = max(range(a, b), key=lambda i: (_gap(words, i), -abs(i - (a + b) / 2)))
        return split_long(a, cut) + split_long(cut + 1, b)

    out = []
    for a, b in spans:
        for x, y in split_long(a, b):
            out.append(Sentence(x, y, words[x].start, words[y].end, _text(words, x, y)))
    return out


def find_pauses(words: Sequence[Word], min_gap: float) -> list[Pause]:
    return [
        Pause(i, words[i].end, words[i + 1].start)
        for i in range(len(words) - 1)
        if words[i + 1].start - words[i].end >= min_gap
    ]


def candidate_id(video_hash: str, first: int, last: int, text: str) -> str:
    return xxhash.xxh3_64(f"{video_hash}|{first}|{last}|{text}".encode()).hexdigest()


def build_candidates(
    words: Sequence[Word],
    sentences: Sequence[Sentence],
    options: SegmentOptions,
    video_hash: str,
) -> list[Candidate]:
    """Every run of consecutive sentences whose length is in the band and whose both
    ends lie in a pause of at least ``pause_gap`` (or at the start or end of speech)."""

    candidates = []
    for i, first in enumerate(sentences):
        a = first.first_word
        before = words[a].start if a == 0 else _gap(words, a - 1)
        if a > 0 and before < options.pause_gap:
            continue
        for j in range(i, len(sentences)):
            last = sentences[j]
            length = last.end - first.start
            if length > options.max_seconds:
                break
            b = last.last_word
            after = _gap(words, b)
            if length < options.min_seconds or after < options.pause_gap:
                continue
            span = words[a : b + 1]
            text = _text(words, a, b)
            candidates.append(
                Candidate(
                    id=candidate_id(video_hash, a, b, text),
                    first_word=a,
                    last_word=b,
                    start=first.start,
                    end=last.end,
                    text=text,
                    sentence_count=j - i + 1,
                    word_count=len(span),
                    pause_before=round(before, 3),
                    pause_after=None if b == len(words) - 1 else round(after, 3),
                    words_per_second=round(len(span) / max(length, 1e-3), 3),
                    mean_probability=round(
                        sum(w.probability for w in span) / len(span), 4
                    ),
                )
            )
    return candidates


def segment_transcript(
    transcript: str | os.PathLike[str],
    candidates: str | os.PathLike[str],
    video_hash: str,
    options: SegmentOptions,
) -> list[Candidate]:
    """Read the transcript, write ``candidates.json`` with sentences and pauses."""
    data = candidates_data(load_transcript(transcript).words, video_hash, options)
    fileio.write_json(candidates, data)
    return [Candidate(**c) for c in data["candidates"]]


def summary(paths: Mapping[str, Path]) -> dict[str, Any]:
    """The stage state's counts of sentences, pauses and candidates."""
    data = fileio.read_artifact(paths["candidates"], "segments")
    keys = ("sentence_count", "pause_count", "candidate_count")
    return {key: data[key] for key in keys}


def candidates_data(
    words: Sequence[Word], video_hash: str, options: SegmentOptions
) -> dict[str, Any]:
    """The content of ``candidates.json`` for these words."""
    sentences = split_sentences(words, options)
    pauses = find_pauses(words, options.pause_gap)
    found = build_candidates(words, sentences, options, video_hash)
    data = fileio.artifact("segments", asdict(options), fileio.versions())
    data.update(
        video_hash=video_hash,
        sentence_count=len(sentences),
        pause_count=len(pauses),
        candidate_count=len(found),
        sentences=[asdict(s) for s in sentences],
        pauses=[asdict(p) for p in pauses],
        candidates=[asdict(c) for c in found],
    )
    return data


# A model of speech for planning before a video is transcribed: conversational
# English runs at about 150 words a minute, in sentences of about 14 words with a
# short pause after each; an average English word has about 5 letters.
WORDS_PER_SECOND = 2.5
WORDS_PER_SENTENCE = 14
SENTENCE_PAUSE = 0.6


def modelled_words(duration: float) -> list[Word]:
    """Words as a ``duration``-second talk would have them (for estimates only)."""
    words: list[Word] = []
    step = 1.0 / WORDS_PER_SECOND
    at = 0.0
    while at + step <= duration:
        last = len(words) % WORDS_PER_SENTENCE == WORDS_PER_SENTENCE - 1
        words.append(Word(round(at, 3), round(at + step * 0.9, 3),
                          "words." if last else "words", 1.0))  # fmt: skip
        at += step + (SENTENCE_PAUSE if last else 0.0)
    return words


def load_candidates(path: str | os.PathLike[str]) -> list[Candidate]:
    return [Candidate(**c) for c in fileio.read_json(path)["candidates"]]
