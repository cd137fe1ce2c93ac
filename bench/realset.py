"""The real set: excerpts of public transcripts of real speech, labelled by their
audiences, spoken at run time and scored against those labels.

Each talk of ``realset/talks.yaml`` is an excerpt of a published transcript in which
the audience's laughter is marked ("(Laughter.)", "[Laughter]"). The sentence a laugh
follows (or interrupts) is a **labelled moment**: people outside the project reacted
to it when it was said. Every reaction mark is removed from what is spoken; each
sentence is spoken by espeak-ng (the talk's voice, a second voice for reporters'
questions) with the same pause after every sentence, so neither the marks nor the
pauses tell the scorer where the laughs were.

Figures for the clips a scorer selects (top three = the first three):

- **hit@3**: 1 when some top-three clip contains a labelled moment, else 0;
- **precision at 3**: the share of the three top places held by a clip that contains
  a labelled moment (a missing clip counts as a miss);
- **recall**: the share of labelled moments contained in some selected clip;
- a clip **contains** a moment when its spoken span covers at least
  ``CONTAINS_SHARE`` of the moment's spoken span (see :func:`contains`);
- **blind picks**: the same figures for clips of the same lengths placed at random,
  without overlap, inside the talk; the mean of ``BLIND_DRAWS`` draws from a generator
  seeded by the talk's id (:func:`blind_figures`).
"""

from __future__ import annotations

import hashlib
import random
import re
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from reelmake.core import fileio

FOLDER = Path(__file__).with_name("realset")
SPLITS = ("dev", "held-out")
# Text-only talks that only the line model learns from (never spoken, never scored).
TRAIN = "train"
CONTAINS_SHARE = 0.8
BLIND_DRAWS = 2000
PAUSE = 0.5  # seconds after every sentence, the same everywhere
VOICES = ("en-us", "en-gb", "en-us+m3", "en-gb+f3", "en-gb-x-rp", "en-us+f2")
REPORTER_VOICE = "en-gb-scotland"

_REACTION = re.compile(
    r"[(\[]\s*(?:[a-z ,]*(?:laughter|laughs|applause|cheers|cheering|boos|booing"
    r"|audience)[a-z ,.]*)[)\]]",
    re.IGNORECASE,
)
_LAUGH = re.compile(r"laugh", re.IGNORECASE)
_TAG = "\u2063"  # an invisible separator marks the word a laugh follows
_QUESTION = re.compile(r"^Q[.:]?\s+")
# A full stop after these is not the end of a sentence.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr st jr sr no gov sen rep gen lt col sgt prof vs etc u.s a.m p.m "
    "inc co corp mt ft".split()
)


def moment_marks(paragraph: str) -> list[str]:
    """The audience's laughs the transcript marks in ``paragraph``."""
    return [m for m in _REACTION.findall(paragraph) if _LAUGH.search(m)]


def spoken(paragraph: str) -> str:
    """``paragraph`` as it is spoken: without any reaction mark or speaker tag."""
    text = _QUESTION.sub("", _REACTION.sub(" ", paragraph))
    return " ".join(text.replace(_TAG, "").split())


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text``, not broken after a title or an initial ("Mr.",
    "U.S.")."""
    out, current = [], []
    for word in text.split():
        current.append(word)
        bare = word.rstrip(_TAG).rstrip("\"')”’")
        if not bare.endswith((".", "?", "!")):
            continue
        stem = bare.rstrip(".?!").lower().lstrip("\"'(“‘")
        if bare.endswith(".") and (stem in _ABBREVIATIONS or len(stem) == 1):
            continue
        out.append(" ".join(current))
        current = []
    if current:
        out.append(" ".join(current))
    return out


@dataclass(frozen=True)
class Line:
    """One spoken sentence: its text, who says it, whether a laugh followed it."""

    text: str
    reporter: bool
    moment: bool


def lines_of(paragraphs: Sequence[str]) -> list[Line]:
    """The sentences of an excerpt, each marked when the audience laughed at it: a
    laugh belongs to the sentence it follows or interrupts."""
    out: list[Line] = []
    for paragraph in paragraphs:
        reporter = bool(_QUESTION.match(paragraph))
        body = _QUESTION.sub("", paragraph)
        tagged = _REACTION.sub(
            lambda m: _TAG if _LAUGH.search(m.group()) else " ", body
        )
        tagged = re.sub(r"\s+" + _TAG, _TAG, tagged)
        for sentence in split_sentences(tagged):
            text = " ".join(sentence.replace(_TAG, " ").split())
            if not any(ch.isalnum() for ch in text):
                if _TAG in sentence and out:  # a laugh after a lone mark
                    out[-1] = Line(out[-1].text, out[-1].reporter, True)
                continue
            out.append(Line(text, reporter, _TAG in sentence))
    return out


@dataclass(frozen=True)
class Talk:
    id: str
    title: str
    speaker: str
    date: str
    genre: str
    source: str
    licence: str
    signal: str
    split: str
    lines: list[Line]

    @property
    def voice(self) -> str:
        return VOICES[_digest("voice:" + self.id) % len(VOICES)]


def _digest(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16)


def load_talks(split: str | None = None, folder: Path = FOLDER) -> list[Talk]:
    """The talks of the set, ``dev`` and ``held-out`` (of one part, ``dev``,
    ``held-out`` or the text-only ``train``, when given)."""
    meta = yaml.safe_load((folder / "talks.yaml").read_text())["talks"]
    talks = []
    for item in meta:
        if item["split"] not in (*SPLITS, TRAIN):
            raise ValueError(f"{item['id']}: split {item['split']!r}")
        if item["split"] != split and (split is not None or item["split"] == TRAIN):
            continue
        text = (folder / "texts" / f"{item['id']}.txt").read_text(encoding="utf-8")
        paragraphs = [p for p in text.splitlines() if p.strip()]
        talks.append(Talk(**item, lines=lines_of(paragraphs)))
    return talks


@dataclass(frozen=True)
class Spoken:
    """A talk made into a video: where each of its lines is spoken."""

    talk: str
    video: Path
    spans: list[tuple[float, float]]
    moments: list[tuple[float, float]]
    duration: float


def speak_talk(talk: Talk, folder: Path) -> Spoken:
    """Speak ``talk`` into ``folder/<id>.mp4`` (kept when made before from the same
    lines); where its lines and moments are goes to ``folder/<id>.json``."""
    from reelmake.cli.demo import make_talk

    video, record = folder / f"{talk.id}.mp4", folder / f"{talk.id}.json"
    texts = [line.text for line in talk.lines]
    key = hashlib.sha256(
        "\n".join([talk.voice, *texts, str(PAUSE)]).encode()
    ).hexdigest()
    if video.exists() and record.exists():
        data = fileio.read_json(record)
        if data.get("key") == key:
            return _spoken(talk, video, [tuple(s) for s in data["spans"]])
    voices = [REPORTER_VOICE if line.reporter else talk.voice for line in talk.lines]
    # A small, slow picture: only the speech is judged, and it keeps the run short.
    _, spans = make_talk(video, texts, voices=voices, pause=PAUSE, size="160x90", fps=5)
    fileio.write_json(record, {"key": key, "spans": spans})
    return _spoken(talk, video, spans)


def speak_all(talks: Sequence[Talk], folder: Path, workers: int = 2) -> list[Spoken]:
    """:func:`speak_talk` for every talk, ``workers`` at a time."""
    from concurrent.futures import ThreadPoolExecutor

    folder.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda t: speak_talk(t, folder), talks))


def _spoken(talk: Talk, video: Path, spans: Sequence[Any]) -> Spoken:
    pairs = [(float(a), float(b)) for a, b in spans]
    moments = [s for s, line in zip(pairs, talk.lines, strict=True) if line.moment]
    return Spoken(talk.id, video, pairs, moments, pairs[-1][1] if pairs else 0.0)


def contains(clip: tuple[float, float], moment: tuple[float, float]) -> bool:
    """Whether a clip's spoken span holds the moment: it covers at least
    ``CONTAINS_SHARE`` of the moment's spoken span (room for the transcriber's
    timing of the first and last word)."""
    overlap = max(0.0, min(clip[1], moment[1]) - max(clip[0], moment[0]))
    return overlap >= CONTAINS_SHARE * (moment[1] - moment[0])


@dataclass(frozen=True)
class RealFigures:
    talk: str
    genre: str
    split: str
    hit_at_3: float
    precision_at_3: float
    recall: float
    blind_hit_at_3: float
    blind_precision_at_3: float
    blind_recall: float
    clips: int
    moments: int


def _hits(
    spans: Sequence[tuple[float, float]], moments: Sequence[tuple[float, float]]
) -> tuple[float, float, float]:
    top = spans[:3]
    held = [any(contains(s, m) for m in moments) for s in top]
    found = sum(any(contains(s, m) for s in spans) for m in moments)
    return float(any(held)), sum(held) / 3, found / max(len(moments), 1)


def blind_spans(
    lengths: Sequence[float], duration: float, rng: random.Random
) -> list[tuple[float, float]]:
    """Clips of ``lengths`` placed at random inside ``[0, duration]``, none
    overlapping another: every such placement is equally likely (the free time is
    cut at random points, the clips put in a random order between them)."""
    free = max(duration - sum(lengths), 0.0)
    cuts = sorted(rng.uniform(0.0, free) for _ in lengths)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    spans: list[tuple[float, float]] = [(0.0, 0.0)] * len(lengths)
    used = 0.0
    for cut, i in zip(cuts, order, strict=True):
        spans[i] = (cut + used, cut + used + lengths[i])
        used += lengths[i]
    return spans


def blind_figures(
    talk: str,
    lengths: Sequence[float],
    moments: Sequence[tuple[float, float]],
    duration: float,
) -> tuple[float, float, float]:
    """Mean hit@3, precision at 3 and recall of blind picks of ``lengths``."""
    if not lengths:
        return 0.0, 0.0, 0.0
    rng = random.Random(_digest("blind:" + talk))
    draws = [
        _hits(blind_spans(lengths, duration, rng), moments) for _ in range(BLIND_DRAWS)
    ]
    return tuple(round(statistics.mean(d[k] for d in draws), 4) for k in range(3))  # type: ignore[return-value]


def figures(
    talk: Talk, spoken_talk: Spoken, spans: Sequence[tuple[float, float]]
) -> RealFigures:
    """Figures of the clips at ``spans`` (spoken spans, best first)."""
    hit, precision, recall = _hits(spans, spoken_talk.moments)
    lengths = [b - a for a, b in spans]
    blind = blind_figures(talk.id, lengths, spoken_talk.moments, spoken_talk.duration)
    return RealFigures(
        talk=talk.id,
        genre=talk.genre,
        split=talk.split,
        hit_at_3=hit,
        precision_at_3=round(precision, 4),
        recall=round(recall, 4),
        blind_hit_at_3=blind[0],
        blind_precision_at_3=blind[1],
        blind_recall=blind[2],
        clips=len(spans),
        moments=len(spoken_talk.moments),
    )


MEAN_KEYS = ("hit_at_3", "precision_at_3", "recall", "blind_hit_at_3",
             "blind_precision_at_3", "blind_recall")  # fmt: skip


def mean_figures(rows: Sequence[RealFigures]) -> dict[str, float]:
    if not rows:
        return dict.fromkeys(MEAN_KEYS, 0.0)
    return {
        k: round(statistics.mean(getattr(r, k) for r in rows), 3) for k in MEAN_KEYS
    }


def as_dict(row: RealFigures) -> dict[str, Any]:
    return asdict(row)


def process(folder: Path, spoken_talks: Sequence[Spoken]) -> dict[str, Path]:
    """Run ``reelmake run`` with the default configuration on the spoken talks, up
    to the selection (no clip is cut: only what is selected is judged); each talk's
    results folder."""
    import subprocess
    import sys

    from reelmake.cache import get_video_hash

    run = subprocess.run(
        [sys.executable, "-m", "reelmake.cli", "run", "--cores", "2", "--until",
         "highlights", *(str(s.video) for s in spoken_talks)],
        cwd=folder, capture_output=True, text=True,
    )  # fmt: skip
    if run.returncode:
        raise RuntimeError(run.stdout[-3000:] + run.stderr[-3000:])
    return {
        s.talk: folder / "results" / get_video_hash(str(s.video))[:16]
        for s in spoken_talks
    }


def selected_figures(talk: Talk, spoken_talk: Spoken, results: Path) -> RealFigures:
    """Figures of what the workflow itself selected for one talk."""
    from reelmake.stages.highlights import load_highlights

    chosen = load_highlights(results / "highlights" / "highlights.json")
    return figures(talk, spoken_talk, [(h.speech_start, h.speech_end) for h in chosen])
