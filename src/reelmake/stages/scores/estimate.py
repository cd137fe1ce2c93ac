"""What language-model scoring of a video would send, counted before it is sent:
requests and tokens in both modes, less the answers already stored. Runs nothing and
writes nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelmake.core import media
from reelmake.stages import segments
from reelmake.stages.scores.common import LLMOptions, contexts_before
from reelmake.stages.scores.llm import estimate as passages_estimate
from reelmake.stages.scores.picks import estimate as picks_estimate
from reelmake.stages.scores.picks import sentences_of
from reelmake.stages.scores.store import Answers
from reelmake.stages.segments import Candidate, SegmentOptions
from reelmake.stages.transcript import load_transcript


@dataclass
class VideoEstimate:
    path: Path
    # What the counts were made from: candidates, a transcript, or the duration.
    basis: str
    transcript_tokens: int
    # Per scoring mode: units, cached, requests, ~prompt tokens, ~output tokens.
    modes: dict[str, list[int]]


def planning_input(
    candidates: Path,
    transcript: Path,
    source: Path,
    video_hash: str,
    options: SegmentOptions,
) -> tuple[dict[str, Any], str]:
    """What scoring would read for one video, from the furthest stage that exists:
    its ``candidates``, its ``transcript`` segmented here, or a model of its speech
    from the ``source``'s duration."""
    try:
        return json.loads(candidates.read_text()), "its candidates"
    except (OSError, ValueError):
        pass
    try:
        words = load_transcript(transcript).words
        return segments.candidates_data(words, video_hash, options), "its transcript"
    except (OSError, ValueError, KeyError, TypeError):
        pass
    words = segments.modelled_words(media.probe(source).duration)
    return (
        segments.candidates_data(words, video_hash, options),
        "its duration (not transcribed yet: a model of 150 words a minute)",
    )


def estimate_video(
    candidates: Path,
    transcript: Path,
    source: Path,
    video_hash: str,
    options: LLMOptions,
    segment_options: SegmentOptions,
    answers: Answers,
) -> VideoEstimate:
    """Both modes' counts for one video (see :func:`planning_input`)."""
    data, basis = planning_input(
        candidates, transcript, source, video_hash, segment_options
    )
    t = picks_estimate(options, sentences_of(data), answers)
    found = [Candidate(**c) for c in data["candidates"]]
    e = passages_estimate(options, found, contexts_before(data), answers)
    modes = {
        "transcript": [t.chunks, t.cached, t.requests, t.prompt_tokens,
                       t.completion_tokens],
        "passages": [e.candidates, e.cached, e.requests, e.prompt_tokens,
                     e.completion_tokens],
    }  # fmt: skip
    return VideoEstimate(source, basis, t.transcript_tokens, modes)
