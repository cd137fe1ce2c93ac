"""Language-model scoring that reads each transcript once.

The model reads the transcript as numbered sentences, in chunks that fit its context
(with a few sentences of overlap, so that a highlight across a chunk edge is still
seen whole), and answers with its best picks: the first and last sentence of each,
with scores, a reason, a title and a hook line. Picks are snapped onto the candidate
windows (sentence boundaries in pauses, inside the length band), so every clip still
starts and ends cleanly; a pick longer than any candidate is trimmed to the best
window inside it. Candidates the model did not pick keep a low score derived from the
offline scorer, so that ``top_k`` and the threshold keep working.

Answers are cached per chunk, keyed by the chunk's own text (numbered from 1 in every
chunk), the model, the prompt and the schema: a rerun after a kill asks only for the
chunks without an answer, and changing the length band or the selection asks nothing.
"""

from __future__ import annotations

import concurrent.futures
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from reelmake.core.errors import ReelmakeError, notice
from reelmake.stages.scores.common import SUBSCORES, LLMOptions, Score
from reelmake.stages.scores.heuristic import HeuristicScorer
from reelmake.stages.scores.llm import (
    JUDGED_PROPERTIES,
    JUDGED_REQUIRED,
    Judged,
    Usage,
    _where,
    ask,
    content_key,
    make_client,
)
from reelmake.stages.scores.passage import Around
from reelmake.stages.scores.store import Answers, AnswerStore
from reelmake.stages.segments import Candidate, Sentence

log = logging.getLogger(__name__)

PICKS_PROMPT = """You pick the best moments of a long video transcript for stand-alone \
short clips on social media. The transcript comes as numbered sentences, one per line. \
Give your best picks, best first (fewer if the transcript has few good moments). \
Each pick is a run of consecutive sentences that works on its own: it starts where a \
thought starts, needs nothing said before it, and ends on its point (a lesson, an \
answer, a punchline, a surprising fact). A good clip is usually 40 to 150 words long. \
For each pick give the number of its first and of its last sentence and integer \
scores from 0 to 10:
- hook: do the first seconds make a viewer stay?
- emotion: energy, feeling, surprise.
- self_contained: understandable without what came before.
- payoff: does it deliver a lesson, answer, punchline or insight?
- overall: how good a clip it is.
Also a one-line reason naming what makes it work, a short catchy title (at most 70 \
characters) and the hook line (the sentence that grabs attention).
Answer with JSON only: {"picks": [...]}."""
# What a pick costs in answer tokens, about (for max_tokens and estimates).
TOKENS_PER_PICK = 90
# Characters per token, for budgets and estimates (English text, roughly).
CHARS_PER_TOKEN = 4
# Marks an answer stored once it satisfied its schema (older versions of this module
# also stored the empty answer left of one without a list of picks).
CHECKED = "checked"
# A candidate the model did not pick scores this share of its offline score, so it
# stays below picked ones (and the default threshold) but keeps its order.
UNPICKED_SHARE = 0.4


class PickAnswer(Judged):
    first: int = Field(ge=1)
    last: int = Field(ge=1)


def picks_schema(max_picks: int) -> dict[str, Any]:
    """A bounded answer: a fixed most picks, bounded strings."""
    pick = {
        "type": "object",
        "properties": {
            "first": {"type": "integer", "minimum": 1},
            "last": {"type": "integer", "minimum": 1},
            **JUDGED_PROPERTIES,
        },
        "required": ["first", "last", *JUDGED_REQUIRED],
        "additionalProperties": False,
    }  # fmt: skip
    return {
        "type": "object",
        "properties": {
            "picks": {"type": "array", "minItems": 0, "maxItems": max_picks,
                      "items": pick}
        },
        "required": ["picks"],
        "additionalProperties": False,
    }  # fmt: skip


@dataclass(frozen=True)
class Chunk:
    """Sentences ``first`` to ``last`` (indices into the transcript's sentences), as
    the model reads them: one numbered line each, numbered from 1."""

    first: int
    last: int
    text: str

    @property
    def size(self) -> int:
        return self.last - self.first + 1


def numbered(sentences: Sequence[Sentence], first: int, last: int) -> str:
    return "\n".join(
        f"{i - first + 1}. {sentences[i].text}" for i in range(first, last + 1)
    )


def plan_chunks(sentences: Sequence[Sentence], options: LLMOptions) -> list[Chunk]:
    """Consecutive runs of sentences that fit the context budget (instructions and a
    full answer included), each starting ``chunk_overlap`` sentences before the end
    of the one before it."""
    reserve = (
        len(PICKS_PROMPT) // CHARS_PER_TOKEN + options.max_picks * TOKENS_PER_PICK + 64
    )
    budget = max(options.context_tokens - reserve, 256) * CHARS_PER_TOKEN
    chunks: list[Chunk] = []
    first = 0
    while first < len(sentences):
        size, last = 0, first
        while last < len(sentences):
            size += len(sentences[last].text) + 6  # the number and the newline
            if size > budget and last > first:
                last -= 1
                break
            last += 1
        last = min(last, len(sentences) - 1)
        chunks.append(Chunk(first, last, numbered(sentences, first, last)))
        if last == len(sentences) - 1:
            break
        first = max(last + 1 - options.chunk_overlap, first + 1)
    return chunks


def check_picks(raw: Any, chunk: Chunk) -> tuple[list[PickAnswer], str]:
    """The valid picks of an answer, and what was wrong with the others."""
    items = raw.get("picks") if isinstance(raw, dict) else None
    if not isinstance(items, list):
        return [], "no list of picks"
    good: list[PickAnswer] = []
    problem = ""
    for item in items:
        try:
            pick = PickAnswer.model_validate(item)
        except ValidationError as exc:
            problem = f"invalid pick ({exc.errors()[0]['msg']})"
            continue
        if pick.last < pick.first:
            problem = f"pick {pick.first}-{pick.last} ends before it starts"
        elif pick.last > chunk.size:
            problem = f"pick {pick.first}-{pick.last} beyond sentence {chunk.size}"
        else:
            good.append(pick)
    return good, problem


def snap(
    first: int,
    last: int,
    sentences: Sequence[Sentence],
    candidates: Sequence[Candidate],
    offline: dict[str, Score],
) -> Candidate | None:
    """The candidate window a pick of sentences ``first``-``last`` becomes: the one
    that matches its span best; for a pick longer than any candidate, the best window
    inside it by the offline score."""
    start, end = sentences[first].start, sentences[last].end
    a, b = sentences[first].first_word, sentences[last].last_word
    longest = max((c.duration for c in candidates), default=0.0)
    if end - start > longest:
        inside = [c for c in candidates if c.first_word >= a and c.last_word <= b]
        if inside:
            return max(inside, key=lambda c: (offline[c.id].overall, c.duration))

    def iou(c: Candidate) -> float:
        shared = min(end, c.end) - max(start, c.start)
        return shared / (max(end, c.end) - min(start, c.start)) if shared > 0 else 0.0

    best = max(candidates, key=lambda c: (iou(c), -abs(c.start - start)), default=None)
    return best if best is not None and iou(best) > 0 else None


class TranscriptScorer:
    """Scores candidates from picks over the whole transcript (see module doc)."""

    def __init__(
        self,
        options: LLMOptions,
        sentences: Sequence[Sentence],
        contexts: dict[str, Around] | None = None,
        answers: Answers | None = None,
    ) -> None:
        self.options = options
        self.answers = answers or Answers.locate(options.answer_cache)
        self.sentences = list(sentences)
        self.contexts = contexts or {}
        self.name = f"openai:{options.model}"
        self.usage = Usage()
        self.schema = picks_schema(options.max_picks)

    def key(self, chunk: Chunk) -> str:
        return content_key(self.options, "picks", PICKS_PROMPT, self.schema, chunk.text)

    def _ask_chunk(
        self, client: Any, chunk: Chunk
    ) -> tuple[list[PickAnswer] | None, Usage]:
        """Ask until an answer satisfies its schema (every pick valid); None when
        none did after ``max_attempts``: a half-valid answer is a failed request,
        never taken nor stored."""
        usage = Usage()
        for attempt in range(1, self.options.max_attempts + 1):
            try:
                data, used = ask(
                    client, self.options, PICKS_PROMPT,
                    "Transcript:\n" + chunk.text, self.schema,
                    self.options.max_picks * TOKENS_PER_PICK + 64,
                )  # fmt: skip
            except ValueError as exc:
                usage.add(Usage(requests=1))
                usage.failed(str(exc))
                continue
            usage.add(used)
            kept, problem = check_picks(data, chunk)
            if not problem:
                return kept, usage
            usage.failed(problem)
            log.warning("sentences %d-%d, attempt %d: %s", chunk.first + 1,
                        chunk.last + 1, attempt, problem)  # fmt: skip
        log.warning("sentences %d-%d: no valid answer after %d attempts (%s)",
                    chunk.first + 1, chunk.last + 1, self.options.max_attempts,
                    usage.problem)  # fmt: skip
        return None, usage

    def _cached(self, store: AnswerStore, chunk: Chunk) -> list[PickAnswer] | None:
        """A chunk's stored picks, when they satisfy the schema. An empty answer
        stored before answers were checked (an answer without a list of picks was
        kept as one) is asked again."""
        if self.answers.refresh:
            return None
        stored = store.get(self.key(chunk))
        if not isinstance(stored, dict) or not isinstance(stored.get("picks"), list):
            return None
        if not stored["picks"] and not stored.get(CHECKED):
            return None
        try:
            return [PickAnswer.model_validate(p) for p in stored["picks"]]
        except ValidationError:
            return None

    def ask_all(self, chunks: Sequence[Chunk]) -> dict[int, list[PickAnswer] | None]:
        """Picks of every chunk, by index: from the store, else asked (and stored as
        each answer comes, so a kill loses only the answers in flight)."""
        options = self.options
        store = self.answers.open()
        out: dict[int, list[PickAnswer] | None] = {}
        try:
            for i, chunk in enumerate(chunks):
                cached = self._cached(store, chunk)
                if cached is not None:
                    out[i] = cached
            self.usage.cached_answers = len(out)
            todo = [i for i in range(len(chunks)) if i not in out]
            if not todo:
                return out
            log.info(
                "%d of %d transcript chunks answered from the cache; asking %s for %d",
                len(out), len(chunks), _where(options), len(todo),
            )  # fmt: skip
            client = make_client(options)
            with concurrent.futures.ThreadPoolExecutor(options.concurrency) as pool:
                futures = {pool.submit(self._ask_chunk, client, chunks[i]): i
                           for i in todo}  # fmt: skip
                for future in concurrent.futures.as_completed(futures):
                    i = futures[future]
                    picks, usage = future.result()
                    self.usage.add(usage)
                    out[i] = picks
                    if picks is not None:
                        store.put_many(
                            {self.key(chunks[i]): {
                                "picks": [p.model_dump() for p in picks],
                                CHECKED: True}},
                            options.model,
                        )  # fmt: skip
        finally:
            store.close()
        return out

    def _covered(self, c: Candidate, chunks: Sequence[Chunk]) -> bool:
        """Whether an answered chunk holds every sentence of the candidate."""
        first = next(
            (i for i, s in enumerate(self.sentences) if s.first_word == c.first_word), 0
        )
        last = next(
            (i for i, s in enumerate(self.sentences) if s.last_word == c.last_word),
            len(self.sentences) - 1,
        )
        return any(ch.first <= first and last <= ch.last for ch in chunks)

    def score(self, candidates: Sequence[Candidate], audio: Path) -> list[Score]:
        chunks = plan_chunks(self.sentences, self.options)
        answers = self.ask_all(chunks)
        failed = [chunks[i] for i, picks in answers.items() if picks is None]
        answered = [chunks[i] for i, picks in answers.items() if picks is not None]
        uncovered = {
            c.id for c in candidates if failed and not self._covered(c, answered)
        }
        if failed and self.options.on_failure == "fail":
            raise ReelmakeError(
                f"score.openai: {_where(self.options)} gave no valid answer for "
                f"{len(failed)} of {len(chunks)} transcript chunks after "
                f"{self.options.max_attempts} attempts (last problem: "
                f"{self.usage.problem}), leaving {len(uncovered)} of "
                f"{len(candidates)} candidates unscored; set score.openai.on_failure: "
                "heuristic to use the offline scores there"
            )
        if failed:
            notice().warning(
                "%d of %d candidates scored offline: %s gave no valid answer for %d "
                "of %d transcript chunks after %d attempts (last problem: %s); they "
                "are marked 'heuristic (fallback)' and the next run asks again",
                len(uncovered), len(candidates), _where(self.options), len(failed),
                len(chunks), self.options.max_attempts, self.usage.problem,
            )  # fmt: skip
        offline = {
            s.id: s for s in HeuristicScorer(self.contexts).score(candidates, audio)
        }
        picked: dict[str, tuple[PickAnswer, Candidate]] = {}
        for i, picks in answers.items():
            for pick in picks or []:
                first = chunks[i].first + pick.first - 1
                last = chunks[i].first + pick.last - 1
                c = snap(first, last, self.sentences, candidates, offline)
                if c is None:
                    continue
                if c.id not in picked or picked[c.id][0].overall < pick.overall:
                    picked[c.id] = (pick, c)
        self.usage.fallbacks = len(uncovered)
        out = []
        for c in candidates:
            if c.id in picked:
                pick, _ = picked[c.id]
                out.append(Score(
                    id=c.id, start=c.start, end=c.end, overall=float(pick.overall),
                    subscores={n: float(getattr(pick, n)) for n in SUBSCORES},
                    reason=pick.reason, title=pick.title, hook=pick.hook_line,
                    backend=self.name, features={"picked": 1.0},
                ))  # fmt: skip
                continue
            s = offline[c.id]
            if c.id in uncovered:
                features = {**s.features, "fallback": 1.0}
                out.append(Score(**{**asdict(s), "backend": "heuristic (fallback)",
                                    "features": features}))  # fmt: skip
                continue
            out.append(Score(**{
                **asdict(s),
                "overall": round(UNPICKED_SHARE * s.overall, 2),
                "subscores": {n: s.subscores[n] for n in SUBSCORES},
                "reason": f"not picked by the model (offline: {s.reason})",
                "backend": self.name,
                "features": {**s.features, "picked": 0.0,
                             "offline_overall": s.overall,
                             **{f"offline_{n}": v for n, v in s.subscores.items()}},
            }))  # fmt: skip
        return out


def sentences_of(candidates_json: dict[str, Any]) -> list[Sentence]:
    return [Sentence(**s) for s in candidates_json.get("sentences", [])]


@dataclass
class PicksEstimate:
    chunks: int
    cached: int
    requests: int
    prompt_tokens: int
    completion_tokens: int
    transcript_tokens: int


def estimate(
    options: LLMOptions,
    sentences: Sequence[Sentence],
    answers: Answers | None = None,
) -> PicksEstimate:
    """Requests and rough tokens (4 characters a token) the picks mode would send:
    one request per chunk not yet answered, each with the instructions once and at
    most ``max_picks`` picks back."""
    scorer = TranscriptScorer(options, sentences, answers=answers)
    chunks = plan_chunks(sentences, options)
    store = scorer.answers.open()
    try:
        todo = [c for c in chunks if scorer._cached(store, c) is None]
    finally:
        store.close()
    prompt = sum(len(PICKS_PROMPT) + len(c.text) + 20 for c in todo) // CHARS_PER_TOKEN
    return PicksEstimate(
        chunks=len(chunks),
        cached=len(chunks) - len(todo),
        requests=len(todo),
        prompt_tokens=prompt,
        completion_tokens=len(todo) * options.max_picks * TOKENS_PER_PICK // 2,
        transcript_tokens=sum(len(s.text) + 1 for s in sentences) // CHARS_PER_TOKEN,
    )
