"""Making one clip by hand in a test: its description, its edit plan, its render."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reelmake.core import config, fileio
from reelmake.stages.clips.plan import PlanOptions, load_plan, plan_clip
from reelmake.stages.clips.render import RenderOptions, render_clip


def plan_options(**clips: Any) -> PlanOptions:
    """The clip settings of the workflow's defaults with ``clips`` on top."""
    settings = config.load_user(config.workflow_dir(), None).settings
    settings["clips"].update(clips)
    return PlanOptions.from_config(settings)


def make_clip(
    source: Path,
    video_json: Path,
    folder: Path,
    start: float,
    end: float,
    *,
    words: Sequence[dict[str, Any]] = (),
    audio: Path | None = None,
    subjects: Path | None = None,
    title: str = "",
    preset: str = "ultrafast",
    threads: int = 2,
    smart_cut: bool = True,
    **clips: Any,
) -> tuple[Path, dict[str, Any]]:
    """Plan and render the clip ``[start, end)`` of ``source`` into ``folder``
    (``c.plan.json``, ``c.srt``, ``c.vtt``, ``c.mp4``); its path and plan."""
    folder.mkdir(parents=True, exist_ok=True)
    description = folder / "c.json"
    fileio.write_json(
        description,
        {"clip": "c", "start": start, "end": end, "title": title, "hook": "",
         "words": list(words)},
    )  # fmt: skip
    plan = folder / "c.plan.json"
    plan_clip(
        source=source, description=description, audio=audio or folder / "none.wav",
        video_json=video_json, plan=plan, srt=folder / "c.srt", vtt=folder / "c.vtt",
        options=plan_options(**clips), subjects=subjects,
    )  # fmt: skip
    out = folder / "c.mp4"
    render = RenderOptions(preset=preset, threads=threads, smart_cut=smart_cut)
    render_clip(source, plan, out, render)
    return out, load_plan(plan)


def window_path(plan: dict[str, Any], index: int = 0) -> tuple[list[int], list[int]]:
    """A window's place in every output frame (from its runs)."""
    window = plan["layout"]["windows"][index]
    frames = round(plan["duration"] * plan["output"]["fps"])
    runs = window["runs"]
    xs, ys = [], []
    k = 0
    for f in range(frames):
        while k + 1 < len(runs) and runs[k + 1][0] <= f:
            k += 1
        xs.append(runs[k][1])
        ys.append(runs[k][2])
    return xs, ys
