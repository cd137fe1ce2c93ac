"""The offline scorer as it was before it judged content: it counts hook phrases,
emotion words, numbers and questions. Kept here only as the baseline that the labelled
quality set (``python -m bench.quality``) compares the current scorer with.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from reelmake.stages.scores.common import Score
from reelmake.stages.scores.heuristic import loudness, suggest_title
from reelmake.stages.segments import Candidate

SUBSCORES = ("hook", "emotion", "self_contained", "payoff")

_HOOK_PHRASES = (
    "here is", "here's", "what if", "imagine", "the secret", "nobody", "no one",
    "the truth", "the reason", "did you know", "you won't", "the biggest", "the worst",
    "the best", "never", "stop", "why", "how to", "the one thing", "let me tell you",
)  # fmt: skip
_EMOTION_WORDS = frozenset(
    """amazing incredible shocking surprised surprising love hate afraid scared
    angry crazy insane terrifying beautiful heartbreaking wow unbelievable
    furious excited thrilled devastated proud terrible awful fantastic brilliant
    almost quit cried laughed changed everything
    """.split()
)
_PAYOFF_PHRASES = (
    "the lesson", "the key", "i learned", "we learned", "turns out", "that's why",
    "that is why", "the answer", "the point is", "so the", "changed everything",
    "in the end", "the result", "which means", "the trick", "start small", "because",
    "the reason is",
    "the takeaway", "the secret is", "remember",
)  # fmt: skip
_STORY_MARKERS = (
    "last year", "one day", "i remember", "years ago", "when i", "then", "until",
    "the story",
)  # fmt: skip
_FILLERS = ("um", "uh", "erm", "hmm", "you know", "i mean", "like", "sort of",
            "kind of", "okay", "right", "yeah", "anyway", "i guess", "so yeah",
            "let me check", "where was i", "it is what it is", "and stuff",
            "and things")  # fmt: skip
# A sentence with this share of filler words carries no content.
FILLER_SENTENCE_RATE = 0.2
_LEANING_STARTS = frozenset(
    """and but so because which that it this these those he she they them also or
    then anyway
    """.split()
)
_NUMBER = re.compile(
    r"\b\d[\d,.]*\s*%?|\b(?:hundred|thousand|million|billion|percent|twice|half)\b"
)
_WORD = re.compile(r"[a-z']+")


def _count_phrases(text: str, phrases: Sequence[str]) -> int:
    padded = f" {text} "
    return sum(padded.count(f" {p} ") + padded.count(f" {p},") for p in phrases)


def _clip(value: float) -> float:
    return round(min(10.0, max(0.0, value)), 2)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.?!])\s+", text) if s.strip()]


class KeywordScorer:
    """Hook phrases, questions, numbers, emotion words, fillers, speech rate, clean
    sentence boundaries and loudness, combined into four sub-scores."""

    name = "keywords"

    def __init__(self, contexts: Any = None) -> None:
        del contexts  # it never looked around a candidate

    def score(self, candidates: Sequence[Candidate], audio: Path) -> list[Score]:
        levels = loudness(audio, [(c.start, c.end) for c in candidates])
        median = float(np.median(levels)) if levels else 0.0
        return [
            self._one(c, level - median)
            for c, level in zip(candidates, levels, strict=True)
        ]

    def _one(self, c: Candidate, relative_db: float) -> Score:
        text = c.text.lower()
        words = _WORD.findall(text)
        sentences = _sentences(c.text)
        opening = " ".join(words[:14])
        first = sentences[0] if sentences else c.text
        fillers = _count_phrases(" ".join(words), _FILLERS)
        filler_rate = fillers / max(len(words), 1)
        filler_words = 0
        for sentence in sentences:
            s_words = _WORD.findall(sentence.lower())
            rate = _count_phrases(" ".join(s_words), _FILLERS) / max(len(s_words), 1)
            filler_words += len(s_words) if rate >= FILLER_SENTENCE_RATE else 0
        filler_share = filler_words / max(len(words), 1)
        numbers = len(_NUMBER.findall(text))
        questions = c.text.count("?")
        f: dict[str, float] = {
            "opening_question": float(first.endswith("?")),
            "opening_hook_phrases": float(_count_phrases(opening, _HOOK_PHRASES)),
            "opening_you": float("you" in words[:14]),
            "opening_story": float(_count_phrases(opening, _STORY_MARKERS) > 0),
            "opening_emotion": float(any(w in _EMOTION_WORDS for w in words[:14])),
            "opening_fillers": float(_count_phrases(opening, _FILLERS)),
            "questions": float(questions),
            "numbers": float(numbers),
            "emotion_words": float(sum(w in _EMOTION_WORDS for w in words)),
            "exclamations": float(c.text.count("!")),
            "payoff_phrases": float(_count_phrases(" ".join(words), _PAYOFF_PHRASES)),
            "story_markers": float(_count_phrases(" ".join(words), _STORY_MARKERS)),
            "filler_rate": round(filler_rate, 3),
            "filler_sentence_share": round(filler_share, 3),
            "words_per_second": c.words_per_second,
            "relative_loudness_db": round(relative_db, 2),
            "leaning_start": float(bool(words) and words[0] in _LEANING_STARTS),
            "ends_complete": float(c.text.rstrip().endswith((".", "?", "!"))),
        }
        hook = (
            3.0
            + 3.5 * f["opening_question"]
            + 1.5 * min(f["opening_hook_phrases"], 2)
            + 1.0 * f["opening_you"]
            + 1.5 * f["opening_story"]
            + 1.0 * f["opening_emotion"]
            + 1.5 * min(numbers, 1) * float(bool(_NUMBER.search(first.lower())))
            - 2.0 * min(f["opening_fillers"], 2)
        )
        rate = c.words_per_second
        emotion = (
            3.0
            + 1.2 * min(f["emotion_words"], 4)
            + 0.8 * min(f["exclamations"], 2)
            + 0.5 * max(min(relative_db, 4.0), -4.0)
            + (1.0 if 2.3 <= rate <= 3.6 else -1.0)
        )
        self_contained = (
            6.0
            - 3.0 * f["leaning_start"]
            + 2.0 * f["ends_complete"]
            + (1.0 if c.sentence_count >= 2 else 0.0)
            - 2.0 * (1 - min(c.mean_probability / 0.6, 1.0))
        )
        payoff = (
            2.5
            + 1.5 * min(f["payoff_phrases"], 3)
            + 1.0 * min(f["story_markers"], 2)
            + 1.2 * min(numbers, 2)
            + 0.8 * min(questions, 1)
        )
        sub = {
            "hook": _clip(hook),
            "emotion": _clip(emotion),
            "self_contained": _clip(self_contained),
            "payoff": _clip(payoff),
        }
        overall = (
            0.35 * sub["hook"]
            + 0.2 * sub["emotion"]
            + 0.2 * sub["self_contained"]
            + 0.25 * sub["payoff"]
            - 12.0 * max(filler_rate - 0.03, 0.0)
            - 6.0 * filler_share
        )
        return Score(
            id=c.id,
            start=c.start,
            end=c.end,
            overall=_clip(overall),
            subscores=sub,
            reason=_reason(f),
            title=suggest_title(c.text),
            hook=first if len(first) <= 120 else first[:119] + "…",
            backend=self.name,
            features=f,
        )


def _reason(f: dict[str, float]) -> str:
    good = [
        (f["opening_question"] * 3, "opens with a question"),
        (f["opening_hook_phrases"] * 2, "hook phrase in the opening"),
        (f["opening_story"] * 1.5, "opens a story"),
        (min(f["numbers"], 2) * 1.5, "concrete numbers"),
        (min(f["emotion_words"], 3), "emotional words"),
        (min(f["payoff_phrases"], 3) * 1.5, "a clear payoff"),
        (min(f["story_markers"], 2), "tells a story"),
        (f["ends_complete"] * 0.5, "ends on a complete sentence"),
    ]
    bad = [
        (f["leaning_start"] * 2, "starts mid-thought"),
        (f["filler_rate"] * 40, "many filler words"),
        (f["filler_sentence_share"] * 6, "stretches of filler"),
        (f["opening_fillers"] * 2, "slow, filler-heavy opening"),
    ]
    pros = [label for weight, label in sorted(good, reverse=True) if weight > 0][:3]
    cons = [label for weight, label in sorted(bad, reverse=True) if weight > 1][:2]
    parts = []
    if pros:
        parts.append(", ".join(pros))
    if cons:
        parts.append("but " + ", ".join(cons))
    return "; ".join(parts) or "no strong features"
