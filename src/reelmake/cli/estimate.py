"""``reelmake estimate``: what language-model scoring would send for some videos,
counted from what exists; runs nothing and writes nothing."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from reelmake.batch.process import SHARED_CACHE_ENV
from reelmake.batch.run import results_of
from reelmake.core import config
from reelmake.core.hashing import INDEX_NAME, HashIndex, hash_file, short
from reelmake.pipeline import discovery, registry
from reelmake.stages.scores.common import LLMOptions
from reelmake.stages.scores.estimate import VideoEstimate, estimate_video
from reelmake.stages.scores.store import Answers
from reelmake.stages.segments import SegmentOptions

# The table's columns and their widths.
COLUMNS = (("units", 7), ("cached", 7), ("requests", 9), ("~prompt tok", 12),
           ("~output tok", 12))  # fmt: skip


def estimates(
    workdir: Path, videos: list[str], configfile: str | None
) -> tuple[LLMOptions, bool, list[VideoEstimate], list[discovery.Problem]]:
    """The model's settings, whether it is on, and each video's estimate."""
    results = results_of(workdir.resolve())
    settings = config.load_user(workdir.resolve(), configfile).settings
    options = LLMOptions(**settings["scores"]["openai"])
    answers = Answers.locate(options.answer_cache, os.environ.get(SHARED_CACHE_ENV))
    segment_options = SegmentOptions.from_config(settings)
    paths, problems = discovery.discover(videos)
    index_file = results / discovery.STATE_DIR / INDEX_NAME
    index = HashIndex(index_file) if index_file.is_file() else None
    found = []
    for path in paths:
        video_hash = short(index.hash(path) if index else hash_file(path))
        folder = results / video_hash
        found.append(
            estimate_video(
                registry.path("segments", "candidates", folder),
                registry.path("transcript", "transcript", folder),
                path,
                video_hash,
                options,
                segment_options,
                answers,
            )
        )
    asks = settings["scores"]["backend"] == "openai"
    return options, asks, found, problems


def _row(name: str, mode: str, row: list[int] | list[str]) -> str:
    return f"{name[:32]:<32} {mode:<10} " + " ".join(
        f"{v:>{width}}" for v, (_, width) in zip(row, COLUMNS, strict=True)
    )


def cmd_estimate(args: argparse.Namespace) -> int:
    options, asks, found, problems = estimates(
        Path(args.directory), args.videos, args.configfile
    )
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if not found:
        print("error: no videos to estimate", file=sys.stderr)
        return 1
    if not asks:
        print("scores.backend is heuristic: scoring sends no requests. With "
              "scores.backend: openai it would send:")  # fmt: skip
    print(f"model {options.model} at {options.base_url or 'the OpenAI API'}; "
          f"mode {options.mode} (the other is shown for comparison)")  # fmt: skip
    print(_row("video", "", [name for name, _ in COLUMNS]))
    totals: dict[str, list[int]] = {}
    for video in found:
        for mode, row in video.modes.items():
            before = totals.get(mode, [0] * len(row))
            totals[mode] = [a + b for a, b in zip(before, row, strict=True)]
            print(_row(video.path.name, mode, row))
        print(f"{'':<32} (transcript itself: ~{video.transcript_tokens} tokens; "
              f"from {video.basis})")  # fmt: skip
    for mode, row in totals.items():
        print(_row("total", mode, row))
    print("units: transcript chunks (transcript mode) or candidates (passages mode); "
          "plus one request per video for the selected clips' titles and "
          "descriptions")  # fmt: skip
    return 1 if problems else 0
