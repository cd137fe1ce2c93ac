"""The ``reelmake`` command: the workflow for people who don't know Snakemake."""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from reelmake import cache, config, console, discovery, stages, summary, workflow
from reelmake.cache import SHARED_CACHE_ENV
from reelmake.discovery import source_link
from reelmake.errors import ReelmakeError
from reelmake.hashing import INDEX_NAME, FileKey, HashIndex, short

if TYPE_CHECKING:
    from reelmake.segment import SegmentOptions

RULE = "=" * 60


def _results(workdir: Path) -> Path:
    return workdir / "results"


def _split_no_cache(args: argparse.Namespace) -> tuple[bool, list[str]]:
    """``--no-cache`` takes optional stage names; anything else after it is a video."""
    if args.no_cache is None:
        return False, []
    names: list[str] = []
    for item in args.no_cache:
        try:
            names.append(stages.stage(item).rule)
        except KeyError:
            args.videos.append(item)
    return True, names


def print_cache_report(
    videos: Sequence[discovery.Video],
    states: dict[str, dict[str, Any]],
    forced: list[str] | None,
    plans: dict[str, dict[str, dict[str, str]]] | None = None,
) -> None:
    """Per video, which stages are cached and which will run (``plans``: each video's
    :func:`_stage_status`, which says why a finished stage will run again)."""
    print(RULE)
    print("CHECKING FOR CACHED STATE")
    print(RULE)
    for video in videos:
        state = states[video.hash]
        print(f"{video.path}  [{video.hash}]")
        if state["last_stage"] is None:
            print("  no cached state: every stage will run")
        else:
            print(f"  found cached state from {state['last_updated']}")
            print(f"  last completed stage: {state['last_stage']}")
        forcing = False
        for s in stages.STAGES:
            block = state[s.name]
            forcing = (
                forcing or forced == [] or (forced is not None and s.rule in forced)
            )
            planned = (plans or {}).get(video.hash, {}).get(s.name, {})
            if block["completed"] and forcing:
                print(f"  ↻ {s.name}: will run again (--no-cache)")
            elif block["completed"] and planned.get("status") == "stale":
                print(f"  ↻ {s.name}: will run again ({planned['reason']})")
            elif block["completed"]:
                detail = _stage_detail(s, block)
                print(f"  ✓ {s.name}: SKIPPED (using cached result){detail}")
            else:
                extra = f" ({block['error']})" if "error" in block else ""
                print(f"  → {s.name}: will run{extra}")
    if forced is None:
        print("  (use --no-cache [STAGE] to force reprocessing)")
    print(RULE, flush=True)


def _stage_detail(s: stages.Stage, block: dict[str, Any]) -> str:
    counts = [f"{k} {v}" for k, v in block.items() if k.endswith("_count")]
    first = next(iter(s.files), None)
    where = f": {block[first]}" if first else ""
    return where + (f" ({', '.join(counts)})" if counts else "")


def cmd_run(args: argparse.Namespace) -> int:
    workdir = Path(args.directory).resolve()
    results = _results(workdir)
    user_configs, settings = _load_config(workdir, args.configfile)
    asks_model = settings["score"]["backend"] == "openai"
    if args.until:  # a run that stops before scoring asks the model nothing
        order = [s.name for s in stages.STAGES]
        asks_model &= order.index(stages.stage(args.until).name) >= order.index(
            "ai_scoring"
        )
    if asks_model and not args.dry_run:
        from reelmake.llm import LLMOptions, preflight

        preflight(LLMOptions(**settings["score"]["openai"]))
    if args.rescore:
        from reelmake.llm import REFRESH_ENV

        if settings["score"]["backend"] != "openai":
            raise ReelmakeError(
                "--rescore asks the language model again; set score.backend: openai"
            )
        os.environ[REFRESH_ENV] = "1"
        args.no_cache = [*(args.no_cache or []), "score_segments"]
    no_cache, forced_rules = _split_no_cache(args)
    paths, problems = discovery.discover(args.videos)
    if not paths:
        # Nothing to process: no lock and no results folder either.
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        print("reelmake: no video left to process" if problems else
              "error: no videos to process; name video files, folders or glob "
              "patterns: reelmake run VIDEO...", file=sys.stderr)  # fmt: skip
        return 1
    with workflow.RunLock(results / discovery.STATE_DIR / "run.lock"):
        videos, unreadable = discovery.register(paths, results)
        problems += unreadable
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        if not videos:
            print("reelmake: no video left to process" if problems
                  else "error: no videos to process", file=sys.stderr)  # fmt: skip
            return 1
        states = {}
        for video in videos:
            state = stages.compute_state(results, video.hash)
            warnings = cache.repair(results, video.hash, state)
            for warning in warnings:
                print(f"warning: {warning}", file=sys.stderr)
            if warnings:
                state = stages.compute_state(results, video.hash)
            states[video.hash] = state
            cache.touch_used(results, video.hash)
        forced = (forced_rules or []) if no_cache else None
        plans = {}
        if any(state["last_stage"] for state in states.values()):
            # What Snakemake itself would re-run, and why: the header then agrees
            # with `reelmake status` and with what runs.
            plan = _plan(workdir, results, [v.hash for v in videos], user_configs)
            plans = {h: _stage_status(st, plan, results) for h, st in states.items()}
        print_cache_report(videos, states, forced, plans)
        if workflow.release_stale_snakemake_lock(workdir):
            print("released the lock left behind by an interrupted run")
        if not args.dry_run:
            for line in workflow.cancel_orphaned_slurm_jobs(workdir):
                print(line, file=sys.stderr if line.startswith("warning") else None)
        overlay = _overlay(results, [v.path for v in videos], [v.hash for v in videos])
        keys = {v.hash: _file_key(v.path) for v in videos}
        try:
            smk_args = ["--cores", str(args.cores), *getattr(args, "snakemake", [])]
            if args.shared_cache:
                # Snakemake's between-workflow cache; the LLM answers go there too.
                os.environ[SHARED_CACHE_ENV] = str(Path(args.shared_cache).resolve())
            if os.environ.get(SHARED_CACHE_ENV):
                Path(os.environ[SHARED_CACHE_ENV]).mkdir(parents=True, exist_ok=True)
                smk_args.append("--cache")
            smk_args.append("--configfile")
            smk_args += [str(p) for p in user_configs]
            smk_args.append(str(overlay))
            smk_args += workflow.profile_args(args.profile)
            if args.dry_run:
                smk_args.append("--dry-run")
            if no_cache and not forced_rules:
                smk_args.append("--forceall")
            elif forced_rules:
                smk_args += ["--forcerun", *forced_rules]
            live = _LiveOutput(args, results, videos)
            if not args.until:
                code = live.run(workdir, smk_args)
            else:
                code = _run_until(workdir, results, videos, args.until, smk_args, live)
            live.finish()
        finally:
            overlay.unlink(missing_ok=True)
    if not args.dry_run:
        changed = _changed_during_run(videos, keys)
        for problem in changed:
            print(f"error: {problem}", file=sys.stderr)
        problems += changed
        # Not done, whatever its files say: the summary lists it with its problem.
        gone = {p.path for p in changed}
        videos = [v for v in videos if str(v.path) not in gone]
    failed = (
        0 if args.dry_run else _report_failures(videos, problems, results, args.until)
    )
    if problems or failed:
        print(
            f"reelmake: {len(problems) + failed} video(s) could not be processed; "
            "see the lines starting with 'error:' above",
            file=sys.stderr,
        )
        return 1
    return code


def _run_until(
    workdir: Path,
    results: Path,
    videos: Sequence[discovery.Video],
    until: str,
    smk_args: list[str],
    live: _LiveOutput,
) -> int:
    """Run up to a stage by asking for its files (Snakemake's ``--until`` loses its
    targets when a checkpoint updates the graph). The clips are known only after the
    selection, so that stage takes two runs."""
    stage = stages.stage(until)
    if stage.per_clip and not stage.files:
        # Targets go before --configfile, which takes every word after it.
        before = [str(p) for v in videos for p in _stage_paths(results, v, "selection")]
        code = live.run(workdir, before + smk_args)
        targets = [
            str(p)
            for v in videos
            if stages.clip_names(results / v.hash) is not None
            for p in _stage_paths(results, v, stage.name)
        ]
        if not targets:
            return code
        return max(code, live.run(workdir, targets + smk_args))
    targets = [str(p) for v in videos for p in _stage_paths(results, v, stage.name)]
    return live.run(workdir, targets + smk_args)


def _stage_paths(results: Path, video: discovery.Video, name: str) -> list[Path]:
    """A stage's files of one video, relative to the working folder as the rules
    name them."""
    folder = results / video.hash
    paths = stages.stage(name).paths(folder, stages.clip_names(folder) or ())
    return [p.relative_to(results.parent) for p in paths.values()]


class _LiveOutput:
    """Where Snakemake's output goes during a run: live on the console (``--verbose``
    and dry runs), or to a log file while :class:`console.Display` shows a few lines
    per video."""

    def __init__(
        self,
        args: argparse.Namespace,
        results: Path,
        videos: Sequence[discovery.Video],
    ) -> None:
        self.display: console.Display | None = None
        self.log: Path | None = None
        self.logger_args: list[str] = []
        if args.verbose or args.dry_run:
            return
        logs = results / discovery.STATE_DIR / "logs"
        stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"
        self.log = logs / f"run-{stamp}.log"
        events = logs / f"run-{stamp}.events.jsonl"
        logs.mkdir(parents=True, exist_ok=True)
        # Snakemake's structured events, for the display (our logger plugin).
        self.logger_args = ["--logger", "reelmake", "--logger-reelmake-events",
                            str(events)]  # fmt: skip
        print(f"full log: {_shown(self.log, Path.cwd())} (--verbose shows it here)",
              flush=True)  # fmt: skip
        self.display = console.Display(
            [(v.path.name, v.hash) for v in videos],
            results,
            events,
            sys.stdout,
            terminal=sys.stdout.isatty(),
        )

    def run(self, workdir: Path, smk_args: list[str]) -> int:
        if self.display is None:
            return workflow.run_snakemake(workdir, smk_args)
        return workflow.run_snakemake(
            workdir, smk_args + self.logger_args, tick=self.display.tick, log=self.log
        )

    def finish(self) -> None:
        if self.display is None:
            return
        self.display.finish()
        if not self.display.jobs:
            print("nothing to do: every result is up to date")


def _overlay(
    results: Path, paths: Sequence[Path], hashes: Sequence[str] | None = None
) -> Path:
    """A config file naming exactly these videos, for one Snakemake call; with
    ``hashes`` (one per path, as registered now), Snakemake does not hash them again."""
    overlay = results / discovery.STATE_DIR / f"run-{os.getpid()}.yaml"
    overlay.parent.mkdir(parents=True, exist_ok=True)
    pinned = dict(zip(map(str, paths), hashes, strict=True)) if hashes else {}
    overlay.write_text(
        yaml.safe_dump({"videos": [str(p) for p in paths], "video_hashes": pinned})
    )
    return overlay


def _file_key(path: Path) -> FileKey | None:
    try:
        return FileKey.of(path)
    except OSError:
        return None


def _changed_during_run(
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


def _user_configs(workdir: Path, explicit: str | None) -> list[Path]:
    return _load_config(workdir, explicit)[0]


def _load_config(
    workdir: Path, explicit: str | None
) -> tuple[list[Path], dict[str, Any]]:
    """The user's config files and the merged configuration, checked before any work."""
    if explicit:
        paths = [Path(explicit).resolve()]
    else:
        own = workdir / "config.yaml"
        paths = [own] if own.is_file() else []
    wf = workflow.workflow_dir() / "config"
    schema = config.load_schema(wf / "schemas" / "config.schema.yaml")
    merged = config.load(wf / "config.yaml")
    used = []
    for path in paths:
        if not path.is_file():
            raise ReelmakeError(f"{path}: config file not found")
        user = config.load(path)
        if not user:  # an empty file (or only comments) changes nothing
            continue
        config.validate(copy.deepcopy(user), schema, source=str(path))
        merged = _deep_update(merged, user)
        used.append(path)
    config.validate(merged, schema, source="configuration")
    return used, merged


def _deep_update(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_update(out[key], value)
        else:
            out[key] = value
    return out


def _report_failures(
    videos: Sequence[discovery.Video],
    problems: Sequence[discovery.Problem],
    results: Path,
    until: str | None = None,
) -> int:
    """Print each failed video's error and write the batch table; count the videos
    not done (with ``until``: not done up to that stage)."""
    rows = summary.rows(results, videos)
    for row in rows:
        if row.status == "failed":
            named = row.error if row.video in row.error else f"{row.video}: {row.error}"
            print(f"error: {named}", file=sys.stderr)
    target = summary.write_summary(results, videos, problems)
    here = Path.cwd()
    for row in rows:
        if row.status != "done":
            continue
        folder = results / row.video_hash
        print(f"{Path(row.video).name}: {row.clips} clip(s) in "
              f"{_shown(folder / 'ranked', here)}/, report "
              f"{_shown(folder / 'report.html', here)}")  # fmt: skip
    done = sum(r.status == "done" for r in rows)
    if done:
        print(f"all videos: {_shown(results / 'report.html', here)}")
    print(f"summary: {done} of {len(rows) + len(problems)} video(s) done; {target}")
    if until is None:
        return sum(r.status != "done" for r in rows)
    order = [s.name for s in stages.STAGES]
    wanted = order.index(stages.stage(until).name)
    return sum(
        r.status == "failed"
        or r.last_stage not in order
        or order.index(r.last_stage) < wanted
        for r in rows
    )


def _shown(path: Path, here: Path) -> str:
    """``path`` as a person would type it from ``here``."""
    try:
        return str(path.relative_to(here))
    except ValueError:
        return str(path)


def _plan(
    workdir: Path,
    results: Path,
    hashes: Sequence[str],
    configs: Sequence[Path] | None = None,
) -> dict[str, str]:
    """Why Snakemake would re-run each output file ('' when it would not);
    ``configs``: the user's config files (default: ./config.yaml if any)."""
    links = [source_link(results, h) for h in hashes]
    videos = [Path(os.path.realpath(link)) for link in links if link and link.exists()]
    if not videos:
        return {}
    overlay = _overlay(results, videos)
    try:
        args = ["--summary", "--quiet", "all", "--configfile"]
        if configs is None:
            configs = _user_configs(workdir, None)
        args += [str(p) for p in configs] + [str(overlay)]
        out = subprocess.run(
            workflow.snakemake_command(workdir, args),
            capture_output=True,
            text=True,
            check=False,
        ).stdout
    finally:
        overlay.unlink(missing_ok=True)
    plan = {}
    for line in out.splitlines()[1:]:
        cols = line.split("\t")
        if len(cols) >= 6 and cols[5] == "update pending":
            plan[cols[0]] = cols[4] if cols[4] not in ("ok", "-") else "upstream"
        elif len(cols) >= 6:
            plan[cols[0]] = ""
    return plan


def _stage_status(
    state: dict[str, Any], plan: dict[str, str], results: Path
) -> dict[str, dict[str, str]]:
    """done, pending or stale (with the reason) for every stage of one video."""
    folder = results / state["video_hash"]
    clips = stages.clip_names(folder) or []
    out: dict[str, dict[str, str]] = {}
    upstream_stale = False
    for s in stages.STAGES:
        block = state[s.name]
        reasons = {
            plan.get(os.path.relpath(p, results.parent), "")
            for p in s.paths(folder, clips).values()
        } - {""}
        if not block["completed"]:
            out[s.name] = {
                "status": "pending",
                "reason": block.get("error", "not run yet"),
            }
        elif reasons or upstream_stale:
            named = sorted(r for r in reasons if r != "upstream")
            if named:
                reason = ", ".join(named)
            elif upstream_stale:
                reason = "an earlier stage will run again"
            else:
                reason = "input or code changed"
            out[s.name] = {"status": "stale", "reason": reason}
        else:
            out[s.name] = {"status": "done", "reason": ""}
        upstream_stale = upstream_stale or out[s.name]["status"] != "done"
    return out


def cmd_status(args: argparse.Namespace) -> int:
    workdir = Path(args.directory).resolve()
    results = _results(workdir)
    problems: list[discovery.Problem] = []
    if args.videos:
        paths, problems = discovery.discover(args.videos)
        index = HashIndex(results / discovery.STATE_DIR / INDEX_NAME)
        hashes = [short(index.hash(p)) for p in paths]
    else:
        hashes = cache.known_hashes(results)
        if not hashes:
            print("[]" if args.json else f"no results in {results}: no video has "
                  "been processed here yet (reelmake run VIDEO)")  # fmt: skip
            return 0
    plan = _plan(workdir, results, hashes)
    states = []
    for h in hashes:
        state = stages.compute_state(results, h)
        state["plan"] = _stage_status(state, plan, results)
        states.append(state)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if args.json:
        print(json.dumps(states, indent=2))
    for state in [] if args.json else states:
        print(f"{state['video_path']}  [{state['video_hash']}]")
        print(f"  last completed stage: {state['last_stage'] or 'none'}")
        for s in stages.STAGES:
            item = state["plan"][s.name]
            reason = f" ({item['reason']})" if item["reason"] else ""
            print(f"  {s.name:<18} {item['status']}{reason}")
    return 1 if problems else 0


def cmd_clean(args: argparse.Namespace) -> int:
    workdir = Path(args.directory).resolve()
    results = _results(workdir)
    if not args.all and not args.videos:
        raise ReelmakeError("name the videos to clean, or use --all")
    with workflow.RunLock(results / discovery.STATE_DIR / "run.lock"):
        if args.all:
            freed = cache.folder_size(results) if results.exists() else 0
            cache.remove([results, workdir / ".snakemake" / "metadata"])
            print(f"removed all results ({freed / 1e6:.1f} MB)")
            return 0
        paths, problems = discovery.discover(args.videos)
        index = HashIndex(results / discovery.STATE_DIR / INDEX_NAME)
        removed: list[Path] = []
        for path in paths:
            folder = results / short(index.hash(path))
            if args.stage:
                files = cache.stage_files(folder, cache.later_stages(args.stage))
            else:
                files = [p for p in folder.rglob("*") if p.is_file() or p.is_symlink()]
            freed = cache.remove([folder] if not args.stage else files)
            removed += files
            what = f"{args.stage} and later stages" if args.stage else "all results"
            print(f"{path}: removed {what} ({freed / 1e6:.1f} MB)")
        _forget(workdir, results, removed)
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1 if problems else 0


def _forget(workdir: Path, results: Path, files: Sequence[Path]) -> None:
    """Drop Snakemake's records of removed files, so nothing stale remains."""
    names = [os.path.relpath(p, workdir) for p in files if not p.name.startswith(".")]
    if names:
        subprocess.run(
            workflow.snakemake_command(
                workdir, ["--config", "videos=[]", "--cleanup-metadata", *names]
            ),
            capture_output=True,
            check=False,
        )


def cmd_gc(args: argparse.Namespace) -> int:
    workdir = Path(args.directory).resolve()
    results = _results(workdir)
    settings = _load_config(workdir, None)[1]["gc"]
    older = args.older_than or settings["older_than"]
    size = args.max_size or settings["max_size"]
    if older is None and size is None:
        raise ReelmakeError(
            "give --older-than and/or --max-size (or set gc: in config)"
        )
    if not cache.known_hashes(results):
        print(f"nothing to remove: no results in {results}")
        return 0
    with workflow.RunLock(results / discovery.STATE_DIR / "run.lock"):
        plan = cache.plan_gc(
            results,
            cache.parse_age(older) if older else None,
            cache.parse_size(size) if size else None,
        )
        if not plan:
            limits = " and ".join(
                text for text in (older and f"nothing unused for {older}",
                                  size and f"the cache is within {size}") if text
            )  # fmt: skip
            print(f"nothing to remove: {limits}")
        total = 0
        for item in plan:
            link = source_link(results, item.video_hash)
            name = os.path.realpath(link) if link else "?"
            verb = "would remove" if args.dry_run else "removing"
            size_mb = item.size / 1e6
            print(f"{verb} {item.video_hash} {name} ({size_mb:.1f} MB, {item.reason})")
            if not args.dry_run:
                folder = results / item.video_hash
                files = [p for p in folder.rglob("*") if p.is_file()]
                total += cache.remove([folder])
                _forget(workdir, results, files)
        if not args.dry_run:
            print(f"freed {total / 1e6:.1f} MB from {len(plan)} video(s)")
    return 0


def cmd_hash(args: argparse.Namespace) -> int:
    paths, problems = discovery.discover(args.videos)
    results = _results(Path(args.directory).resolve())
    index = HashIndex(results / discovery.STATE_DIR / INDEX_NAME)
    for path in paths:
        print(f"{short(index.hash(path))}  {path}")
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


def cmd_demo(args: argparse.Namespace) -> int:
    from reelmake.demo import DEMO_SCRIPT, make_video

    workdir = Path(args.directory).resolve()
    video = workdir / "demo-talk.mp4"
    if not video.is_file():
        print(f"generating a demo video with ffmpeg and espeak-ng: {video}")
        make_video(video, DEMO_SCRIPT)
    code = cmd_run(_run_args("--directory", str(workdir), "--cores", str(args.cores),
                             "--", str(video)))  # fmt: skip
    if code == 0:
        print(f"done: results are in {_results(workdir)}")
    return code


def _planning_input(
    folder: Path, path: Path, video_hash: str, options: SegmentOptions
) -> tuple[dict[str, Any], str]:
    """What scoring would read for one video, from the furthest stage that exists:
    its candidates, its transcript segmented here, or a model of its speech from its
    duration. Nothing is run or written."""
    from reelmake import media, segment
    from reelmake.transcribe import load_transcript

    candidates = stages.stage("segmentation").paths(folder)["candidates_path"]
    transcript = stages.stage("transcription").paths(folder)["transcript_path"]
    try:
        return json.loads(candidates.read_text()), "its candidates"
    except (OSError, ValueError):
        pass
    try:
        words = load_transcript(transcript).words
        return segment.candidates_data(words, video_hash, options), "its transcript"
    except (OSError, ValueError, KeyError, TypeError):
        pass
    words = segment.modelled_words(media.probe(path).duration)
    return (
        segment.candidates_data(words, video_hash, options),
        "its duration (not transcribed yet: a model of 150 words a minute)",
    )


def cmd_estimate(args: argparse.Namespace) -> int:
    """Count what language-model scoring would send, from what exists; runs nothing
    and writes nothing."""
    from reelmake.hashing import hash_file
    from reelmake.llm import LLMOptions, estimate
    from reelmake.picks import estimate as picks_estimate
    from reelmake.picks import sentences_of
    from reelmake.scoring import contexts_before
    from reelmake.segment import Candidate, options_for

    workdir = Path(args.directory).resolve()
    results = _results(workdir)
    settings = _load_config(workdir, args.configfile)[1]
    options = LLMOptions(**settings["score"]["openai"])
    seg_options = options_for(**settings["segment"])
    paths, problems = discovery.discover(args.videos)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if not paths:
        print("error: no videos to estimate", file=sys.stderr)
        return 1
    index_file = results / discovery.STATE_DIR / INDEX_NAME
    index = HashIndex(index_file) if index_file.is_file() else None
    if settings["score"]["backend"] != "openai":
        print("score.backend is heuristic: scoring sends no requests. With "
              "score.backend: openai it would send:")  # fmt: skip
    print(f"model {options.model} at {options.base_url or 'the OpenAI API'}; "
          f"mode {options.mode} (the other is shown for comparison)")  # fmt: skip
    head = (f"{'video':<32} {'':<10} {'units':>7} {'cached':>7} {'requests':>9} "
            f"{'~prompt tok':>12} {'~output tok':>12}")  # fmt: skip
    print(head)
    totals: dict[str, list[int]] = {"transcript": [0] * 5, "passages": [0] * 5}
    for path in paths:
        video_hash = short(index.hash(path) if index else hash_file(path))
        data, basis = _planning_input(results / video_hash, path, video_hash,
                                      seg_options)  # fmt: skip
        t = picks_estimate(options, sentences_of(data))
        found = [Candidate(**c) for c in data["candidates"]]
        e = estimate(options, found, contexts_before(data))
        rows = {
            "transcript": [t.chunks, t.cached, t.requests, t.prompt_tokens,
                           t.completion_tokens],
            "passages": [e.candidates, e.cached, e.requests, e.prompt_tokens,
                         e.completion_tokens],
        }  # fmt: skip
        for mode, row in rows.items():
            totals[mode] = [a + b for a, b in zip(totals[mode], row, strict=True)]
            print(f"{path.name[:32]:<32} {mode:<10} {row[0]:>7} {row[1]:>7} "
                  f"{row[2]:>9} {row[3]:>12} {row[4]:>12}")  # fmt: skip
        print(f"{'':<32} (transcript itself: ~{t.transcript_tokens} tokens; "
              f"from {basis})")  # fmt: skip
    for mode, row in totals.items():
        print(f"{'total':<32} {mode:<10} {row[0]:>7} {row[1]:>7} {row[2]:>9} "
              f"{row[3]:>12} {row[4]:>12}")  # fmt: skip
    print("units: transcript chunks (transcript mode) or candidates (passages mode); "
          "plus one request per video for the selected clips' titles and "
          "descriptions")  # fmt: skip
    return 1 if problems else 0


def _run_args(*argv: str) -> argparse.Namespace:
    """The options of `reelmake run ARGV`, every default included."""
    return build_parser().parse_args(["run", *argv])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reelmake", description="Turn long videos into ranked highlight clips."
    )
    parser.add_argument("--version", action="version",
                        version=f"reelmake {_version()}")  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--directory", "-d", default=".", help="folder holding results/ (default: here)"
    )
    stage_names = ", ".join(s.name for s in stages.STAGES)

    run = sub.add_parser("run", parents=[common], help="process videos")
    run.add_argument("videos", nargs="*", help="video files, folders or glob patterns")
    run.add_argument(
        "--no-cache", nargs="*", metavar="STAGE",
        help=f"run again: all stages, or these stages and later ones ({stage_names})",
    )  # fmt: skip
    run.add_argument(
        "--cores", type=int, default=os.cpu_count() or 1,
        help="jobs and threads at once (default: every core)",
    )  # fmt: skip
    run.add_argument("--profile", help="a Snakemake profile (slurm, or a path)")
    run.add_argument(
        "--configfile", help="a config file (default: ./config.yaml if any)"
    )
    run.add_argument("--until", metavar="STAGE", help="stop after this stage")
    run.add_argument(
        "--shared-cache",
        metavar="DIR",
        help="a folder shared by checkouts and machines: transcripts, scores and LLM "
        f"answers made elsewhere are reused (default: ${SHARED_CACHE_ENV} if set)",
    )
    run.add_argument("--dry-run", "-n", action="store_true", help="show what would run")
    run.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="show Snakemake's own output as it runs (it goes to a log file otherwise)",
    )
    run.add_argument(
        "--rescore",
        action="store_true",
        help="ask the language model again, bypassing its answer cache",
    )
    run.set_defaults(func=cmd_run)

    est = sub.add_parser(
        "estimate", parents=[common], help="requests and tokens an LLM run would send"
    )
    est.add_argument("videos", nargs="+")
    est.add_argument(
        "--configfile", help="a config file (default: ./config.yaml if any)"
    )
    est.set_defaults(func=cmd_estimate)

    status = sub.add_parser("status", parents=[common], help="show each video's stages")
    status.add_argument("videos", nargs="*")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=cmd_status)

    clean = sub.add_parser("clean", parents=[common], help="remove cached results")
    clean.add_argument("videos", nargs="*")
    clean.add_argument(
        "--stage", help=f"only this stage and later ones ({stage_names})"
    )
    clean.add_argument(
        "--all", action="store_true", help="remove every video's results"
    )
    clean.set_defaults(func=cmd_clean)

    gc = sub.add_parser("gc", parents=[common], help="expire old or excess results")
    gc.add_argument("--older-than", metavar="AGE", help="unused for this long: 7d, 12h")
    gc.add_argument("--max-size", metavar="SIZE", help="then trim to this size: 20G")
    gc.add_argument("--dry-run", "-n", action="store_true", help="only list")
    gc.set_defaults(func=cmd_gc)

    hsh = sub.add_parser(
        "hash", parents=[common], help="print the content hash of videos"
    )
    hsh.add_argument("videos", nargs="+")
    hsh.set_defaults(func=cmd_hash)

    demo = sub.add_parser("demo", help="generate a demo video and process it")
    demo.add_argument(
        "--directory", "-d", default="demo",
        help="folder for the demo video and its results/ (default: demo)",
    )  # fmt: skip
    demo.add_argument(
        "--cores", type=int, default=os.cpu_count() or 1,
        help="jobs and threads at once (default: every core)",
    )  # fmt: skip
    demo.set_defaults(func=cmd_demo)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("reelmake")
    except PackageNotFoundError:
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    # Options `reelmake run` does not know are Snakemake's: they are passed on.
    args, extra = parser.parse_known_args(argv)
    if extra and (args.command != "run" or not all(a.startswith("-") for a in extra)):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "run":
        args.snakemake = extra
    try:
        code: int = args.func(args)
    except BrokenPipeError:
        # The reader went away (`reelmake status --json | head`): end quietly, and
        # keep Python from complaining when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except ReelmakeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyError as exc:  # an unknown stage name
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
