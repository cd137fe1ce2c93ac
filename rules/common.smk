"""Shared set-up: config validation, video discovery and the input helpers. No rules.

Parsing happens again for every cluster job, so this file only stats videos and reads
the hash index; a video is hashed once, the first time it is seen.
"""

import dataclasses
import os
import sys
from pathlib import Path

from snakemake.exceptions import IncompleteCheckpointException

from reelmake.core import config as reelmake_config
from reelmake.pipeline import discovery, registry as stages
from reelmake.stages import framing
from reelmake.batch import summary
from reelmake.stages.highlights import load_highlights
from reelmake.stages.scores.heuristic import HEURISTIC_VERSION
from reelmake.stages.segments import options_for
from reelmake.stages.transcript import chunk_name, load_plan

# Our own validation: it fills defaults and says what is wrong in one line.
reelmake_config.validate(
    config,
    reelmake_config.load_schema(
        Path(workflow.basedir) / "config" / "schemas" / "config.schema.yaml"
    ),
)

RESULTS = Path("results")

# Transcripts and scores go to Snakemake's between-workflow cache
# ($SNAKEMAKE_OUTPUT_CACHE) when the run asks for it with --cache; rules are marked
# only then, so other runs are not warned about it.
SHARED_CACHE = (
    "omit-software" if workflow.workflow_settings.cache is not None else False
)
# The language model's answers are kept in that folder too (the scripts read it
# from config["run"], which re-runs nothing when it changes).
if SHARED_CACHE and not config["run"]["shared_cache"]:
    config["run"]["shared_cache"] = os.environ.get("SNAKEMAKE_OUTPUT_CACHE")


wildcard_constraints:
    video_hash="[0-9a-f]{16}",
    clip="[0-9]{8}-[0-9]{8}-[0-9a-f]{8}",
    chunk="[0-9]{3}",


def _register_videos():
    paths, problems = discovery.discover(config["videos"])
    # reelmake run names each video's hash as the run began: one name per run.
    videos, unreadable = discovery.register(paths, RESULTS, config["video_hashes"])
    for problem in problems + unreadable:
        print(f"reelmake: skipping {problem}", file=sys.stderr)
    return videos, problems + unreadable


VIDEOS, PROBLEMS = _register_videos()


def stage_path(stage, key):
    """A file of a stage, as its rule names it (the registry in stages.py owns every
    path): results/{video_hash}/..., with {clip} or {chunk} for per-clip and
    per-chunk files."""
    return stages.stage(stage).pattern(key, str(RESULTS))


def get_source(wildcards):
    """The stable link to the original video, whose renames and touches do not count."""
    link = discovery.source_link(RESULTS, wildcards.video_hash)
    if link is None:
        raise WorkflowError(
            f"results/{wildcards.video_hash}: no source link; "
            "run the video through reelmake run or list it under videos:"
        )
    return ancient(str(link))


def transcribe_options():
    """The settings that change the words (threads and the device do not)."""
    keys = ("model", "language", "vad", "beam_size", "compute_type", "batch_size")
    return {key: config["transcribe"][key] for key in keys}


def get_transcribe_input(wildcards):
    """The audio, and for a video the plan splits, the transcripts of its chunks."""
    plan = checkpoints.plan_chunks.get(video_hash=wildcards.video_hash).output.plan
    count = len(load_plan(plan))
    chunks = expand(
        rules.transcribe_chunk.output.transcript,
        video_hash=wildcards.video_hash,
        chunk=[chunk_name(i) for i in range(count)],
    )
    return {
        "audio": rules.extract_audio.output.audio,
        "chunks": chunks if count > 1 else [],
    }


def segment_options():
    opts = dict(config["segment"])
    return vars(options_for(**opts))


def select_options():
    """The clip length band defaults to the segment band."""
    opts = dict(config["select"])
    band = segment_options()
    for key in ("min_seconds", "max_seconds"):
        if opts[key] is None:
            opts[key] = band[key]
    return opts


# Clip settings that only matter when a clip's shape differs from the source's.
_REFRAME_KEYS = tuple(f.name for f in dataclasses.fields(framing.FrameOptions))


def clip_picture():
    """The clip settings that shape a clip's picture (and so its name)."""
    clips = config["clips"]
    keep_shape = clips["aspect"] == "source"
    return {
        k: v
        for k, v in clips.items()
        if k != "threads" and not (keep_shape and k in _REFRAME_KEYS)
    }


def get_subjects(wildcards):
    """The video's tracked faces, only when a clip's crop follows them."""
    clips = config["clips"]
    if clips["aspect"] == "source" or clips["reframe"] != "face":
        return []
    return rules.track_subjects.output.subjects.format(video_hash=wildcards.video_hash)


def clip_threads(wildcards):
    """Threads of one clip's encoder: the configured count, or more when fewer clips
    wait to be cut than there are cores, so that no core sits idle."""
    wanted = config["clips"]["threads"]
    folder = RESULTS / wildcards.video_hash
    # The selection file itself, not the checkpoint: a cluster job's own Snakemake
    # does not see the checkpoint as complete.
    video = stages.stage("clips").files["video"]
    waiting = [c for c in stages.clip_names(folder) or []
               if not (folder / video.format(clip=c)).exists()]  # fmt: skip
    try:
        cores = workflow.cores
    except WorkflowError:  # a run that sets no cores (--report, say)
        return wanted
    if not isinstance(cores, int):
        return wanted
    return max(wanted, cores // max(len(waiting), 1))


def llm_options():
    """The language-model settings, only when that backend is on (so changing them
    re-runs nothing for heuristic users)."""
    if config["score"]["backend"] != "openai":
        return None
    return dict(config["score"]["openai"])


def _clip_names(video_hash):
    path = checkpoints.select_highlights.get(video_hash=video_hash).output.highlights
    return [h.clip for h in load_highlights(path)]


def get_clip_videos(wildcards):
    names = _clip_names(wildcards.video_hash)
    return expand(
        rules.cut_clip.output.video, video_hash=wildcards.video_hash, clip=names
    )


def get_clip_metadata(wildcards):
    names = _clip_names(wildcards.video_hash)
    return expand(
        rules.write_clip_metadata.output.json,
        video_hash=wildcards.video_hash,
        clip=names,
    )


def clip_files(wildcards):
    """One clip's video and captions by extension, named in its metadata."""
    clip = rules.cut_clip.output
    return {
        ext: pattern.format(**wildcards)
        for ext, pattern in (("mp4", clip.video), ("srt", clip.srt), ("vtt", clip.vtt))
    }


def get_video_folder(wildcards):
    """The video's results folder, where the metadata links its ranked clips."""
    return str(RESULTS / wildcards.video_hash)


def per_clip_pattern(stage, key):
    """A per-clip file of one video with {clip} left open, for a package function
    that writes or names one per clip."""
    pattern = stage_path(stage, key)
    return lambda wildcards: pattern.replace("{video_hash}", wildcards.video_hash)


def get_stage_files(wildcards):
    """Every file of every stage the stage state lists, of one video; the clips
    after the selection."""
    folder = RESULTS / wildcards.video_hash
    clips = _clip_names(wildcards.video_hash)
    return [str(p) for s in stages.STAGES for p in s.paths(folder, clips).values()]


def get_final_output(wildcards):
    """Every result the stage registry lists, of every video, and the batch report.

    Asking for each file (not only the summary) keeps a failed forced job from leaving
    stale downstream files behind on the next run. Per-clip files are asked for only
    once a video's selection exists: before that they come through its stage state,
    whose inputs wait for that video's own selection (waiting here would make every
    video wait for the first one's).
    """
    out = []
    for video in VIDEOS:
        try:
            # Named here once known (Snakemake's own report lists them then).
            clips = _clip_names(video.hash)
        except IncompleteCheckpointException:
            clips = []
        out += map(str, stages.final_outputs(RESULTS / video.hash, clips))
    if VIDEOS:
        out.append(str(RESULTS / stages.BATCH_REPORT))
    return out


def get_video_reports(wildcards):
    return expand(rules.report_video.output.html, video_hash=[v.hash for v in VIDEOS])
