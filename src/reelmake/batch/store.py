"""The results folder as a store: inspect it, repair it, clear it, expire it.

``results/<video_hash>/`` holds everything of one video. This module is the Python
side of ``reelmake status``, ``clean`` and ``gc``.
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
from reelmake.pipeline import registry
from reelmake.pipeline.contract import Stage
from reelmake.pipeline.discovery import source_link
from reelmake.pipeline.state import compute_state

log = logging.getLogger(__name__)
LAST_USED = ".last_used"


def known_hashes(results: Path) -> list[str]:
    if not results.is_dir():
        return []
    return sorted(
        p.name for p in results.iterdir() if p.is_dir() and source_link(results, p.name)
    )


def stage_files(folder: Path, chosen: Iterable[Stage]) -> list[Path]:
    """Existing files of the given stages in one video folder, with their logs."""
    found: list[Path] = []
    for s in chosen:
        for pattern in registry.globs(s):
            found += [p for p in folder.glob(pattern) if p.is_file() or p.is_symlink()]
            found += [
                f for d in folder.glob(pattern) if d.is_dir() for f in d.iterdir()
            ]
    state = folder / registry.STATE_FILE
    if state.exists():
        found.append(state)
    return sorted(set(found))


def repair(
    results: Path, video_hash: str, state: dict[str, Any] | None = None
) -> list[str]:
    """Remove damaged artifacts so that the stage owning each one runs again.

    Returns one warning per damaged stage. A file that fails to parse is never taken
    as a finished result. ``state`` saves computing the stage state again.
    """
    folder = results / video_hash
    warnings = []
    state = state or compute_state(results, video_hash)
    for s in registry.LISTED:
        entry = state[s.key]
        error = entry.get("error", "")
        if error.startswith("unreadable"):
            for path in stage_files(folder, [s]):
                if path.name != registry.STATE_FILE:
                    path.unlink()
            warnings.append(
                f"{folder}: {s.name} output is damaged ({error}); rebuilding"
            )
        # Only the damaged file goes: its own job makes it again, and the jobs
        # after it follow.
        for path, why in entry.get("damaged", {}).items():
            Path(path).unlink(missing_ok=True)
            warnings.append(
                f"{path}: damaged ({why}); the {s.name} stage makes it again"
            )
        if entry.get("fallbacks"):
            warnings += _retry_fallbacks(folder, entry["fallbacks"])
    warnings += _realign(folder, state)
    summary = folder / registry.STATE_FILE
    if summary.exists():
        try:
            fileio.read_json(summary)["last_stage"]
        except (OSError, ValueError, KeyError, TypeError):
            summary.unlink()
            warnings.append(f"{summary}: damaged stage state; rebuilding it")
    return warnings


def _retry_fallbacks(folder: Path, count: int) -> list[str]:
    """Scores the language model never gave are asked for again: the offline
    scores that stood in for them go, with the stage's result."""
    scores = registry.path("scores", "scores", folder)
    scores.unlink(missing_ok=True)
    return [
        f"{folder}: {count} candidate(s) were scored offline when the language "
        "model gave no valid answer; asking the model again"
    ]


def _realign(folder: Path, state: dict[str, Any]) -> list[str]:
    """Clips whose sound is out of step with the transcript's audio: an audio track
    extracted before timestamps were kept (lost packets shortened it) is extracted
    again, and every stage after it runs again; otherwise each clip is named."""
    from reelmake.stages.audio import timestamps_kept

    lags: dict[str, float] = state[registry.stage("clips").key].get("misaligned", {})
    if not lags:
        return []
    wav = registry.path("audio", "audio", folder)
    worst = max(lags.values(), key=abs)
    if wav.is_file() and not timestamps_kept(wav):
        wav.unlink()
        return [
            f"{wav}: its sound is up to {worst:+.2f} s out of step with the picture "
            f"in {len(lags)} clip(s) (it was extracted without the source's "
            "timestamps); extracting it again, and the stages after it run again"
        ]
    return [
        f"{clip}: its sound is {lag:+.2f} s out of step with the words its captions "
        "were timed on"
        for clip, lag in lags.items()
    ]


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


def clear(folder: Path, decisions: bool = False) -> tuple[int, Path | None]:
    """Delete a video's results: its whole folder, or, unless ``decisions``, all but
    a person's decisions on its clips, which belong to them. The bytes freed and
    the decisions file kept (None when there is none or it went too)."""
    kept = folder / registry.DECISIONS
    if decisions or not kept.is_file():
        return remove([folder]), None
    return remove(p for p in folder.iterdir() if p != kept), kept


def folder_size(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            total += (Path(root) / name).lstat().st_size
    return total


def free_space(path: Path) -> int | None:
    """Bytes free on the disk that holds ``path`` (or would: its nearest existing
    folder); None when that cannot be told."""
    for folder in (path, *path.parents):
        if folder.exists():
            try:
                return shutil.disk_usage(folder).free
            except OSError:
                return None
    return None


def size_text(size: float) -> str:
    """A byte count for people: 0 bytes, 12.5 kB, 3.2 GB."""
    if size < 1000:
        return f"{size:.0f} bytes"
    for unit in ("kB", "MB", "GB", "TB"):
        size /= 1000
        if size < 1000 or unit == "TB":
            break
    return f"{size:.1f} {unit}"


def touch_used(results: Path, video_hash: str) -> None:
    marker = results / video_hash / LAST_USED
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()


def last_used(results: Path, video_hash: str) -> float:
    folder = results / video_hash
    for candidate in (folder / LAST_USED, folder / registry.STATE_FILE, folder):
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
