"""``reelmake status``, ``clean``, ``gc`` and ``hash``: the results folder, looked at
and tidied."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from reelmake.batch import plan, store
from reelmake.batch.lock import lock
from reelmake.batch.process import forget_records
from reelmake.batch.run import results_of
from reelmake.core import config
from reelmake.core.errors import ReelmakeError
from reelmake.core.hashing import INDEX_NAME, HashIndex, short
from reelmake.pipeline import discovery, registry
from reelmake.pipeline.state import compute_state


def _index(results: Path) -> HashIndex:
    return HashIndex(results / discovery.STATE_DIR / INDEX_NAME)


def cmd_status(args: argparse.Namespace) -> int:
    workdir = Path(args.directory).resolve()
    results = results_of(workdir)
    user = config.load_user(workdir, args.configfile)
    problems: list[discovery.Problem] = []
    if args.videos:
        paths, problems = discovery.discover(args.videos)
        hashes = [short(_index(results).hash(p)) for p in paths]
    else:
        hashes = store.known_hashes(results)
        if not hashes:
            print("[]" if args.json else f"no results in {results}: no video has "
                  "been processed here yet (reelmake run VIDEO)")  # fmt: skip
            return 0
    why = plan.snakemake_plan(workdir, results, hashes, user.files)
    states = []
    for h in hashes:
        state = compute_state(results, h)
        state["plan"] = plan.stage_status(state, why, results)
        states.append(state)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if args.json:
        print(json.dumps(states, indent=2))
    for state in [] if args.json else states:
        last = state["last_stage"]
        print(f"{state['video_path']}  [{state['video_hash']}]")
        print(
            f"  last completed stage: {registry.stage(last).name if last else 'none'}"
        )
        for s in registry.LISTED:
            item = state["plan"][s.name]
            reason = f" ({item['reason']})" if item["reason"] else ""
            print(f"  {s.name:<18} {item['status']}{reason}")
    return 1 if problems else 0


def cmd_clean(args: argparse.Namespace) -> int:
    workdir = Path(args.directory).resolve()
    results = results_of(workdir)
    if not args.all and not args.videos:
        raise ReelmakeError("name the videos to clean, or use --all")
    # What is removed does not depend on settings, but a config given is checked.
    config.load_user(workdir, args.configfile)
    if args.stage:
        registry.stage(args.stage, listed=True)  # an unknown name stops here
    with lock(results):
        if args.all and not args.videos:
            return _clean_everything(workdir, results)
        paths, problems = discovery.discover(args.videos)
        removed: list[Path] = []
        for path in paths:
            folder = results / short(_index(results).hash(path))
            if args.stage:
                files = store.stage_files(folder, registry.later(args.stage))
                freed = store.remove(files)
                print(f"{path}: removed {args.stage} and later stages "
                      f"({freed / 1e6:.1f} MB)")  # fmt: skip
                removed += files
                continue
            files = [p for p in folder.rglob("*") if p.is_file() or p.is_symlink()]
            decided = folder / registry.DECISIONS
            drop = args.all and decided.is_file() and _confirm(path, decided, args.yes)
            if args.all and decided.is_file() and not drop:
                problems.append(
                    discovery.Problem(str(path), "kept: it has a person's decisions "
                                      f"({decided}); add --yes to remove them too")
                )  # fmt: skip
                continue
            freed, kept = store.clear(folder, decisions=drop)
            removed += [p for p in files if p != kept]
            note = f"; kept your decisions ({kept})" if kept else ""
            print(f"{path}: removed all results ({freed / 1e6:.1f} MB){note}")
        forget_records(workdir, removed)
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1 if problems else 0


def _clean_everything(workdir: Path, results: Path) -> int:
    """Every video's results but the decisions people made on their clips."""
    freed, kept = 0, []
    for entry in sorted(results.iterdir()) if results.is_dir() else []:
        gone, decided = store.clear(entry)
        freed += gone
        kept += [decided] if decided else []
    store.remove([workdir / ".snakemake" / "metadata"])
    if results.is_dir() and not any(results.iterdir()):
        results.rmdir()
    note = (
        f"; kept the decisions on {len(kept)} video(s) (clean VIDEO --all removes "
        "them)" if kept else ""
    )  # fmt: skip
    print(f"removed all results ({freed / 1e6:.1f} MB){note}")
    return 0


def _confirm(video: Path, decided: Path, yes: bool) -> bool:
    """Whether a person agrees to lose their decisions on ``video``: ``--yes``, or
    asked on a terminal."""
    if yes:
        return True
    if not sys.stdin.isatty():
        return False
    answer = input(f"{video}: remove your decisions on its clips ({decided}) too? "
                   "[y/N] ")  # fmt: skip
    return answer.strip().lower() in {"y", "yes"}


def cmd_gc(args: argparse.Namespace) -> int:
    workdir = Path(args.directory).resolve()
    results = results_of(workdir)
    settings = config.load_user(workdir, args.configfile).settings["gc"]
    older = args.older_than or settings["older_than"]
    size = args.max_size or settings["max_size"]
    if older is None and size is None:
        raise ReelmakeError(
            "give --older-than and/or --max-size (or set gc: in config)"
        )
    if not store.known_hashes(results):
        print(f"nothing to remove: no results in {results}")
        return 0
    with lock(results):
        expired = store.plan_gc(
            results,
            store.parse_age(older) if older else None,
            store.parse_size(size) if size else None,
        )
        if not expired:
            limits = " and ".join(
                text for text in (older and f"nothing unused for {older}",
                                  size and f"the cache is within {size}") if text
            )  # fmt: skip
            print(f"nothing to remove: {limits}")
        total = 0
        for item in expired:
            link = discovery.source_link(results, item.video_hash)
            name = os.path.realpath(link) if link else "?"
            verb = "would remove" if args.dry_run else "removing"
            size_mb = item.size / 1e6
            print(f"{verb} {item.video_hash} {name} ({size_mb:.1f} MB, {item.reason})")
            if not args.dry_run:
                folder = results / item.video_hash
                files = [p for p in folder.rglob("*") if p.is_file()]
                freed, kept = store.clear(folder)
                total += freed
                forget_records(workdir, [p for p in files if p != kept])
        if not args.dry_run:
            print(f"freed {total / 1e6:.1f} MB from {len(expired)} video(s)")
    return 0


def cmd_hash(args: argparse.Namespace) -> int:
    paths, problems = discovery.discover(args.videos)
    results = results_of(Path(args.directory).resolve())
    for path in paths:
        print(f"{short(_index(results).hash(path))}  {path}")
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0
