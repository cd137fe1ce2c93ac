"""The ``reelmake`` command: the workflow for people who don't know Snakemake."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reelmake import cache
from reelmake.batch import runner
from reelmake.batch.runner import SHARED_CACHE_ENV, results_of, shown
from reelmake.core.errors import ReelmakeError
from reelmake.core.hashing import INDEX_NAME, HashIndex, short
from reelmake.pipeline import discovery
from reelmake.pipeline import registry as stages
from reelmake.pipeline.discovery import source_link

RULE = "=" * 60


def _split_no_cache(args: argparse.Namespace) -> list[str] | None:
    """``--no-cache`` takes optional stage names; anything else after it is a video."""
    if args.no_cache is None:
        return None
    names: list[str] = []
    for item in args.no_cache:
        try:
            names.append(stages.stage(item).name)
        except KeyError:
            args.videos.append(item)
    return names


def print_cache_report(plan: runner.BatchPlan) -> None:
    """Per video, which stages are cached and which will run (each video's
    :func:`runner.stage_status` says why a finished stage will run again)."""
    videos, states, forced, plans = plan.videos, plan.states, plan.forced, plan.plans
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
    first = next(iter(s.fixed), None)
    where = f": {block[first]}" if first else ""
    return where + (f" ({', '.join(counts)})" if counts else "")


class _Printer:
    """What the runner says, on the console."""

    def error(self, text: str) -> None:
        print(f"error: {text}", file=sys.stderr)

    def warning(self, text: str) -> None:
        print(f"warning: {text}", file=sys.stderr)

    def note(self, text: str) -> None:
        print(text, flush=True)

    def gave_up(self, text: str) -> None:
        print(f"reelmake: {text}", file=sys.stderr)

    def planned(self, plan: runner.BatchPlan) -> None:
        print_cache_report(plan)


def run_request(args: argparse.Namespace) -> runner.RunRequest:
    """The options of ``reelmake run`` as the runner's request."""
    no_cache = _split_no_cache(args)
    return runner.RunRequest(
        workdir=Path(args.directory),
        videos=list(args.videos),
        cores=args.cores,
        configfile=args.configfile,
        profile=args.profile,
        until=args.until,
        no_cache=no_cache,
        rescore=args.rescore,
        shared_cache=args.shared_cache,
        dry_run=args.dry_run,
        verbose=args.verbose,
        snakemake=tuple(getattr(args, "passed_on", ())),
    )


def print_result(result: runner.RunResult, results: Path) -> None:
    """Where each finished video's clips and report are, and the batch's count."""
    if result.up_to_date:
        print("nothing to do: every result is up to date")
    if result.summary_file is None:
        return
    here = Path.cwd()
    for row in result.rows:
        if row.status != "done":
            continue
        folder = results / row.video_hash
        report = stages.path("report", "html", folder)
        print(f"{Path(row.video).name}: {row.clips} clip(s) in "
              f"{shown(folder / 'ranked', here)}/, report "
              f"{shown(report, here)}")  # fmt: skip
    done = sum(r.status == "done" for r in result.rows)
    if done:
        print(f"all videos: {shown(results / stages.BATCH_REPORT, here)}")
    total = len(result.rows) + len(result.problems)
    print(f"summary: {done} of {total} video(s) done; {result.summary_file}")
    bad = len(result.problems) + result.not_done
    if bad:
        print(
            f"reelmake: {bad} video(s) could not be processed; "
            "see the lines starting with 'error:' above",
            file=sys.stderr,
        )


def cmd_run(args: argparse.Namespace) -> int:
    request = run_request(args)
    result = runner.run_batch(request, _Printer())
    print_result(result, results_of(request.workdir.resolve()))
    return result.code


def cmd_status(args: argparse.Namespace) -> int:
    workdir = Path(args.directory).resolve()
    results = results_of(workdir)
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
    threshold = runner.load_config(workdir, None)[1]["select"]["threshold"]
    plan = runner.snakemake_plan(workdir, results, hashes)
    states = []
    for h in hashes:
        state = stages.compute_state(results, h, threshold)
        state["plan"] = runner.stage_status(state, plan, results)
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
    results = results_of(workdir)
    if not args.all and not args.videos:
        raise ReelmakeError("name the videos to clean, or use --all")
    if args.stage:
        stages.stage(args.stage, listed=True)  # an unknown name stops here
    with runner.lock(results):
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
        runner.forget_records(workdir, removed)
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1 if problems else 0


def cmd_gc(args: argparse.Namespace) -> int:
    workdir = Path(args.directory).resolve()
    results = results_of(workdir)
    settings = runner.load_config(workdir, None)[1]["gc"]
    older = args.older_than or settings["older_than"]
    size = args.max_size or settings["max_size"]
    if older is None and size is None:
        raise ReelmakeError(
            "give --older-than and/or --max-size (or set gc: in config)"
        )
    if not cache.known_hashes(results):
        print(f"nothing to remove: no results in {results}")
        return 0
    with runner.lock(results):
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
                runner.forget_records(workdir, files)
        if not args.dry_run:
            print(f"freed {total / 1e6:.1f} MB from {len(plan)} video(s)")
    return 0


def cmd_hash(args: argparse.Namespace) -> int:
    paths, problems = discovery.discover(args.videos)
    results = results_of(Path(args.directory).resolve())
    index = HashIndex(results / discovery.STATE_DIR / INDEX_NAME)
    for path in paths:
        print(f"{short(index.hash(path))}  {path}")
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


def cmd_demo(args: argparse.Namespace) -> int:
    from reelmake.cli.demo import DEMO_SCRIPT, make_video

    workdir = Path(args.directory).resolve()
    video = workdir / "demo-talk.mp4"
    if not video.is_file():
        print(f"generating a demo video with ffmpeg and espeak-ng: {video}")
        make_video(video, DEMO_SCRIPT)
    request = runner.RunRequest(workdir, [str(video)], cores=args.cores)
    result = runner.run_batch(request, _Printer())
    print_result(result, results_of(workdir))
    if result.code == 0:
        print(f"done: results are in {results_of(workdir)}")
    return result.code


def cmd_estimate(args: argparse.Namespace) -> int:
    """Count what language-model scoring would send, from what exists; runs nothing
    and writes nothing."""
    found = runner.estimate_batch(Path(args.directory), args.videos, args.configfile)
    for problem in found.problems:
        print(f"error: {problem}", file=sys.stderr)
    if not found.videos:
        print("error: no videos to estimate", file=sys.stderr)
        return 1
    options = found.options
    if not found.asks_model:
        print("score.backend is heuristic: scoring sends no requests. With "
              "score.backend: openai it would send:")  # fmt: skip
    print(f"model {options.model} at {options.base_url or 'the OpenAI API'}; "
          f"mode {options.mode} (the other is shown for comparison)")  # fmt: skip
    head = (f"{'video':<32} {'':<10} {'units':>7} {'cached':>7} {'requests':>9} "
            f"{'~prompt tok':>12} {'~output tok':>12}")  # fmt: skip
    print(head)
    totals: dict[str, list[int]] = {}
    for video in found.videos:
        for mode, row in video.modes.items():
            before = totals.get(mode, [0] * len(row))
            totals[mode] = [a + b for a, b in zip(before, row, strict=True)]
            print(f"{video.path.name[:32]:<32} {mode:<10} {row[0]:>7} {row[1]:>7} "
                  f"{row[2]:>9} {row[3]:>12} {row[4]:>12}")  # fmt: skip
        print(f"{'':<32} (transcript itself: ~{video.transcript_tokens} tokens; "
              f"from {video.basis})")  # fmt: skip
    for mode, row in totals.items():
        print(f"{'total':<32} {mode:<10} {row[0]:>7} {row[1]:>7} {row[2]:>9} "
              f"{row[3]:>12} {row[4]:>12}")  # fmt: skip
    print("units: transcript chunks (transcript mode) or candidates (passages mode); "
          "plus one request per video for the selected clips' titles and "
          "descriptions")  # fmt: skip
    return 1 if found.problems else 0


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
        args.passed_on = extra
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
