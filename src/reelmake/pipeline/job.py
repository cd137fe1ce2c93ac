"""What every ``scripts/`` adapter shares: logging to the rule's log and clean errors.

A :class:`ReelmakeError` becomes one line in the log and on stderr and exit status 1,
so Snakemake reports the failed job without a traceback and goes on with other videos.
"""

from __future__ import annotations

import errno
import logging
import resource
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from reelmake.core import fileio
from reelmake.core.errors import ReelmakeError


def setup_logging(log_files: Sequence[str]) -> None:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    handlers += [
        logging.FileHandler(path, mode="w", encoding="utf-8") for path in log_files
    ]
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )


def run(log_files: Sequence[str], func: Callable[..., Any], **kwargs: Any) -> None:
    setup_logging(log_files)
    log = logging.getLogger("reelmake")
    try:
        func(**kwargs)
    except ReelmakeError as exc:
        log.error("%s", exc)
        sys.exit(1)
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        where = exc.filename or "the results folder"
        log.error("%s: disk full; free some space and run again", where)
        sys.exit(1)


def timing_file(log_file: str) -> Path:
    """results/<hash>/logs/<name>.log -> results/<hash>/benchmarks/<name>.tsv"""
    path = Path(log_file)
    parts = list(path.with_suffix(".tsv").parts)
    index = len(parts) - 1 - parts[::-1].index("logs")
    parts[index] = "benchmarks"
    return Path(*parts)


def run_timed(
    log_files: Sequence[str], func: Callable[..., Any], **kwargs: Any
) -> None:
    """:func:`run`, then a timing file in the format of Snakemake's benchmark files.

    Rules kept in Snakemake's between-workflow cache may not have a ``benchmark:``
    (a result taken from the cache has no timing), so they time themselves; a cache
    hit leaves no timing file behind.
    """
    start = time.monotonic()
    run(log_files, func, **kwargs)
    seconds = time.monotonic() - start
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    # ru_maxrss is in KiB on Linux; Snakemake reports MB.
    rss_mb = max(own.ru_maxrss, children.ru_maxrss) / 1024
    clock = time.strftime("%H:%M:%S", time.gmtime(seconds))
    fileio.write_text(
        timing_file(log_files[0]),
        "s\th:m:s\tmax_rss\tcpu_time\n"
        f"{seconds:.4f}\t{clock}\t{rss_mb:.2f}\t{cpu:.2f}\n",
    )
