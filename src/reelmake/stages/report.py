"""The HTML report: what scored high, why, and what the clips look like.

One page per video (``results/<hash>/report.html``) and one per batch
(``results/report.html``). Pages come from Jinja2 templates; the score timeline is a
matplotlib SVG and the thumbnails are JPEG data inlined, so a page needs no network.
Clip players point at the clip files beside the page.
"""

from __future__ import annotations

import base64
import concurrent.futures
import contextlib
import csv
import glob
import io
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from reelmake.core import fileio
from reelmake.core.media import tool

TEMPLATES = Path(__file__).parent / "templates"
# Thumbnails taken side by side while a report's timeline is drawn.
THUMBNAILS_AT_ONCE = 2


def _env() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["label"] = label
    env.filters["scorer"] = scorer
    return env


def timeline_svg(
    candidates: list[dict[str, Any]],
    scores: dict[str, float],
    highlights: list[dict[str, Any]],
    duration: float,
    threshold: float,
) -> str:
    """Each candidate's score at its middle, selected clips shaded and numbered."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"
    fig, ax = plt.subplots(figsize=(10, 2.8), dpi=100)
    for h in highlights:
        ax.axvspan(h["start"], h["end"], color="#ffd54f", alpha=0.45, lw=0)
        ax.text((h["start"] + h["end"]) / 2, 10.2, f"#{h['rank']}", ha="center",
                va="bottom", fontsize=8)  # fmt: skip
    xs = [(c["start"] + c["end"]) / 2 for c in candidates]
    ys = [scores.get(c["id"], 0.0) for c in candidates]
    points = ax.scatter(xs, ys, s=14, c=ys, cmap="viridis", vmin=0, vmax=10, zorder=3)
    points.set_gid("candidate-points")
    ax.axhline(threshold, color="#c62828", lw=0.8, ls="--")
    ax.set_xlim(0, max(duration, 1.0))
    ax.set_ylim(0, 11)
    ax.set_xlabel("time in the video (s)")
    ax.set_ylabel("score")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    plt.close(fig)
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]


def thumbnail(video: Path, at: float = 1.0, width: int = 320) -> str:
    """A JPEG frame of ``video`` as a data URI ('' when the frame cannot be read)."""
    result = subprocess.run(
        [tool("ffmpeg"), "-nostdin", "-v", "error", "-ss", f"{at:.3f}",
         "-i", str(video), "-frames:v", "1", "-vf", f"scale={width}:-2",
         "-f", "image2", "-c:v", "mjpeg", "-"],
        capture_output=True, check=False,
    )  # fmt: skip
    if result.returncode != 0 or not result.stdout:
        return ""
    return "data:image/jpeg;base64," + base64.b64encode(result.stdout).decode()


def _caption_text(srt: Path) -> str:
    if not srt.exists():
        return ""
    lines = srt.read_text(encoding="utf-8").splitlines()
    return " ".join(
        line for line in lines if line and "-->" not in line and not line.isdigit()
    )


def _timings(timings: Mapping[str, str]) -> list[dict[str, Any]]:
    """Seconds, jobs and peak memory of each rule, from the timing files
    ``timings`` names (a glob per rule)."""
    rows: dict[str, dict[str, Any]] = {}
    found = ((rule, Path(p)) for rule, pattern in timings.items()
             for p in sorted(glob.glob(pattern)))  # fmt: skip
    for rule, tsv in found:
        with open(tsv) as fh:
            row = next(csv.DictReader(fh, delimiter="\t"), None)
        if row is None:
            continue
        entry = rows.setdefault(
            rule, {"rule": rule, "seconds": 0.0, "jobs": 0, "rss": 0.0}
        )
        entry["seconds"] += float(row["s"])
        entry["jobs"] += 1
        with contextlib.suppress(KeyError, ValueError):
            entry["rss"] = max(entry["rss"], float(row["max_rss"]))
    return list(rows.values())


def video_report(
    state: str | os.PathLike[str],
    video_json: str | os.PathLike[str],
    candidates: str | os.PathLike[str],
    scores: str | os.PathLike[str],
    highlights: str | os.PathLike[str],
    results: Sequence[str | os.PathLike[str]],
    html: str | os.PathLike[str],
    clip_video: str,
    clip_srt: str,
    clip_plan: str,
    clip_json: str,
    timings: Mapping[str, str],
) -> None:
    """Write the report of one video (``results``: every result, made first;
    ``clip_*``: where each clip's files lie, ``{clip}`` open; ``timings``: each
    rule's timing files, as globs)."""
    folder = Path(html).parent
    status = fileio.read_json(state)
    info = fileio.read_json(video_json)
    cands = fileio.read_json(candidates)
    scored = fileio.read_json(scores)["scores"]
    chosen = fileio.read_json(highlights)
    threshold = float(chosen["params"]["threshold"])
    clips = []
    files = [
        [Path(p.replace("{clip}", h["clip"]))
         for p in (clip_video, clip_srt, clip_plan, clip_json)]
        for h in chosen["highlights"]
    ]  # fmt: skip
    # The thumbnails (an ffmpeg each) are taken while the timeline is drawn: the
    # report is the last job of a run, often alone on the machine.
    with concurrent.futures.ThreadPoolExecutor(THUMBNAILS_AT_ONCE) as pool:
        pictures = [
            pool.submit(thumbnail, video, at=min(1.0, h["duration"] / 2))
            for h, (video, *_) in zip(chosen["highlights"], files, strict=True)
        ]
        timeline = timeline_svg(
            cands["candidates"],
            {s["id"]: s["overall"] for s in scored},
            chosen["highlights"],
            float(info["duration"]),
            threshold,
        )
        for h, picture, (video, srt, plan, meta) in zip(
            chosen["highlights"], pictures, files, strict=True
        ):
            clips.append(
                {
                    **h,
                    "meta": fileio.read_json(meta) if meta.exists() else {},
                    "video": os.path.relpath(video, folder),
                    "thumbnail": picture.result(),
                    "captions": _caption_text(srt),
                    "framing": _framing(plan),
                }
            )
    page = (
        _env()
        .get_template("video.html.j2")
        .render(
            title=Path(status["video_path"] or folder.name).name,
            state=status,
            info=info,
            stages=[(b["stage"], b) for b in status.values() if _is_block(b)],
            candidates=len(cands["candidates"]),
            threshold=threshold,
            timeline=timeline,
            clips=clips,
            timings=_timings(timings),
        )
    )
    fileio.write_text(html, page)


def _is_block(value: Any) -> bool:
    """Whether a value of the stage state is one stage's block."""
    return isinstance(value, dict) and "completed" in value and "stage" in value


def batch_report(
    videos: Sequence[Mapping[str, str]], target: str | os.PathLike[str]
) -> None:
    """A card per video (the best clip's picture, its clip count and best score),
    linking to its own report. Each of ``videos`` names its ``report``, ``state``,
    ``highlights`` and ``clip_video`` (where its clips lie, ``{clip}`` open)."""
    rows = []
    base = Path(target).parent
    for video in sorted(videos, key=lambda v: v["report"]):
        folder = Path(video["report"]).parent
        state = fileio.read_json(video["state"])
        chosen = fileio.read_json(video["highlights"])["highlights"]
        best = chosen[0] if chosen else None  # rank order
        picture = ""
        if best:
            clip = Path(video["clip_video"].replace("{clip}", best["clip"]))
            picture = thumbnail(clip, at=min(1.0, best["duration"] / 2))
        rows.append(
            {
                "video": Path(state["video_path"] or folder.name).name,
                "hash": folder.name,
                "link": os.path.relpath(video["report"], base),
                "clips": len(chosen),
                "best": best["overall"] if best else None,
                "best_title": best["title"] if best else "",
                "thumbnail": picture,
                "last_stage": state["last_stage"],
                "completed": state["completed"],
                "duration": next(
                    (b.get("duration") for b in state.values()
                     if _is_block(b) and b["stage"] == "ingest"),
                    None,
                ),
            }
        )  # fmt: skip
    count = len(rows)
    page = (
        _env()
        .get_template("batch.html.j2")
        .render(
            rows=rows,
            heading=f"{count} video{'' if count == 1 else 's'}",
            clips_total=sum(r["clips"] for r in rows),
        )
    )
    fileio.write_text(target, page)


def _framing(plan: Path) -> str:
    """How a clip was framed and trimmed, in words, from its edit plan."""
    try:
        data = fileio.read_json(plan)
        layout, ranges = data["layout"], data["ranges"]
        span = data["span"][1] - data["span"][0]
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    shape = {
        "single": "framed on the speaker",
        "split": "split screen, one speaker above the other",
        "fit": "whole frame fitted",
        "source": "the source's picture",
    }.get(layout["kind"], layout["kind"])
    cut = span - data["duration"]
    trimmed = f"; {cut:.1f} s of pauses and hesitations cut" if cut > 0.05 else ""
    return f"{shape} ({layout['reason']}){trimmed}, {len(ranges)} range(s)"


# Words a person reads instead of the names in our files.
LABELS = {
    "self_contained": "stands alone",
    "candidate_count": "candidates",
    "sentence_count": "sentences",
    "pause_count": "pauses",
    "segment_count": "segments",
    "word_count": "words",
    "scored_count": "scored",
    "high_quality_count": "above the threshold",
    "highlight_count": "highlights",
    "clip_count": "clips",
}


def label(name: str) -> str:
    """A name from our files (a sub-score, a stage, a rule) as words."""
    return LABELS.get(name, name.replace("_", " "))


def scorer(backend: str) -> str:
    """Which scorer judged a clip, in words."""
    if backend == "heuristic":
        return "scored offline (content heuristics)"
    if backend.startswith("openai:"):
        return f"scored by the language model {backend.split(':', 1)[1]}"
    return f"scored by {backend}"
