"""What the review page shows of a video, and the decisions it writes.

The page shows the clips the next run will make, not only the ones the last run
made: every decision changes the selection (a rejected clip frees its place, a moved
clip is a new clip, a corrected word changes a clip's captions). So the selection is
made here again, from the same files and with the same function as the workflow
(:func:`~reelmake.stages.highlights.choose`), writing nothing; each clip is
then compared with what is on disk: ``rendered`` (its description and video are the
ones a run would make), ``stale`` (its video is of an older description) or ``new``
(no video yet).

Decisions are written only through :mod:`reelmake.stages.decisions`, which checks
them and keeps what a person wrote by hand.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelmake.core import fileio
from reelmake.core.errors import ReelmakeError
from reelmake.core.hashing import INDEX_NAME, HashIndex, short
from reelmake.pipeline import discovery, registry
from reelmake.stages import decisions, highlights
from reelmake.stages.highlights import Highlight, SelectOptions, clip_key
from reelmake.stages.scores.common import load_scores
from reelmake.stages.segments import load_candidates
from reelmake.stages.transcript import Word, load_transcript

# Words shown around a clip's own, so that a person can move its start or end out.
CONTEXT_WORDS = 12
HASH = re.compile(r"[0-9a-f]{16}")


@dataclass(frozen=True)
class Video:
    """A video of the batch: its results folder's name, the file a render runs on
    (None when its link is gone) and what the page calls it."""

    hash: str
    path: Path | None
    name: str


def batch_videos(results: Path, named: Sequence[str] = ()) -> list[Video]:
    """The videos to review: the ones ``named`` (files, folders, globs), else every
    video with results here. A named file that cannot be read is one clear line."""
    if not named:
        from reelmake.batch.store import known_hashes

        out = []
        for h in known_hashes(results):
            link = discovery.source_link(results, h)
            path = Path(os.path.realpath(link)) if link is not None else None
            out.append(Video(h, path, path.name if path else h))
        return out
    paths, problems = discovery.discover(named)
    if problems:
        raise ReelmakeError(str(problems[0]))
    index = HashIndex(results / discovery.STATE_DIR / INDEX_NAME)
    return [Video(short(index.hash(p)), p.resolve(), p.name) for p in paths]


def decisions_file(folder: Path) -> Path:
    return folder / registry.DECISIONS


def decision_problems(results: Path, videos: Sequence[Video]) -> list[str]:
    """One line for each video whose decisions file does not hold."""
    problems = []
    for video in videos:
        try:
            decisions.read(decisions_file(results / video.hash))
        except ReelmakeError as exc:
            problems.append(str(exc))
    return problems


def _clip_file(folder: Path, stage: str, key: str, clip: str) -> Path:
    return folder / registry.stage(stage).path_of(key).format(clip=clip)


def _description_file(folder: Path, clip: str) -> Path:
    return folder / registry.stage("highlights").side["description"].format(clip=clip)


@dataclass(frozen=True)
class Preview:
    """The clips the next run makes, and the words they are made of."""

    clips: list[Highlight]
    words: list[Word]
    original: list[Word]


def preview(
    folder: Path, decided: decisions.Decisions, settings: Mapping[str, Any]
) -> Preview | None:
    """The selection a run would make now (None: the video is not scored yet)."""
    paths = {
        "candidates": registry.path("segments", "candidates", folder),
        "scores": registry.path("scores", "scores", folder),
        "transcript": registry.path("transcript", "transcript", folder),
        "video_json": registry.path("ingest", "video_json", folder),
    }
    if not all(p.is_file() for p in paths.values()):
        return None
    options = SelectOptions.from_config(settings)
    duration = float(fileio.read_json(paths["video_json"])["duration"])
    original = load_transcript(paths["transcript"]).words
    words = highlights.corrected(original, decided)
    chosen = highlights.choose(
        load_candidates(paths["candidates"]), load_scores(paths["scores"]), words,
        decided, options, duration,
    )  # fmt: skip
    return Preview(chosen, words, list(original))


def decision_of(
    h: Highlight, decided: decisions.Decisions
) -> decisions.ClipDecision | None:
    """The entry of the decisions file that made or changed clip ``h``."""
    if h.decision == "added":
        added = [d for d in decided.clips if d.added]
        return max(
            added,
            key=lambda d: decisions.overlap(d.span, (h.start, h.end)),
            default=None,
        )
    if h.selected is not None:
        at = (float(h.selected[0]), float(h.selected[1]))
        found = next((d for d in decided.clips if d.at == at), None)
        if found is not None:
            return found
    return decided.about((h.start, h.end))


def _word_range(words: Sequence[Word], start: float, end: float) -> tuple[int, int]:
    """The indices of the first and last word spoken between ``start`` and
    ``end``."""
    inside = [
        i
        for i, w in enumerate(words)
        if start - 1e-6 <= w.start and w.end <= end + 1e-6
    ]
    if not inside and not words:
        return 0, -1  # a video with no speech: no word to show
    if not inside:
        nearest = min(range(len(words)), key=lambda i: abs(words[i].start - start))
        return nearest, nearest
    return inside[0], inside[-1]


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _media(video_hash: str, folder: Path, path: Path) -> str | None:
    """The page's address of a file in the video's folder, its version in the query
    (a new render is a new address: the browser does not show an old one)."""
    stamp = _mtime(path)
    if stamp is None:
        return None
    return f"/media/{video_hash}/{path.relative_to(folder).as_posix()}?v={stamp}"


def render_status(folder: Path, h: Highlight, words: Sequence[Word]) -> str:
    """``rendered``: the clip's video is of the description a run would write now;
    ``stale``: of another; ``new``: there is no video."""
    video = _clip_file(folder, "clips", "video", h.clip)
    made = _mtime(video)
    if made is None:
        return "new"
    described = _description_file(folder, h.clip)
    try:
        same = fileio.read_json(described) == highlights.description(h, words)
    except (OSError, ValueError):
        same = False
    written = _mtime(described)
    return "rendered" if same and written is not None and made >= written else "stale"


def _metadata(folder: Path, clip: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = fileio.read_json(
            _clip_file(folder, "metadata", "json", clip)
        )
        return data
    except (OSError, ValueError):
        return {}


def clip_view(
    video_hash: str,
    folder: Path,
    h: Highlight,
    decided: decisions.Decisions,
    words: Sequence[Word],
) -> dict[str, Any]:
    """One clip as the page shows it; ``at`` is what names it in the decisions."""
    d = decision_of(h, decided)
    at = d.at if d is not None else (h.start, h.end)
    first, last = _word_range(words, h.speech_start, h.speech_end)
    status = render_status(folder, h, words)
    video = _clip_file(folder, "clips", "video", h.clip)
    shown, earlier = video, False
    if not video.exists():
        # A moved clip is a new clip; until it is rendered, its old render shows.
        before = _clip_file(folder, "clips", "video", clip_key(*at))
        shown, earlier = before, before.exists()
    meta = _metadata(folder, h.clip)
    hashtags = h.hashtags if h.hashtags is not None else meta.get("hashtags", [])
    return {
        "at": list(at),
        "clip": h.clip,
        "rank": h.rank,
        "start": h.start,
        "end": h.end,
        "duration": round(h.end - h.start, 3),
        "first": first,
        "last": last,
        "overall": h.overall,
        "subscores": h.subscores,
        "reason": h.reason,
        "title": h.title,
        "hook": h.hook,
        "hashtags": list(hashtags),
        "text": " ".join(w.text.strip() for w in words[first : last + 1]),
        "scorer": h.backend,
        "approved": d is not None and d.decision == "approve",
        "added": d is not None and d.added,
        "moved": d is not None and (d.start is not None or d.end is not None),
        "edited": d is not None and (bool(d.title or d.hook) or d.hashtags is not None),
        "ranked_by_hand": d is not None and d.rank is not None,
        "status": status,
        "video": _media(video_hash, folder, shown),
        "earlier_render": earlier,
        "captions": _media(
            video_hash, folder, _clip_file(folder, "clips", "vtt", h.clip)
        )
        if not earlier
        else None,
    }


def rejected_view(
    video_hash: str, folder: Path, d: decisions.ClipDecision, words: Sequence[Word]
) -> dict[str, Any]:
    first, last = _word_range(words, *d.span)
    video = _clip_file(folder, "clips", "video", clip_key(*d.at))
    return {
        "at": list(d.at),
        "start": d.span[0],
        "end": d.span[1],
        "first": first,
        "last": last,
        "text": " ".join(w.text.strip() for w in words[first : last + 1]),
        "title": d.title or "",
        # Its render stays until the next run removes it.
        "video": _media(video_hash, folder, video),
    }


def _last_run(folder: Path) -> list[dict[str, Any]]:
    try:
        chosen: list[dict[str, Any]] = fileio.read_json(
            registry.path("highlights", "highlights", folder)
        )["highlights"]
        return chosen
    except (OSError, ValueError, KeyError, TypeError):
        return []


def needs_run(
    folder: Path, clips: Sequence[dict[str, Any]], last: Sequence[dict[str, Any]]
) -> bool:
    """Whether a run would change anything: a clip to render, or another order,
    title or hashtags than the last run's."""
    if any(c["status"] != "rendered" for c in clips):
        return True
    before = [(h["clip"], h["title"]) for h in last]
    if before != [(c["clip"], c["title"]) for c in clips]:
        return True
    return any(
        _metadata(folder, c["clip"]).get("hashtags") != c["hashtags"] for c in clips
    )


def video_state(
    results: Path, video: Video, settings: Mapping[str, Any] | None, problem: str = ""
) -> dict[str, Any]:
    """Everything the page shows of one video (``settings``: the run's config,
    None when it does not load; ``problem``: why)."""
    folder = results / video.hash
    state: dict[str, Any] = {
        "hash": video.hash,
        "name": video.name,
        "problem": problem,
        "processed": False,
        "clips": [],
        "rejected": [],
        "words": [],
        "needs_run": True,
        "decisions": str(decisions_file(folder)),
    }
    try:
        decided = decisions.read(decisions_file(folder))
    except ReelmakeError as exc:
        # The page still shows the clips; the line says what to fix, and where.
        state["problem"] = str(exc)
        decided = decisions.Decisions()
    if settings is None:
        return state
    made = preview(folder, decided, settings)
    if made is None:
        return state
    words = made.words
    clips = [clip_view(video.hash, folder, h, decided, words) for h in made.clips]
    state.update(
        processed=True,
        duration=fileio.read_json(registry.path("ingest", "video_json", folder))[
            "duration"
        ],
        clips=clips,
        rejected=[
            rejected_view(video.hash, folder, d, words)
            for d in decided.clips
            if d.decision == "reject"
        ],
        words=[
            [
                w.start,
                w.end,
                w.text.strip(),
                o.text.strip() if o.text != w.text else None,
            ]
            for w, o in zip(words, made.original, strict=True)
        ],
        needs_run=needs_run(folder, clips, _last_run(folder)),
    )
    return state


# -- decisions -------------------------------------------------------------------

_TEXT_FIELDS = ("title", "hook")


def _span(value: Any) -> tuple[float, float]:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int | float) for v in value)
    ):
        raise ReelmakeError("a clip is named by its span: [start, end] in seconds")
    return float(value[0]), float(value[1])


def _seconds(value: Any, name: str) -> float | None:
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise ReelmakeError(f"{name}: a time in seconds is needed, not {value!r}")
    return float(value)


def hashtags_of(value: Any) -> list[str] | None:
    """Hashtags as a person types them ("rivers, #floods"): each with its "#";
    None (nothing typed) gives the clip its own again."""
    if value is None:
        return None
    items = value if isinstance(value, list) else re.split(r"[\s,]+", str(value))
    tags = [str(t).strip().lstrip("#") for t in items]
    tags = [f"#{t}" for t in tags if t]
    return tags or None


def decision_fields(body: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a decision posted by the page, checked: a field given as None
    (or an empty text) withdraws it."""
    allowed = {"decision", "start", "end", *_TEXT_FIELDS, "hashtags", "rank"}
    unknown = sorted(set(body) - allowed - {"at"})
    if unknown:
        raise ReelmakeError(f"unknown decision field: {unknown[0]}")
    fields: dict[str, Any] = {}
    if "decision" in body:
        if body["decision"] not in ("approve", "reject", None):
            raise ReelmakeError(
                f"decision: approve or reject, not {body['decision']!r}"
            )
        fields["decision"] = body["decision"]
    for key in ("start", "end"):
        if key in body:
            fields[key] = _seconds(body[key], key)
    for key in _TEXT_FIELDS:
        if key in body:
            text = str(body[key] or "").strip()
            fields[key] = text or None
    if "hashtags" in body:
        fields["hashtags"] = hashtags_of(body["hashtags"])
    if "rank" in body:
        rank = body["rank"]
        if rank is not None and (not isinstance(rank, int) or rank < 1):
            raise ReelmakeError(f"rank: a place from 1, not {rank!r}")
        fields["rank"] = rank
    return fields


def decide(folder: Path, body: Mapping[str, Any]) -> None:
    """A decision on one clip, as the page posts it: ``at`` and its fields. A start
    or end that would leave the clip empty is refused in one line."""
    at, fields = _span(body.get("at")), decision_fields(body)
    path = decisions_file(folder)
    if "start" in fields or "end" in fields:
        decided = decisions.read(path)
        d = next((c for c in decided.clips if c.at == at), None) or decided.about(at)
        start, end = d.span if d is not None else at
        if "start" in fields:
            start = at[0] if fields["start"] is None else fields["start"]
        if "end" in fields:
            end = at[1] if fields["end"] is None else fields["end"]
        if end <= start:
            raise ReelmakeError(
                f"a clip must end after it starts ({start:.2f} s to {end:.2f} s)"
            )
    decisions.decide(path, at, **fields)


def correct(folder: Path, body: Mapping[str, Any]) -> None:
    """What a word really says: ``at`` (the word's start) and ``text``."""
    at = _seconds(body.get("at"), "at")
    text = str(body.get("text") or "").strip()
    if at is None or not text:
        raise ReelmakeError("a corrected word needs the word's start and its text")
    decisions.correct_word(decisions_file(folder), at, text)


def add(folder: Path, body: Mapping[str, Any]) -> None:
    """A clip from a stretch of the transcript: ``start`` and ``end`` (the first
    word's start and the last word's end)."""
    start, end = _seconds(body.get("start"), "start"), _seconds(body.get("end"), "end")
    if start is None or end is None:
        raise ReelmakeError("a new clip needs its start and end")
    title = str(body.get("title") or "").strip()
    decisions.add_clip(
        decisions_file(folder), start, end, **({"title": title} if title else {})
    )


def move(folder: Path, settings: Mapping[str, Any], body: Mapping[str, Any]) -> None:
    """Move a clip up (``by`` -1) or down (+1): the new order is written as every
    clip's rank, so that it holds whatever the scores say."""
    at, by = _span(body.get("at")), body.get("by")
    if by not in (-1, 1):
        raise ReelmakeError("a clip moves by one place: by -1 or 1")
    decided = decisions.read(decisions_file(folder))
    made = preview(folder, decided, settings)
    if made is None:
        raise ReelmakeError("this video has no clips yet: render it first")
    order = [
        (d.at if (d := decision_of(h, decided)) is not None else (h.start, h.end))
        for h in made.clips
    ]
    if at not in order:
        raise ReelmakeError("that clip is not among the video's clips any more")
    i = order.index(at)
    j = min(max(i + by, 0), len(order) - 1)
    order[i], order[j] = order[j], order[i]
    decisions.decide_each(
        decisions_file(folder),
        [(span, {"rank": rank}) for rank, span in enumerate(order, 1)],
    )
