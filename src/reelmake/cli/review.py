"""``reelmake review`` and ``reelmake import-edits``: a person's decisions, made on a
local page or in a video editor."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reelmake.batch.run import results_of


def cmd_review(args: argparse.Namespace) -> int:
    from reelmake.batch.review import app, model
    from reelmake.core import config

    workdir = Path(args.directory).resolve()
    config.load_user(workdir, args.configfile)  # a bad config stops here, in a line
    results = results_of(workdir)
    videos = model.batch_videos(results, args.videos)
    session = app.Session(workdir, videos, args.configfile, args.cores)
    for problem in model.decision_problems(results, videos):
        # The page says it too; a run would stop on it.
        print(f"warning: {problem}", file=sys.stderr)
    where = f"{len(videos)} video(s) from {results}"
    if not videos:
        where = f"no video has results in {results} yet (Render needs a named VIDEO)"

    def say(url: str) -> None:
        print(f"reelmake review: {where}")
        print(f"open {url}")
        print("(Ctrl-C stops it)", flush=True)

    app.serve(session, args.port, say)
    print("reelmake review: stopped", flush=True)
    return 0


def cmd_import_edits(args: argparse.Namespace) -> int:
    from reelmake.batch import edits

    workdir = Path(args.directory).resolve()
    lines = edits.import_edits(
        results_of(workdir), Path(args.video), Path(args.file), dry_run=args.dry_run
    )
    for line in lines:
        print(line)
    if args.dry_run:
        print("(dry run: nothing written)", file=sys.stderr)
    return 0
