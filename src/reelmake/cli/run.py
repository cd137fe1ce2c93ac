"""``reelmake run`` and ``reelmake demo``: a batch through the workflow, as a person
reads it on the console."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

from reelmake.batch import links, plan, run, summary
from reelmake.batch.display import shown
from reelmake.core import config
from reelmake.pipeline import registry
from reelmake.pipeline.contract import Stage
from reelmake.pipeline.discovery import Problem
from reelmake.stages import whisper

RULE = "=" * 60


def split_no_cache(args: argparse.Namespace) -> list[str] | None:
    """``--no-cache`` takes optional stage names; anything else after it is a video."""
    if args.no_cache is None:
        return None
    names: list[str] = []
    for item in args.no_cache:
        try:
            names.append(registry.stage(item).name)
        except registry.UnknownStage:
            args.videos.append(item)
    return names


def print_cache_report(batch: plan.BatchPlan) -> None:
    """Per video, which stages are cached and which will run (each video's
    :func:`plan.stage_status` says why a finished stage will run again)."""
    print(RULE)
    print("CHECKING FOR CACHED STATE")
    print(RULE)
    for video in batch.videos:
        state = batch.states[video.hash]
        print(f"{video.path}  [{video.hash}]")
        if state["last_stage"] is None:
            print("  no cached state: every stage will run")
        else:
            print(f"  found cached state from {state['last_updated']}")
            last = registry.stage(state["last_stage"]).name
            print(f"  last completed stage: {last}")
            if not batch.checked:
                print("  (--brief: cached stages not checked for changed settings)")
        planned = batch.plans.get(video.hash, {})
        forcing = False
        for s in registry.LISTED:
            forcing = (
                forcing
                or batch.forced == []
                or (batch.forced is not None and s.rule in batch.forced)
            )
            print("  " + _stage_line(s, state[s.key], planned.get(s.name), forcing))
    if batch.forced is None:
        print("  (use --no-cache [STAGE] to force reprocessing)")
    print(RULE, flush=True)


def _stage_line(
    s: Stage, block: dict[str, Any], planned: dict[str, str] | None, forcing: bool
) -> str:
    if block["completed"] and forcing:
        return f"↻ {s.name}: will run again (--no-cache)"
    if block["completed"] and planned and planned["status"] == "stale":
        return f"↻ {s.name}: will run again ({planned['reason']})"
    if block["completed"]:
        counts = [f"{k} {v}" for k, v in block.items() if k.endswith("_count")]
        first = next(iter(s.fixed), None)
        where = f": {block[f'{first}_path']}" if first else ""
        detail = where + (f" ({', '.join(counts)})" if counts else "")
        return f"✓ {s.name}: SKIPPED (using cached result){detail}"
    extra = f" ({block['error']})" if "error" in block else ""
    return f"→ {s.name}: will run{extra}"


class Printer:
    """What the runner says, on the console."""

    def error(self, text: str) -> None:
        print(f"error: {text}", file=sys.stderr)

    def warning(self, text: str) -> None:
        print(f"warning: {text}", file=sys.stderr)

    def note(self, text: str) -> None:
        print(text, flush=True)

    def gave_up(self, text: str) -> None:
        print(f"reelmake: {text}", file=sys.stderr)

    def planned(self, batch: plan.BatchPlan) -> None:
        print_cache_report(batch)


def run_request(args: argparse.Namespace) -> run.RunRequest:
    """The options of ``reelmake run`` as the runner's request."""
    no_cache = split_no_cache(args)
    return run.RunRequest(
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
        brief=args.brief,
        snakemake=tuple(getattr(args, "passed_on", ())),
    )


def print_result(result: run.RunResult, results: Path) -> None:
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
        report = registry.path("report", "html", folder)
        ranked = folder / registry.stage("metadata").side["ranked"]
        print(f"{Path(row.video).name}: {row.clips} clip(s) in "
              f"{shown(ranked, here)}/, report {shown(report, here)}")  # fmt: skip
    done = sum(r.status == "done" for r in result.rows)
    if done:
        print(f"all videos: {shown(results / registry.BATCH_REPORT, here)}")
    total = len(result.rows) + len(result.problems)
    print(f"summary: {done} of {total} video(s) done; {result.summary_file}")
    if result.interrupted:
        print_interrupted(result)
        return
    bad = len(result.problems) + result.not_done
    if bad:
        print(
            f"reelmake: {bad} video(s) could not be processed; "
            "see the lines starting with 'error:' above",
            file=sys.stderr,
        )


def fetch_links(
    request: run.RunRequest, listener: run.Listener
) -> tuple[run.RunRequest, list[Problem]]:
    """The request with its links turned into files (fetched once, into the working
    folder's ``downloads/``), and a problem for each link that could not be had.

    The model's name is checked first: a typo in the config costs no download.
    """
    if not any(links.is_link(v) for v in request.videos):
        return request, []
    workdir = request.workdir.resolve()
    settings = config.load_user(workdir, request.configfile).settings
    whisper.preflight(settings, listener.note, dry_run=True)
    videos, problems = links.fetch_links(
        request.videos, links.downloads_of(workdir), listener.note, request.dry_run
    )
    for problem in problems:
        listener.error(str(problem))
    return dataclasses.replace(request, videos=videos), problems


def with_link_problems(
    result: run.RunResult, problems: list[Problem], results: Path
) -> run.RunResult:
    """The run's result with the links that could not be fetched among its
    problems, in its exit status and in its batch table."""
    if not problems:
        return result
    result.problems = problems + result.problems
    result.code = result.code or 1
    if result.summary_file is not None:
        summary.write_summary(results, result.videos, result.problems)
    return result


# How a person says each stop signal.
SIGNAL_WORDS = {"SIGINT": "Ctrl-C (SIGINT)", "SIGTERM": "SIGTERM"}


def print_interrupted(result: run.RunResult) -> None:
    """What an interrupted run kept, and how to go on."""
    kept = [
        f"{Path(r.video).name} up to {r.last_stage or 'nothing'}"
        for r in result.rows
        if r.status != "done"
    ]
    what = f"; finished stages are kept ({', '.join(kept)})" if kept else ""
    how = SIGNAL_WORDS.get(result.interrupted or "", result.interrupted)
    print(
        f"reelmake: interrupted by {how}{what}; run the same command again to resume",
        file=sys.stderr,
    )


def cmd_run(args: argparse.Namespace) -> int:
    asked = run_request(args)
    request, problems = fetch_links(asked, Printer())
    results = run.results_of(request.workdir.resolve())
    if problems and not request.videos:
        Printer().gave_up("no video left to process")
        return 1
    if asked.videos and not request.videos:
        return 0  # a dry run of links not fetched yet: nothing more to show
    result = with_link_problems(run.run_batch(request, Printer()), problems, results)
    print_result(result, results)
    return result.code


def cmd_demo(args: argparse.Namespace) -> int:
    from reelmake.cli.demo import make_demo

    workdir = Path(args.directory).resolve()
    video = workdir / "demo-talk.mp4"
    if not video.is_file():
        print(f"generating a demo talk with ffmpeg and espeak-ng: {video}")
        make_demo(video)
    request = run.RunRequest(workdir, [str(video)], cores=args.cores)
    result = run.run_batch(request, Printer())
    print_result(result, run.results_of(workdir))
    if result.code == 0:
        print(f"done: results are in {run.results_of(workdir)}")
    return result.code
