"""The design notes' cache API over ``results/``: :class:`PipelineCache` and
:func:`get_video_hash`, computed from the results folder as the workflow computes it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from reelmake.batch.store import clear, remove, stage_files
from reelmake.core.errors import ReelmakeError
from reelmake.core.hashing import INDEX_NAME, HashIndex, short
from reelmake.pipeline import registry
from reelmake.pipeline.discovery import STATE_DIR
from reelmake.pipeline.state import block, compute_state, write_state


def get_video_hash(path: str | os.PathLike[str], cache_dir: str = "results") -> str:
    """The results folder name of a video (remembered in the cache's hash index)."""
    return short(HashIndex(Path(cache_dir) / STATE_DIR / INDEX_NAME).hash(path))


class PipelineCache:
    """The design notes' cache API over ``results/``.

    >>> cache = PipelineCache("results")
    >>> state = cache.load_state("talk.mp4")
    >>> if state and cache.has_completed_stage(state, "transcription"):
    ...     path = cache.get_stage_result(state, "transcription", "transcript_path")
    """

    def __init__(self, cache_dir: str | os.PathLike[str] = "results") -> None:
        self.cache_dir = Path(cache_dir)

    def _hash(self, video_path: str | os.PathLike[str]) -> str:
        return get_video_hash(video_path, str(self.cache_dir))

    def load_state(self, video_path: str | os.PathLike[str]) -> dict[str, Any] | None:
        """The current state of a video (computed from its files, as the workflow
        computes it), or None when nothing of it is cached. Stage names and the
        design notes' aliases (``ai_scoring``...) both work as keys."""
        h = self._hash(video_path)
        if not (self.cache_dir / h).is_dir():
            return None
        state = compute_state(self.cache_dir, h)
        return state if state["last_stage"] is not None else None

    @staticmethod
    def has_completed_stage(state: dict[str, Any] | None, stage: str) -> bool:
        if not state:
            return False
        found = state.get(registry.stage(stage, listed=True).key, {})
        if not found.get("completed"):
            return False
        # Files can go away after the state was read.
        paths = [
            v for k, v in found.items() if k.endswith("_path") and isinstance(v, str)
        ]
        return all(Path(p).exists() for p in paths)

    @staticmethod
    def get_stage_result(
        state: dict[str, Any] | None, stage: str, key: str, default: Any = None
    ) -> Any:
        if not state:
            return default
        return state.get(registry.stage(stage, listed=True).key, {}).get(key, default)

    def save_state(
        self, video_path: str | os.PathLike[str], state: dict[str, Any], stage: str
    ) -> Path:
        """Write ``results/<hash>/stage_state.json`` after ``stage``.

        The state is a view of the files, so it is computed again from them by the
        one function that writes it, not taken from ``state``; a stage whose files
        are not all there cannot be recorded as done."""
        h = self._hash(video_path)
        name = registry.stage(stage, listed=True).name
        target = self.cache_dir / h / registry.STATE_FILE
        if not block(compute_state(self.cache_dir, h), name)["completed"]:
            raise ReelmakeError(
                f"{video_path}: stage {name} is not complete in {target.parent}; "
                "only finished stages are recorded"
            )
        write_state(target)
        return target

    def clear_cache(
        self, video_path: str | os.PathLike[str] | None = None, stage: str | None = None
    ) -> int:
        """Clear one video (or one stage of it and what follows), or everything,
        but a person's decisions on clips (``decisions.yaml``), which stay.

        Returns the bytes freed. Snakemake's records of the removed files go the next
        time ``reelmake`` runs; ``reelmake clean`` removes them at once.
        """
        if video_path is None:
            here = self.cache_dir.is_dir()
            freed = sum(clear(e)[0] for e in sorted(self.cache_dir.iterdir()) if here)
            if self.cache_dir.is_dir() and not any(self.cache_dir.iterdir()):
                self.cache_dir.rmdir()
            return freed
        folder = self.cache_dir / self._hash(video_path)
        if stage is None:
            return clear(folder)[0]
        return remove(stage_files(folder, registry.later(stage)))
