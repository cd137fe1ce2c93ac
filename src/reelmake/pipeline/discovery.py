"""Finding the videos to process and giving each its results folder.

Entries are paths, folders and glob patterns, from the config or the command line. Each
problem with an entry becomes one line naming it; the other entries go on.
"""

from __future__ import annotations

import glob
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from reelmake.core.hashing import (
    INDEX_NAME,
    ChangingFileError,
    FileKey,
    HashIndex,
    short,
)

# Audio-only episodes are videos to us too: their clips get a picture of their own.
AUDIO_EXTENSIONS = frozenset({".mp3", ".m4a", ".wav", ".flac", ".ogg", ".opus", ".aac"})
VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".flv", ".ts", ".mts", ".mpg",
     ".mpeg", ".wmv", ".3gp", ".ogv"}
) | AUDIO_EXTENSIONS  # fmt: skip
STATE_DIR = ".reelmake"
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class Video:
    path: Path
    hash: str

    @property
    def source_name(self) -> str:
        return "source" + (self.path.suffix.lower() or ".video")


def _scan_folder(folder: Path) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if (
                not name.startswith(".")
                and Path(name).suffix.lower() in VIDEO_EXTENSIONS
            ):
                found.append(Path(root) / name)
    return found


def _check_file(path: Path) -> str | None:
    if path.is_dir():
        return "is a folder, not a video file"
    if not path.is_file():
        return "is not a regular file"
    if not os.access(path, os.R_OK):
        return "cannot be read (permission denied)"
    if path.stat().st_size == 0:
        return "is empty (0 bytes)"
    return None


def discover(
    entries: Iterable[str], base: Path | None = None
) -> tuple[list[Path], list[Problem]]:
    """Expand entries into video files, in order and without repeats."""
    base = base or Path.cwd()
    videos: list[Path] = []
    problems: list[Problem] = []
    seen: set[str] = set()

    def add(path: Path) -> None:
        key = os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            videos.append(path)

    for entry in entries:
        text = str(entry)
        path = Path(os.path.expanduser(text))
        if not path.is_absolute():
            path = base / path
        if path.is_dir():
            if path.suffix.lower() in VIDEO_EXTENSIONS:
                problems.append(Problem(text, "is a folder, not a video file"))
                continue
            found = _scan_folder(path)
            if not found:
                exts = ", ".join(sorted(VIDEO_EXTENSIONS))
                problems.append(Problem(text, f"folder has no video files ({exts})"))
            for item in found:
                problem = _check_file(item)
                if problem:
                    problems.append(Problem(str(item), problem))
                else:
                    add(item)
        elif path.exists() or os.path.islink(path):
            problem = _check_file(path)
            if problem:
                problems.append(Problem(text, problem))
            else:
                add(path)
        elif _GLOB_CHARS & set(text):
            matches = sorted(Path(p) for p in glob.glob(str(path), recursive=True))
            files = [m for m in matches if m.is_file()]
            if not files:
                problems.append(Problem(text, "pattern matches no files"))
            for item in files:
                problem = _check_file(item)
                if problem:
                    problems.append(Problem(str(item), problem))
                else:
                    add(item)
        else:
            problems.append(Problem(text, "no such file or folder"))
    return videos, problems


# A file written to this recently may still be growing: it is looked at twice.
SETTLE_SECONDS = 2.0
STILL_WRITTEN = (
    "is still being written (it changed while it was read); it is left for the next run"
)


def _still_written(paths: Iterable[Path]) -> set[Path]:
    """The files modified in the last moments that change when looked at again (one
    pause for all of them)."""
    recent: dict[Path, FileKey] = {}
    for path in paths:
        try:
            key = FileKey.of(path)
        except OSError:
            continue  # reading it will say what is wrong
        if time.time() - key.mtime_ns / 1e9 <= SETTLE_SECONDS:
            recent[path] = key
    if not recent:
        return set()
    time.sleep(SETTLE_SECONDS / 2)
    changed = set()
    for path, key in recent.items():
        try:
            if FileKey.of(path) != key:
                changed.add(path)
        except OSError:
            changed.add(path)
    return changed


def register(
    paths: Iterable[Path],
    results_dir: Path,
    pinned: Mapping[str, str] | None = None,
) -> tuple[list[Video], list[Problem]]:
    """Hash each video (through the index) and keep its stable link up to date.

    Equal bytes under two names are one video. The link ``results/<hash>/source.<ext>``
    lets later stages ignore renames and moves of the original file. A file still
    being written is a problem, not a video. ``pinned`` maps absolute paths to the
    hashes a run gave them when it began: a run keeps one name for a video, even if
    the file changes under it (the run then reports it; see ``reelmake run``).
    """
    index = HashIndex(results_dir / STATE_DIR / INDEX_NAME)
    videos: list[Video] = []
    problems: list[Problem] = []
    by_hash: dict[str, Video] = {}
    paths = list(paths)
    growing = _still_written(
        p for p in paths if os.path.abspath(p) not in (pinned or {})
    )
    for path in paths:
        known = (pinned or {}).get(os.path.abspath(path))
        try:
            if known is not None:
                digest = known
            elif path in growing:
                problems.append(Problem(str(path), STILL_WRITTEN))
                continue
            else:
                digest = short(index.hash(path))
        except ChangingFileError:
            problems.append(Problem(str(path), STILL_WRITTEN))
            continue
        except OSError as exc:
            problems.append(Problem(str(path), f"cannot be read ({exc.strerror})"))
            continue
        if digest in by_hash:
            continue
        video = Video(Path(os.path.abspath(path)), digest)
        by_hash[digest] = video
        videos.append(video)
        ensure_source_link(video, results_dir)
    return videos, problems


def source_link(results_dir: Path, video_hash: str) -> Path | None:
    """The existing stable link of a video, or None."""
    folder = results_dir / video_hash
    if not folder.is_dir():
        return None
    links = sorted(p for p in folder.glob("source.*") if p.is_symlink())
    return links[0] if links else None


def ensure_source_link(video: Video, results_dir: Path) -> Path:
    folder = results_dir / video.hash
    folder.mkdir(parents=True, exist_ok=True)
    existing = source_link(results_dir, video.hash)
    target = os.path.realpath(video.path)
    if existing is not None and existing.exists():
        return existing
    # No link yet, or a broken one (the original was renamed, moved or deleted):
    # point it at this path, whose bytes have this hash.
    link = existing or folder / video.source_name
    tmp = folder / f".{link.name}.tmp-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, link)
    return link
