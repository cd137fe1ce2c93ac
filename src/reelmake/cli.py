"""The ``reelmake`` command: the workflow for people who don't know Snakemake."""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from reelmake import config, discovery, stages, workflow
from reelmake.errors import ReelmakeError
from reelmake.hashing import INDEX_NAME, HashIndex, short

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


def _log_error(results: Path, video_hash: str, rule: str) -> str | None:
    log = results / video_hash / "logs" / f"{rule}.log"
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    errors = [line.split(": ", 1)[-1] for line in lines if " ERROR " in line]
    return errors[-1] if errors else None


def print_cache_report(
    videos: Sequence[discovery.Video], results: Path, forced: list[str] | None
) -> None:
    """Per video, which stages are cached and which will run."""
    print(RULE)
    print("CHECKING FOR CACHED STATE")
    print(RULE)
    for video in videos:
        state = stages.compute_state(results, video.hash)
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
            if block["completed"] and not forcing:
                detail = _stage_detail(s, block)
                print(f"  ✓ {s.name}: SKIPPED (using cached result){detail}")
            elif block["completed"]:
                print(f"  ↻ {s.name}: will run again (--no-cache)")
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
    no_cache, forced_rules = _split_no_cache(args)
    workdir = Path(args.directory).resolve()
    results = _results(workdir)
    user_configs = _user_configs(workdir, args.configfile)
    paths, problems = discovery.discover(args.videos)
    with workflow.RunLock(results / discovery.STATE_DIR / "run.lock"):
        videos, unreadable = discovery.register(paths, results)
        problems += unreadable
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        if not videos:
            print("error: no videos to process", file=sys.stderr)
            return 1
        forced = (forced_rules or []) if no_cache else None
        print_cache_report(videos, results, forced)
        if workflow.release_stale_snakemake_lock(workdir):
            print("released the lock left behind by an interrupted run")
        overlay = results / discovery.STATE_DIR / f"run-{os.getpid()}.yaml"
        overlay.write_text(yaml.safe_dump({"videos": [str(v.path) for v in videos]}))
        try:
            smk_args = ["--cores", str(args.cores), "--configfile"]
            smk_args += [str(p) for p in user_configs]
            smk_args.append(str(overlay))
            smk_args += workflow.profile_args(args.profile)
            if args.dry_run:
                smk_args.append("--dry-run")
            if args.until:
                smk_args += ["--until", stages.stage(args.until).rule]
            if no_cache and not forced_rules:
                smk_args.append("--forceall")
            elif forced_rules:
                smk_args += ["--forcerun", *forced_rules]
            code = workflow.run_snakemake(workdir, smk_args)
        finally:
            overlay.unlink(missing_ok=True)
    failed = _report_failures(videos, results) if not args.dry_run else 0
    if problems or failed:
        print(
            f"reelmake: {len(problems) + failed} video(s) could not be processed; "
            "see the lines starting with 'error:' above",
            file=sys.stderr,
        )
        return 1
    return code


def _user_configs(workdir: Path, explicit: str | None) -> list[Path]:
    """The user's config files, checked before any work starts."""
    if explicit:
        paths = [Path(explicit).resolve()]
    else:
        own = workdir / "config.yaml"
        paths = [own] if own.is_file() else []
    wf = workflow.workflow_dir() / "config"
    schema = config.load_schema(wf / "schemas" / "config.schema.yaml")
    merged = config.load(wf / "config.yaml")
    for path in paths:
        if not path.is_file():
            raise ReelmakeError(f"{path}: config file not found")
        user = config.load(path)
        config.validate(copy.deepcopy(user), schema, source=str(path))
        merged = _deep_update(merged, user)
    config.validate(merged, schema, source="configuration")
    return paths


def _deep_update(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_update(out[key], value)
        else:
            out[key] = value
    return out


def _report_failures(videos: Sequence[discovery.Video], results: Path) -> int:
    failed = 0
    for video in videos:
        state = stages.compute_state(results, video.hash)
        for s in stages.STAGES:
            if not state[s.name]["completed"]:
                reason = _log_error(results, video.hash, s.rule)
                if reason:
                    print(f"error: {reason}", file=sys.stderr)
                    failed += 1
                break
    return failed


def _known_hashes(results: Path) -> list[str]:
    if not results.is_dir():
        return []
    return sorted(
        p.name for p in results.iterdir() if discovery.source_link(results, p.name)
    )


def cmd_status(args: argparse.Namespace) -> int:
    results = _results(Path(args.directory).resolve())
    problems: list[discovery.Problem] = []
    if args.videos:
        paths, problems = discovery.discover(args.videos)
        index = HashIndex(results / discovery.STATE_DIR / INDEX_NAME)
        hashes = [short(index.hash(p)) for p in paths]
    else:
        hashes = _known_hashes(results)
    states = [stages.compute_state(results, h) for h in hashes]
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if args.json:
        print(json.dumps(states, indent=2))
    else:
        for state in states:
            print(f"{state['video_path']}  [{state['video_hash']}]")
            print(f"  last completed stage: {state['last_stage'] or 'none'}")
            for s in stages.STAGES:
                block = state[s.name]
                mark = "done" if block["completed"] else "pending"
                extra = f" ({block['error']})" if "error" in block else ""
                print(f"  {s.name:<18} {mark}{extra}")
    return 1 if problems else 0


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
    run_args = argparse.Namespace(
        videos=[str(video)], no_cache=None, directory=str(workdir), cores=args.cores,
        profile=None, dry_run=False, until=None, configfile=None,
    )  # fmt: skip
    code = cmd_run(run_args)
    if code == 0:
        print(f"done: results are in {_results(workdir)}")
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reelmake", description="Turn long videos into ranked highlight clips."
    )
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
    run.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    run.add_argument("--profile", help="a Snakemake profile (slurm, or a path)")
    run.add_argument(
        "--configfile", help="a config file (default: ./config.yaml if any)"
    )
    run.add_argument("--until", metavar="STAGE", help="stop after this stage")
    run.add_argument("--dry-run", "-n", action="store_true", help="show what would run")
    run.set_defaults(func=cmd_run)

    status = sub.add_parser("status", parents=[common], help="show each video's stages")
    status.add_argument("videos", nargs="*")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=cmd_status)

    hsh = sub.add_parser(
        "hash", parents=[common], help="print the content hash of videos"
    )
    hsh.add_argument("videos", nargs="+")
    hsh.set_defaults(func=cmd_hash)

    demo = sub.add_parser("demo", help="generate a demo video and process it")
    demo.add_argument("--directory", "-d", default="demo")
    demo.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except ReelmakeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyError as exc:  # an unknown stage name
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
