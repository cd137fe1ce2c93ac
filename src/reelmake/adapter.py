"""What every ``scripts/`` adapter shares: logging to the rule's log and clean errors.

A :class:`ReelmakeError` becomes one line in the log and on stderr and exit status 1,
so Snakemake reports the failed job without a traceback and goes on with other videos.
"""

from __future__ import annotations

import errno
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any

from reelmake.errors import ReelmakeError


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
