"""The scoring stage: choose the scorer, score every candidate, write scores.json."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from reelmake.core import fileio
from reelmake.stages.scores.common import Score, ScoreOptions, Scorer, contexts_around
from reelmake.stages.scores.heuristic import HEURISTIC_VERSION, HeuristicScorer
from reelmake.stages.scores.passage import Around
from reelmake.stages.scores.store import Answers
from reelmake.stages.segments import load_candidates

STAGE = "scores"
# The label results of this stage carried before it took its name.
FORMER = ("ai_scoring",)


def make_scorer(
    options: ScoreOptions,
    answers: Answers | None = None,
    contexts: dict[str, Around] | None = None,
    candidates_json: dict[str, Any] | None = None,
) -> Scorer:
    """The scorer ``options.backend`` names; the language model's reads the
    transcript's sentences from ``candidates_json`` in its default ``transcript``
    mode. ``answers``: where its answers are kept (default: the configured store)."""
    if options.backend == "heuristic" or options.llm is None:
        return HeuristicScorer(contexts)
    llm = options.llm
    answers = answers or Answers.locate(llm.answer_cache)
    if llm.mode == "transcript":
        from reelmake.stages.scores.picks import TranscriptScorer, sentences_of

        return TranscriptScorer(
            llm, sentences_of(candidates_json or {}), contexts, answers
        )
    from reelmake.stages.scores.llm import OpenAIScorer

    before = {cid: around.before for cid, around in (contexts or {}).items()}
    return OpenAIScorer(llm, before, answers)


def score_segments(
    candidates: str | os.PathLike[str],
    audio: str | os.PathLike[str],
    scores: str | os.PathLike[str],
    options: ScoreOptions,
    shared_cache: str | os.PathLike[str] | None = None,
    rescore: bool = False,
) -> list[Score]:
    """Score every candidate and write ``scores.json`` (best first). The language
    model's answers are kept in its configured store, else in ``shared_cache``;
    ``rescore`` asks it again instead of reading them."""
    found = load_candidates(candidates)
    data_in = fileio.read_json(candidates)
    answers = None
    if options.llm is not None:
        answers = Answers.locate(options.llm.answer_cache, shared_cache, rescore)
    scorer = make_scorer(options, answers, contexts_around(data_in), data_in)
    result = scorer.score(found, Path(audio))
    result.sort(key=lambda s: (-s.overall, s.start))
    params: dict[str, Any] = {
        "backend": options.backend,
        "heuristic_version": HEURISTIC_VERSION,
    }
    data = fileio.artifact(STAGE, params, fileio.versions("openai", "wordfreq"))
    usage = getattr(scorer, "usage", None)
    if usage is not None and options.llm is not None:
        params["llm"] = options.llm.tracked()
        data["llm_usage"] = asdict(usage)
    data.update(scored_count=len(result), scores=[asdict(s) for s in result])
    fileio.write_json(scores, data)
    return result


def summary(paths: Mapping[str, Path]) -> dict[str, Any]:
    """The stage state's count of scores, the backend, and every overall score (the
    state counts those above the selection's threshold)."""
    data = fileio.read_artifact(paths["scores"], STAGE, FORMER)
    return {
        "scored_count": data["scored_count"],
        "backend": data["params"]["backend"],
        "overall": [s["overall"] for s in data["scores"]],
    }
