"""Clips: each highlight made ready to post.

Two steps per clip. :func:`plan.plan_clip` decides everything offline and writes the
clip's edit plan (``clips/<clip>.plan.json``: the source ranges kept after trimming,
the layout and crop windows, the caption words on the clip's timeline and their
style, the title card, the sound's gain) with its caption files; :func:`render.
render_clip` renders the plan in one ffmpeg pass (or smart-cuts a plan that keeps
the source untouched). Formats and caption styles are data (``config/presets.yaml``,
:mod:`styles`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any


def summary(paths: Mapping[str, Path]) -> dict[str, Any]:
    """The stage state's clips (each plan must read as one)."""
    from reelmake.stages.clips.plan import load_plan

    for key, path in paths.items():
        if key.startswith("plan:"):
            load_plan(path)
    videos = sorted(str(p) for key, p in paths.items() if key.startswith("video:"))
    return {"clip_count": len(videos), "clips": videos}
