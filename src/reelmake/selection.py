"""Selection: the best non-overlapping candidates, padded inside their pauses.

Every knob here is a param of ``select_highlights`` only, so changing one re-runs
selection and what follows, never transcription or scoring.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from reelmake import fileio
from reelmake.scoring import Score, load_scores
from reelmake.segment import Candidate, load_candidates

# Padding never comes closer than this to the neighbouring word.
WORD_MARGIN = 0.05


@dataclass(frozen=True)
class SelectOptions:
    threshold: float = 6.0
    top_k: int = 5
    min_seconds: float = 15.0
    max_seconds: float = 60.0
    min_gap: float = 5.0
    pad_before: float = 0.3
    pad_after: float = 0.5


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

    @property
    def duration(self) -> float:
        return self.end - self.start


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
    end = c.end + min(options.pad_after, room_after)
    return round(max(start, 0.0), 3), round(min(end, video_duration), 3)


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
                clip=f"{rank:02d}-{slugify(s.title)}",
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
            )
        )
    return out


def select_highlights(
    candidates: str | os.PathLike[str],
    scores: str | os.PathLike[str],
    video_json: str | os.PathLike[str],
    highlights: str | os.PathLike[str],
    options: SelectOptions,
) -> list[Highlight]:
    duration = float(fileio.read_json(video_json)["duration"])
    chosen = select(load_candidates(candidates), load_scores(scores), options, duration)
    data = fileio.artifact("selection", asdict(options), fileio.versions())
    data.update(
        highlight_count=len(chosen),
        highlights=[asdict(h) | {"duration": round(h.duration, 3)} for h in chosen],
    )
    fileio.write_json(highlights, data)
    return chosen


def load_highlights(path: str | os.PathLike[str]) -> list[Highlight]:
    items = fileio.read_json(path)["highlights"]
    return [Highlight(**{k: v for k, v in h.items() if k != "duration"}) for h in items]
