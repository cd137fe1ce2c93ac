"""Metadata: what a creator pastes next to each clip, plus a table per video."""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Self

from reelmake.core import fileio
from reelmake.core.errors import ReelmakeError
from reelmake.core.options import Options
from reelmake.stages.highlights import Highlight, load_highlights
from reelmake.stages.scores import passage
from reelmake.stages.scores.common import LLMOptions, llm_of, llm_of_job


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
        "hashtags": h.hashtags if h.hashtags is not None else hashtags(h.text),
        "decision": h.decision,
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


def edit_facts(plan: Mapping[str, Any]) -> dict[str, Any]:
    """What the edit plan made of the clip: its length once trimmed, the ranges of
    the source it keeps, its picture and the loudness measured before levelling."""
    loud = plan["audio"].get("loudness")
    return {
        "duration": plan["duration"],
        "ranges": plan["ranges"],
        "size": [plan["output"]["width"], plan["output"]["height"]],
        "layout": plan["layout"]["kind"],
        "loudness": (
            {"target_lufs": loud["target"], "true_peak_dbtp": loud["true_peak"],
             "measured_lufs": loud["measured_lufs"],
             "measured_true_peak_dbtp": loud["measured_true_peak"],
             "gain_db": loud["gain_db"]}
            if loud else None
        ),
    }  # fmt: skip


CSV_FIELDS = ("rank", "clip", "title", "score", "source_start", "source_end",
              "duration", "reason", "hashtags", "description", "video",
              "ranked_video")  # fmt: skip


@dataclass(frozen=True)
class CopyOptions(Options):
    """What writes a clip's title, description and hashtags: the language model
    when it scores (``scores.openai``), else the offline copy."""

    section = "scores"
    derived = ("backend", "openai")
    computed = ("llm",)

    llm: LLMOptions | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        return cls(llm_of(config))

    def params(self) -> dict[str, Any]:
        return {"llm": self.llm.tracked() if self.llm is not None else None}

    @classmethod
    def from_job(
        cls, params: Mapping[str, Any], config: Mapping[str, Any], threads: int
    ) -> Self:
        return cls(llm_of_job(params["llm"], config))


def write_clip_metadata(
    highlights: str | os.PathLike[str],
    plan: str | os.PathLike[str],
    clip: str,
    json: str | os.PathLike[str],
    mp4: str,
    srt: str,
    vtt: str,
    options: CopyOptions,
    shared_cache: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """The JSON a creator needs to post one clip (``plan``: its edit plan; ``mp4``,
    ``srt``, ``vtt``: where the clip's files lie, ``{clip}`` open); with the
    language model on, its title,
    description and hashtags come from it, through its answer store (or
    ``shared_cache``'s)."""
    chosen = load_highlights(highlights)
    h = next((h for h in chosen if h.clip == clip), None)
    if h is None:
        raise ReelmakeError(f"{highlights}: no highlight named {clip!r}")
    llm = options.llm
    files = {ext: path.replace("{clip}", clip)
             for ext, path in (("mp4", mp4), ("srt", srt), ("vtt", vtt))}  # fmt: skip
    data = fileio.artifact("metadata", {"llm": bool(llm)}, fileio.versions())
    data.update(clip_metadata(h, files))
    data.update(edit_facts(fileio.read_json(plan)))
    data["copy_backend"] = "heuristic"
    if llm:
        from reelmake.stages.scores.llm import clip_copies
        from reelmake.stages.scores.store import Answers

        store = Answers.locate(llm.answer_cache, shared_cache)
        # One request for every clip of the video that has no answer yet.
        answers, usage = clip_copies(llm, [c.text for c in chosen], store)
        answer = answers[h.text]
        data["llm_usage"] = asdict(usage)
        if answer is not None:
            tags = [t if t.startswith("#") else f"#{t}" for t in answer["hashtags"]]
            data.update(
                title=answer["title"],
                description=answer["description"],
                hashtags=[t.replace(" ", "") for t in tags],
                copy_backend=f"openai:{llm.model}",
            )
        else:
            data["copy_backend"] = "heuristic (fallback)"
    fileio.write_json(json, data)
    return data


def write_table(
    highlights: str | os.PathLike[str],
    videos: Sequence[str | os.PathLike[str]],
    jsons: Sequence[str | os.PathLike[str]],
    table: str | os.PathLike[str],
    mp4: str,
    srt: str,
    vtt: str,
    ranked: str | os.PathLike[str],
) -> list[dict[str, Any]]:
    """``clips.csv`` in rank order (``videos``: the clips, made first; ``jsons``:
    their metadata), and ``ranked``: a folder of links, one per clip file under its
    rank and title ("01-the-best-clip.mp4"); ``mp4``, ``srt``, ``vtt``: where the
    clip files lie, ``{clip}`` open."""
    rows = sorted((fileio.read_json(p) for p in jsons), key=lambda r: r["rank"])
    files = {"mp4": mp4, "srt": srt, "vtt": vtt}
    links = link_ranked(Path(ranked), rows, files)
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


def link_ranked(
    ranked: Path, rows: Sequence[dict[str, Any]], files: Mapping[str, str]
) -> dict[str, str]:
    """Rebuild the folder ``ranked`` (relative links to each clip's ``files``, by
    extension with ``{clip}`` open; cheap to remake); the link of each clip's video
    by clip name."""
    ranked.mkdir(exist_ok=True)
    for old in ranked.iterdir():
        if old.is_symlink() or old.is_file():
            old.unlink()
    out = {}
    for row in rows:
        name = row.get("ranked") or row["clip"]
        for ext, pattern in files.items():
            target = os.path.relpath(pattern.replace("{clip}", row["clip"]), ranked)
            (ranked / f"{name}.{ext}").symlink_to(target)
        out[row["clip"]] = str(ranked / f"{name}.mp4")
    return out


def summary(paths: Mapping[str, Path]) -> dict[str, Any]:
    """The stage state's count of clips in the table (each clip's JSON must read)."""
    for key, path in paths.items():
        if key.startswith("json:"):
            fileio.read_artifact(path, "metadata")
    with open(paths["table"], encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {"clip_count": len(rows)}
