"""Scoring: how good a highlight each candidate would make, on a 0-10 scale.

Scores are stored raw; thresholds and top-k belong to selection, so changing them never
re-scores. The default ``heuristic`` backend is offline and deterministic.
"""

from __future__ import annotations

import os
import re
import wave
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from reelmake import fileio
from reelmake.errors import ReelmakeError
from reelmake.segment import Candidate, load_candidates

SUBSCORES = ("hook", "emotion", "self_contained", "payoff")
HEURISTIC_VERSION = 1

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


@dataclass(frozen=True)
class Score:
    id: str
    start: float
    end: float
    overall: float
    subscores: dict[str, float]
    reason: str
    title: str
    hook: str
    backend: str
    features: dict[str, float] = field(default_factory=dict)


class Scorer(Protocol):
    name: str

    def score(self, candidates: Sequence[Candidate], audio: Path) -> list[Score]: ...


def _count_phrases(text: str, phrases: Sequence[str]) -> int:
    padded = f" {text} "
    return sum(padded.count(f" {p} ") + padded.count(f" {p},") for p in phrases)


def _clip(value: float) -> float:
    return round(min(10.0, max(0.0, value)), 2)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.?!])\s+", text) if s.strip()]


def loudness(audio: Path, spans: Sequence[tuple[float, float]]) -> list[float]:
    """RMS level in dBFS of each span of a 16-bit mono WAV."""
    with wave.open(str(audio), "rb") as wav:
        rate = wav.getframerate()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
    levels = []
    for start, end in spans:
        chunk = samples[int(start * rate) : max(int(end * rate), int(start * rate) + 1)]
        rms = (
            float(np.sqrt(np.mean(chunk.astype(np.float64) ** 2))) if chunk.size else 0
        )
        levels.append(20 * np.log10(max(rms, 1.0) / 32768.0))
    return levels


def suggest_title(text: str, limit: int = 60) -> str:
    """The question if the passage asks one, else its strongest short sentence."""
    sentences = _sentences(text)
    questions = [s for s in sentences if s.endswith("?")]
    if questions:
        pick = questions[0]
    elif sentences and len(sentences[0].split()) >= 5:
        pick = sentences[0]
    else:
        pick = max(sentences[:3], key=len, default=text)
    pick = pick.rstrip(".!").strip()
    if len(pick) > limit:
        pick = pick[: limit - 1].rsplit(" ", 1)[0] + "…"
    return pick[:1].upper() + pick[1:]


class HeuristicScorer:
    """Hook phrases, questions, numbers, emotion words, fillers, speech rate, clean
    sentence boundaries and loudness, combined into four sub-scores."""

    name = "heuristic"

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


def make_scorer(
    backend: str,
    llm: dict[str, Any] | None = None,
    contexts: dict[str, str] | None = None,
) -> Scorer:
    if backend == "heuristic":
        return HeuristicScorer()
    if backend == "openai":
        from reelmake.llm import LLMOptions, OpenAIScorer

        return OpenAIScorer(LLMOptions(**(llm or {})), contexts)
    raise ReelmakeError(
        f"score.backend {backend!r}: unknown scorer (heuristic, openai)"
    )


def contexts_before(candidates_json: dict[str, Any]) -> dict[str, str]:
    """What was said just before each candidate: its preceding sentence."""
    by_last = {s["last_word"]: s["text"] for s in candidates_json.get("sentences", [])}
    return {
        c["id"]: by_last.get(c["first_word"] - 1, "")
        for c in candidates_json.get("candidates", [])
    }


def score_segments(
    candidates: str | os.PathLike[str],
    audio: str | os.PathLike[str],
    scores: str | os.PathLike[str],
    backend: str = "heuristic",
    llm: dict[str, Any] | None = None,
) -> list[Score]:
    """Score every candidate and write ``scores.json`` (best first)."""
    found = load_candidates(candidates)
    scorer = make_scorer(backend, llm, contexts_before(fileio.read_json(candidates)))
    result = scorer.score(found, Path(audio))
    result.sort(key=lambda s: (-s.overall, s.start))
    params: dict[str, Any] = {
        "backend": backend,
        "heuristic_version": HEURISTIC_VERSION,
    }
    data = fileio.artifact("ai_scoring", params, fileio.versions("openai"))
    usage = getattr(scorer, "usage", None)
    if usage is not None:
        params["llm"] = {k: v for k, v in (llm or {}).items() if k != "answer_cache"}
        data["llm_usage"] = asdict(usage)
    data.update(scored_count=len(result), scores=[asdict(s) for s in result])
    fileio.write_json(scores, data)
    return result


def load_scores(path: str | os.PathLike[str]) -> list[Score]:
    return [Score(**s) for s in fileio.read_json(path)["scores"]]
