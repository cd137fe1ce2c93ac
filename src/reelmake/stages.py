"""The pipeline's stages, their files, and the stage-state summary of one video.

This registry is the one place that knows which files a stage writes: the Snakemake
rules take their output paths from it, and the stage state is computed from it. Adding
a stage is adding one ``Stage`` here and one rule.
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

from reelmake import fileio
from reelmake.discovery import source_link

Summary = Callable[[dict[str, Path]], dict[str, Any]]


@dataclass(frozen=True)
class Stage:
    """A stage's files relative to ``results/<hash>/``; ``per_clip`` patterns hold
    ``{clip}`` and exist once per selected highlight."""

    name: str
    rule: str
    files: dict[str, str]
    summarize: Summary
    per_clip: dict[str, str] = field(default_factory=dict)
    # Glob patterns of intermediate files that belong to the stage (its chunks).
    helpers: tuple[str, ...] = ()

    def paths(self, folder: Path, clips: Sequence[str] = ()) -> dict[str, Path]:
        out = {key: folder / rel for key, rel in self.files.items()}
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
    if data.get("stage") != stage:
        raise ValueError(
            f"{path}: written by stage {data.get('stage')!r}, not {stage!r}"
        )
    return data


def _ingest(paths: dict[str, Path]) -> dict[str, Any]:
    data = _artifact(paths["video_json"], "ingest")
    return {"duration": data["duration"]}


def _audio(paths: dict[str, Path]) -> dict[str, Any]:
    with wave.open(str(paths["audio_path"]), "rb") as wav:
        seconds = wav.getnframes() / float(wav.getframerate())
    return {"duration": round(seconds, 3)}


def _transcription(paths: dict[str, Path]) -> dict[str, Any]:
    data = _artifact(paths["transcript_path"], "transcription")
    return {
        "segment_count": data["segment_count"],
        "word_count": data["word_count"],
        "language": data["language"],
        "model": data["model"],
    }


def _segmentation(paths: dict[str, Path]) -> dict[str, Any]:
    data = _artifact(paths["candidates_path"], "segmentation")
    keys = ("sentence_count", "pause_count", "candidate_count")
    return {key: data[key] for key in keys}


DEFAULT_THRESHOLD = 6.0


def _threshold(folder: Path) -> float:
    """The threshold of the current selection, or the default before there is one."""
    try:
        return float(
            _artifact(folder / SELECTION_FILE, "selection")["params"]["threshold"]
        )
    except (OSError, ValueError, KeyError, TypeError):
        return DEFAULT_THRESHOLD


def _scoring(paths: dict[str, Path]) -> dict[str, Any]:
    path = paths["scores_path"]
    data = _artifact(path, "ai_scoring")
    threshold = _threshold(path.parent.parent)
    return {
        "scored_count": data["scored_count"],
        "high_quality_count": sum(s["overall"] >= threshold for s in data["scores"]),
        "threshold": threshold,
        "backend": data["params"]["backend"],
    }


def _selection(paths: dict[str, Path]) -> dict[str, Any]:
    data = _artifact(paths["highlights_path"], "selection")
    return {
        "highlight_count": data["highlight_count"],
        "threshold": data["params"]["threshold"],
    }


def _clips(paths: dict[str, Path]) -> dict[str, Any]:
    videos = sorted(str(p) for key, p in paths.items() if key.startswith("video:"))
    return {"clip_count": len(videos), "clips": videos}


def _metadata(paths: dict[str, Path]) -> dict[str, Any]:
    for key, path in paths.items():
        if key.startswith("json:"):
            _artifact(path, "metadata")
    with open(paths["table_path"], encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {"clip_count": len(rows)}


SELECTION_FILE = "highlights/highlights.json"

STAGES: tuple[Stage, ...] = (
    Stage("ingest", "ingest_video", {"video_json": "ingest/video.json"}, _ingest),
    Stage(
        "audio_extraction", "extract_audio", {"audio_path": "audio/audio.wav"}, _audio
    ),
    Stage(
        "transcription",
        "transcribe_audio",
        {
            "transcript_path": "transcript/transcript.json",
            "srt_path": "transcript/transcript.srt",
            "vtt_path": "transcript/transcript.vtt",
        },
        _transcription,
        helpers=(
            "transcript/chunks/*",
            "logs/transcribe_audio-chunks/*",
            "benchmarks/transcribe_audio-chunks/*",
        ),
    ),
    Stage(
        "segmentation",
        "segment_transcript",
        {"candidates_path": "segments/candidates.json"},
        _segmentation,
    ),
    Stage(
        "ai_scoring", "score_segments", {"scores_path": "scores/scores.json"}, _scoring
    ),
    Stage(
        "selection",
        "select_highlights",
        {"highlights_path": SELECTION_FILE},
        _selection,
        # One description per clip, read by that clip's cut (see selection.py).
        helpers=("highlights/clips/*.json",),
    ),
    Stage(
        "clips",
        "cut_clip",
        {},
        _clips,
        per_clip={
            "video": "clips/{clip}.mp4",
            "srt": "clips/{clip}.srt",
            "vtt": "clips/{clip}.vtt",
            "crop": "clips/{clip}.crop.json",
        },
        # The faces a crop follows (only for clips reframed around a face).
        helpers=("framing/*",),
    ),
    Stage(
        "metadata",
        "write_metadata",
        {"table_path": "metadata/clips.csv"},
        _metadata,
        per_clip={"json": "metadata/{clip}.json"},
        # Links to the clips under their rank and title, remade with the table.
        helpers=("ranked/*",),
    ),
)
STATE_FILE = "stage_state.json"
RULE_STATE = "stage_state"


def stage(name: str) -> Stage:
    """A stage by its stage-state name or its rule name."""
    for s in STAGES:
        if name in (s.name, s.rule):
            return s
    known = ", ".join(f"{s.name} ({s.rule})" for s in STAGES)
    raise KeyError(f"unknown stage {name!r}; stages are: {known}")


# Rules that write part of a stage's files besides the stage's own rule.
_HELPER_RULES = {
    "write_clip_metadata": "metadata",
    "plan_chunks": "transcription",
    "transcribe_chunk": "transcription",
    "track_subjects": "clips",
}


def rules_of(s: Stage) -> list[str]:
    """The stage's own rule, then the rules that help write its files."""
    return [s.rule, *(r for r, name in _HELPER_RULES.items() if name == s.name)]


def stage_of_rule(rule: str) -> Stage | None:
    name = _HELPER_RULES.get(rule, rule)
    return next((s for s in STAGES if name in (s.rule, s.name)), None)


def output(name: str, key: str, results: str = "results") -> str:
    """The Snakemake output pattern of one file of a stage."""
    return f"{results}/{{video_hash}}/{stage(name).files[key]}"


def clip_names(folder: Path) -> list[str] | None:
    """The clips the current selection asks for, or None before a selection."""
    try:
        data = _artifact(folder / SELECTION_FILE, "selection")
        return [h["clip"] for h in data["highlights"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _iso(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds")


def compute_state(
    results_dir: str | os.PathLike[str], video_hash: str
) -> dict[str, Any]:
    """The stage state of one video, computed from its results folder alone.

    A stage is completed when all its files are there and readable. ``last_stage`` is
    the end of the unbroken run of completed stages from the first: a later stage's
    files with an earlier one missing do not count.
    """
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
        paths = s.paths(folder, clips or ())
        block: dict[str, Any] = {"completed": False}
        block.update({key: str(p) for key, p in paths.items() if ":" not in key})
        if s.per_clip and clips is None:
            block["error"] = "waiting for a selection"
        elif all(p.is_file() for p in paths.values()):
            try:
                block.update(s.summarize(paths))
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
    state["completed"] = unbroken
    if newest:
        state["last_updated"] = _iso(newest)
    return state


def write_state(target: str | os.PathLike[str]) -> dict[str, Any]:
    """Write the state of the video whose folder holds ``target``."""
    folder = Path(target).parent
    state = compute_state(folder.parent, folder.name)
    state["stage"] = RULE_STATE
    fileio.write_json(target, state)
    return state
