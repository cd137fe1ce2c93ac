"""The one adapter between a Snakemake job and the package: ``scripts/run_step.py``
hands its ``snakemake`` object to :func:`run_step`, which calls the function of the
job's step (see :mod:`reelmake.pipeline.registry`) with the job's named inputs,
outputs, patterns and options, and logs to the job's log.

A :class:`ReelmakeError` becomes one line in the log and on stderr and exit status 1,
so Snakemake reports the failed job without a traceback and goes on with other videos.
The package never imports Snakemake: the job is read by its attributes.
"""

from __future__ import annotations

import errno
import logging
import os
import resource
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from reelmake.core import fileio
from reelmake.core.config import RunSettings
from reelmake.core.errors import ReelmakeError
from reelmake.pipeline import registry
from reelmake.pipeline.contract import Each, Results, Step, UserFile, When, resolve


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


def run_timed(
    log_files: Sequence[str],
    timing: str | os.PathLike[str],
    func: Callable[..., Any],
    **kwargs: Any,
) -> None:
    """:func:`run`, then a timing file in the format of Snakemake's benchmark files
    (seconds, peak memory, CPU seconds and the mean load: how many cores were busy).

    Steps kept in Snakemake's between-workflow cache may not have a ``benchmark:``
    (a result taken from the cache has no timing), so every job times itself; a
    cache hit leaves no timing file behind.
    """

    def cpu_seconds() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    start, cpu_before = time.monotonic(), cpu_seconds()
    run(log_files, func, **kwargs)
    seconds = time.monotonic() - start
    cpu = cpu_seconds() - cpu_before
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    # ru_maxrss is in KiB on Linux; Snakemake reports MB.
    rss_mb = max(own.ru_maxrss, children.ru_maxrss) / 1024
    clock = time.strftime("%H:%M:%S", time.gmtime(seconds))
    fileio.write_text(
        timing,
        "s\th:m:s\tmax_rss\tmean_load\tcpu_time\n"
        f"{seconds:.4f}\t{clock}\t{rss_mb:.2f}\t{100 * cpu / max(seconds, 1e-9):.2f}"
        f"\t{cpu:.2f}\n",
    )


def arguments(step: Step, job: Any) -> dict[str, Any]:
    """The keyword arguments of a step's function, from its job: every input,
    output, pattern and side path by name, the options built from the params, the
    named wildcards and run settings."""
    params = dict(job.params.items())
    kwargs: dict[str, Any] = {}
    for name, kind in step.inputs.items():
        value = getattr(job.input, name)
        if isinstance(kind, Each | Results):
            kwargs[name] = [str(v) for v in value]
        elif isinstance(kind, When | UserFile):
            kwargs[name] = str(value) if value else None
        else:
            kwargs[name] = str(value)
    kwargs.update({name: str(getattr(job.output, name)) for name in step.outputs})
    kwargs.update({name: params[name] for name in (*step.patterns, *step.side)})
    if step.options:
        options = resolve(step.options)
        kwargs["options"] = options.from_job(params, job.config, job.threads)
    kwargs.update({name: job.wildcards[name] for name in step.wildcards})
    if step.run:
        settings = RunSettings.of(job.config)
        kwargs.update({name: getattr(settings, name) for name in step.run})
    return kwargs


def run_step(job: Any) -> None:
    """Run the step of a Snakemake job (the ``snakemake`` object of a script)."""
    step = registry.step(job.rule)
    function = resolve(step.function)
    kwargs = arguments(step, job)
    timing = step.timing().format(**dict(job.wildcards.items()))
    run_timed(list(job.log), timing, function, **kwargs)


def batch_videos(reports: Sequence[str]) -> list[dict[str, str]]:
    """What the batch's page reads of each video, from its report's path: its
    state, its selection and where its clips lie (``{clip}`` open)."""
    videos = []
    for report in reports:
        folder = Path(report).parent
        clips = folder / registry.stage("clips").files["video"]
        videos.append(
            {
                "report": report,
                "state": str(folder / registry.STATE_FILE),
                "highlights": str(registry.path("highlights", "highlights", folder)),
                "clip_video": str(clips),
            }
        )
    return videos


def report_batch(job: Any) -> None:
    """Run the batch report's job (the ``snakemake`` object of its script): a
    script, not a ``run:`` block, which Snakemake would run in a whole new
    Snakemake of its own."""
    run(
        list(job.log),
        resolve("report:batch_report"),
        videos=batch_videos([str(r) for r in job.input.reports]),
        target=str(job.output.html),
    )
