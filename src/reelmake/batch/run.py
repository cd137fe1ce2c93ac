"""A batch: what ``reelmake run`` asks for, how it is run, and what it gets back.

:func:`run_batch` registers the videos, repairs what is damaged, plans, runs Snakemake
(:mod:`reelmake.batch.process`) with a few lines per video on the console
(:mod:`reelmake.batch.display`) and collects the outcome. The CLI turns its options into
a :class:`RunRequest`, prints what it is told, and prints the :class:`RunResult`.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from reelmake.batch import plan, store, summary
from reelmake.batch.display import LiveOutput
from reelmake.batch.lock import lock
from reelmake.batch.process import (
    SHARED_CACHE_ENV,
    Stop,
    cancel_orphaned_slurm_jobs,
    profile_args,
    release_stale_snakemake_lock,
)
from reelmake.core import config
from reelmake.core.errors import ReelmakeError
from reelmake.core.hashing import FileKey
from reelmake.pipeline import discovery, registry
from reelmake.pipeline.state import compute_state
from reelmake.stages import whisper


@dataclass(frozen=True)
class RunRequest:
    """One ``reelmake run``."""

    workdir: Path
    videos: Sequence[str]
    cores: int
    configfile: str | None = None
    profile: str | None = None
    until: str | None = None
    # None: use what is cached; empty: run every stage again; else these stages
    # (names, design-notes names or rules) and the ones after them.
    no_cache: Sequence[str] | None = None
    rescore: bool = False
    shared_cache: str | None = None
    dry_run: bool = False
    verbose: bool = False
    # The header without Snakemake's account of what it would run again and why.
    brief: bool = False
    # Options for Snakemake itself, passed on as they are.
    snakemake: Sequence[str] = ()


@dataclass
class RunResult:
    """How a run went; ``code`` is the command's exit status."""

    code: int
    videos: list[discovery.Video] = field(default_factory=list)
    problems: list[discovery.Problem] = field(default_factory=list)
    rows: list[summary.Row] = field(default_factory=list)
    summary_file: Path | None = None
    # Videos not done (with ``until``: not done up to that stage).
    not_done: int = 0
    # Snakemake had nothing to do: every result was up to date.
    up_to_date: bool = False
    # The signal that stopped the run (SIGINT for Ctrl-C), None when none did.
    interrupted: str | None = None


class Listener(Protocol):
    """Who hears about a run as it goes (the CLI prints it)."""

    def error(self, text: str) -> None: ...

    def warning(self, text: str) -> None: ...

    def note(self, text: str) -> None: ...

    def gave_up(self, text: str) -> None:
        """Why nothing was run at all."""

    def planned(self, batch: plan.BatchPlan) -> None: ...


# Below this much free space, a failed job is taken to have failed for it.
LOW_SPACE = 64 * 1024 * 1024


def results_of(workdir: Path) -> Path:
    return workdir / "results"


def run_batch(request: RunRequest, listener: Listener) -> RunResult:
    """Register the videos, repair what is damaged, plan, run Snakemake and collect
    the outcome. Holds the folder's run lock while it works."""
    workdir = request.workdir.resolve()
    results = results_of(workdir)
    user = config.load_user(workdir, request.configfile)
    settings, configs = user.settings, user.files
    for note in user.notes:
        listener.warning(note)
    check_lengths(settings)
    if request.until:
        registry.stage(request.until, listed=True)  # an unknown name stops here
    if plan.asks_model(settings, request.until) and not request.dry_run:
        from reelmake.stages.scores.common import LLMOptions
        from reelmake.stages.scores.llm import preflight

        preflight(LLMOptions(**settings["scores"]["openai"]))
    whisper.preflight(settings, listener.note, request.until, request.dry_run)
    if request.rescore and settings["scores"]["backend"] != "openai":
        raise ReelmakeError(
            "--rescore asks the language model again; set scores.backend: openai"
        )
    forced = plan.forced_rules(request.no_cache, request.rescore)
    paths, problems = discovery.discover(request.videos)
    if not paths:
        # Nothing to process: no lock and no results folder either.
        for problem in problems:
            listener.error(str(problem))
        if problems:
            listener.gave_up("no video left to process")
        else:
            listener.error("no videos to process; name video files, folders or "
                           "glob patterns: reelmake run VIDEO...")  # fmt: skip
        return RunResult(1, problems=problems)
    with lock(results):
        videos, unreadable = discovery.register(paths, results)
        problems += unreadable
        for problem in problems:
            listener.error(str(problem))
        if not videos:
            if problems:
                listener.gave_up("no video left to process")
            else:
                listener.error("no videos to process")
            return RunResult(1, problems=problems)
        states = {v.hash: _repaired(results, v, listener) for v in videos}
        plans = {}
        if not request.brief and any(s["last_stage"] for s in states.values()):
            # What Snakemake itself would re-run, and why: the header then agrees
            # with `reelmake status` and with what runs.
            why = plan.snakemake_plan(
                workdir, results, [v.hash for v in videos], configs
            )
            plans = {h: plan.stage_status(st, why, results) for h, st in states.items()}
        listener.planned(
            plan.BatchPlan(videos, states, forced, plans, checked=not request.brief)
        )
        _clear_leftovers(workdir, request.dry_run, listener)
        keys = {v.hash: _file_key(v.path) for v in videos}
        began = time.time()
        code, up_to_date, stop, log = _run(
            request, workdir, results, videos, configs, forced, listener
        )
    if request.dry_run:
        return RunResult(code, videos, problems, up_to_date=up_to_date)
    ran = Ran(code, up_to_date, stop, began, log)
    return _outcome(request, results, videos, problems, keys, ran, listener)


def check_lengths(settings: dict[str, Any]) -> None:
    """Refuse lengths that leave no clip possible once the segment preset fills in
    what is not set (each section alone is checked by the config's validation)."""
    from reelmake.stages.highlights import SelectOptions
    from reelmake.stages.segments import SegmentOptions

    band = SegmentOptions.from_config(settings)
    chosen = SelectOptions.from_config(settings)
    longest = f"the longest candidate ({band.max_seconds:g} s, preset "
    longest += f"{settings['segments']['preset']})"
    shortest = f"the shortest candidate ({band.min_seconds:g} s, preset "
    shortest += f"{settings['segments']['preset']})"
    if band.min_seconds > band.max_seconds:
        raise ReelmakeError(
            f"configuration: segments.min_seconds ({band.min_seconds:g}) is above "
            f"{longest}, so there would be no candidate; set segments.max_seconds "
            "too, or choose another preset"
        )
    if chosen.min_seconds > band.max_seconds:
        raise ReelmakeError(
            f"configuration: highlights.min_seconds ({chosen.min_seconds:g}) is above "
            f"{longest}, so no clip could be selected; lower it, or raise "
            "segments.max_seconds"
        )
    if chosen.max_seconds < band.min_seconds:
        raise ReelmakeError(
            f"configuration: highlights.max_seconds ({chosen.max_seconds:g}) is below "
            f"{shortest}, so no clip could be selected; raise it, or lower "
            "segments.min_seconds"
        )


def _repaired(
    results: Path, video: discovery.Video, listener: Listener
) -> dict[str, Any]:
    """A video's stage state, once its damaged files are removed (each named in a
    warning) so that their stages run again; marks it as used now."""
    state = compute_state(results, video.hash)
    warnings = store.repair(results, video.hash, state)
    for warning in warnings:
        listener.warning(warning)
    if warnings:
        state = compute_state(results, video.hash)
    store.touch_used(results, video.hash)
    return state


def _clear_leftovers(workdir: Path, dry_run: bool, listener: Listener) -> None:
    """What an interrupted run left behind: Snakemake's lock, cluster jobs."""
    if release_stale_snakemake_lock(workdir):
        listener.note("released the lock left behind by an interrupted run")
    if dry_run:
        return
    for line in cancel_orphaned_slurm_jobs(workdir):
        if line.startswith("warning: "):
            listener.warning(line.removeprefix("warning: "))
        else:
            listener.note(line)


@dataclass(frozen=True)
class Ran:
    """How Snakemake's part of a run went."""

    code: int
    up_to_date: bool
    stop: Stop
    began: float  # time.time() as it started
    log: Path | None  # Snakemake's own output, unless it went to the console


def _outcome(
    request: RunRequest,
    results: Path,
    videos: list[discovery.Video],
    problems: list[discovery.Problem],
    keys: dict[str, FileKey | None],
    ran: Ran,
    listener: Listener,
) -> RunResult:
    """After Snakemake: videos that changed meanwhile, failures, what the jobs had
    to say, the batch table."""
    changed = changed_during_run(videos, keys)
    for problem in changed:
        listener.error(str(problem))
    problems += changed
    # Not done, whatever its files say: the summary lists it with its problem.
    gone = {p.path for p in changed}
    videos = [v for v in videos if str(v.path) not in gone]
    stopped = ran.stop.name
    rows = summary.rows(results, videos, interrupted=stopped)
    for row in rows:
        if row.status == "failed":
            folder = results / row.video_hash
            listener.error(_named(row.video, _with_disk(row.error, folder)))
    if ran.code and not stopped and not any(r.status == "failed" for r in rows):
        # No job failed, so no job's log says why: Snakemake itself stopped.
        where = f" (its log: {ran.log})" if ran.log else ""
        listener.error(_with_disk(
            f"the workflow stopped with exit status {ran.code} before its jobs "
            f"were done{where}", results,
        ))  # fmt: skip
    for video in videos:
        for line in summary.notices(results, video.hash, ran.began):
            listener.warning(_named(str(video.path), line))
    for row in rows:
        if row.status == "done" and row.clips == 0 and request.until is None:
            reason = summary.no_clips_reason(results, row.video_hash)
            listener.warning(_named(row.video, f"no clips: {reason}"))
    target = summary.write_summary(results, videos, problems, stopped)
    not_done = _not_done(rows, request.until)
    code = ran.code
    if problems or not_done:
        code = 1
    if stopped:
        code = ran.stop.code
    return RunResult(code, videos, problems, rows, target, not_done, ran.up_to_date,
                     stopped)  # fmt: skip


def _named(video: str, line: str) -> str:
    """A line about a video starts with the video, unless it names it already."""
    return line if video in line else f"{video}: {line}"


# A path a tool names as the file it could not write ("...: No space left on device").
_NO_SPACE_AT = re.compile(r"(/[^\s'\"]+?):? No space left on device")


def _with_disk(error: str, folder: Path) -> str:
    """A failure on a full disk says so, with the folder and its free space (a
    tool's last words may not): the folder of the file it names, else the fullest
    of the folders the video's stages write to (``folder``: the video's)."""
    named = _NO_SPACE_AT.search(error)
    if named:
        where = Path(named.group(1)).parent
    else:
        written = {folder} | {
            (folder / path).parent
            for s in registry.REGISTRY
            for path in registry.globs(s)
        }
        space = {d: store.free_space(d) for d in written if d.is_dir()}
        where = min(space, key=lambda d: space[d] or 0, default=folder)
    free = store.free_space(where)
    said = named is not None or "disk full" in error or "No space left" in error
    if free is None or (free >= LOW_SPACE and not said):
        return error
    advice = "" if "free some space" in error else ": free some space and run again"
    return (
        f"{error}; the disk holding {where} has only {store.size_text(free)} free"
        + (advice)
    )


def _not_done(rows: Sequence[summary.Row], until: str | None) -> int:
    """Videos not done (with ``until``: not done up to that stage)."""
    if until is None:
        return sum(r.status != "done" for r in rows)
    order = [s.name for s in registry.LISTED]
    wanted = order.index(registry.stage(until, listed=True).name)
    return sum(
        r.status == "failed"
        or r.last_stage not in order
        or order.index(r.last_stage) < wanted
        for r in rows
    )


def _run(
    request: RunRequest,
    workdir: Path,
    results: Path,
    videos: Sequence[discovery.Video],
    configs: Sequence[Path],
    forced: list[str] | None,
    listener: Listener,
) -> tuple[int, bool, Stop, Path | None]:
    """Run Snakemake for the batch; its exit status, whether it had nothing to do,
    the signals that stopped it and its log."""
    run: dict[str, Any] = {"rescore": request.rescore}
    smk_args = ["--cores", str(request.cores), *request.snakemake]
    shared = request.shared_cache or os.environ.get(SHARED_CACHE_ENV)
    env = None
    if shared:
        # Snakemake's between-workflow cache; the model's answers go there too.
        folder = Path(shared).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, SHARED_CACHE_ENV: str(folder)}
        run["shared_cache"] = str(folder)
        smk_args.append("--cache")
    # The run writes the batch table itself once it has checked its videos.
    run["summary"] = False
    extra = plan.overlay(
        results, [v.path for v in videos], [v.hash for v in videos], run
    )
    try:
        smk_args += ["--configfile", *map(str, configs), str(extra)]
        smk_args += profile_args(request.profile)
        if request.dry_run:
            smk_args.append("--dry-run")
        if forced == []:
            smk_args.append("--forceall")
        elif forced:
            smk_args += ["--forcerun", *forced]
        live = LiveOutput(
            request.verbose or request.dry_run, results, videos, env, listener.note
        )
        if not request.until:
            code = live.run(workdir, smk_args)
        else:
            code = _run_until(workdir, results, videos, request.until, smk_args, live)
        live.finish()
    finally:
        extra.unlink(missing_ok=True)
    # A Snakemake that ran no job and failed had something to do: it could not.
    return code, live.up_to_date and code == 0, live.stop, live.log


def _run_until(
    workdir: Path,
    results: Path,
    videos: Sequence[discovery.Video],
    until: str,
    smk_args: list[str],
    live: LiveOutput,
) -> int:
    """Run up to a stage by asking for its files and those of every stage before
    it (Snakemake's ``--until`` loses its targets when a checkpoint updates the
    graph). The clips are known only after the selection, so a stage with a file
    per clip takes two runs."""
    order = [s.name for s in registry.LISTED]
    names = order[: order.index(registry.stage(until, listed=True).name) + 1]

    def targets(chosen: Sequence[discovery.Video]) -> list[str]:
        return [str(p) for v in chosen for n in names
                for p in _stage_paths(results, v, n)]  # fmt: skip

    # Targets go before --configfile, which takes every word after it.
    code = live.run(workdir, targets(videos) + smk_args)
    if live.stop.signals or not any(registry.stage(n).per_clip for n in names):
        return code
    selected = [v for v in videos if registry.clip_names(results / v.hash) is not None]
    if not selected:
        return code
    return max(code, live.run(workdir, targets(selected) + smk_args))


def _stage_paths(results: Path, video: discovery.Video, name: str) -> list[Path]:
    """A stage's files of one video, relative to the working folder as the rules
    name them."""
    folder = results / video.hash
    clips = registry.clip_names(folder) or ()
    paths = registry.results_of(registry.stage(name), folder, clips)
    return [p.relative_to(results.parent) for p in paths.values()]


def _file_key(path: Path) -> FileKey | None:
    try:
        return FileKey.of(path)
    except OSError:
        return None


def changed_during_run(
    videos: Sequence[discovery.Video], keys: dict[str, FileKey | None]
) -> list[discovery.Problem]:
    """Videos whose file is not what it was when the run began."""
    return [
        discovery.Problem(
            str(v.path),
            "changed while it was processed: its results may mix two versions; "
            "run again to process it as it is now",
        )
        for v in videos
        if _file_key(v.path) != keys[v.hash]
    ]
