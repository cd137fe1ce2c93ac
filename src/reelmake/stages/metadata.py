"""Metadata: what a creator pastes next to each clip, plus a table per video."""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reelmake.core import fileio
from reelmake.core.errors import ReelmakeError
from reelmake.pipeline.registry import REGISTRY, stage
from reelmake.stages.highlights import Highlight, load_highlights
from reelmake.stages.scores import passage

if TYPE_CHECKING:
    from reelmake.stages.scores.common import LLMOptions


def timecode(seconds: float) -> str:
    ms = round(seconds * 1000)
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def hashtags(text: str, limit: int = 5) -> list[str]:
    """The passage's most specific terms as hashtags (see :func:`passage.keywords`)."""
    return ["#" + term for term in passage.keywords(text, limit)]


def description(h: Highlight, limit: int = 220) -> str:
    sentences = re.split(r"(?<=[.?!])\s+", h.text.strip())
    out = ""
    for sentence in sentences:
        if len(out) + len(sentence) + 1 > limit:
            break
        out = f"{out} {sentence}".strip()
    return out or h.text[: limit - 1] + "…"


def clip_metadata(h: Highlight, files: dict[str, str]) -> dict[str, Any]:
    return {
        "rank": h.rank,
        "clip": h.clip,
        "ranked": h.ranked,
        "title": h.title,
        "description": description(h),
        "hashtags": hashtags(h.text),
        "score": h.overall,
        "subscores": h.subscores,
        "reason": h.reason,
        "hook": h.hook,
        "backend": h.backend,
        "source_start": h.start,
        "source_end": h.end,
        "source_timecode": f"{timecode(h.start)} --> {timecode(h.end)}",
        "duration": round(h.end - h.start, 3),
        "text": h.text,
        "files": files,
    }


CSV_FIELDS = ("rank", "clip", "title", "score", "source_start", "source_end",
              "duration", "reason", "hashtags", "description", "video",
              "ranked_video")  # fmt: skip


def write_clip_metadata(
    highlights: str | os.PathLike[str],
    clip: str,
    target: str | os.PathLike[str],
    files: Mapping[str, str],
    llm: LLMOptions | None = None,
    shared_cache: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """The JSON a creator needs to post one clip (``files``: the clip's video and
    captions by extension); with ``llm``, its title, description and hashtags come
    from the language model, through its answer store (or ``shared_cache``'s)."""
    chosen = load_highlights(highlights)
    h = next((h for h in chosen if h.clip == clip), None)
    if h is None:
        raise ReelmakeError(f"{highlights}: no highlight named {clip!r}")
    files = {ext: str(path) for ext, path in files.items()}
    data = fileio.artifact("metadata", {"llm": bool(llm)}, fileio.versions())
    data.update(clip_metadata(h, files))
    data["copy_backend"] = "heuristic"
    if llm:
        from reelmake.stages.scores.llm import clip_copies
        from reelmake.stages.scores.store import Answers

        options = llm
        store = Answers.locate(options.answer_cache, shared_cache)
        # One request for every clip of the video that has no answer yet.
        answers, usage = clip_copies(options, [c.text for c in chosen], store)
        answer = answers[h.text]
        data["llm_usage"] = asdict(usage)
        if answer is not None:
            tags = [t if t.startswith("#") else f"#{t}" for t in answer["hashtags"]]
            data.update(
                title=answer["title"],
                description=answer["description"],
                hashtags=[t.replace(" ", "") for t in tags],
                copy_backend=f"openai:{options.model}",
            )
        else:
            data["copy_backend"] = "heuristic (fallback)"
    fileio.write_json(target, data)
    return data


def write_table(
    highlights: str | os.PathLike[str],
    clip_jsons: Sequence[str | os.PathLike[str]],
    table: str | os.PathLike[str],
    folder: str | os.PathLike[str],
) -> list[dict[str, Any]]:
    """``clips.csv`` in rank order, and ``ranked/``: a link per clip file under its
    rank and title ("01-the-best-clip.mp4"). In the video's ``folder``, the per-clip
    files of clips no longer selected go."""
    rows = sorted((fileio.read_json(p) for p in clip_jsons), key=lambda r: r["rank"])
    keep = {h.clip for h in load_highlights(highlights)}
    _remove_stale(Path(folder), keep)
    links = link_ranked(Path(folder), rows)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {**row, "hashtags": " ".join(row["hashtags"]),
             "video": row["files"]["mp4"],
             "ranked_video": links.get(row["clip"], "")}
        )  # fmt: skip
    fileio.write_text(table, buffer.getvalue())
    return rows


def link_ranked(folder: Path, rows: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Rebuild the video ``folder``'s ``ranked/`` (relative links to the clips the
    stage registry names, cheap to remake); the link of each clip's video by clip
    name."""
    ranked = folder / Path(stage("metadata").side["ranked"]).parent
    ranked.mkdir(exist_ok=True)
    for old in ranked.iterdir():
        if old.is_symlink() or old.is_file():
            old.unlink()
    clips = stage("clips")
    out = {}
    for row in rows:
        name = row.get("ranked") or row["clip"]
        files = clips.paths(folder, [row["clip"]])
        for ext, key in (("mp4", "video"), ("srt", "srt"), ("vtt", "vtt")):
            target = os.path.relpath(files[f"{key}:{row['clip']}"], ranked)
            (ranked / f"{name}.{ext}").symlink_to(target)
        out[row["clip"]] = str(ranked / f"{name}.mp4")
    return out


def _remove_stale(folder: Path, keep: set[str]) -> None:
    """Clips of an earlier selection (another threshold, say) are not results now:
    every per-clip file of the stage registry whose clip is not in ``keep`` goes."""
    for s in REGISTRY:
        for pattern in s.per_clip.values():
            head, tail = pattern.split("{clip}")
            prefix = head.rsplit("/", 1)[-1]
            for path in folder.glob(f"{head}*{tail}"):
                clip = path.name[len(prefix) : -len(tail)]
                if clip not in keep:
                    path.unlink()
