"""The real openai client over HTTP against a test server in its own process."""

import math
import wave
from pathlib import Path

import pytest

from reelmake.core.errors import ReelmakeError
from reelmake.stages.scores.common import LLMOptions
from reelmake.stages.scores.llm import OpenAIScorer, clip_copy, preflight
from reelmake.stages.segments import Candidate
from tests.conftest import server_requests
from tests.llm_server import expected_score

pytestmark = pytest.mark.llm

KEY = "sk-test-sentinel-0123456789"


def _candidates(n: int = 10) -> list[Candidate]:
    return [
        Candidate(
            id=f"c{i:02d}",
            first_word=i * 10,
            last_word=i * 10 + 9,
            start=i * 20.0,
            end=i * 20.0 + 18,
            text=f"Passage number {i}. It says something {i * 7}.",
            sentence_count=2,
            word_count=10,
            pause_before=0.5,
            pause_after=0.5,
            words_per_second=2.5,
            mean_probability=0.9,
        )  # fmt: skip
        for i in range(n)
    ]


@pytest.fixture()
def audio(tmp_path: Path) -> Path:
    path = tmp_path / "a.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * 16000 * 220)
    return path


@pytest.fixture(autouse=True)
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)


def _options(server, tmp_path: Path, **kw) -> LLMOptions:
    base = {"model": "test-model", "base_url": server.base_url, "batch_size": 4,
            "concurrency": 2, "timeout": 10, "retries": 2,
            "answer_cache": str(tmp_path / "answers.sqlite")}  # fmt: skip
    return LLMOptions(**{**base, **kw})


def _asked(server) -> list[str]:
    return [
        t
        for r in server_requests(server.log)
        if r["event"] == "asked"
        for t in r["texts"]
    ]


def _check(scores, candidates) -> None:
    by_id = {s.id: s for s in scores}
    for c in candidates:
        assert by_id[c.id].overall == expected_score(c.text)
        assert by_id[c.id].backend == "openai:test-model"


def test_batches_and_the_answer_cache(llm_server, tmp_path, audio) -> None:
    server = llm_server("normal")
    cands = _candidates(10)
    scorer = OpenAIScorer(_options(server, tmp_path))
    _check(scorer.score(cands, audio), cands)
    assert scorer.usage.requests == math.ceil(10 / 4)
    assert scorer.usage.prompt_tokens > 0 and scorer.usage.completion_tokens > 0
    assert sorted(_asked(server)) == sorted(c.text for c in cands)
    # Same content again (another batch size even): nothing is sent.
    again = OpenAIScorer(_options(server, tmp_path, batch_size=3))
    _check(again.score(cands, audio), cands)
    assert again.usage.requests == 0 and again.usage.cached_answers == 10
    # Another model is another question.
    other = OpenAIScorer(_options(server, tmp_path, model="other-model"))
    other.score(cands[:2], audio)
    assert other.usage.requests == 1
    assert all(r["auth"] == f"Bearer {KEY}" for r in server_requests(server.log)
               if r["event"] == "asked")  # fmt: skip


@pytest.mark.parametrize(
    ("mode", "bad", "extra"),
    [
        ("429", 2, {}),
        ("500", 2, {}),
        ("slow", 1, {"timeout": 1.0}),
        ("malformed", 1, {}),
        ("truncated", 1, {}),
        ("invalid", 2, {}),
    ],
)
def test_misbehaving_server_still_gives_correct_scores(
    llm_server, tmp_path, audio, mode, bad, extra
) -> None:
    server = llm_server(mode, bad=bad, delay=3.0)
    cands = _candidates(6)
    scorer = OpenAIScorer(_options(server, tmp_path, concurrency=1, **extra))
    _check(scorer.score(cands, audio), cands)
    if mode in ("malformed", "truncated", "invalid"):
        assert scorer.usage.requests > math.ceil(6 / 4)  # it asked again


def test_a_failing_server_is_a_clear_error_or_a_marked_fallback(
    llm_server, tmp_path, audio
) -> None:
    server = llm_server("broken")
    cands = _candidates(3)
    with pytest.raises(ReelmakeError) as err:
        OpenAIScorer(_options(server, tmp_path, retries=0, max_attempts=2)).score(
            cands, audio
        )
    assert "no valid answer for 3 of 3 candidates after 2 attempts" in str(err.value)
    assert KEY not in str(err.value)
    scores = OpenAIScorer(
        _options(server, tmp_path, retries=0, max_attempts=1, on_failure="heuristic")
    ).score(cands, audio)
    assert {s.backend for s in scores} == {"heuristic (fallback)"}
    assert all(s.features["fallback"] == 1.0 for s in scores)


def test_missing_key_and_unreachable_server(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(ReelmakeError, match="OPENAI_API_KEY is not set"):
        preflight(LLMOptions(base_url="http://127.0.0.1:9/v1"))
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with pytest.raises(
        ReelmakeError, match="cannot reach http://127.0.0.1:9/v1"
    ) as err:
        preflight(LLMOptions(base_url="http://127.0.0.1:9/v1"))
    assert "\n" not in str(err.value) and KEY not in str(err.value)


def test_clip_copy_is_cached(llm_server, tmp_path) -> None:
    server = llm_server("normal")
    options = _options(server, tmp_path)
    first, usage = clip_copy(options, "A story about bees.")
    assert first == {"title": "Title of c1", "description": "What the clip is about.",
                     "hashtags": ["#one", "#two", "#three"]}  # fmt: skip
    assert usage.requests == 1
    second, usage = clip_copy(options, "A story about bees.")
    assert second == first and usage.requests == 0
