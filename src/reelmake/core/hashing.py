"""Content addressing: a video is named by the xxh3-128 hash of its bytes.

Hashing a long video takes seconds, and the workflow is parsed again for every cluster
job, so each hash is remembered in a small index keyed by what ``stat`` tells about the
file (real path, size, mtime, inode). A lookup for an unchanged file only stats it.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path

import xxhash

from reelmake.core import fileio

HASH_PREFIX = 16
_CHUNK = 8 * 1024 * 1024
INDEX_NAME = "hash_index.json"


def hash_file(path: str | os.PathLike[str]) -> str:
    """Full xxh3-128 hex digest of the file's bytes."""
    digest = xxhash.xxh3_128()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class FileKey:
    realpath: str
    size: int
    mtime_ns: int
    inode: int
    device: int

    @classmethod
    def of(cls, path: str | os.PathLike[str]) -> FileKey:
        real = os.path.realpath(path)
        st = os.stat(real)
        return cls(real, st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)

    def matches(self, entry: dict[str, object]) -> bool:
        return (
            entry.get("size") == self.size
            and entry.get("mtime_ns") == self.mtime_ns
            and entry.get("inode") == self.inode
            and entry.get("device") == self.device
        )


class ChangingFileError(Exception):
    """The file changed while it was hashed: it is still being written."""


class HashIndex:
    """Remembered hashes, stored as JSON and rewritten atomically under a file lock."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._entries: dict[str, dict[str, object]] = self._load()

    def _load(self) -> dict[str, dict[str, object]]:
        try:
            data = fileio.read_json(self.path)
        except (OSError, ValueError):
            # A missing or damaged index only costs re-hashing.
            return {}
        entries = data.get("entries") if isinstance(data, dict) else None
        return entries if isinstance(entries, dict) else {}

    def lookup(self, path: str | os.PathLike[str]) -> str | None:
        key = FileKey.of(path)
        entry = self._entries.get(key.realpath)
        if entry is not None and key.matches(entry):
            value = entry.get("hash")
            return value if isinstance(value, str) else None
        return None

    def hash(self, path: str | os.PathLike[str]) -> str:
        """The full hash of ``path``, from the index when the file is unchanged."""
        known = self.lookup(path)
        if known is not None:
            return known
        key = FileKey.of(path)
        digest = hash_file(key.realpath)
        if FileKey.of(path) != key:
            # A hash of a mix of two versions names neither.
            raise ChangingFileError(key.realpath)
        self._remember(key, digest)
        return digest

    def _remember(self, key: FileKey, digest: str) -> None:
        entry: dict[str, object] = {
            "size": key.size,
            "mtime_ns": key.mtime_ns,
            "inode": key.inode,
            "device": key.device,
            "hash": digest,
        }
        self._entries[key.realpath] = entry
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        with open(lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            # Merge with what other processes wrote since we loaded.
            merged = self._load()
            merged[key.realpath] = entry
            self._entries = merged
            fileio.write_text(
                self.path,
                json.dumps({"schema_version": 1, "entries": merged}, indent=1) + "\n",
            )


def short(digest: str) -> str:
    """The folder name for a video: a prefix of its full hash."""
    return digest[:HASH_PREFIX]
