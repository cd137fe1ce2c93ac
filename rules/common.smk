"""Shared set-up: config validation, video discovery, and a step of the pipeline's
registry in Snakemake's terms (its inputs, outputs, params, threads). No rules.

Parsing happens again for every cluster job, so this file only stats videos and reads
the hash index; a video is hashed once, the first time it is seen.
"""

import os
import sys
from pathlib import Path

from snakemake.exceptions import IncompleteCheckpointException

from reelmake.batch import summary
from reelmake.core import config as reelmake_config
from reelmake.pipeline import discovery, registry
from reelmake.pipeline.contract import (
    Each,
    Ref,
    Results,
    Source,
    Timings,
    UserFile,
    When,
    resolve,
)

# Sections renamed since (score: is now scores:, ...) still work, with a line.
for line in reelmake_config.migrate(config):
    print(f"reelmake: {line}", file=sys.stderr)
# Our own validation: it fills defaults and says what is wrong in one line.
reelmake_config.validate(
    config,
    reelmake_config.load_schema(
        Path(workflow.basedir) / "config" / "schemas" / "config.schema.yaml"
    ),
)

RESULTS = Path("results")

# Transcripts and scores go to Snakemake's between-workflow cache
# ($SNAKEMAKE_OUTPUT_CACHE) when the run asks for it with --cache; steps are marked
# only then, so other runs are not warned about it.
SHARED_CACHE = (
    "omit-software" if workflow.workflow_settings.cache is not None else False
)
# The language model's answers are kept in that folder too: a plain `snakemake
# --cache` names it only in Snakemake's own variable.
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


def write_summary():
    if config["run"]["summary"]:
        summary.write_summary(RESULTS, VIDEOS, PROBLEMS)


def pattern(stage, key):
    """A file of a stage as its rules name it, results/{video_hash}/..., with {clip} or
    {chunk} for a per-item file."""
    return f"{RESULTS}/{{video_hash}}/{registry.stage(stage).path_of(key)}"


def get_source(wildcards):
    """The stable link to the original video, whose renames and touches do not count."""
    link = discovery.source_link(RESULTS, wildcards.video_hash)
    if link is None:
        raise WorkflowError(
            f"results/{wildcards.video_hash}: no source link; "
            "run the video through reelmake run or list it under videos:"
        )
    return ancient(str(link))


def item_names(video_hash, item):
    """The clips (or chunks) of one video, from the checkpoint that lists them."""
    lister = next(s for s in registry.steps() if s.lists == item)
    made = getattr(checkpoints, lister.rule).get(video_hash=video_hash)
    return resolve(lister.names)(made.output[0])


def _each(kind):
    path = pattern(kind.stage, kind.key)
    item = "clip" if "{clip}" in path else "chunk"
    return lambda wildcards: expand(
        path,
        video_hash=wildcards.video_hash,
        **{item: item_names(wildcards.video_hash, item)},
    )


def get_stage_files(wildcards):
    """Every result of every stage the stage state lists, of one video; the clips
    after the selection."""
    folder = RESULTS / wildcards.video_hash
    clips = item_names(wildcards.video_hash, "clip")
    return [
        str(p)
        for s in registry.LISTED
        for p in registry.results_of(s, folder, clips).values()
    ]


def step_inputs(step):
    out = {}
    for name, kind in step.inputs.items():
        if isinstance(kind, Source):
            out[name] = get_source
        elif isinstance(kind, Ref):
            out[name] = pattern(kind.stage, kind.key)
        elif isinstance(kind, Each):
            out[name] = _each(kind)
        elif isinstance(kind, When):
            out[name] = (
                pattern(kind.of.stage, kind.of.key) if kind.needed(config) else []
            )
        elif isinstance(kind, Results):
            out[name] = get_stage_files
        elif isinstance(kind, UserFile):
            out[name] = _user_file(kind.name)
    return out


def _user_file(name):
    """A person's file in the video's folder, when it is there."""

    def found(wildcards):
        path = RESULTS / wildcards.video_hash / name
        return str(path) if path.is_file() else []

    return found


def step_outputs(step):
    out = {}
    for name, o in step.outputs.items():
        path = f"{RESULTS}/{{video_hash}}/{o.path}"
        if o.report:
            extra = {"subcategory": "{video_hash}"} if "{clip}" in o.path else {}
            path = report(path, caption=f"report/{o.caption}.rst",
                          category=o.report, **extra)  # fmt: skip
        out[name] = path
    return out


def _open_items(path):
    """A pattern of one video, its item ({clip}) left open, for a function that
    names or reads one file per item."""
    return lambda wildcards: path.replace("{video_hash}", wildcards.video_hash)


def _timings(wildcards):
    """Every step's timing files of one video, by rule (an item as ``*``)."""
    return {
        s.rule: s.timing().format(video_hash=wildcards.video_hash, clip="*", chunk="*")
        for s in registry.steps()
    }


def step_params(step):
    params = {}
    if step.options:
        params.update(resolve(step.options).from_config(config).params())
    params.update({name: resolve(ref) for name, ref in step.versions.items()})
    for name, ref in step.patterns.items():
        if isinstance(ref, Timings):
            params[name] = _timings
        else:
            params[name] = _open_items(pattern(ref.stage, ref.key))
    for name, rel in step.side.items():
        params[name] = _open_items(f"{RESULTS}/{{video_hash}}/{rel}")
    return params


def _setting(value):
    """A number, or the config key ("transcript.threads") that holds one."""
    if isinstance(value, str):
        found = config
        for key in value.split("."):
            found = found[key]
        return found
    return value


def step_threads(step):
    wanted = _setting(step.threads)
    if not step.fill_cores:
        return wanted
    return lambda wildcards: _fill_cores(step, wanted, wildcards)


def _fill_cores(step, wanted, wildcards):
    """More threads for one item's job when fewer items wait than there are cores,
    so that no core sits idle."""
    folder = RESULTS / wildcards.video_hash
    # The selection file itself, not the checkpoint: a cluster job's own Snakemake
    # does not see the checkpoint as complete.
    clips = registry.clip_names(folder) or []
    first = next(iter(step.outputs.values())).path
    waiting = [c for c in clips if not (folder / first.format(clip=c)).exists()]
    if workflow.dag_settings.forceall or workflow.dag_settings.forcerun:
        # Made again although they exist (--no-cache): every item may wait.
        waiting = clips
    try:
        cores = workflow.cores
    except WorkflowError:  # a run that sets no cores (--report, say)
        return wanted
    if not isinstance(cores, int):
        return wanted
    return max(wanted, cores // max(len(waiting), 1))


def step_resources(step):
    """What a job needs beside its threads: the step's own values, and its memory
    (see registry.JOB_MEM_MB)."""
    declared = {name: _setting(value) for name, value in step.resources.items()}
    return {"mem_mb": registry.JOB_MEM_MB, **declared}


def step_cache(step):
    return SHARED_CACHE if step.shared else False


def get_final_output(wildcards):
    """Every result the registry lists, of every video, and the batch report.

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
            clips = item_names(video.hash, "clip")
        except IncompleteCheckpointException:
            clips = []
        out += map(str, registry.final_outputs(RESULTS / video.hash, clips))
    if VIDEOS:
        out.append(str(RESULTS / registry.BATCH_REPORT))
    return out


def get_video_reports(wildcards):
    html = registry.stage("report").files["html"]
    return [str(RESULTS / v.hash / html) for v in VIDEOS]
