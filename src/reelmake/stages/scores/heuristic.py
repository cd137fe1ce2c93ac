"""The offline scorer: what a passage says, judged from its words; deterministic."""

from __future__ import annotations

import math
import wave
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

from reelmake.stages.scores import passage, phrasing
from reelmake.stages.scores.common import Score
from reelmake.stages.scores.passage import Around
from reelmake.stages.segments import Candidate

# The judgement's own version and a digest of the learned line model: new weights
# re-score every video.
HEURISTIC_VERSION = f"3-{phrasing.load_model().digest()}"
# How much each judged quality adds to the offline score (and how much empty talk
# and ritual take away); the quality benchmark can leave one out to see its effect.
WEIGHTS = {
    "specificity": 0.28,
    "density": 0.14,
    "self_contained": 0.26,
    "shape": 0.18,
    "hook": 0.06,
    "energy": 0.08,
    "empty_talk": 0.8,
    "line": 0.4,
    "ritual": 0.5,
}
# The weights of what adds to the score (the others take away).
QUALITIES = ("specificity", "density", "self_contained", "shape", "hook", "energy",
             "line")  # fmt: skip
# What the strongest line of an ordinary window is worth (see ``lands`` below).
TYPICAL_LINE = 0.25


def _clip(value: float) -> float:
    return round(min(10.0, max(0.0, value)), 2)


# Samples per block of the running sum of squares that :func:`loudness` reads.
ENERGY_BLOCK = 4096


def loudness(audio: Path, spans: Sequence[tuple[float, float]]) -> list[float]:
    """RMS level in dBFS of each span of a 16-bit mono WAV.

    Squares are summed once per block of samples, as exact integers, so that each
    of a talk's many overlapping spans costs two partial blocks, not a pass over
    its samples (the sums, below 2**53, are also exact in floating point, so the
    levels are those of a direct mean)."""
    with wave.open(str(audio), "rb") as wav:
        rate = wav.getframerate()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
    whole = samples.size // ENERGY_BLOCK
    sums = np.zeros(whole, dtype=np.int64)
    step = 256  # blocks converted at a time: a few MB, not the whole talk
    for i in range(0, whole, step):
        j = min(i + step, whole)
        part = samples[i * ENERGY_BLOCK : j * ENERGY_BLOCK].astype(np.int64)
        sums[i:j] = np.square(part).reshape(j - i, ENERGY_BLOCK).sum(axis=1)
    # running[k]: the sum of squares of the first k blocks
    running = np.concatenate([[0], np.cumsum(sums)])

    def energy(a: int, b: int) -> int:
        """The sum of squares of samples a..b-1."""
        first, last = -(-a // ENERGY_BLOCK), b // ENERGY_BLOCK
        if first >= last:
            part = samples[a:b].astype(np.int64)
            return int(np.dot(part, part))
        head = samples[a : first * ENERGY_BLOCK].astype(np.int64)
        tail = samples[last * ENERGY_BLOCK : b].astype(np.int64)
        return (int(running[last] - running[first]) + int(np.dot(head, head))
                + int(np.dot(tail, tail)))  # fmt: skip

    levels = []
    for start, end in spans:
        a = min(int(start * rate), samples.size)
        b = min(max(int(end * rate), int(start * rate) + 1), samples.size)
        rms = math.sqrt(energy(a, b) / (b - a)) if b > a else 0.0
        levels.append(20 * np.log10(max(rms, 1.0) / 32768.0))
    return levels


def suggest_title(text: str, limit: int = 60) -> str:
    """The passage's opening sentence when it stands on its own at a title's length,
    else the most specific of its first three sentences, preferring ones that do not
    lean on something said before."""
    sents = passage.sentences(text) or [text]
    first = sents[0]
    pick: str
    if 5 <= len(passage.tokens(first)) <= 24 and not passage.leans(first):
        pick = first
    else:
        pool = [s for s in sents[:3] if len(passage.tokens(s)) >= 4] or sents[:1]
        pick = max(
            pool,
            key=lambda s: passage.specificity(s) - passage.leans(s),
        )
    pick = pick.rstrip(".!").strip()
    if len(pick) > limit:
        pick = pick[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return pick[:1].upper() + pick[1:]


class HeuristicScorer:
    """Judges what a passage says: specific words and named things, information
    density, whether it stands on its own, whether it holds together and ends on a
    point, and how it opens; and its strongest line, weighed by the line model
    against the other lines of the same talk, when the clip ends soon after it.
    Empty hype, filler and ritual talk (greetings, thanks, lists of names) count
    against it. Loudness and pace add a little. Deterministic and offline: the
    talk's lines are weighed from the candidates themselves."""

    name = "heuristic"

    def __init__(
        self,
        contexts: dict[str, Around] | None = None,
        weights: Mapping[str, float] | None = None,
        line_model: phrasing.LineModel | None = None,
    ) -> None:
        self.contexts = contexts or {}
        self.weights = {**WEIGHTS, **(weights or {})}
        self.line_model = line_model  # None: the committed one

    def score(self, candidates: Sequence[Candidate], audio: Path) -> list[Score]:
        levels = loudness(audio, [(c.start, c.end) for c in candidates])
        median = float(np.median(levels)) if levels else 0.0
        talk = phrasing.TalkLines(self.line_model)
        talk.weigh([(c.text, self._around(c).before) for c in candidates])
        return [
            self._one(c, level - median, talk)
            for c, level in zip(candidates, levels, strict=True)
        ]

    def _around(self, c: Candidate) -> Around:
        return self.contexts.get(c.id, Around())

    def _one(self, c: Candidate, relative_db: float, talk: phrasing.TalkLines) -> Score:
        around = self._around(c)
        f = passage.measure(c.text, around)
        j = passage.judge(f)
        best = talk.strongest(c.text, around.before)
        rate = c.words_per_second
        energy = min(1.0, max(0.0,
            0.4
            + 0.08 * max(min(relative_db, 4.0), -4.0)
            + (0.2 if 2.0 <= rate <= 3.8 else -0.1)
            + 0.3 * min(f.first_person / 0.05, 1.0)
        ))  # fmt: skip
        unclear = 1 - min(c.mean_probability / 0.6, 1.0)  # the transcriber was unsure
        # A window is worth what its best line is worth when it ends soon after it.
        lands = best.peak * (0.5 + 0.5 * best.ends_soon) * _focus(best.lead)
        w = self.weights
        # With its weight at 0, ritual talk is not judged at all (as before it was).
        ritual = best.ritual if w["ritual"] > 0 else 0.0
        # The strongest line adds to the other qualities above a typical line and
        # takes away below it: a window without a standout line keeps the score the
        # other qualities give it.
        worth = (
            w["specificity"] * j.specificity * (1 - ritual)
            + w["density"] * j.density
            + w["self_contained"] * j.self_contained
            + w["shape"] * j.shape
            + w["hook"] * j.hook
            + w["energy"] * energy
            + w["line"] * (lands - TYPICAL_LINE)
        )
        # What weighs against a passage takes away in proportion to all that the
        # qualities can add, so a new quality does not make hype or ritual cheaper.
        scale = sum(w[k] for k in QUALITIES)
        against = w["empty_talk"] * j.empty_talk + w["ritual"] * ritual + 0.3 * unclear
        overall = 10 * (worth - scale * against)
        sub = {
            "hook": _clip(10 * j.hook - 5 * j.empty_talk),
            "emotion": _clip(10 * energy),
            "self_contained": _clip(10 * j.self_contained),
            "payoff": _clip(10 * (0.5 * j.shape + 0.5 * lands)),
            "specificity": _clip(10 * j.specificity * (1 - ritual)),
            "density": _clip(10 * j.density),
        }
        first = passage.sentences(c.text)[:1] or [c.text]
        return Score(
            id=c.id,
            start=c.start,
            end=c.end,
            overall=_clip(_calibrate(overall)),
            subscores=sub,
            reason=_reason(f, j, best, lands),
            title=suggest_title(c.text),
            hook=first[0] if len(first[0]) <= 120 else first[0][:119] + "…",
            backend=self.name,
            features={k: float(v) for k, v in asdict(f).items()}
            | {
                "relative_loudness_db": round(relative_db, 2),
                "words_per_second": rate,
                "empty_talk": j.empty_talk,
                "strongest_line": best.peak,
                "ends_after_line": best.ends_soon,
                "ritual": best.ritual,
            },
        )


# Words of lead-in before the strongest line that a clip can carry without losing it.
LEAD_WORDS = 90.0


def _focus(lead: int) -> float:
    """1 for a clip that comes to its strongest line within ``LEAD_WORDS``, down to
    0.5 for one that makes the viewer wait twice as long."""
    return 1.0 - 0.5 * min(1.0, max(0.0, (lead - LEAD_WORDS) / LEAD_WORDS))


def _calibrate(raw: float) -> float:
    """Stretch the raw worth so that the default threshold (6) sits between solid
    passages and weak ones, and squeeze the top so that only a passage with every
    quality comes near 10; the squeeze never reaches 10, so the best windows of a
    talk keep their order."""
    stretched = raw * 1.3 - 1.0
    if stretched <= 8:
        return stretched
    return 8 + 2 * (1 - math.exp(-(stretched - 8) / 4))


def _line_reason(best: phrasing.Strongest) -> str:
    """The strongest line, quoted, and what makes it stand out."""
    line = best.line if len(best.line) <= 50 else best.line[:49].rstrip() + "…"
    why = ", ".join(phrasing.PLAIN[k] for k in best.why)
    return f'a line that stands out{f" ({why})" if why else ""}: "{line}"'


def _reason(
    f: passage.Features, j: passage.Judgement, best: phrasing.Strongest, lands: float
) -> str:
    """The features that moved the score most, in plain words."""
    good = [
        (lands - 0.3, _line_reason(best)),
        (j.specificity * (1 - best.ritual) - 0.5, "specific, concrete words"),
        (
            min(f.names, 3) / 6 * (1 - best.ritual),
            f"names {f.names} people, places or things",
        ),
        (j.density - 0.6, "dense with information"),
        (j.self_contained - 0.7, "stands on its own"),
        (j.shape - 0.6, "holds together and ends on a point"),
        (f.opening_question * 0.4, "opens with a real question"),
        (j.hook - 0.6, "opens on something concrete"),
    ]
    bad = [
        (best.ritual, "greetings, thanks or a list of names"),
        (3 * f.hype_share, "empty hype words"),
        (3 * f.filler_share, "filler words"),
        (0.5 - j.specificity, "vague, everyday words"),
        (0.4 * f.leaning_open, "opens mid-thought"),
        (0.2 * min(f.unresolved + f.back_references, 3), "leans on things said before"),
        (0.3 * f.continues_after, "stops before the point is made"),
        (f.repetition * 3, "repeats itself"),
    ]
    pros = [label for w, label in sorted(good, reverse=True) if w > 0.1][:3]
    cons = [label for w, label in sorted(bad, reverse=True) if w > 0.15][:2]
    parts = []
    if pros:
        parts.append(", ".join(pros))
    if cons:
        parts.append("but " + ", ".join(cons))
    return "; ".join(parts) or "nothing stands out"
