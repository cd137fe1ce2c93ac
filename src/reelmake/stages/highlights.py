"""Selection: the best non-overlapping candidates, padded inside their pauses.

Every knob here is a param of ``select_highlights`` only, so changing one re-runs
selection and what follows, never transcription or scoring.

A clip is named by what it is, not by its rank: its span (:func:`clip_key`); how its
picture looks is the clips stage's settings, which re-cut it when they change. Beside
``highlights.json`` the selection keeps one small description per clip
(``highlights/clips/<clip>.json``), rewritten only when it changes, and each
``cut_clip`` job reads only its own: a changed threshold or top-k cuts only the clips
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
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Self

import xxhash

from reelmake.core import config, fileio
from reelmake.core.options import Options
from reelmake.stages.scores.common import Score, load_scores
from reelmake.stages.segments import Candidate, SegmentOptions, load_candidates

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
) -> list[Highlight]:
    """Greedy by score: a candidate is kept when it is in the length band, above the
    threshold, and at least ``min_gap`` away from every better one kept before it."""
    by_id = {c.id: c for c in candidates}
    ranked = sorted(
        (s for s in scores if s.id in by_id and s.overall >= options.threshold),
        key=lambda s: (-s.overall, s.start, s.id),
    )
    kept: list[tuple[Score, Candidate, float, float]] = []
    for s in ranked:
        c = by_id[s.id]
        if not options.min_seconds <= c.duration <= options.max_seconds:
            continue
        start, end = pad(c, options, video_duration)
        if any(
            start < k_end + options.min_gap and k_start < end + options.min_gap
            for _, _, k_start, k_end in kept
        ):
            continue
        kept.append((s, c, start, end))
        if len(kept) == options.top_k:
            break
    out = []
    for rank, (s, c, start, end) in enumerate(kept, 1):
        out.append(
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
        )
    return out


def description(h: Highlight) -> dict[str, Any]:
    """What cutting one clip needs, and nothing that changes with its rank."""
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
    }


def write_descriptions(chosen: Sequence[Highlight], pattern: str) -> None:
    """One description per clip at ``pattern`` (a path holding ``{clip}``), written
    only when it changed (so the clip's cut stays up to date); descriptions of clips
    no longer chosen go."""
    folder = Path(pattern).parent
    folder.mkdir(parents=True, exist_ok=True)
    keep = set()
    for h in chosen:
        path = Path(pattern.replace("{clip}", h.clip))
        keep.add(path.name)
        wanted = description(h)
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
    video_json: str | os.PathLike[str],
    highlights: str | os.PathLike[str],
    description: str,
    options: SelectOptions,
) -> list[Highlight]:
    """Select and write ``highlights.json`` in rank order, and one description per
    clip at ``description`` (a path holding ``{clip}``)."""
    duration = float(fileio.read_json(video_json)["duration"])
    chosen = select(load_candidates(candidates), load_scores(scores), options, duration)
    write_descriptions(chosen, description)
    data = fileio.artifact("highlights", asdict(options), fileio.versions())
    data.update(
        highlight_count=len(chosen),
        highlights=[asdict(h) | {"duration": round(h.duration, 3)} for h in chosen],
    )
    fileio.write_json(highlights, data)
    return chosen


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
