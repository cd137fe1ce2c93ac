"""Selection: the best non-overlapping candidates, padded inside their pauses.

Every knob here is a param of ``select_highlights`` only, so changing one re-runs
selection and what follows, never transcription or scoring.

A clip is named by what it is, not by its rank: its span (:func:`clip_key`); how its
picture looks is the clips stage's settings, which re-cut it when they change. Beside
``highlights.json`` the selection keeps one small description per clip
(``highlights/clips/<clip>.json``), rewritten only when it changes, and each
``render_clip`` job reads only its own: a changed threshold or top-k cuts only the clips
that did not exist before. The readable, ranked name
("01-the-best-clip") is ``Highlight.ranked``.
"""

from __future__ import annotations

import json
import math
import os
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Self

import xxhash

from reelmake.core import config, fileio
from reelmake.core.options import Options
from reelmake.stages import decisions
from reelmake.stages.scores.common import Score, load_scores
from reelmake.stages.segments import Candidate, SegmentOptions, load_candidates
from reelmake.stages.transcript import Word, load_transcript

# The label results of this stage carried before it took its name.
FORMER = ("selection",)

# Padding never comes closer than this to the neighbouring word.
WORD_MARGIN = 0.05


_SELECT = config.defaults("highlights")


@dataclass(frozen=True)
class SelectOptions(Options):
    """``highlights``; lengths left null take the segment band."""

    section = "highlights"

    threshold: float = _SELECT["threshold"]
    top_k: int = _SELECT["top_k"]
    # The schema's lengths are null: the segment band's.
    min_seconds: float = SegmentOptions.min_seconds
    max_seconds: float = SegmentOptions.max_seconds
    min_gap: float = _SELECT["min_gap"]
    pad_before: float = _SELECT["pad_before"]
    pad_after: float = _SELECT["pad_after"]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        settings = cls.settings(config)
        band = SegmentOptions.from_config(config)
        for key in ("min_seconds", "max_seconds"):
            if settings[key] is None:
                settings[key] = getattr(band, key)
        return cls(**settings)


@dataclass(frozen=True)
class Highlight:
    rank: int
    id: str
    clip: str
    start: float
    end: float
    speech_start: float
    speech_end: float
    overall: float
    subscores: dict[str, float]
    reason: str
    title: str
    hook: str
    text: str
    backend: str
    ranked: str = ""  # rank and title: "01-the-best-clip"
    # What a person decided of it: "approved", "added", "edited" or "" (none).
    decision: str = ""
    hashtags: list[str] | None = None
    # The span the selection gave it before a person moved its start or end.
    selected: list[float] | None = None

    @property
    def duration(self) -> float:
        return self.end - self.start


# The format of a clip's description; a new one re-cuts every clip (its digest is
# part of every clip's name).
DESCRIPTION_VERSION = 3


def clip_key(start: float, end: float) -> str:
    """A clip's name from what it is: its span in milliseconds and a digest of the
    description format ("00012340-00045670-1f3a9c2e")."""
    digest = xxhash.xxh3_64(
        json.dumps({"v": DESCRIPTION_VERSION}).encode()
    ).hexdigest()[:8]
    return f"{round(start * 1000):08d}-{round(end * 1000):08d}-{digest}"


def span_of(clip: str) -> tuple[float, float]:
    """The span (start and end in seconds) a clip's name holds: the inverse of
    :func:`clip_key`, so that what depends on the span alone reads it from the name
    and not from the clip's description (whose title or words may change)."""
    start, end, _ = clip.split("-")
    return int(start) / 1000, int(end) / 1000


def slugify(text: str, limit: int = 48) -> str:
    """A file-name part safe on every OS: ASCII letters, digits and single hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[:limit].rstrip("-")
    return slug or "clip"


def pad(
    c: Candidate, options: SelectOptions, video_duration: float
) -> tuple[float, float]:
    """Lead-in and tail that stay inside the silence around the candidate."""
    room_before = max(c.pause_before - WORD_MARGIN, 0.0) if c.first_word else c.start
    after = c.pause_after if c.pause_after is not None else video_duration - c.end
    room_after = max(after - (WORD_MARGIN if c.pause_after is not None else 0.0), 0.0)
    start = c.start - min(options.pad_before, room_before)
    end = min(c.end + min(options.pad_after, room_after), video_duration)
    rounded = round(end, 3)
    if rounded > video_duration:  # rounding must not step past the video's end
        rounded = max(math.floor(video_duration * 1000) / 1000, c.end)
    return round(max(start, 0.0), 3), rounded


def select(
    candidates: Sequence[Candidate],
    scores: Sequence[Score],
    options: SelectOptions,
    video_duration: float,
    exclude: Sequence[tuple[float, float]] = (),
    slots: int | None = None,
    taken: Sequence[tuple[float, float]] = (),
) -> list[Highlight]:
    """Greedy by score: a candidate is kept when it is in the length band, above the
    threshold, at least ``min_gap`` away from every better one kept before it and
    from the spans ``taken`` (clips a person kept), and not the same clip as one of
    ``exclude`` (clips a person rejected); at most ``slots`` of them (default:
    ``top_k``)."""
    by_id = {c.id: c for c in candidates}
    ranked = sorted(
        (s for s in scores if s.id in by_id and s.overall >= options.threshold),
        key=lambda s: (-s.overall, s.start, s.id),
    )
    room = options.top_k if slots is None else slots
    kept: list[tuple[Score, Candidate, float, float]] = []
    for s in ranked:
        if len(kept) >= room:
            break
        c = by_id[s.id]
        if not options.min_seconds <= c.duration <= options.max_seconds:
            continue
        start, end = pad(c, options, video_duration)
        spans = [*taken, *((k_start, k_end) for _, _, k_start, k_end in kept)]
        if any(
            start < k_end + options.min_gap and k_start < end + options.min_gap
            for k_start, k_end in spans
        ) or any(_same_clip((start, end), span) for span in exclude):
            continue
        kept.append((s, c, start, end))
    return [
        Highlight(
            rank=rank,
            id=s.id,
            clip=clip_key(start, end),
            start=start,
            end=end,
            speech_start=c.start,
            speech_end=c.end,
            overall=s.overall,
            subscores=s.subscores,
            reason=s.reason,
            title=s.title,
            hook=s.hook,
            text=c.text,
            backend=s.backend,
            ranked=f"{rank:02d}-{slugify(s.title)}",
        )
        for rank, (s, c, start, end) in enumerate(kept, 1)
    ]


def _same_clip(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Whether two spans are one clip: they share half of the shorter one."""
    shared = decisions.overlap(a, b)
    return shared >= decisions.SAME_CLIP * max(min(a[1] - a[0], b[1] - b[0]), 1e-6)


def _snap_to_words(
    span: tuple[float, float],
    words: Sequence[Word],
    options: SelectOptions,
    moved: tuple[bool, bool] = (True, True),
) -> tuple[float, float, float, float] | None:
    """A span a person chose, on word boundaries, with the speech's start and end
    in it. An edge they ``moved`` (or chose: an added clip) goes to the nearest
    word's start (end) and is padded inside the pause around it, as the selection
    pads its own clips; an edge they left stays where it was. None: no word in it."""
    if not words:
        return None
    eps = 1e-6
    if moved[0]:
        first = min(range(len(words)), key=lambda i: abs(words[i].start - span[0]))
    else:
        first = next((i for i, w in enumerate(words) if w.start >= span[0] - eps),
                     len(words))  # fmt: skip
    if moved[1]:
        last = min(range(len(words)), key=lambda i: abs(words[i].end - span[1]))
    else:
        last = max((i for i, w in enumerate(words) if w.end <= span[1] + eps),
                   default=-1)  # fmt: skip
    if first >= len(words) or last < first:
        return None
    speech = (words[first].start, words[last].end)
    start, end = span
    if moved[0]:
        room = speech[0] - (words[first - 1].end + WORD_MARGIN if first else 0.0)
        start = round(max(speech[0] - min(options.pad_before, max(room, 0.0)), 0.0), 3)
    if moved[1]:
        after = words[last + 1].start - WORD_MARGIN if last + 1 < len(words) else None
        room = (after - speech[1]) if after is not None else options.pad_after
        end = round(speech[1] + min(options.pad_after, max(room, 0.0)), 3)
    return start, end, speech[0], speech[1]


def apply_decisions(
    machine: Sequence[Highlight],
    kept: Sequence[tuple[Highlight, decisions.ClipDecision]],
    decided: decisions.Decisions,
) -> list[Highlight]:
    """The clips once a person's decisions are honoured: rejected ones are gone
    (``machine`` was selected without them), ``kept`` ones (approved, moved or
    added, each made from its decision) are in whatever their scores, with the
    span, title, hook and hashtags the person gave them. Ranked: the person's order
    first, then by score."""
    entries: list[tuple[Highlight, decisions.ClipDecision | None]] = []
    for made, d in kept:
        if not any(
            _same_clip((made.start, made.end), (h.start, h.end)) for h, _ in entries
        ):
            entries.append((_edited(made, d), d))
    for h in machine:
        about = decided.about((h.start, h.end))
        entries.append((_edited(h, about), about) if about is not None else (h, None))
    # A person's ranks are places in the list; the other clips fill the rest by
    # score.
    places: list[tuple[Highlight, decisions.ClipDecision | None] | None]
    places = [None] * len(entries)
    rest = []
    for entry in sorted(entries, key=lambda e: -e[0].overall):
        rank = entry[1].rank if entry[1] is not None else None
        wanted = rank - 1 if rank else None
        if wanted is not None and wanted < len(places) and places[wanted] is None:
            places[wanted] = entry
        else:
            rest.append(entry)
    filled = iter(rest)
    ordered = [p if p is not None else next(filled) for p in places]
    return [
        replace(h, rank=rank, ranked=f"{rank:02d}-{slugify(h.title)}")
        for rank, (h, _) in enumerate(ordered, 1)
    ]


def _decided_clip(
    d: decisions.ClipDecision,
    words: Sequence[Word],
    scores: Sequence[Score],
    options: SelectOptions,
) -> Highlight | None:
    """A clip a person kept: its span as they left it (an edge they moved on a word
    boundary), scored as the candidate most like it (the most shared over the two
    spans together; an added stretch that shares nothing: 0, "added by hand")."""
    moved = (d.added or d.start is not None, d.added or d.end is not None)
    snapped = _snap_to_words(d.span, words, options, moved)
    if snapped is None:
        return None
    start, end, speech_start, speech_end = snapped
    inside = [w for w in words if speech_start <= w.start and w.end <= speech_end]
    text = " ".join(w.text for w in inside)

    def alike(s: Score) -> float:
        shared = decisions.overlap((s.start, s.end), (speech_start, speech_end))
        both = max(s.end, speech_end) - min(s.start, speech_start)
        return shared / max(both, 1e-6)

    best = max((s for s in scores if alike(s) > 0), key=alike, default=None)
    return Highlight(
        rank=0,
        id=best.id if best else f"added-{clip_key(start, end)}",
        clip=clip_key(start, end),
        start=start,
        end=end,
        speech_start=speech_start,
        speech_end=speech_end,
        overall=best.overall if best else 0.0,
        subscores=best.subscores if best else {},
        reason=best.reason if best else "added by hand",
        title=best.title if best else text[:60].rsplit(" ", 1)[0],
        hook=best.hook if best else "",
        text=text,
        backend=best.backend if best else "decided",
        decision="added" if d.added else "approved",
        selected=None if d.added else list(d.at),
    )


def _edited(h: Highlight, d: decisions.ClipDecision) -> Highlight:
    """``h`` with a person's title, hook and hashtags."""
    touched = d.title or d.hook or d.hashtags is not None
    return replace(
        h,
        title=d.title or h.title,
        hook=d.hook or h.hook,
        hashtags=list(d.hashtags) if d.hashtags is not None else h.hashtags,
        decision=h.decision or ("edited" if touched else ""),
    )


def description(h: Highlight, words: Sequence[Word] = ()) -> dict[str, Any]:
    """What making one clip needs, and nothing that changes with its rank:
    its span, title and hook, and the corrected words in it (``words``: the
    transcript's, a person's corrections applied)."""
    return {
        "schema_version": DESCRIPTION_VERSION,
        "stage": "highlights",
        "clip": h.clip,
        "start": h.start,
        "end": h.end,
        "speech_start": h.speech_start,
        "speech_end": h.speech_end,
        "title": h.title,
        "hook": h.hook,
        "words": [
            {"text": w.text, "start": w.start, "end": w.end}
            for w in words
            if h.start - 1e-6 <= w.start and w.end <= h.end + 1e-6
        ],
    }


def write_descriptions(
    chosen: Sequence[Highlight], pattern: str, words: Sequence[Word] = ()
) -> None:
    """One description per clip at ``pattern`` (a path holding ``{clip}``), written
    only when it changed (so the clip's cut stays up to date); descriptions of clips
    no longer chosen go."""
    folder = Path(pattern).parent
    folder.mkdir(parents=True, exist_ok=True)
    keep = set()
    for h in chosen:
        path = Path(pattern.replace("{clip}", h.clip))
        keep.add(path.name)
        wanted = description(h, words)
        try:
            if fileio.read_json(path) == wanted:
                continue
        except (OSError, ValueError):
            pass
        fileio.write_json(path, wanted)
    for old in folder.glob(Path(pattern).name.replace("{clip}", "*")):
        if old.name not in keep:
            old.unlink()


def load_description(path: str | os.PathLike[str]) -> dict[str, Any]:
    data: dict[str, Any] = fileio.read_json(path)
    return data


def select_highlights(
    candidates: str | os.PathLike[str],
    scores: str | os.PathLike[str],
    transcript: str | os.PathLike[str],
    video_json: str | os.PathLike[str],
    highlights: str | os.PathLike[str],
    description: str,
    options: SelectOptions,
    decisions_file: str | os.PathLike[str] | None = None,
) -> list[Highlight]:
    """Select and write ``highlights.json`` in rank order, and one description per
    clip at ``description`` (a path holding ``{clip}``), honouring a person's
    ``decisions_file`` when there is one (see :mod:`reelmake.stages.decisions`)."""
    duration = float(fileio.read_json(video_json)["duration"])
    decided = decisions.read(decisions_file)
    words = corrected(load_transcript(transcript).words, decided)
    chosen = choose(load_candidates(candidates), load_scores(scores), words, decided,
                    options, duration)  # fmt: skip
    write_descriptions(chosen, description, words)
    data = fileio.artifact("highlights", asdict(options), fileio.versions())
    data.update(
        highlight_count=len(chosen),
        highlights=[asdict(h) | {"duration": round(h.duration, 3)} for h in chosen],
    )
    fileio.write_json(highlights, data)
    return chosen


def choose(
    candidates: Sequence[Candidate],
    scores: Sequence[Score],
    words: Sequence[Word],
    decided: decisions.Decisions,
    options: SelectOptions,
    duration: float,
) -> list[Highlight]:
    """The clips, ranked: the selection with a person's decisions honoured (``words``:
    the transcript's, corrected). Reads and writes nothing, so the review page shows
    exactly what the next run makes."""
    kept = [
        (made, d)
        for d in decided.clips
        if d.kept and (made := _decided_clip(d, words, scores, options)) is not None
    ]
    machine = select(
        candidates, scores, options, duration,
        exclude=decided.rejected(),
        taken=[(h.start, h.end) for h, _ in kept],
        slots=max(options.top_k - len(kept), 0),
    )  # fmt: skip
    return apply_decisions(machine, kept, decided)


def corrected(words: Sequence[Word], decided: decisions.Decisions) -> list[Word]:
    """The transcript's words with a person's corrections (by a word's start)."""
    fixes = decided.words
    return [replace(w, text=fixes.get(round(w.start, 3), w.text)) for w in words]


def load_highlights(path: str | os.PathLike[str]) -> list[Highlight]:
    items = fileio.read_json(path)["highlights"]
    return [Highlight(**{k: v for k, v in h.items() if k != "duration"}) for h in items]


def clip_names(highlights: str | os.PathLike[str]) -> list[str]:
    """The clips a selection asks for, in rank order."""
    data = fileio.read_artifact(highlights, "highlights", FORMER)
    return [h["clip"] for h in data["highlights"]]


def summary(paths: Mapping[str, Path]) -> dict[str, Any]:
    """The stage state's count of highlights and the threshold they passed."""
    data = fileio.read_artifact(paths["highlights"], "highlights", FORMER)
    return {
        "highlight_count": data["highlight_count"],
        "threshold": data["params"]["threshold"],
    }
