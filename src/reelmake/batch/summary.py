"""The per-batch table: one row per video with its status, clips, best score, times.

``results/summary.tsv`` is rewritten after every run, from the results folder alone,
so it never disagrees with the stage state: by ``reelmake run`` once it has checked
its videos, or by the workflow's own end-of-run handlers under plain ``snakemake``.
Videos that were refused before processing (not found, empty, not a video) get a row
too.
"""

from __future__ import annotations

import csv
import glob
import io
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from reelmake.core import fileio
from reelmake.core.errors import NOTICE
from reelmake.pipeline import registry
from reelmake.pipeline.discovery import Problem, Video
from reelmake.pipeline.state import compute_state

SUMMARY_FILE = "summary.tsv"


@dataclass(frozen=True)
class Row:
    video: str
    video_hash: str
    status: str  # done, failed, pending or refused
    last_stage: str
    clips: int | None
    best_score: float | None
    duration_s: float | None
    transcribe_s: float | None
    total_s: float | None
    # The failing job's one-line error, or why the video was refused.
    error: str


def log_error(results: Path, video_hash: str, rule: str) -> str | None:
    """The last error line a rule's job wrote to its log (each of its logs, for a
    rule that runs once per clip or chunk), if it failed."""
    pattern = registry.step(rule).log(str(results)).replace("{video_hash}", video_hash)
    logs = sorted(Path(p) for p in glob.glob(_any_item(pattern)))
    errors: list[str] = []
    for log in logs:
        try:
            lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        errors += [line.split(": ", 1)[-1] for line in lines if " ERROR " in line]
    return errors[-1] if errors else None


def _any_item(pattern: str) -> str:
    return pattern.replace("{clip}", "*").replace("{chunk}", "*")


def _seconds(folder: Path) -> tuple[float | None, float | None]:
    """(transcription seconds, all jobs' seconds) from the jobs' timing files."""
    total = transcribe = 0.0
    found = False
    transcript = registry.stage("transcript")
    for step in registry.steps():
        pattern = _any_item(step.timing(str(folder.parent)))
        for tsv in glob.glob(pattern.replace("{video_hash}", folder.name)):
            try:
                with open(tsv, encoding="utf-8") as fh:
                    row = next(csv.DictReader(fh, delimiter="\t"), None)
                seconds = float(row["s"]) if row else 0.0
            except (OSError, KeyError, ValueError):
                continue
            found = True
            total += seconds
            if step in transcript.steps:
                transcribe += seconds
    if not found:
        return None, None
    return round(transcribe, 2), round(total, 2)


def _best_score(folder: Path) -> float | None:
    try:
        data = fileio.read_json(registry.path("highlights", "highlights", folder))
        scores = [float(h["overall"]) for h in data["highlights"]]
        if not scores:
            data = fileio.read_json(registry.path("scores", "scores", folder))
            scores = [float(s["overall"]) for s in data["scores"]]
        return round(max(scores), 2) if scores else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def video_row(results: Path, video: Video, interrupted: str | None = None) -> Row:
    """A video's row; ``interrupted``: the signal that stopped the run, whose
    killed jobs are no failures (the video is pending: the next run resumes it)."""
    state = compute_state(results, video.hash)
    folder = results / video.hash
    error = ""
    status = "done" if state["completed"] else "pending"
    if not state["completed"] and interrupted:
        error = f"interrupted ({interrupted}); run again to resume"
    elif not state["completed"]:
        for s in registry.LISTED:
            if not state[s.key]["completed"]:
                found = next(
                    filter(None, (log_error(results, video.hash, rule)
                                  for rule in s.rules)),
                    None,
                )  # fmt: skip
                if found:
                    status, error = "failed", found
                break
    clips_block = state[registry.stage("clips").key]
    clips = clips_block.get("clip_count") if clips_block["completed"] else None
    duration = state[registry.stage("ingest").key].get("duration")
    last = state["last_stage"]
    transcribe_s, total_s = _seconds(folder)
    return Row(
        video=str(video.path),
        video_hash=video.hash,
        status=status,
        last_stage=registry.stage(last).name if last else "",
        clips=clips,
        best_score=_best_score(folder),
        duration_s=round(float(duration), 2) if duration is not None else None,
        transcribe_s=transcribe_s,
        total_s=total_s,
        error=error,
    )


def refused_row(problem: Problem) -> Row:
    return Row(problem.path, "", "refused", "", None, None, None, None, None,
               problem.message)  # fmt: skip


def rows(
    results: Path,
    videos: Sequence[Video],
    problems: Sequence[Problem] = (),
    interrupted: str | None = None,
) -> list[Row]:
    return [video_row(results, v, interrupted) for v in videos] + [
        refused_row(p) for p in problems
    ]


def write_summary(
    results: str | os.PathLike[str],
    videos: Sequence[Video],
    problems: Sequence[Problem] = (),
    interrupted: str | None = None,
) -> Path:
    """Write ``results/summary.tsv`` for this batch; returns its path."""
    results = Path(results)
    table = rows(results, videos, problems, interrupted)
    out = io.StringIO()
    fields = list(Row.__dataclass_fields__)
    writer = csv.DictWriter(out, fieldnames=fields, delimiter="\t", lineterminator="\n")
    writer.writeheader()
    for row in table:
        values = asdict(row)
        writer.writerow({k: "" if v is None else v for k, v in values.items()})
    target = results / SUMMARY_FILE
    fileio.write_text(target, out.getvalue())
    return target


def read_summary(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def notices(results: Path, video_hash: str, since: float) -> list[str]:
    """The lines a video's jobs wrote for the console (see
    :data:`reelmake.core.errors.NOTICE`) in the logs written since ``since`` (a
    time stamp): those of the jobs of this run."""
    marker = f" WARNING {NOTICE}: "
    found: list[str] = []
    for log in sorted((results / video_hash / "logs").rglob("*.log")):
        try:
            if log.stat().st_mtime < since:
                continue
            text = log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        found += [line.split(marker, 1)[1] for line in text.splitlines()
                  if marker in line]  # fmt: skip
    return found


def no_clips_reason(results: Path, video_hash: str) -> str:
    """Why a finished video has no clip, in words a person can act on."""
    folder = results / video_hash
    try:
        transcript = fileio.read_json(registry.path("transcript", "transcript", folder))
        segments = fileio.read_json(registry.path("segments", "candidates", folder))
        chosen = fileio.read_json(registry.path("highlights", "highlights", folder))
        scores = fileio.read_json(registry.path("scores", "scores", folder))
    except (OSError, ValueError):
        return "its results could not be read"
    seconds = float(transcript.get("duration") or 0.0)
    if not transcript.get("word_count"):
        return (
            f"no speech was heard in its {seconds:.1f} s (the transcript has no "
            "words): clips are cut around what is said"
        )
    band = segments.get("params", {})
    if not segments.get("candidate_count"):
        return (
            f"no passage of its speech ({transcript['word_count']} words in "
            f"{seconds:.1f} s) fits the clip length band of "
            f"{band.get('min_seconds', 0):g}-{band.get('max_seconds', 0):g} s; "
            "choose a shorter segments.preset or segments.min_seconds"
        )
    threshold = chosen.get("params", {}).get("threshold")
    best = max((float(x["overall"]) for x in scores.get("scores", [])), default=0.0)
    if threshold is not None and best < float(threshold):
        return (
            f"no candidate scored at or above highlights.threshold {threshold:g} "
            f"(the best of {segments['candidate_count']} scored {best:.1f}); "
            "lower the threshold to keep some"
        )
    return (
        f"none of its {segments['candidate_count']} candidates could be selected "
        "with highlights' lengths and gaps"
    )
