"""The stage state of a video, computed from its results folder alone.

``results/<hash>/stage_state.json`` is what the design notes promise: a block per
stage under the notes' keys (``audio_extraction``, ``transcription``,
``segmentation``, ``ai_scoring``; the other stages under their names), ``last_stage``
and ``last_updated``. The ``stage_state`` step writes it; ``reelmake status``, the
cache API and the reports compute the same thing live.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import csv
import datetime as dt
import json
import os
import wave
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from reelmake.core import config, fileio, media
from reelmake.pipeline import discovery, registry
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
    verified = Verifier(results, video_hash)
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
            if entry["completed"]:
                entry.update(verified.check(s, paths, clips or ()))
        elif any(p.exists() for p in paths.values()):
            entry["error"] = "some outputs are missing"
        if entry["completed"]:
            newest = max([newest] + [p.stat().st_mtime for p in paths.values()])
            if unbroken:
                state["last_stage"] = s.key
        else:
            unbroken = False
        state[s.key] = entry
    verified.save()
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


# -- what a finished stage's files are held against -----------------------------------

# A clip whose sound lies further than this from the words its captions were timed on
# is out of step with its transcript.
ALIGNMENT_TOLERANCE_S = 0.2
# Where each video's verified files are remembered, under the results folder.
VERIFIED_DIR = "verified"


def _file_key(path: Path) -> list[int]:
    """What changes whenever a file's bytes may have: any write or rename changes
    its ctime, which no program can set back."""
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


class Verifier:
    """Checks the files of finished stages that their summaries cannot see through:
    clips (a probe against their plan, their bytes against those their render
    wrote, every frame decoded when those are not known or differ, then their
    sound against the transcript's audio), tables (their row count) and the WAV (its
    length against its size). A file that passed is remembered by its size, times
    and inode, so it is checked once per version, not on every look."""

    def __init__(self, results: Path, video_hash: str) -> None:
        self.folder = results / video_hash
        self.memo_path = (
            results / discovery.STATE_DIR / VERIFIED_DIR / f"{video_hash}.json"
        )
        try:
            self.memo: dict[str, Any] = json.loads(self.memo_path.read_text())
        except (OSError, ValueError):
            self.memo = {}
        self.changed = False

    def save(self) -> None:
        if not self.changed:
            return
        # Only a cache of checks: when it cannot be written they run again.
        with contextlib.suppress(OSError):
            fileio.write_json(self.memo_path, self.memo)

    def check(
        self, s: Stage, paths: Mapping[str, Path], clips: Sequence[str]
    ) -> dict[str, Any]:
        """What to add to a completed stage's block: ``damaged`` files (by path,
        with why) make it not completed; ``misaligned`` clips (by path, with their
        lag in seconds) and ``fallbacks`` (candidates the model never scored) are
        noted."""
        out: dict[str, Any] = {}
        damaged: dict[str, str] = {}
        media_files = {k: p for k, p in paths.items() if p.suffix == ".mp4"}
        if media_files:
            damaged, lags = self._clips(media_files)
            if lags:
                out["misaligned"] = lags
        for path in paths.values():
            if path.suffix == ".csv":
                problem = _table_problem(path, len(clips))
            elif path.suffix == ".wav":
                problem = _wav_problem(path)
            else:
                continue
            if problem:
                damaged[str(path)] = problem
        if s.name == "scores":
            fallbacks = _fallbacks(paths["scores"])
            if fallbacks:
                out["fallbacks"] = fallbacks
        if damaged:
            out.update(completed=False, damaged=damaged)
            first = next(iter(damaged.items()))
            more = f" and {len(damaged) - 1} more" if len(damaged) > 1 else ""
            out["error"] = f"damaged: {Path(first[0]).name} {first[1]}{more}"
        return out

    def _clips(
        self, files: Mapping[str, Path]
    ) -> tuple[dict[str, str], dict[str, float]]:
        """Damaged clips and misaligned ones, by path; each clip file is read
        through at most once per version, several at a time."""
        wav = registry.path("audio", "audio", self.folder)
        todo = {}
        damaged: dict[str, str] = {}
        lags: dict[str, float] = {}
        for key, path in files.items():
            clip = key.partition(":")[2]
            rel = str(path.relative_to(self.folder))
            try:
                stamp = [_file_key(path), _file_key(wav) if wav.is_file() else None]
            except OSError as exc:
                damaged[str(path)] = f"unreadable ({exc.strerror})"
                continue
            seen = self.memo.get(rel)
            if seen is not None and seen.get("stamp") == stamp:
                if seen.get("lag") is not None:
                    lags[str(path)] = seen["lag"]
                continue
            todo[rel] = (path, clip, stamp)
        if not todo:
            return damaged, lags
        workers = min(len(todo), os.cpu_count() or 1)
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            checks = {
                rel: pool.submit(self._clip, path, clip, wav)
                for rel, (path, clip, _) in todo.items()
            }
            found = {rel: future.result() for rel, future in checks.items()}
        for rel, (problem, lag) in found.items():
            path, _, stamp = todo[rel]
            if problem:
                damaged[str(path)] = problem
                self.changed |= self.memo.pop(rel, None) is not None
                continue
            self.memo[rel] = {"stamp": stamp, "lag": lag}
            self.changed = True
            if lag is not None:
                lags[str(path)] = lag
        return damaged, lags

    def _clip(self, path: Path, clip: str, wav: Path) -> tuple[str, float | None]:
        """Why a clip is damaged ("" when it is not), and how far its sound lies
        from the transcript's (None when in step or when that cannot be told)."""
        plan = clip_plan(self.folder, clip)
        if plan is None:
            return "", None  # no selection names it: pruned by the state's writer
        expected, start, length = plan
        digest = self.folder / registry.stage("clips").side["digest"].format(clip=clip)
        problem = media.check_media(path, expected, written=_written(digest))
        if problem or not wav.is_file():
            return problem, None
        lag = media.audio_lag(path, wav, start, length)
        if lag is None or abs(lag) <= ALIGNMENT_TOLERANCE_S:
            return "", None
        return "", lag


def clip_plan(
    folder: Path, clip: str
) -> tuple[media.Expected, float, float | None] | None:
    """What a clip should be, where its first stretch starts in the source and how
    long that stretch lasts (None: the whole clip is one): from its edit plan when
    the clip stage writes one, else from its span in the selection. A trimmed clip's
    sound follows the source only until its first cut."""
    described = folder / registry.stage("highlights").side["description"].format(
        clip=clip
    )
    try:
        span = fileio.read_json(described)
        start, end = float(span["start"]), float(span["end"])
    except (*UNREADABLE, AttributeError):
        return None
    plans = [o.path for o in registry.stage("clips").outputs.values()
             if o.path.endswith(".plan.json")]  # fmt: skip
    if plans:
        try:
            plan = fileio.read_json(folder / plans[0].format(clip=clip))
            (first, last), *_ = plan["ranges"]
            length = float(last) - float(first)
            return media.Expected.of_plan(plan), float(first), length
        except (*UNREADABLE, AttributeError, KeyError, TypeError, ValueError):
            pass  # the clip's own damage: its cut runs again with its plan
    return media.Expected(duration=end - start), start, None


def _written(digest: Path) -> str | None:
    """The hash of the bytes a clip's render wrote (None for a clip rendered before
    digests were kept)."""
    try:
        return digest.read_text().strip() or None
    except OSError:
        return None


def _table_problem(path: Path, clips: int) -> str:
    """A table must hold its header and a row per clip."""
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            rows = sum(1 for _ in reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return f"unreadable ({exc})"
    if header is None:
        return "is empty"
    if rows != clips:
        return f"has {rows} row(s) for {clips} clip(s)"
    return ""


def _wav_problem(path: Path) -> str:
    """A WAV whose header counts more sound than the file holds was cut off."""
    with wave.open(str(path), "rb") as fh:
        needed = fh.getnframes() * fh.getsampwidth() * fh.getnchannels()
    if needed > path.stat().st_size:
        return f"cut off ({path.stat().st_size} bytes hold less than its {needed})"
    return ""


def _fallbacks(scores: Path) -> int:
    """Candidates a language model never scored (given the offline score)."""
    try:
        usage = fileio.read_json(scores).get("llm_usage") or {}
        return int(usage.get("fallbacks", 0))
    except (*UNREADABLE, AttributeError):
        return 0
