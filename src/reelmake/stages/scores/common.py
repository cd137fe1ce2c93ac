"""What every scorer shares: the score record, the scorer protocol, the typed options
and where each candidate sits in the talk."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, Self, cast

import numpy as np

from reelmake.core import config, fileio
from reelmake.core.options import Options
from reelmake.stages.scores.passage import Around, break_strength
from reelmake.stages.segments import Candidate

SUBSCORES = ("hook", "emotion", "self_contained", "payoff")
# Sub-scores of the offline scorer beyond the four every backend gives.
CONTENT_SUBSCORES = ("specificity", "density")

_LLM = config.defaults("scores", "openai")


@dataclass(frozen=True)
class Score:
    id: str
    start: float
    end: float
    overall: float
    subscores: dict[str, float]
    reason: str
    title: str
    hook: str
    backend: str
    features: dict[str, float] = field(default_factory=dict)


class Scorer(Protocol):
    name: str

    def score(self, candidates: Sequence[Candidate], audio: Path) -> list[Score]: ...


@dataclass(frozen=True)
class LLMOptions:
    """``score.openai`` (defaults from the config schema)."""

    model: str = _LLM["model"]
    base_url: str | None = _LLM["base_url"]
    api_key_env: str = _LLM["api_key_env"]
    temperature: float = _LLM["temperature"]
    timeout: float = _LLM["timeout"]
    retries: int = _LLM["retries"]
    batch_size: int = _LLM["batch_size"]
    concurrency: int = _LLM["concurrency"]
    response_format: Literal["json_schema", "json_object", "none"] = _LLM[
        "response_format"
    ]
    max_attempts: int = _LLM["max_attempts"]
    on_failure: Literal["fail", "heuristic"] = _LLM["on_failure"]
    answer_cache: str | None = _LLM["answer_cache"]
    context_chars: int = _LLM["context_chars"]
    max_tokens_per_item: int = _LLM["max_tokens_per_item"]
    # transcript: the model reads the transcript once and picks sentence ranges
    # (scores.picks); passages: every candidate is rated on its own (costly).
    mode: Literal["transcript", "passages"] = _LLM["mode"]
    context_tokens: int = _LLM["context_tokens"]
    chunk_overlap: int = _LLM["chunk_overlap"]
    max_picks: int = _LLM["max_picks"]

    @classmethod
    def from_params(cls, llm: Mapping[str, Any] | None) -> LLMOptions | None:
        """The options a rule's ``llm`` param holds (None: the model is off)."""
        return cls(**llm) if llm is not None else None

    def tracked(self) -> dict[str, Any]:
        """The settings that shape the scores, by name (where answers are kept does
        not shape them)."""
        return {k: v for k, v in sorted(vars(self).items()) if k != "answer_cache"}


@dataclass(frozen=True)
class ScoreOptions(Options):
    """``scores``: the backend and, for ``openai``, the model's settings (only then,
    so that changing them re-runs nothing for heuristic users)."""

    section = "scores"
    # llm: the openai settings, or None when that backend is off.
    derived = ("openai",)
    computed = ("llm",)

    backend: Literal["heuristic", "openai"]
    llm: LLMOptions | None = None

    @classmethod
    def of(cls, backend: str, llm: Mapping[str, Any] | None) -> ScoreOptions:
        if backend not in ("heuristic", "openai"):
            raise ValueError(f"scores.backend {backend!r}: heuristic or openai")
        return cls(
            cast(Literal["heuristic", "openai"], backend), LLMOptions.from_params(llm)
        )

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        return cls(cls.settings(config)["backend"], llm_of(config))

    def params(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "llm": self.llm.tracked() if self.llm is not None else None,
        }

    @classmethod
    def from_job(
        cls, params: Mapping[str, Any], config: Mapping[str, Any], threads: int
    ) -> Self:
        return cls(params["backend"], llm_of_job(params["llm"], config))


def llm_of(config: Mapping[str, Any]) -> LLMOptions | None:
    """The language model's settings when it is the backend, else None."""
    scores = config["scores"]
    return LLMOptions(**scores["openai"]) if scores["backend"] == "openai" else None


def llm_of_job(
    tracked: Mapping[str, Any] | None, config: Mapping[str, Any]
) -> LLMOptions | None:
    """The model's settings in a job: its tracked ones from the params, where its
    answers are kept from the config (moving the store re-runs nothing)."""
    if tracked is None:
        return None
    return LLMOptions(
        **tracked, answer_cache=config["scores"]["openai"]["answer_cache"]
    )


def contexts_around(candidates_json: dict[str, Any]) -> dict[str, Around]:
    """Where each candidate sits: the sentences just before and after it, and how
    clear a break the pause at each of its edges is for this speaker."""
    items = candidates_json.get("sentences", [])
    by_last = {s["last_word"]: s["text"] for s in items}
    by_first = {s["first_word"]: s["text"] for s in items}
    candidates = candidates_json.get("candidates", [])
    pauses = {c["first_word"]: c["pause_before"] for c in candidates if c["first_word"]}
    usual = float(np.median(list(pauses.values()))) if pauses else 0.0
    return {
        c["id"]: Around(
            before=by_last.get(c["first_word"] - 1, ""),
            after=by_first.get(c["last_word"] + 1, ""),
            break_before=break_strength(
                c["pause_before"] if c["first_word"] else None, usual
            ),
            break_after=break_strength(c["pause_after"], usual),
        )
        for c in candidates
    }


def contexts_before(candidates_json: dict[str, Any]) -> dict[str, str]:
    """What was said just before each candidate: its preceding sentence."""
    return {
        cid: around.before for cid, around in contexts_around(candidates_json).items()
    }


def load_scores(path: str | os.PathLike[str]) -> list[Score]:
    return [Score(**s) for s in fileio.read_json(path)["scores"]]
