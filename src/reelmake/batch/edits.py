"""``reelmake import-edits``: a timeline we exported, changed in a video editor,
read back as a person's decisions.

The edited timeline is compared with the one the last run exported
(``export/timeline.otio``), clip by clip. Each of its clips is recognised as one of
ours by what the export wrote on it: our metadata (OTIO keeps it), else its name
(``01-title``, ``01-title (2)``: EDL and FCP XML keep names), else the source range
it shares most with one of our clips. Then:

- a clip of ours that is no longer in the timeline is rejected;
- a clip whose first frame or last frame moved gets that start or end (the
  selection puts it on the nearest word, as for a move made on the review page);
- clips in another order get their ranks;
- a range of the source that is none of ours becomes an added clip.

Cuts made inside a clip are not decisions (its plan cuts pauses itself), and are
said so. Nothing else is written: a timeline imported as it was exported changes
nothing, and the next run renders only the clips that changed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from reelmake.batch.review.model import decision_of, decisions_file
from reelmake.core import fileio
from reelmake.core.errors import ReelmakeError
from reelmake.core.hashing import INDEX_NAME, HashIndex, short
from reelmake.pipeline import discovery, registry
from reelmake.stages import decisions
from reelmake.stages.export import TimelineClip, read_timeline
from reelmake.stages.highlights import Highlight, load_highlights


@dataclass
class Ours:
    """One clip of the exported timeline: its parts, in frames, and what names it
    in the decisions (``at``)."""

    clip: str
    rank: int
    name: str
    at: tuple[float, float]
    # Its first word's start and last word's end.
    speech: tuple[float, float]
    parts: list[TimelineClip] = field(default_factory=list)
    found: list[TimelineClip] = field(default_factory=list)

    @property
    def start(self) -> int:
        return min(p.start for p in self.parts)

    @property
    def end(self) -> int:
        return max(p.end for p in self.parts)


def _folder(results: Path, video: Path) -> Path:
    paths, problems = discovery.discover([str(video)])
    if problems or not paths:
        raise ReelmakeError(str(problems[0]) if problems else f"{video}: not found")
    index = HashIndex(results / discovery.STATE_DIR / INDEX_NAME)
    folder = results / short(index.hash(paths[0]))
    if not registry.path("highlights", "highlights", folder).is_file():
        raise ReelmakeError(
            f"{video}: no clips here yet; run `reelmake run {video}` first"
        )
    return folder


def _ours(folder: Path, rate: float) -> list[Ours]:
    """The clips of our own export, in rank order, with what names each in the
    decisions."""
    exported = registry.path("export", "otio", folder)
    if not exported.is_file():
        raise ReelmakeError(
            f"{exported}: the export is missing; run `reelmake run` to write it"
        )
    chosen = {h.clip: h for h in load_highlights(
        registry.path("highlights", "highlights", folder))}  # fmt: skip
    decided = decisions.read(decisions_file(folder))
    clips: dict[str, Ours] = {}
    for part in read_timeline(exported, rate):
        if part.clip is None:
            continue
        if part.clip not in clips:
            h = chosen.get(part.clip)
            at = _at(part.clip, h, decided)
            speech = (h.speech_start, h.speech_end) if h is not None else at
            clips[part.clip] = Ours(part.clip, len(clips) + 1, part.name, at, speech)
        clips[part.clip].parts.append(part)
    return list(clips.values())


def _at(
    clip: str, h: Highlight | None, decided: decisions.Decisions
) -> tuple[float, float]:
    if h is not None:
        d = decision_of(h, decided)
        return d.at if d is not None else (h.start, h.end)
    # A clip's name starts with its span in milliseconds.
    start, end = clip.split("-")[:2]
    return int(start) / 1000, int(end) / 1000


def _match(item: TimelineClip, ours: Sequence[Ours]) -> Ours | None:
    """Which of our clips a clip of the edited timeline is (None: none of them)."""
    if item.clip is not None:
        found = next((o for o in ours if o.clip == item.clip), None)
        if found is not None:
            return found
    by_name = next(
        (o for o in ours if any(p.name == item.name for p in o.parts)), None
    )  # fmt: skip
    if by_name is not None:
        return by_name
    shared = [
        (min(item.end, o.end) - max(item.start, o.start), o)
        for o in ours
    ]  # fmt: skip
    best = max(shared, key=lambda s: s[0], default=(0, None))
    return best[1] if best[0] > 0 else None


def _check_source(path: Path, items: Sequence[TimelineClip], video: Path) -> None:
    """A timeline of another video is refused (an EDL may not say its source)."""
    want = os.path.realpath(video)
    for item in items:
        if item.url is None or not item.url.startswith("file:"):
            continue
        named = unquote(urlparse(item.url).path)
        if Path(named).name != Path(want).name and named != want:
            raise ReelmakeError(
                f"{path}: its clips are of {Path(named).name}, not {video.name}; "
                "import the timeline exported for this video"
            )


@dataclass
class Plan:
    """What an edited timeline decides."""

    changes: list[tuple[tuple[float, float], dict[str, Any]]] = field(
        default_factory=list
    )
    added: list[tuple[float, float]] = field(default_factory=list)
    order: list[tuple[float, float]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def plan_edits(
    ours: Sequence[Ours], items: Sequence[TimelineClip], rate: float
) -> Plan:
    """The decisions an edited timeline (``items``, in play order) makes of our
    clips."""
    plan = Plan()
    for o in ours:
        o.found = []
    sequence: list[tuple[float, float]] = []
    for item in items:
        found = _match(item, ours)
        if found is None:
            span = (item.start / rate, item.end / rate)
            plan.added.append(span)
            sequence.append(span)
            plan.lines.append(
                f"new clip {span[0]:.2f}-{span[1]:.2f} s ({item.name or 'unnamed'}): "
                "added"
            )
            continue
        if not found.found:
            sequence.append(found.at)
        found.found.append(item)
    for o in ours:
        plan.lines += _clip_lines(o, plan, rate)
    kept = [o.at for o in ours if o.found]
    mine = [s for s in sequence if s in kept]
    if mine != kept or plan.added:
        if mine != kept:
            plan.lines.append("order: " + ", ".join(f"{s[0]:.2f} s" for s in sequence))
        plan.order = sequence
    return plan


def _clip_lines(o: Ours, plan: Plan, rate: float) -> list[str]:
    if not o.found:
        plan.changes.append((o.at, {"decision": "reject"}))
        return [f"{o.name}: rejected (not in the timeline)"]
    fields: dict[str, Any] = {}
    lines = []
    start, end = min(i.start for i in o.found), max(i.end for i in o.found)
    if start != o.start:
        fields["start"] = round(start / rate, 3)
        lines.append(
            f"{o.name}: starts at {start / rate:.2f} s (was {o.start / rate:.2f})"
        )
    if end != o.end:
        fields["end"] = round(end / rate, 3)
        lines.append(f"{o.name}: ends at {end / rate:.2f} s (was {o.end / rate:.2f})")
    # Frames left out between the first and the last: more than the export left
    # out (the pauses its plan cut) is a cut a person made inside the clip.
    gaps = (end - start) - sum(i.end - i.start for i in o.found)
    if gaps > (o.end - o.start) - sum(p.end - p.start for p in o.parts):
        lines.append(
            f"{o.name}: a cut inside the clip is not a decision (only its start "
            "and end are); its plan cuts pauses itself"
        )
    if fields:
        # The end that did not move stays on its word: both are written, as the
        # review page does (the selection would put a lone end on the word nearest
        # to the padded span).
        fields.setdefault("start", o.speech[0])
        fields.setdefault("end", o.speech[1])
        plan.changes.append((o.at, fields))
    return lines


def import_edits(
    results: Path, video: Path, timeline: Path, dry_run: bool = False
) -> list[str]:
    """Read an edited timeline of ``video`` and write its decisions; one line per
    decision."""
    folder = _folder(results, video)
    info = fileio.read_json(registry.path("ingest", "video_json", folder))
    stream = next(s for s in info["streams"] if s["kind"] == "video")
    rate = float(stream["fps"] or 25.0)
    items = read_timeline(timeline, rate)
    _check_source(timeline, items, video)
    ours = _ours(folder, rate)
    plan = plan_edits(ours, items, rate)
    if not plan.changes and not plan.added and not plan.order:
        return ["no change: the timeline is as it was exported"]
    if dry_run:
        return plan.lines
    path = decisions_file(folder)
    for start, end in plan.added:
        decisions.add_clip(path, start, end)
    changes = list(plan.changes)
    if plan.order:
        ranks = {span: rank for rank, span in enumerate(plan.order, 1)}
        merged = {at: dict(fields) for at, fields in changes}
        for span, rank in ranks.items():
            merged.setdefault(span, {})["rank"] = rank
        changes = list(merged.items())
    if changes:
        decisions.decide_each(path, changes)
    return [*plan.lines, f"written to {path}"]
