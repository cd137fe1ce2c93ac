"""Atomic writes: an artifact appears under its final name complete, or not at all."""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it into place on success.

    The temporary name starts with a dot so that a crash never leaves a file that a
    glob for the final name would pick up. A failure (a full disk included) removes it.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
    )
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb") as fh:
            os.fsync(fh.fileno())
        # mkstemp makes the file private; results are ordinary shared files.
        os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, target)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def write_text(target: str | os.PathLike[str], text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(target: str | os.PathLike[str], data: Any) -> None:
    write_text(target, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def read_json(path: str | os.PathLike[str]) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def artifact(
    stage: str, params: dict[str, Any], versions: dict[str, str]
) -> dict[str, Any]:
    """The header every JSON artifact starts with."""
    return {
        "schema_version": SCHEMA_VERSION,
        "stage": stage,
        "params": params,
        "versions": versions,
    }


def read_artifact(
    path: str | os.PathLike[str], stage: str, former: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Read a JSON artifact of ``stage`` and refuse anything that is not a finished
    one; ``former``: the labels older results of that stage carry."""
    data = read_json(path)
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(f"{path}: unknown format")
    if data.get("stage") not in (stage, *former):
        raise ValueError(
            f"{path}: written by stage {data.get('stage')!r}, not {stage!r}"
        )
    return data


def versions(*names: str) -> dict[str, str]:
    """Installed versions of ``reelmake`` and the given distributions."""
    out = {}
    for name in ("reelmake", *names):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "unknown"
    return out
