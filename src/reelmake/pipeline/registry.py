"""The pipeline: every stage in order, with its whole contract (see
:mod:`reelmake.pipeline.contract`).

The Snakefile makes a rule of every step here, ``rule all`` asks for every result,
the stage state lists the stages with a summary, and ``clean``, ``status``, the
display and the reports read their names, files and logs from here. Adding a stage is
its module under ``reelmake.stages`` and its entry below.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from reelmake.core.errors import ReelmakeError
from reelmake.pipeline.contract import (
    Each,
    Out,
    Pattern,
    Ref,
    Results,
    Source,
    Stage,
    Step,
    Timings,
    UserFile,
    When,
)

# A person's decisions on a video's clips, in its folder (see stages.decisions).
DECISIONS = "decisions.yaml"
# The memory a job is said to need when its step names none: a small job measured
# at most 140 MB. Without it Snakemake would reserve twice its inputs' size (up to
# 8 GB for a job that reads a long source's few seconds), and `--resources mem_mb=`
# would run far fewer jobs at once than fit.
JOB_MEM_MB = 500
# Priorities among the jobs ready to run. The short jobs each clip's render waits
# for (its tracking and its plan) go first: they leave every render ready at once,
# so that the renders keep the cores busy to the end instead of the last clip's
# tracking, plan and render running alone after the others. Renders go before the
# bookkeeping (metadata, exports, state, reports: priority 0), which would hold a
# core for a second between renders and runs beside the last render instead.
PLAN_FIRST = 10
RENDER_NEXT = 5

REGISTRY: tuple[Stage, ...] = (
    Stage(
        "ingest",
        (
            Step(
                "ingest_video",
                "ingest:ingest_video",
                "reading the video",
                inputs={"source": Source()},
                outputs={"video_json": Out("ingest/video.json")},
                # The cover art of a sound-only episode, when it carries one.
                side={"cover": "ingest/cover.png"},
                wildcards=("video_hash",),
                local=True,
            ),
        ),
        summary="ingest:summary",
    ),
    Stage(
        "audio",
        (
            Step(
                "extract_audio",
                "audio:extract_audio",
                "extracting the audio",
                inputs={"source": Source(), "video_json": Ref("ingest", "video_json")},
                outputs={"audio": Out("audio/audio.wav")},
                options="audio:AudioOptions",
                local=True,
            ),
        ),
        summary="audio:summary",
        state_key="audio_extraction",
        config="audio",
    ),
    Stage(
        "transcript",
        (
            # A long video is split at pauses; each chunk is a job of its own.
            Step(
                "plan_chunks",
                "transcript:plan_chunks",
                "planning transcription",
                inputs={"audio": Ref("audio", "audio")},
                outputs={"plan": Out("transcript/chunks/plan.json", part=True)},
                options="transcript:ChunkOptions",
                lists="chunk",
                names="transcript:chunk_names",
                local=True,
            ),
            Step(
                "transcribe_chunk",
                "transcript:transcribe_chunk",
                "transcribing",
                inputs={
                    "audio": Ref("audio", "audio"),
                    "plan": Ref("transcript", "plan"),
                },
                outputs={
                    "chunk_transcript": Out("transcript/chunks/{chunk}.json", part=True)
                },
                options="transcript:TranscribeOptions",
                per="chunk",
                wildcards=("chunk",),
                run=("model_cache",),
                threads="transcript.threads",
                resources={"mem_mb": 2000, "gpu": "transcript.gpus"},
                shared=True,
            ),
            Step(
                "transcribe_audio",
                "transcript:transcribe_audio",
                "transcribing",
                inputs={
                    "audio": Ref("audio", "audio"),
                    "chunks": Each("transcript", "chunk_transcript"),
                },
                outputs={
                    "transcript": Out(
                        "transcript/transcript.json",
                        report="Transcripts",
                        caption="transcript",
                    ),
                },
                options="transcript:TranscribeOptions",
                run=("model_cache",),
                threads="transcript.threads",
                resources={"mem_mb": 2000, "gpu": "transcript.gpus"},
                shared=True,
            ),
            # The whole video's captions, with the words a person corrected.
            Step(
                "write_captions",
                "transcript:write_captions",
                "writing captions",
                inputs={
                    "transcript": Ref("transcript", "transcript"),
                    "decisions_file": UserFile(DECISIONS),
                },
                outputs={
                    "srt": Out("transcript/transcript.srt"),
                    "vtt": Out("transcript/transcript.vtt"),
                },
                local=True,
            ),
        ),
        summary="transcript:summary",
        state_key="transcription",
        config="transcript",
    ),
    Stage(
        "segments",
        (
            Step(
                "segment_transcript",
                "segments:segment_transcript",
                "finding candidates",
                inputs={"transcript": Ref("transcript", "transcript")},
                outputs={"candidates": Out("segments/candidates.json")},
                options="segments:SegmentOptions",
                wildcards=("video_hash",),
            ),
        ),
        summary="segments:summary",
        state_key="segmentation",
        config="segments",
    ),
    Stage(
        "scores",
        (
            Step(
                "score_segments",
                "scores.stage:score_segments",
                "scoring",
                inputs={
                    "candidates": Ref("segments", "candidates"),
                    "audio": Ref("audio", "audio"),
                },
                outputs={"scores": Out("scores/scores.json")},
                options="scores.common:ScoreOptions",
                # A new version of the offline scorer re-scores: its scores mean more.
                versions={"heuristic_version": "scores.heuristic:HEURISTIC_VERSION"},
                run=("shared_cache", "rescore"),
                shared=True,
            ),
        ),
        summary="scores.stage:summary",
        state_key="ai_scoring",
        config="scores",
    ),
    Stage(
        "highlights",
        (
            # A checkpoint: the clips are known only once it has run. Beside the
            # selection it keeps one description per clip, rewritten only when it
            # changes: each clip's cut reads its own.
            Step(
                "select_highlights",
                "highlights:select_highlights",
                "selecting highlights",
                inputs={
                    "candidates": Ref("segments", "candidates"),
                    "scores": Ref("scores", "scores"),
                    "transcript": Ref("transcript", "transcript"),
                    "video_json": Ref("ingest", "video_json"),
                    # A person's decisions on the clips, honoured on every run.
                    "decisions_file": UserFile(DECISIONS),
                },
                outputs={"highlights": Out("highlights/highlights.json")},
                side={"description": "highlights/clips/{clip}.json"},
                options="highlights:SelectOptions",
                lists="clip",
                names="highlights:clip_names",
                local=True,
            ),
        ),
        summary="highlights:summary",
        former=("selection",),
        config="highlights",
    ),
    Stage(
        "framing",
        (
            # The faces a vertical crop follows, over one clip's span (read from the
            # clip's name, not its description: a new title tracks nothing); only
            # clips reframed around a face ask for them. Kept when the clip leaves
            # the selection: it comes back without tracking again.
            Step(
                "track_subjects",
                "framing:track_subjects",
                "tracking faces",
                inputs={
                    "source": Source(),
                    "video_json": Ref("ingest", "video_json"),
                    "audio": Ref("audio", "audio"),
                },
                outputs={
                    "subjects": Out("framing/spans/{clip}.json", part=True, kept=True)
                },
                options="framing:TrackOptions",
                per="clip",
                wildcards=("clip",),
                # ffmpeg decodes beside the face search.
                threads="framing.threads",
                # Measured peak: 140 MB (a 1080p source, two decoding threads).
                resources={"mem_mb": 600},
                # Every clip's tracking and plan before the renders: a few seconds
                # each, after which every render can start, so that none is left
                # to run alone at the end.
                priority=PLAN_FIRST,
            ),
        ),
        config="framing",
    ),
    Stage(
        "clips",
        (
            # Everything a clip's render does, decided offline: its edit plan.
            Step(
                "plan_clip",
                "clips.plan:plan_clip",
                "planning clips",
                inputs={
                    "source": Source(),
                    "description": Ref("highlights", "description"),
                    "audio": Ref("audio", "audio"),
                    "video_json": Ref("ingest", "video_json"),
                    "subjects": When(
                        "clips.plan:needs_faces", Ref("framing", "subjects")
                    ),
                },
                outputs={
                    "plan": Out("clips/{clip}.plan.json"),
                    "srt": Out("clips/{clip}.srt"),
                    "vtt": Out("clips/{clip}.vtt"),
                },
                options="clips.plan:PlanOptions",
                per="clip",
                local=True,
                priority=PLAN_FIRST,
            ),
            Step(
                "render_clip",
                "clips.render:render_clip",
                "rendering clips",
                inputs={"source": Source(), "plan": Ref("clips", "plan")},
                outputs={
                    "video": Out("clips/{clip}.mp4", report="Clips", caption="clip"),
                },
                # The hash of the clip as rendered: a clip changed since is damaged.
                side={"digest": "clips/{clip}.digest"},
                options="clips.render:RenderOptions",
                per="clip",
                threads="clips.threads",
                fill_cores=True,
                # Measured peak: 340 MB (a 1080p source to a 1080x1920 clip).
                resources={"mem_mb": 1000},
                priority=RENDER_NEXT,
            ),
        ),
        summary="clips.plan:summary",
        config="clips",
    ),
    Stage(
        "metadata",
        (
            Step(
                "write_clip_metadata",
                "metadata:write_clip_metadata",
                "writing clip metadata",
                inputs={
                    "highlights": Ref("highlights", "highlights"),
                    "plan": Ref("clips", "plan"),
                },
                outputs={"json": Out("metadata/{clip}.json")},
                patterns={
                    "mp4": Pattern("clips", "video"),
                    "srt": Pattern("clips", "srt"),
                    "vtt": Pattern("clips", "vtt"),
                },
                options="metadata:CopyOptions",
                per="clip",
                wildcards=("clip",),
                run=("shared_cache",),
                local=True,
            ),
            Step(
                "write_metadata",
                "metadata:write_table",
                "writing clip metadata",
                inputs={
                    "highlights": Ref("highlights", "highlights"),
                    "videos": Each("clips", "video"),
                    "jsons": Each("metadata", "json"),
                },
                outputs={"table": Out("metadata/clips.csv")},
                patterns={
                    "mp4": Pattern("clips", "video"),
                    "srt": Pattern("clips", "srt"),
                    "vtt": Pattern("clips", "vtt"),
                },
                # Links to the clips under their rank and title, remade with the table.
                side={"ranked": "ranked"},
                local=True,
            ),
        ),
        summary="metadata:summary",
    ),
    Stage(
        "state",
        (
            Step(
                "stage_state",
                "reelmake.pipeline.state:write_state",
                "recording its state",
                inputs={"results": Results()},
                outputs={"state": Out("stage_state.json", report="Summaries")},
                local=True,
            ),
        ),
    ),
    Stage(
        "export",
        (
            Step(
                "export_timeline",
                "export:export_timeline",
                "exporting timelines",
                inputs={
                    "source": Source(),
                    "highlights": Ref("highlights", "highlights"),
                    "video_json": Ref("ingest", "video_json"),
                    "plans": Each("clips", "plan"),
                },
                outputs={
                    ext: Out(f"export/timeline.{ext}") for ext in ("otio", "edl", "xml")
                },
                patterns={"plan": Pattern("clips", "plan")},
                local=True,
            ),
        ),
    ),
    Stage(
        "report",
        (
            Step(
                "report_video",
                "report:video_report",
                "writing its report",
                inputs={
                    "state": Ref("state", "state"),
                    "video_json": Ref("ingest", "video_json"),
                    "candidates": Ref("segments", "candidates"),
                    "scores": Ref("scores", "scores"),
                    "highlights": Ref("highlights", "highlights"),
                    "results": Results(),
                },
                outputs={"html": Out("report.html", report="Summaries")},
                patterns={
                    "clip_video": Pattern("clips", "video"),
                    "clip_srt": Pattern("clips", "srt"),
                    "clip_plan": Pattern("clips", "plan"),
                    "clip_json": Pattern("metadata", "json"),
                    "timings": Timings(),
                },
                local=True,
            ),
        ),
    ),
)

# The batch's own report, relative to the results folder (a rule of the Snakefile:
# it reads every video's).
BATCH_REPORT = "report.html"
BATCH_REPORT_DOING = "writing the batch report"


def steps() -> Iterator[Step]:
    for s in REGISTRY:
        yield from s.steps


# The stages the stage state lists, in pipeline order: the ones a run can stop after.
LISTED: tuple[Stage, ...] = tuple(s for s in REGISTRY if s.summary is not None)


class UnknownStage(ReelmakeError):
    """A stage name a person typed that no stage has."""


def stage(name: str, listed: bool = False) -> Stage:
    """A stage by its name, its stage-state key or one of its rules; with ``listed``,
    only one the stage state lists (the ones a run can stop after)."""
    for s in LISTED if listed else REGISTRY:
        if name in (s.name, s.key, *s.rules):
            return s
    known = ", ".join(s.name for s in LISTED)
    raise UnknownStage(f"unknown stage {name!r}; stages are: {known}")


def step(rule: str) -> Step:
    found = next((st for st in steps() if st.rule == rule), None)
    if found is None:
        raise KeyError(rule)
    return found


def stage_of_rule(rule: str) -> Stage | None:
    return next((s for s in REGISTRY if rule in s.rules), None)


def producer(stage_name: str, key: str) -> Step:
    """The step that writes ``key`` of a stage."""
    return next(st for st in stage(stage_name).steps if key in st.outputs)


def later(name: str) -> list[Stage]:
    """The listed stage ``name`` and every listed stage after it."""
    first = LISTED.index(stage(name, listed=True))
    return list(LISTED[first:])


STATE_FILE = stage("state").files["state"]


def path(name: str, key: str, folder: Path) -> Path:
    """One fixed file of a stage in one video's folder."""
    return folder / stage(name).fixed[key]


def results_of(s: Stage, folder: Path, clips: Sequence[str] = ()) -> dict[str, Path]:
    """A stage's results in one video's folder: the fixed ones by key, the per-clip
    ones of ``clips`` as ``key:clip``."""
    out = {key: folder / rel for key, rel in s.fixed.items()}
    for clip in clips:
        for key, pattern in s.per_clip.items():
            out[f"{key}:{clip}"] = folder / pattern.format(clip=clip)
    return out


def globs(s: Stage) -> list[str]:
    """Every file a stage may have written, as globs relative to the video's folder
    (its logs and timing files included)."""
    found = [o.path for o in s.outputs.values()] + list(s.side.values())
    for st in s.steps:
        for pattern in (st.log(""), st.timing("")):
            found.append(pattern.removeprefix("/{video_hash}/"))
    return [p.replace("{clip}", "*").replace("{chunk}", "*") for p in found]


def clip_names(folder: Path) -> list[str] | None:
    """The clips the current selection asks for, or None before a selection."""
    from reelmake.pipeline.contract import resolve

    try:
        names: list[str] = resolve(step("select_highlights").names or "")(
            path("highlights", "highlights", folder)
        )
        return names
    except (OSError, ValueError, KeyError, TypeError):
        return None


def final_outputs(folder: Path, clips: Sequence[str]) -> list[Path]:
    """What ``rule all`` asks for of one video: every stage's results, the per-clip
    ones for ``clips``."""
    return [p for s in REGISTRY for p in results_of(s, folder, clips).values()]
