"""Scoring and clip copy from a language model through the ``openai`` client.

Any OpenAI-compatible server works (OpenAI, Ollama, vLLM, llama.cpp, LM Studio). Every
answer is cached per candidate, keyed by the content of what was asked, in a SQLite
store outside the results folders: a repeated or interrupted run never pays for the
same answer twice. The API key is read from the environment in this process only and
never written anywhere.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import fcntl
import hashlib
import json
import logging
import math
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reelmake.core.errors import ReelmakeError, notice
from reelmake.stages.scores.common import SUBSCORES, LLMOptions, Score
from reelmake.stages.scores.heuristic import HeuristicScorer
from reelmake.stages.scores.store import Answers
from reelmake.stages.segments import Candidate

log = logging.getLogger(__name__)

PROMPT_VERSION = 1
SYSTEM_PROMPT = """You rate passages of a long video transcript as stand-alone short \
clips for social media. For every passage give integer scores from 0 to 10:
- hook: do the first seconds make a viewer stay?
- emotion: energy, feeling, surprise.
- self_contained: understandable without what came before; starts and ends cleanly.
- payoff: does it deliver a lesson, answer, punchline or insight?
- overall: how good a highlight clip it is.
Also give a one-line reason naming what drove the score, a short catchy title (at most \
70 characters) and the hook line (the sentence that grabs attention).
Answer with JSON only: {"items": [...]}, one item per passage, with the passage's id."""

METADATA_PROMPT = """You write the text that goes with a short video clip on social \
media. Given the clip's transcript, answer with JSON only: {"title": a catchy title of \
at most 70 characters, "description": one or two sentences of at most 220 characters, \
"hashtags": 3 to 5 hashtags, each a single word starting with #}."""


class Judged(BaseModel):
    """What the model says of a passage, in either mode."""

    model_config = ConfigDict(extra="ignore")

    hook: int = Field(ge=0, le=10)
    emotion: int = Field(ge=0, le=10)
    self_contained: int = Field(ge=0, le=10)
    payoff: int = Field(ge=0, le=10)
    overall: int = Field(ge=0, le=10)
    reason: str = Field(min_length=1, max_length=240)
    title: str = Field(min_length=1, max_length=90)
    hook_line: str = Field(default="", max_length=200)


class ItemAnswer(Judged):
    id: str = Field(max_length=12)


class CopyAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: str = Field(min_length=1, max_length=90)
    description: str = Field(min_length=1, max_length=300)
    hashtags: list[str] = Field(min_length=1, max_length=8)


def _int(lo: int = 0, hi: int = 10) -> dict[str, Any]:
    return {"type": "integer", "minimum": lo, "maximum": hi}


# The schema of :class:`Judged`, in either mode's answer (part of every answer's key).
JUDGED_PROPERTIES: dict[str, Any] = {
    **{name: _int() for name in (*SUBSCORES, "overall")},
    "reason": {"type": "string", "maxLength": 200},
    "title": {"type": "string", "maxLength": 70},
    "hook_line": {"type": "string", "maxLength": 160},
}
JUDGED_REQUIRED = [*SUBSCORES, "overall", "reason", "title", "hook_line"]
ITEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"id": {"type": "string", "maxLength": 12}, **JUDGED_PROPERTIES},
    "required": ["id", *JUDGED_REQUIRED],
    "additionalProperties": False,
}
COPY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "maxLength": 70},
        "description": {"type": "string", "maxLength": 220},
        "hashtags": {
            "type": "array",
            "minItems": 3,
            "maxItems": 5,
            "items": {"type": "string", "maxLength": 30},
        },
    },
    "required": ["title", "description", "hashtags"],
    "additionalProperties": False,
}


def batch_schema(count: int) -> dict[str, Any]:
    """A fixed item count keeps small models from running on until max_tokens."""
    return {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "minItems": count,
                "maxItems": count,
                "items": ITEM_SCHEMA,
            }
        },
        "required": ["items"],
        "additionalProperties": False,
    }


def content_key(
    options: LLMOptions, task: str, system: str, schema: dict[str, Any], text: str
) -> str:
    """Everything that shapes an answer (the task, its instructions ``system``, the
    model and its settings, the schema, the text), and nothing that does not
    (batching, ids)."""
    material = {
        "task": task,
        "prompt_version": PROMPT_VERSION,
        "model": options.model,
        "base_url": options.base_url or "",
        "temperature": options.temperature,
        "response_format": options.response_format,
        "system": system,
        "schema": schema,
        "text": text,
    }
    blob = json.dumps(material, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()


def api_key(options: LLMOptions) -> str:
    key = os.environ.get(options.api_key_env, "")
    if not key:
        raise ReelmakeError(
            f"score.openai: the environment variable {options.api_key_env} is not set; "
            "export your API key there (any text for a local server), or use "
            "score.backend: heuristic"
        )
    return key


def make_client(options: LLMOptions) -> Any:
    from openai import OpenAI

    return OpenAI(
        base_url=options.base_url,
        api_key=api_key(options),
        timeout=options.timeout,
        max_retries=options.retries,
    )


def _where(options: LLMOptions) -> str:
    return options.base_url or "the OpenAI API"


def preflight(options: LLMOptions) -> None:
    """Fail early, in one line, on a missing key or a server that is not there."""
    import openai

    client = make_client(options).with_options(timeout=15, max_retries=0)
    try:
        client.models.list()
    except openai.APIConnectionError as exc:
        raise ReelmakeError(
            f"score.openai.base_url: cannot reach {_where(options)} "
            f"({exc.__class__.__name__}); start the server or fix the address"
        ) from None
    except openai.AuthenticationError:
        raise ReelmakeError(
            f"score.openai: {_where(options)} rejected the key in {options.api_key_env}"
        ) from None
    except openai.APIStatusError:
        pass  # some servers have no model list; the real requests will tell


@dataclass
class Usage:
    """What a scoring asked and got. A failed request is one that brought no answer
    or an answer that does not satisfy its schema; ``fallbacks``: candidates scored
    offline because the model gave no valid answer for them; ``problem``: what was
    wrong with the last failed request."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_answers: int = 0
    failed_requests: int = 0
    fallbacks: int = 0
    problem: str = ""

    def add(self, other: Usage) -> None:
        for name in self.__dataclass_fields__:
            if name == "problem":
                self.problem = other.problem or self.problem
            else:
                setattr(self, name, getattr(self, name) + getattr(other, name))

    def failed(self, problem: str) -> None:
        """Count a request whose answer was missing or invalid."""
        self.failed_requests += 1
        self.problem = problem


def _response_format(options: LLMOptions, schema: dict[str, Any]) -> Any:
    if options.response_format == "json_schema":
        return {
            "type": "json_schema",
            "json_schema": {
                "name": "reelmake_answer",
                "schema": schema,
                "strict": True,
            },
        }
    if options.response_format == "json_object":
        return {"type": "json_object", "schema": schema}
    return None


def _parse_json(text: str) -> Any:
    """JSON from a reply, also when a model wraps it in prose or code fences."""
    try:
        return json.loads(text)
    except ValueError:
        match = re.search(r"\{.*\}", text, re.S)
        if not match:
            raise
        return json.loads(match.group(0))


def ask(
    client: Any,
    options: LLMOptions,
    system: str,
    user: str,
    schema: dict[str, Any],
    max_tokens: int,
) -> tuple[Any, Usage]:
    """One chat completion; returns the parsed JSON (or raises ValueError)."""
    import openai

    usage = Usage(requests=1)
    kwargs: dict[str, Any] = {
        "model": options.model,
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ],
        "temperature": options.temperature,
        "max_tokens": max_tokens,
    }
    response_format = _response_format(options, schema)
    if response_format is not None:
        kwargs["response_format"] = response_format
    try:
        response = client.chat.completions.create(**kwargs)
    except (openai.APIStatusError, openai.APIConnectionError) as exc:
        usage.failed_requests = 1
        raise ValueError(f"request failed: {exc.__class__.__name__}") from None
    if response.usage is not None:
        usage.prompt_tokens = response.usage.prompt_tokens or 0
        usage.completion_tokens = response.usage.completion_tokens or 0
    choice = response.choices[0] if response.choices else None
    if choice is None or not choice.message.content:
        raise ValueError("empty answer")
    if choice.finish_reason == "length":
        raise ValueError("answer cut off at max_tokens")
    try:
        return _parse_json(choice.message.content), usage
    except ValueError:
        raise ValueError("answer is not JSON") from None


def _passage(cid: str, c: Candidate, context: str) -> dict[str, str]:
    item = {"id": cid, "text": c.text}
    if context:
        item["said_just_before"] = context
    return item


class OpenAIScorer:
    """Scores candidates in batches, asking again for what comes back invalid."""

    def __init__(
        self,
        options: LLMOptions,
        contexts: dict[str, str] | None = None,
        answers: Answers | None = None,
    ) -> None:
        self.options = options
        self.contexts = contexts or {}
        self.answers = answers or Answers.locate(options.answer_cache)
        self.name = f"openai:{options.model}"
        self.usage = Usage()

    def _key(self, c: Candidate) -> str:
        context = self.contexts.get(c.id, "")[-self.options.context_chars :]
        text = json.dumps(_passage("", c, context), sort_keys=True)
        return content_key(self.options, "score", SYSTEM_PROMPT, ITEM_SCHEMA, text)

    def _ask_batch(
        self, client: Any, batch: Sequence[Candidate]
    ) -> tuple[dict[str, ItemAnswer], Usage, str]:
        local = {f"p{i + 1}": c for i, c in enumerate(batch)}
        passages = [
            _passage(lid, c, self.contexts.get(c.id, "")[-self.options.context_chars :])
            for lid, c in local.items()
        ]
        user = "Passages:\n" + json.dumps(passages, ensure_ascii=False, indent=1)
        try:
            data, usage = ask(
                client,
                self.options,
                SYSTEM_PROMPT,
                user,
                batch_schema(len(batch)),
                self.options.max_tokens_per_item * len(batch) + 64,
            )
        except ValueError as exc:
            usage = Usage(requests=1)
            usage.failed(str(exc))
            return {}, usage, str(exc)
        got: dict[str, ItemAnswer] = {}
        problem = ""
        items = data.get("items") if isinstance(data, dict) else None
        if not isinstance(items, list):
            problem = "no list of items"
        for raw in items if isinstance(items, list) else []:
            try:
                item = ItemAnswer.model_validate(raw)
            except ValidationError as exc:
                problem = f"invalid item ({exc.errors()[0]['msg']})"
                continue
            if item.id in local:
                got[local[item.id].id] = item
        if len(got) < len(batch) and not problem:
            problem = f"{len(batch) - len(got)} of {len(batch)} passages unanswered"
        if problem:
            # The answer breaks its schema: a failed request, whose valid items
            # are still answers of their own passages.
            usage.failed(problem)
        return got, usage, problem

    def score(self, candidates: Sequence[Candidate], audio: Path) -> list[Score]:
        options = self.options
        store = self.answers.open()
        try:
            keys = {c.id: self._key(c) for c in candidates}
            answers: dict[str, ItemAnswer] = {}
            # An explicit re-score reads nothing from the store (and refills it).
            for c in [] if self.answers.refresh else candidates:
                cached = store.get(keys[c.id])
                with contextlib.suppress(ValidationError):
                    if cached is not None:
                        answers[c.id] = ItemAnswer.model_validate(cached)
            self.usage.cached_answers = len(answers)
            todo = [c for c in candidates if c.id not in answers]
            if todo:
                log.info(
                    "%d of %d candidates answered from the cache; asking %s for %d",
                    len(answers), len(candidates), _where(options), len(todo),
                )  # fmt: skip
            problem = ""
            client = make_client(options) if todo else None
            for attempt in range(1, options.max_attempts + 1):
                if not todo:
                    break
                size = max(1, options.batch_size)
                batches = [todo[i : i + size] for i in range(0, len(todo), size)]
                with concurrent.futures.ThreadPoolExecutor(options.concurrency) as pool:
                    futures = [pool.submit(self._ask_batch, client, b) for b in batches]
                    for future in concurrent.futures.as_completed(futures):
                        got, usage, why = future.result()
                        self.usage.add(usage)
                        problem = why or problem
                        # Stored at once: a kill loses at most the batches in flight.
                        store.put_many(
                            {keys[cid]: a.model_dump() for cid, a in got.items()},
                            options.model,
                        )
                        answers.update(got)
                todo = [c for c in todo if c.id not in answers]
                if todo:
                    log.warning(
                        "attempt %d: %d candidates without a valid answer (%s)",
                        attempt, len(todo), problem,
                    )  # fmt: skip
        finally:
            store.close()
        if todo and options.on_failure == "fail":
            raise ReelmakeError(
                f"score.openai: {_where(options)} gave no valid answer for {len(todo)} "
                f"of {len(candidates)} candidates after {options.max_attempts} "
                f"attempts (last problem: {problem}); set score.openai.on_failure: "
                "heuristic to fall back for those"
            )
        if todo:
            notice().warning(
                "%d of %d candidates scored offline: %s gave no valid answer for them "
                "after %d attempts (last problem: %s); they are marked 'heuristic "
                "(fallback)' and the next run asks again",
                len(todo), len(candidates), _where(options), options.max_attempts,
                problem,
            )  # fmt: skip
        fallback = (
            {s.id: s for s in HeuristicScorer().score(todo, audio)} if todo else {}
        )
        self.usage.fallbacks = len(fallback)
        out = []
        for c in candidates:
            if c.id in fallback:
                s = fallback[c.id]
                features = {**s.features, "fallback": 1.0}
                out.append(Score(**{**asdict(s), "backend": "heuristic (fallback)",
                                    "features": features}))  # fmt: skip
                continue
            a = answers[c.id]
            out.append(
                Score(
                    id=c.id,
                    start=c.start,
                    end=c.end,
                    overall=float(a.overall),
                    subscores={name: float(getattr(a, name)) for name in SUBSCORES},
                    reason=a.reason,
                    title=a.title,
                    hook=a.hook_line,
                    backend=self.name,
                )
            )
        return out


COPY_BATCH_PROMPT = """You write the text that goes with short video clips on social \
media. Given each clip's transcript, answer with JSON only: {"clips": [...]}, one item \
per clip with its id, "title": a catchy title of at most 70 characters, "description": \
one or two sentences of at most 220 characters, "hashtags": 3 to 5 hashtags, each a \
single word starting with #."""


def copy_batch_schema(count: int) -> dict[str, Any]:
    item = {
        **COPY_SCHEMA,
        "properties": {"id": {"type": "string", "maxLength": 12},
                       **COPY_SCHEMA["properties"]},
        "required": ["id", *COPY_SCHEMA["required"]],
    }  # fmt: skip
    return {
        "type": "object",
        "properties": {"clips": {"type": "array", "minItems": count,
                                 "maxItems": count, "items": item}},
        "required": ["clips"],
        "additionalProperties": False,
    }  # fmt: skip


@contextlib.contextmanager
def _copy_lock(store: Path) -> Iterator[None]:
    """One clip-copy request at a time for a store: the clip jobs of a video wait
    for the first one's request, then find their answers in the store."""
    store.parent.mkdir(parents=True, exist_ok=True)
    with open(store.with_name(store.name + ".copy.lock"), "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def clip_copies(
    options: LLMOptions, texts: Sequence[str], answers: Answers | None = None
) -> tuple[dict[str, dict[str, Any] | None], Usage]:
    """Title, description and hashtags for each clip text, through the answer cache
    (per text, so a clip is never asked for twice); the texts without an answer go in
    one request (asked again for what comes back invalid)."""
    usage = Usage()
    answers = answers or Answers.locate(options.answer_cache)
    with _copy_lock(answers.path):
        store = answers.open()
        try:
            keys = {
                t: content_key(options, "metadata", METADATA_PROMPT, COPY_SCHEMA, t)
                for t in texts
            }
            out: dict[str, dict[str, Any] | None] = {}
            for text, key in keys.items():
                out[text] = _valid_copy(store.get(key))
            usage.cached_answers = sum(v is not None for v in out.values())
            missing = [t for t in dict.fromkeys(texts) if out[t] is None]
            client = make_client(options) if missing else None
            for _ in range(options.max_attempts if missing else 0):
                local = {f"c{i + 1}": t for i, t in enumerate(missing)}
                user = "Clips:\n" + json.dumps(
                    [{"id": k, "text": t} for k, t in local.items()],
                    ensure_ascii=False, indent=1,
                )  # fmt: skip
                try:
                    data, used = ask(client, options, COPY_BATCH_PROMPT, user,
                                     copy_batch_schema(len(local)),
                                     120 * len(local) + 64)  # fmt: skip
                except ValueError as exc:
                    failed = Usage(requests=1)
                    failed.failed(str(exc))
                    usage.add(failed)
                    log.warning("clip texts from the model: %s", exc)
                    continue
                usage.add(used)
                items = data.get("clips") if isinstance(data, dict) else None
                for raw in items if isinstance(items, list) else []:
                    try:
                        text = local[str(raw.get("id"))]
                        answer = CopyAnswer.model_validate(raw).model_dump()
                    except (KeyError, AttributeError, ValidationError):
                        continue
                    out[text] = answer
                    store.put_many({keys[text]: answer}, options.model)
                missing = [t for t in missing if out[t] is None]
                if not missing:
                    break
                usage.failed(f"{len(missing)} clip texts without a valid answer")
                log.warning("%d clip texts without a usable answer", len(missing))
        finally:
            store.close()
    return out, usage


def _valid_copy(stored: dict[str, Any] | None) -> dict[str, Any] | None:
    """A stored clip text, when it still satisfies its schema (else it is asked
    again)."""
    try:
        return CopyAnswer.model_validate(stored).model_dump() if stored else None
    except ValidationError:
        return None


def clip_copy(
    options: LLMOptions, text: str, answers: Answers | None = None
) -> tuple[dict[str, Any] | None, Usage]:
    """Title, description and hashtags for one clip (see :func:`clip_copies`)."""
    found, usage = clip_copies(options, [text], answers)
    return found[text], usage


@dataclass
class Estimate:
    candidates: int
    cached: int
    requests: int
    prompt_tokens: int
    completion_tokens: int
    notes: list[str] = field(default_factory=list)


def estimate(
    options: LLMOptions,
    candidates: Sequence[Candidate],
    contexts: dict[str, str],
    answers: Answers | None = None,
) -> Estimate:
    """Requests and rough tokens (4 characters a token) a scoring run would send."""
    scorer = OpenAIScorer(options, contexts, answers)
    store = scorer.answers.open()
    try:
        todo = [c for c in candidates if store.get(scorer._key(c)) is None]
    finally:
        store.close()
    size = max(1, options.batch_size)
    requests = math.ceil(len(todo) / size)
    chars = sum(len(c.text) + len(contexts.get(c.id, "")[-options.context_chars :]) + 40
                for c in todo)  # fmt: skip
    prompt = (chars + requests * (len(SYSTEM_PROMPT) + 20)) // 4
    return Estimate(
        candidates=len(candidates),
        cached=len(candidates) - len(todo),
        requests=requests,
        prompt_tokens=prompt,
        completion_tokens=len(todo) * 70,
    )
