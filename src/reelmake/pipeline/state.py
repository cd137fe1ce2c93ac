"""The stage state of a video, computed from its results folder alone.

``results/<hash>/stage_state.json`` is what the design notes promise: a block per
stage under the notes' keys (``audio_extraction``, ``transcription``,
``segmentation``, ``ai_scoring``; the other stages under their names), ``last_stage``
and ``last_updated``. The ``stage_state`` step writes it; ``reelmake status``, the
cache API and the reports compute the same thing live.
"""

from __future__ import annotations

import datetime as dt
import os
import wave
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from reelmake.core import config, fileio
from reelmake.pipeline import registry
from reelmake.pipeline.contract import Stage, resolve
from reelmake.pipeline.discovery import source_link

# What a summary may raise on a file that is there but damaged.
UNREADABLE = (OSError, ValueError, KeyError, TypeError, EOFError, wave.Error)


def _iso(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds")


def block(state: Mapping[str, Any], name: str) -> dict[str, Any]:
    """A stage's block of a stage state, by any of the stage's names."""
    found: dict[str, Any] = state[registry.stage(name, listed=True).key]
    return found


def _summarise(s: Stage, paths: Mapping[str, Path]) -> dict[str, Any]:
    assert s.summary is not None
    summary: dict[str, Any] = resolve(s.summary)(paths)
    return summary


def _threshold(folder: Path) -> float:
    """The selection's threshold, else the config's default."""
    try:
        data = fileio.read_json(registry.path("highlights", "highlights", folder))
        return float(data["params"]["threshold"])
    except (*UNREADABLE, AttributeError):
        return float(config.defaults("highlights")["threshold"])


def compute_state(
    results_dir: str | os.PathLike[str], video_hash: str
) -> dict[str, Any]:
    """The stage state of one video, computed from its results folder alone.

    A stage is completed when all its files are there and readable. ``last_stage`` is
    the end of the unbroken run of completed stages from the first: a later stage's
    files with an earlier one missing do not count.
    """
    results = Path(results_dir)
    folder = results / video_hash
    link = source_link(results, video_hash)
    state: dict[str, Any] = {
        "schema_version": fileio.SCHEMA_VERSION,
        "video_hash": video_hash,
        "video_path": os.path.realpath(link) if link else None,
        "last_stage": None,
        "last_updated": None,
    }
    newest = 0.0
    unbroken = True
    clips = registry.clip_names(folder)
    for s in registry.LISTED:
        paths = registry.results_of(s, folder, clips or ())
        entry: dict[str, Any] = {"stage": s.name, "completed": False}
        entry.update({f"{k}_path": str(p) for k, p in paths.items() if ":" not in k})
        if s.per_clip and clips is None:
            entry["error"] = "waiting for a selection"
        elif all(p.is_file() for p in paths.values()):
            try:
                entry.update(_summarise(s, paths))
                entry["completed"] = True
            except UNREADABLE as exc:
                entry["error"] = f"unreadable output, will be rebuilt ({exc})"
        elif any(p.exists() for p in paths.values()):
            entry["error"] = "some outputs are missing"
        if entry["completed"]:
            newest = max([newest] + [p.stat().st_mtime for p in paths.values()])
            if unbroken:
                state["last_stage"] = s.key
        else:
            unbroken = False
        state[s.key] = entry
    _count_high_quality(state, _threshold(folder))
    state["completed"] = unbroken
    if newest:
        state["last_updated"] = _iso(newest)
    return state


def _count_high_quality(state: dict[str, Any], threshold: float) -> None:
    """The design notes' count of high-quality scores, at the selection's threshold
    (the scores themselves never depend on it)."""
    scores = block(state, "scores")
    overall = scores.pop("overall", None)
    if overall is not None:
        scores["high_quality_count"] = sum(o >= threshold for o in overall)
        scores["threshold"] = threshold


def write_state(
    state: str | os.PathLike[str], results: Sequence[str] = ()
) -> dict[str, Any]:
    """Write the state of the video whose folder holds ``state``: the one writer of
    ``stage_state.json`` (``results``: the video's results, made first, read through
    the folder). Per-clip files of clips no longer selected go first."""
    folder = Path(state).parent
    prune_clips(folder)
    data = compute_state(folder.parent, folder.name)
    data["stage"] = registry.stage("state").name
    fileio.write_json(state, data)
    return data


def prune_clips(folder: Path) -> list[Path]:
    """Clips of an earlier selection (another threshold, say) are not results now:
    every per-clip file of every stage whose clip is not selected goes, but for the
    ones kept by their span (see :class:`reelmake.pipeline.contract.Out`)."""
    keep = registry.clip_names(folder)
    if keep is None:
        return []
    removed = []
    for s in registry.REGISTRY:
        made = [o.path for o in s.outputs.values() if not o.kept]
        for pattern in made + list(s.side.values()):
            if "{clip}" not in pattern:
                continue
            head, tail = pattern.split("{clip}")
            prefix = head.rsplit("/", 1)[-1]
            for path in folder.glob(f"{head}*{tail}"):
                clip = path.name[len(prefix) : len(path.name) - len(tail)]
                if clip not in keep and (path.is_file() or path.is_symlink()):
                    path.unlink()
                    removed.append(path)
    return removed
