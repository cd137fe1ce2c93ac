"""An answer that does not satisfy its schema is a failed request, in either mode:
asked again up to ``max_attempts``, then ``on_failure`` applies in one line, and it
is never stored (so a later run asks again)."""

import json
import logging
import sqlite3
from pathlib import Path

import pytest

from reelmake.core import fileio
from reelmake.core.errors import NOTICE, ReelmakeError
from reelmake.stages.scores.common import LLMOptions, contexts_around, contexts_before
from reelmake.stages.scores.llm import OpenAIScorer
from reelmake.stages.scores.picks import TranscriptScorer, plan_chunks, sentences_of
from reelmake.stages.scores.store import Answers
from reelmake.stages.segments import load_candidates
from tests.conftest import reelmake, results_of, rules_run, server_requests
from tests.llm.test_picks import talk

pytestmark = pytest.mark.llm


@pytest.fixture(autouse=True)
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")


def _options(server, folder: Path, **extra) -> LLMOptions:
    return LLMOptions(model="test-model", base_url=server.base_url,
                      answer_cache=str(folder / "answers.sqlite"), concurrency=1,
                      **extra)  # fmt: skip


def _scorer(options: LLMOptions, candidates: Path) -> TranscriptScorer:
    data = fileio.read_json(candidates)
    return TranscriptScorer(options, sentences_of(data), contexts_around(data))


def _stored(folder: Path) -> int:
    with sqlite3.connect(folder / "answers.sqlite") as db:
        return int(db.execute("SELECT COUNT(*) FROM answers").fetchone()[0])


def _asked(server) -> int:
    return sum(r["event"] == "asked" for r in server_requests(server.log))


def test_an_answer_without_picks_is_asked_again_then_fails_and_is_not_stored(
    llm_server, tmp_path: Path
) -> None:
    candidates, audio = talk(tmp_path, repeats=1)
    server = llm_server("noshape", bad=10_000)
    scorer = _scorer(_options(server, tmp_path, max_attempts=3), candidates)
    with pytest.raises(ReelmakeError) as failed:
        scorer.score(load_candidates(candidates), audio)
    count = len(load_candidates(candidates))
    assert str(failed.value).startswith(
        f"score.openai: {server.base_url} gave no valid answer for 1 of 1 transcript "
        "chunks after 3 attempts (last problem: no list of picks), leaving "
        f"{count} of {count} candidates unscored"
    )
    assert _asked(server) == 3
    assert scorer.usage.failed_requests == 3
    assert _stored(tmp_path) == 0


def test_a_fallback_says_so_in_one_line_is_marked_and_is_asked_again_next_run(
    llm_server, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    candidates, audio = talk(tmp_path, repeats=1)
    found = load_candidates(candidates)
    server = llm_server("noshape", bad=3)  # then the server answers as it should
    options = _options(server, tmp_path, on_failure="heuristic", max_attempts=3)
    with caplog.at_level(logging.WARNING, logger=NOTICE):
        scores = _scorer(options, candidates).score(found, audio)
    lines = [r.getMessage() for r in caplog.records if r.name == NOTICE]
    assert len(lines) == 1, lines
    assert lines[0].startswith(
        f"{len(found)} of {len(found)} candidates scored offline: {server.base_url} "
        "gave no valid answer for 1 of 1 transcript chunks after 3 attempts (last "
        "problem: no list of picks)"
    )
    assert {s.backend for s in scores} == {"heuristic (fallback)"}
    assert all(s.features["fallback"] == 1.0 for s in scores)
    assert _stored(tmp_path) == 0

    again = _scorer(options, candidates)
    scores = again.score(found, audio)
    assert _asked(server) == 4  # the chunk was asked again, and answered
    assert again.usage.fallbacks == 0 and again.usage.cached_answers == 0
    assert any(s.features.get("picked") == 1.0 for s in scores)
    assert "heuristic (fallback)" not in {s.backend for s in scores}
    assert _stored(tmp_path) == 1


def test_an_empty_answer_stored_unchecked_is_asked_again(
    llm_server, tmp_path: Path
) -> None:
    """Earlier versions stored the empty answer left of one without a list of
    picks; an empty list is only trusted when it was checked."""
    candidates, audio = talk(tmp_path, repeats=1)
    server = llm_server("normal")
    options = _options(server, tmp_path)
    scorer = _scorer(options, candidates)
    (chunk,) = plan_chunks(scorer.sentences, options)
    store = Answers(tmp_path / "answers.sqlite").open()
    store.put_many({scorer.key(chunk): {"picks": []}}, "test-model")
    scorer.score(load_candidates(candidates), audio)
    assert _asked(server) == 1
    store.put_many({scorer.key(chunk): {"picks": [], "checked": True}}, "test-model")
    store.close()
    scorer = _scorer(options, candidates)
    scorer.score(load_candidates(candidates), audio)
    assert _asked(server) == 1 and scorer.usage.cached_answers == 1


def test_passages_of_the_wrong_shape_fail_as_loudly_and_are_not_stored(
    llm_server, tmp_path: Path
) -> None:
    candidates, audio = talk(tmp_path, repeats=1)
    found = load_candidates(candidates)[:4]
    server = llm_server("noshape", bad=10_000)
    options = _options(server, tmp_path, mode="passages", batch_size=4,
                       max_attempts=2)  # fmt: skip
    scorer = OpenAIScorer(options, contexts_before(fileio.read_json(candidates)))
    with pytest.raises(ReelmakeError, match=r"last problem: no list of items"):
        scorer.score(found, audio)
    assert scorer.usage.failed_requests == 2 == _asked(server)
    assert _stored(tmp_path) == 0


@pytest.mark.workflow
def test_a_run_that_fell_back_says_so_and_the_next_run_asks_again(
    llm_server, tmp_path: Path, speech_video: Path
) -> None:
    server = llm_server("noshape", bad=3)
    (tmp_path / "config.yaml").write_text(
        "scores:\n  backend: openai\n  openai:\n    model: test-model\n"
        f"    base_url: {server.base_url}\n"
        f"    answer_cache: {tmp_path / 'answers.sqlite'}\n"
        "    on_failure: heuristic\n    max_attempts: 3\n"
        "segments:\n  min_seconds: 3\n  max_seconds: 12\n"
    )
    run = reelmake("run", speech_video, "--until", "scores", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    warnings = [x for x in run.stderr.splitlines() if x.startswith("warning:")]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f"warning: {speech_video}: ")
    assert "candidates scored offline" in warnings[0]
    assert "(last problem: no list of picks)" in warnings[0]
    (scores,) = results_of(tmp_path).glob("*/scores/scores.json")
    data = json.loads(scores.read_text())
    assert {s["backend"] for s in data["scores"]} == {"heuristic (fallback)"}
    assert data["llm_usage"]["failed_requests"] == 3
    (status,) = json.loads(reelmake("status", "--json", cwd=tmp_path).stdout)
    assert status["ai_scoring"]["fallbacks"] == data["scored_count"]
    assert _stored(tmp_path) == 0

    again = reelmake("run", speech_video, "--until", "scores", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert (
        "were scored offline when the language model gave no valid answer; "
        "asking the model again" in again.stderr
    )
    assert "score_segments" in rules_run(again.stderr)
    assert "scored offline" not in again.stderr.replace("were scored offline", "")
    data = json.loads(scores.read_text())
    assert "heuristic (fallback)" not in {s["backend"] for s in data["scores"]}
    assert _asked(server) == 4 and _stored(tmp_path) == 1
