"""The ``reelmake`` command: the workflow for people who don't know Snakemake."""

from __future__ import annotations

import argparse
import errno
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from reelmake.batch import store
from reelmake.batch.process import SHARED_CACHE_ENV
from reelmake.cli.estimate import cmd_estimate
from reelmake.cli.manage import cmd_clean, cmd_gc, cmd_hash, cmd_status
from reelmake.cli.mcp_server import cmd_mcp
from reelmake.cli.review import cmd_import_edits, cmd_review
from reelmake.cli.run import cmd_demo, cmd_run
from reelmake.core.errors import ReelmakeError
from reelmake.pipeline import registry


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--directory", "-d", default=".", help="folder holding results/ (default: here)"
    )
    return common


def _configfile(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--configfile", help="a config file (default: ./config.yaml if any)"
    )


def _cores(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cores", type=int, default=os.cpu_count() or 1,
        help="jobs and threads at once (default: every core)",
    )  # fmt: skip


def _add_run(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    names = ", ".join(s.name for s in registry.LISTED)
    run = sub.add_parser("run", parents=[common], help="process videos")
    run.add_argument(
        "videos", nargs="*", help="video or audio files, folders, globs or links"
    )
    run.add_argument(
        "--no-cache", nargs="*", metavar="STAGE",
        help=f"run again: all stages, or these stages and later ones ({names})",
    )  # fmt: skip
    _cores(run)
    run.add_argument("--profile", help="a Snakemake profile (slurm, or a path)")
    _configfile(run)
    run.add_argument("--until", metavar="STAGE", help="stop after this stage")
    run.add_argument(
        "--shared-cache",
        metavar="DIR",
        help="a folder shared by checkouts and machines: transcripts, scores and LLM "
        f"answers made elsewhere are reused (default: ${SHARED_CACHE_ENV} if set)",
    )
    run.add_argument("--dry-run", "-n", action="store_true", help="show what would run")
    run.add_argument(
        "--verbose", "-v", action="store_true",
        help="show Snakemake's own output as it runs (it goes to a log file otherwise)",
    )  # fmt: skip
    run.add_argument(
        "--brief", action="store_true",
        help="a header of what is cached only, without asking Snakemake what it would "
        "run again and why (a few seconds less)",
    )  # fmt: skip
    run.add_argument(
        "--rescore", action="store_true",
        help="ask the language model again, bypassing its answer cache",
    )  # fmt: skip
    run.set_defaults(func=cmd_run)


def _add_manage(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    common: argparse.ArgumentParser,
) -> None:
    names = ", ".join(s.name for s in registry.LISTED)
    est = sub.add_parser(
        "estimate", parents=[common], help="requests and tokens an LLM run would send"
    )
    est.add_argument("videos", nargs="+")
    _configfile(est)
    est.set_defaults(func=cmd_estimate)

    status = sub.add_parser("status", parents=[common], help="show each video's stages")
    status.add_argument("videos", nargs="*")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    _configfile(status)
    status.set_defaults(func=cmd_status)

    clean = sub.add_parser("clean", parents=[common], help="remove cached results")
    clean.add_argument("videos", nargs="*")
    clean.add_argument("--stage", help=f"only this stage and later ones ({names})")
    clean.add_argument(
        "--all",
        action="store_true",
        help="every video's results; with videos named, their decisions too "
        "(decisions.yaml, after a question or --yes)",
    )
    clean.add_argument(
        "--yes", "-y", action="store_true", help="no question before removing decisions"
    )
    _configfile(clean)
    clean.set_defaults(func=cmd_clean)

    gc = sub.add_parser("gc", parents=[common], help="expire old or excess results")
    gc.add_argument("--older-than", metavar="AGE", help="unused for this long: 7d, 12h")
    gc.add_argument("--max-size", metavar="SIZE", help="then trim to this size: 20G")
    gc.add_argument("--dry-run", "-n", action="store_true", help="only list")
    _configfile(gc)
    gc.set_defaults(func=cmd_gc)

    hsh = sub.add_parser(
        "hash", parents=[common], help="print the content hash of videos"
    )
    hsh.add_argument("videos", nargs="+")
    hsh.set_defaults(func=cmd_hash)


def _add_review(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    common: argparse.ArgumentParser,
) -> None:
    review = sub.add_parser(
        "review", parents=[common],
        help="decide on clips in a local web page (127.0.0.1 only)",
    )  # fmt: skip
    review.add_argument(
        "videos", nargs="*", help="videos to review (default: every video here)"
    )
    review.add_argument(
        "--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)"
    )
    _cores(review)
    _configfile(review)
    review.set_defaults(func=cmd_review)

    edits = sub.add_parser(
        "import-edits", parents=[common],
        help="read back an exported timeline a person changed in an editor",
    )  # fmt: skip
    edits.add_argument("video", help="the video the timeline was exported from")
    edits.add_argument("file", help="the edited timeline: .otio, .xml (FCP 7) or .edl")
    edits.add_argument(
        "--dry-run", "-n", action="store_true", help="say what it would decide"
    )
    edits.set_defaults(func=cmd_import_edits)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reelmake", description="Turn long videos into ranked highlight clips."
    )
    parser.add_argument("--version", action="version",
                        version=f"reelmake {_version()}")  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True)
    common = _common()
    _add_run(sub, common)
    _add_manage(sub, common)
    _add_review(sub, common)
    demo = sub.add_parser("demo", help="generate a demo video and process it")
    demo.add_argument(
        "--directory", "-d", default="demo",
        help="folder for the demo video and its results/ (default: demo)",
    )  # fmt: skip
    _cores(demo)
    demo.set_defaults(func=cmd_demo)
    mcp = sub.add_parser(
        "mcp", parents=[common], help="serve assistants over MCP (stdio)"
    )
    mcp.set_defaults(func=cmd_mcp)
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
    except KeyboardInterrupt:
        print("reelmake: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        cause = environment_error(exc)
        if cause is None:
            raise_as_bug()
            return 70
        print(f"error: {cause}", file=sys.stderr)
        return 2
    except Exception:  # a bug: say so, with everything needed to report it
        raise_as_bug()
        return 70
    return code


def raise_as_bug() -> None:
    """Print the exception being handled as a bug, with what is needed to report
    it."""
    traceback.print_exc()
    print(
        f"reelmake {_version()}: this is a bug in reelmake, not a mistake of "
        "yours; please report it with the lines above",
        file=sys.stderr,
    )


def environment_error(exc: OSError) -> str | None:
    """One line naming the folder and the cause, for a file system that refuses
    to be written (read-only, not ours, full); None for anything else."""
    where = Path(exc.filename) if exc.filename else Path.cwd()
    if exc.errno == errno.EROFS:
        return (
            f"{where}: the file system is read-only; run where results can be "
            "written (--directory DIR)"
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return (
            f"{where}: permission denied; make that folder writable, or run where "
            "results can be written (--directory DIR)"
        )
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        free = store.free_space(where)
        left = f" ({store.size_text(free)} free)" if free is not None else ""
        return f"{where}: the disk is full{left}; free some space and run again"
    return None


if __name__ == "__main__":
    sys.exit(main())
