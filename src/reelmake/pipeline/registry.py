"""The stage registry: every stage, every file it writes, and the stage state.

This is the one place that knows where a file lives: the rules take their output paths
from it (and their inputs from the rules that make them), ``rule all`` asks for what
it lists, and the stage state, ``clean``, ``status`` and the reports read it. Adding a
stage is one ``Stage`` here, one rule file, one script and one module; the Snakefile
includes ``rules/<name>.smk`` for every stage, in this order.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelmake.core import config, fileio
from reelmake.pipeline.discovery import source_link

Summary = Callable[[dict[str, Path], float], dict[str, Any]]


@dataclass(frozen=True)
class Stage:
    """One stage. ``name`` is its rule file (``rules/<name>.smk``), its folder under
    ``results/<hash>/``, its package module (``reelmake.<name>``) and its key in the
    stage state; ``alias`` is the design notes' key for it, kept in the stage state
    and the Python cache API.

    Paths are relative to the video's folder and keyed by the name its rules give
    them; a pattern holding ``{clip}`` exists once per selected highlight, one holding
    ``{chunk}`` once per transcript chunk. ``files`` are its results: the stage state
    checks them and ``rule all`` asks for them. ``parts`` are outputs of its helper
    rules that later rules ask for when they need them (a chunk's transcript, the
    tracked faces). ``side`` are files it writes that no rule declares (read by path,
    remade with the stage). ``summarize`` is None for a stage the stage state does
    not list.
    """

    name: str
    rules: tuple[str, ...]
    files: dict[str, str]
    summarize: Summary | None = None
    alias: str | None = None
    parts: dict[str, str] = field(default_factory=dict)
    side: dict[str, str] = field(default_factory=dict)

    @property
    def rule(self) -> str:
        """The stage's own rule (the others help write its files)."""
        return self.rules[0]

    @property
    def fixed(self) -> dict[str, str]:
        return {k: v for k, v in self.files.items() if "{" not in v}

    @property
    def per_clip(self) -> dict[str, str]:
        return {k: v for k, v in self.files.items() if "{clip}" in v}

    def pattern(self, key: str, results: str = "results") -> str:
        """The Snakemake pattern of one of its files (``{video_hash}`` and, for a
        per-clip or per-chunk file, ``{clip}`` or ``{chunk}`` left open)."""
        rel = {**self.files, **self.parts, **self.side}[key]
        return f"{results}/{{video_hash}}/{rel}"

    def globs(self) -> list[str]:
        """Every file it may have written, as globs relative to the video's folder."""
        found = [*self.files.values(), *self.parts.values(), *self.side.values()]
        return [p.replace("{clip}", "*").replace("{chunk}", "*") for p in found]

    def paths(self, folder: Path, clips: Sequence[str] = ()) -> dict[str, Path]:
        """Its results in one video's folder: the fixed ones by key, the per-clip
        ones of ``clips`` as ``key:clip``."""
        out = {key: folder / rel for key, rel in self.fixed.items()}
        for clip in clips:
            for key, pattern in self.per_clip.items():
                out[f"{key}:{clip}"] = folder / pattern.format(clip=clip)
        return out


def _artifact(path: Path, stage: str) -> dict[str, Any]:
    """Read a JSON artifact and refuse anything that is not a finished one."""
    data = fileio.read_json(path)
    if (
        not isinstance(data, dict)
        or data.get("schema_version") != fileio.SCHEMA_VERSION
    ):
        raise ValueError(f"{path}: unknown format")
    # Results written before a stage took its name carry its design-notes name.
    if data.get("stage") not in {stage, _ALIASES.get(stage)}:
        raise ValueError(
            f"{path}: written by stage {data.get('stage')!r}, not {stage!r}"
        )
    return data


def _ingest(paths: dict[str, Path], threshold: float) -> dict[str, Any]:
    data = _artifact(paths["video_json"], "ingest")
    return {"duration": data["duration"]}


def _audio(paths: dict[str, Path], threshold: float) -> dict[str, Any]:
    with wave.open(str(paths["audio_path"]), "rb") as wav:
        seconds = wav.getnframes() / float(wav.getframerate())
    return {"duration": round(seconds, 3)}


def _transcript(paths: dict[str, Path], threshold: float) -> dict[str, Any]:
    data = _artifact(paths["transcript_path"], "transcript")
    return {
        "segment_count": data["segment_count"],
        "word_count": data["word_count"],
        "language": data["language"],
        "model": data["model"],
    }


def _segments(paths: dict[str, Path], threshold: float) -> dict[str, Any]:
    data = _artifact(paths["candidates_path"], "segments")
    keys = ("sentence_count", "pause_count", "candidate_count")
    return {key: data[key] for key in keys}


def _scores(paths: dict[str, Path], threshold: float) -> dict[str, Any]:
    data = _artifact(paths["scores_path"], "scores")
    return {
        "scored_count": data["scored_count"],
        "high_quality_count": sum(s["overall"] >= threshold for s in data["scores"]),
        "threshold": threshold,
        "backend": data["params"]["backend"],
    }


def _highlights(paths: dict[str, Path], threshold: float) -> dict[str, Any]:
    data = _artifact(paths["highlights_path"], "highlights")
    return {
        "highlight_count": data["highlight_count"],
        "threshold": data["params"]["threshold"],
    }


def _clips(paths: dict[str, Path], threshold: float) -> dict[str, Any]:
    videos = sorted(str(p) for key, p in paths.items() if key.startswith("video:"))
    return {"clip_count": len(videos), "clips": videos}


def _metadata(paths: dict[str, Path], threshold: float) -> dict[str, Any]:
    for key, path in paths.items():
        if key.startswith("json:"):
            _artifact(path, "metadata")
    with open(paths["table_path"], encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {"clip_count": len(rows)}


REGISTRY: tuple[Stage, ...] = (
    Stage("ingest", ("ingest_video",), {"video_json": "ingest/video.json"}, _ingest),
    Stage(
        "audio",
        ("extract_audio",),
        {"audio_path": "audio/audio.wav"},
        _audio,
        alias="audio_extraction",
    ),
    Stage(
        "transcript",
        ("transcribe_audio", "plan_chunks", "transcribe_chunk"),
        {
            "transcript_path": "transcript/transcript.json",
            "srt_path": "transcript/transcript.srt",
            "vtt_path": "transcript/transcript.vtt",
        },
        _transcript,
        alias="transcription",
        # A long video is split at pauses; each chunk is a job of its own.
        parts={
            "plan": "transcript/chunks/plan.json",
            "chunk": "transcript/chunks/{chunk}.json",
        },
    ),
    Stage(
        "segments",
        ("segment_transcript",),
        {"candidates_path": "segments/candidates.json"},
        _segments,
        alias="segmentation",
    ),
    Stage(
        "scores",
        ("score_segments",),
        {"scores_path": "scores/scores.json"},
        _scores,
        alias="ai_scoring",
    ),
    Stage(
        "highlights",
        ("select_highlights",),
        {"highlights_path": "highlights/highlights.json"},
        _highlights,
        alias="selection",
        # One description per clip, read by that clip's cut (see highlights.py).
        side={"description": "highlights/clips/{clip}.json"},
    ),
    # The faces a vertical crop follows; only clips reframed around a face ask.
    Stage(
        "framing", ("track_subjects",), {}, parts={"subjects": "framing/subjects.json"}
    ),
    Stage(
        "clips",
        ("cut_clip",),
        {
            "video": "clips/{clip}.mp4",
            "srt": "clips/{clip}.srt",
            "vtt": "clips/{clip}.vtt",
            "crop": "clips/{clip}.crop.json",
        },
        _clips,
    ),
    Stage(
        "metadata",
        ("write_metadata", "write_clip_metadata"),
        {"table_path": "metadata/clips.csv", "json": "metadata/{clip}.json"},
        _metadata,
        # Links to the clips under their rank and title, remade with the table.
        side={"ranked": "ranked/*"},
    ),
    Stage("state", ("stage_state",), {"state": "stage_state.json"}),
    Stage(
        "export",
        ("export_timeline",),
        {f"{ext}": f"export/timeline.{ext}" for ext in ("otio", "edl", "xml")},
    ),
    Stage("report", ("report_video",), {"html": "report.html"}),
)
_ALIASES = {s.name: s.alias for s in REGISTRY if s.alias}
# The stages the stage state lists, in pipeline order.
STAGES = tuple(s for s in REGISTRY if s.summarize is not None)
# The batch's own report, relative to the results folder.
BATCH_REPORT = "report.html"


def stage(name: str, listed: bool = False) -> Stage:
    """A stage by its name, its design-notes alias or one of its rules; with
    ``listed``, only one the stage state lists (the ones a run can stop after)."""
    for s in STAGES if listed else REGISTRY:
        if name in (s.name, s.alias, *s.rules):
            return s
    known = ", ".join(f"{s.name} ({s.rule})" for s in STAGES)
    raise KeyError(f"unknown stage {name!r}; stages are: {known}")


STATE_FILE = stage("state").files["state"]


def stage_of_rule(rule: str) -> Stage | None:
    return next((s for s in REGISTRY if rule in s.rules), None)


def path(name: str, key: str, folder: Path) -> Path:
    """One fixed file of a stage in one video's folder."""
    return folder / stage(name).fixed[key]


def clip_names(folder: Path) -> list[str] | None:
    """The clips the current selection asks for, or None before a selection."""
    try:
        data = _artifact(path("highlights", "highlights_path", folder), "highlights")
        return [h["clip"] for h in data["highlights"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def final_outputs(folder: Path, clips: Sequence[str]) -> list[Path]:
    """What ``rule all`` asks for of one video: every stage's results, the per-clip
    ones for ``clips``."""
    return [p for s in REGISTRY for p in s.paths(folder, clips).values()]


def _iso(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds")


def compute_state(
    results_dir: str | os.PathLike[str],
    video_hash: str,
    threshold: float | None = None,
) -> dict[str, Any]:
    """The stage state of one video, computed from its results folder alone.

    A stage is completed when all its files are there and readable. ``last_stage`` is
    the end of the unbroken run of completed stages from the first: a later stage's
    files with an earlier one missing do not count. ``threshold``: the selection's,
    for the count of high-quality scores (default: the schema's).
    """
    if threshold is None:
        threshold = float(config.defaults("select")["threshold"])
    results = Path(results_dir)
    folder = results / video_hash
    link = source_link(results, video_hash)
    state: dict[str, Any] = {
        "schema_version": fileio.SCHEMA_VERSION,
        "video_hash": video_hash,
        "video_path": os.path.realpath(link) if link else None,
        "last_stage": None,
        "last_updated": None,
    }
    newest = 0.0
    unbroken = True
    clips = clip_names(folder)
    for s in STAGES:
        assert s.summarize is not None
        paths = s.paths(folder, clips or ())
        block: dict[str, Any] = {"completed": False}
        block.update({key: str(p) for key, p in paths.items() if ":" not in key})
        if s.per_clip and clips is None:
            block["error"] = "waiting for a selection"
        elif all(p.is_file() for p in paths.values()):
            try:
                block.update(s.summarize(paths, threshold))
                block["completed"] = True
            except (
                OSError,
                ValueError,
                KeyError,
                TypeError,
                EOFError,
                wave.Error,
            ) as exc:
                block["error"] = f"unreadable output, will be rebuilt ({exc})"
        elif any(p.exists() for p in paths.values()):
            block["error"] = "some outputs are missing"
        if block["completed"]:
            newest = max([newest] + [p.stat().st_mtime for p in paths.values()])
            if unbroken:
                state["last_stage"] = s.name
        else:
            unbroken = False
        state[s.name] = block
        if s.alias:
            state[s.alias] = block  # the design notes' name for it
    state["completed"] = unbroken
    if newest:
        state["last_updated"] = _iso(newest)
    return state


def write_state(
    target: str | os.PathLike[str], threshold: float | None = None
) -> dict[str, Any]:
    """Write the state of the video whose folder holds ``target``: the one writer of
    ``stage_state.json``."""
    folder = Path(target).parent
    state = compute_state(folder.parent, folder.name, threshold)
    state["stage"] = stage("state").rule
    fileio.write_json(target, state)
    return state
