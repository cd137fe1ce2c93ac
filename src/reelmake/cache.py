"""The results folder as a cache: inspect it, repair it, clear it, expire it.

``results/<video_hash>/`` holds everything of one video. This module is the Python
side of ``reelmake status``, ``clean`` and ``gc``, and the API of the design notes
(:class:`PipelineCache`, :func:`get_video_hash`).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelmake.core import fileio
from reelmake.core.errors import ReelmakeError
from reelmake.core.hashing import INDEX_NAME, HashIndex, short
from reelmake.pipeline import registry as stages
from reelmake.pipeline.discovery import STATE_DIR, source_link

log = logging.getLogger(__name__)
LAST_USED = ".last_used"


def get_video_hash(path: str | os.PathLike[str], cache_dir: str = "results") -> str:
    """The results folder name of a video (remembered in the cache's hash index)."""
    return short(HashIndex(Path(cache_dir) / STATE_DIR / INDEX_NAME).hash(path))


def known_hashes(results: Path) -> list[str]:
    if not results.is_dir():
        return []
    return sorted(
        p.name for p in results.iterdir() if p.is_dir() and source_link(results, p.name)
    )


def later_stages(name: str) -> list[stages.Stage]:
    """The stage and every stage after it (of those the stage state lists)."""
    first = stages.STAGES.index(stages.stage(name, listed=True))
    return list(stages.STAGES[first:])


def stage_files(folder: Path, chosen: Iterable[stages.Stage]) -> list[Path]:
    """Existing files of the given stages in one video folder, with their logs."""
    found: list[Path] = []
    for s in chosen:
        for pattern in s.globs():
            found += [p for p in folder.glob(pattern) if p.is_file() or p.is_symlink()]
        for rule in s.rules:
            for kind in ("logs", "benchmarks"):
                found += [p for p in folder.glob(f"{kind}/{rule}*") if p.is_file()]
                found += [p for p in folder.glob(f"{kind}/{rule}*/*") if p.is_file()]
    state = folder / stages.STATE_FILE
    if state.exists():
        found.append(state)
    return sorted(set(found))


def repair(
    results: Path,
    video_hash: str,
    state: dict[str, Any] | None = None,
    threshold: float | None = None,
) -> list[str]:
    """Remove damaged artifacts so that the stage owning each one runs again.

    Returns one warning per damaged stage. A file that fails to parse is never taken
    as a finished result. ``state`` saves computing the stage state again.
    """
    folder = results / video_hash
    warnings = []
    state = state or stages.compute_state(results, video_hash, threshold)
    for s in stages.STAGES:
        error = state[s.name].get("error", "")
        if error.startswith("unreadable"):
            for path in stage_files(folder, [s]):
                if path.name != stages.STATE_FILE:
                    path.unlink()
            warnings.append(
                f"{folder}: {s.name} output is damaged ({error}); rebuilding"
            )
    summary = folder / stages.STATE_FILE
    if summary.exists():
        try:
            fileio.read_json(summary)["last_stage"]
        except (OSError, ValueError, KeyError, TypeError):
            summary.unlink()
            warnings.append(f"{summary}: damaged stage state; rebuilding it")
    return warnings


def remove(paths: Iterable[Path]) -> int:
    """Delete files and folders; returns bytes freed."""
    freed = 0
    for path in paths:
        if path.is_symlink() or path.is_file():
            freed += path.lstat().st_size
            path.unlink()
        elif path.is_dir():
            freed += folder_size(path)
            shutil.rmtree(path)
    return freed


def folder_size(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            total += (Path(root) / name).lstat().st_size
    return total


def touch_used(results: Path, video_hash: str) -> None:
    marker = results / video_hash / LAST_USED
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()


def last_used(results: Path, video_hash: str) -> float:
    folder = results / video_hash
    for candidate in (folder / LAST_USED, folder / stages.STATE_FILE, folder):
        if candidate.exists():
            return candidate.stat().st_mtime
    return 0.0


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)
_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """``20G``, ``500M``, ``1.5T`` or a byte count."""
    match = _SIZE.match(str(text))
    if not match:
        raise ReelmakeError(f"size {text!r}: use a number with K, M, G or T, like 20G")
    power = " kmgt".index(match.group(2).lower() or " ")
    return int(float(match.group(1)) * 1024**power)


def parse_age(text: str) -> float:
    """``7d``, ``12h``, ``30m``, ``2w`` in seconds."""
    match = _AGE.match(str(text))
    if not match:
        raise ReelmakeError(f"age {text!r}: use a number with s, m, h, d or w, like 7d")
    unit = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[match.group(2).lower()]
    return float(match.group(1)) * unit


@dataclass(frozen=True)
class Expired:
    video_hash: str
    size: int
    last_used: float
    reason: str


def plan_gc(
    results: Path,
    older_than: float | None,
    max_size: int | None,
    now: float | None = None,
) -> list[Expired]:
    """Videos to remove: those unused for ``older_than`` seconds, then the least
    recently used ones until the whole cache fits in ``max_size`` bytes."""
    now = time.time() if now is None else now
    entries = sorted(
        (
            (last_used(results, h), h, folder_size(results / h))
            for h in known_hashes(results)
        ),
    )
    chosen: list[Expired] = []
    kept = []
    for used, h, size in entries:
        if older_than is not None and now - used > older_than:
            days = (now - used) / 86400
            chosen.append(Expired(h, size, used, f"unused for {days:.1f} days"))
        else:
            kept.append((used, h, size))
    if max_size is not None:
        total = sum(size for _, _, size in kept)
        for used, h, size in kept:  # oldest first
            if total <= max_size:
                break
            chosen.append(Expired(h, size, used, "over the size limit"))
            total -= size
    return chosen


class PipelineCache:
    """The design notes' cache API over ``results/``.

    >>> cache = PipelineCache("results")
    >>> state = cache.load_state("talk.mp4")
    >>> if state and cache.has_completed_stage(state, "transcription"):
    ...     path = cache.get_stage_result(state, "transcription", "transcript_path")
    """

    def __init__(
        self,
        cache_dir: str | os.PathLike[str] = "results",
        threshold: float | None = None,
    ) -> None:
        """``threshold``: the selection's, for the count of high-quality scores
        (default: the config schema's)."""
        self.cache_dir = Path(cache_dir)
        self.threshold = threshold

    def _hash(self, video_path: str | os.PathLike[str]) -> str:
        return get_video_hash(video_path, str(self.cache_dir))

    def load_state(self, video_path: str | os.PathLike[str]) -> dict[str, Any] | None:
        """The current state of a video (computed from its files, as the workflow
        computes it), or None when nothing of it is cached. Stage names and the
        design notes' aliases (``ai_scoring``...) both work as keys."""
        h = self._hash(video_path)
        if not (self.cache_dir / h).is_dir():
            return None
        state = stages.compute_state(self.cache_dir, h, self.threshold)
        return state if state["last_stage"] is not None else None

    @staticmethod
    def has_completed_stage(state: dict[str, Any] | None, stage: str) -> bool:
        if not state:
            return False
        block = state.get(stages.stage(stage, listed=True).name, {})
        if not block.get("completed"):
            return False
        # Files can go away after the state was read.
        paths = [
            v for k, v in block.items() if k.endswith("_path") and isinstance(v, str)
        ]
        return all(Path(p).exists() for p in paths)

    @staticmethod
    def get_stage_result(
        state: dict[str, Any] | None, stage: str, key: str, default: Any = None
    ) -> Any:
        if not state:
            return default
        return state.get(stages.stage(stage, listed=True).name, {}).get(key, default)

    def save_state(
        self, video_path: str | os.PathLike[str], state: dict[str, Any], stage: str
    ) -> Path:
        """Write ``results/<hash>/stage_state.json`` after ``stage``.

        The state is a view of the files, so it is computed again from them by the
        one function that writes it, not taken from ``state``; a stage whose files
        are not all there cannot be recorded as done."""
        h = self._hash(video_path)
        name = stages.stage(stage, listed=True).name
        target = self.cache_dir / h / stages.STATE_FILE
        threshold = self.threshold
        if not stages.compute_state(self.cache_dir, h, threshold)[name]["completed"]:
            raise ReelmakeError(
                f"{video_path}: stage {name} is not complete in {target.parent}; "
                "only finished stages are recorded"
            )
        stages.write_state(target, threshold)
        return target

    def clear_cache(
        self, video_path: str | os.PathLike[str] | None = None, stage: str | None = None
    ) -> int:
        """Clear one video (or one stage of it and what follows), or everything.

        Returns the bytes freed. Snakemake's records of the removed files go the next
        time ``reelmake`` runs; ``reelmake clean`` removes them at once.
        """
        if video_path is None:
            freed = folder_size(self.cache_dir) if self.cache_dir.exists() else 0
            shutil.rmtree(self.cache_dir, ignore_errors=True)
            return freed
        folder = self.cache_dir / self._hash(video_path)
        if stage is None:
            return remove([folder])
        return remove(stage_files(folder, later_stages(stage)))
