"""Shared set-up: config validation, video discovery and the input helpers. No rules.

Parsing happens again for every cluster job, so this file only stats videos and reads
the hash index; a video is hashed once, the first time it is seen.
"""

import sys
from pathlib import Path

from reelmake import config as reelmake_config
from reelmake import discovery, stages

# Our own validation: it fills defaults and says what is wrong in one line.
reelmake_config.validate(
    config,
    reelmake_config.load_schema(
        Path(workflow.basedir) / "config" / "schemas" / "config.schema.yaml"
    ),
)

RESULTS = Path("results")


wildcard_constraints:
    video_hash="[0-9a-f]{16}",


def _register_videos():
    paths, problems = discovery.discover(config["videos"])
    videos, unreadable = discovery.register(paths, RESULTS)
    for problem in problems + unreadable:
        print(f"reelmake: skipping {problem}", file=sys.stderr)
    return videos


VIDEOS = _register_videos()


def stage_output(stage, key):
    return stages.output(stage, key, str(RESULTS))


def get_source(wildcards):
    """The stable link to the original video, whose renames and touches do not count."""
    link = discovery.source_link(RESULTS, wildcards.video_hash)
    if link is None:
        raise WorkflowError(
            f"results/{wildcards.video_hash}: no source link; "
            "run the video through reelmake run or list it under videos:"
        )
    return ancient(str(link))


def _stage_files(video_hash):
    folder = RESULTS / video_hash
    return [str(p) for s in stages.STAGES for p in s.paths(folder).values()]


def get_stage_files(wildcards):
    return _stage_files(wildcards.video_hash)


def get_final_output():
    """Every stage output of every video, then its stage state.

    Asking for each file (not only the summary) keeps a failed forced job from leaving
    stale downstream files behind on the next run.
    """
    out = []
    for video in VIDEOS:
        out += _stage_files(video.hash)
        out.append(str(RESULTS / video.hash / stages.STATE_FILE))
    return out
