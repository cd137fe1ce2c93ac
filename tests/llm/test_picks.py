"""Transcript mode: the model reads each transcript once and picks sentence ranges.

Against the test server in its own process (tests/llm_server.py), through the real
``openai`` client, on a generated 10-minute transcript (words timed at a speaking
pace, a pause after every sentence) so that each case runs in seconds.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
import wave
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pytest

from reelmake.cli.demo import DEMO_SCRIPT
from reelmake.core import fileio
from reelmake.stages.scores.common import LLMOptions, contexts_around, contexts_before
from reelmake.stages.scores.llm import OpenAIScorer
from reelmake.stages.scores.picks import (
    PICKS_PROMPT,
    TranscriptScorer,
    plan_chunks,
    sentences_of,
)
from reelmake.stages.segments import (
    SegmentOptions,
    build_candidates,
    find_pauses,
    load_candidates,
    split_sentences,
)
from reelmake.stages.transcript import Word
from tests.conftest import REPO, server_requests

pytestmark = pytest.mark.llm


@pytest.fixture(autouse=True)
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")


def talk(folder: Path, golden: range = range(0), repeats: int = 7) -> tuple[Path, Path]:
    """candidates.json and audio.wav of about ten minutes of speech (the demo's
    script ``repeats`` times); the sentences in ``golden`` say "golden" (the test
    server's marker of a highlight)."""
    texts = [t for p in DEMO_SCRIPT * repeats for t in re.split(r"(?<=[.?!])\s+", p)
             if len(t.split()) > 2]  # fmt: skip
    texts = [t[:-1] + " golden" + t[-1] if i in golden else t
             for i, t in enumerate(texts)]  # fmt: skip
    words: list[Word] = []
    at = 0.0
    for text in texts:
        for token in text.split():
            words.append(Word(round(at, 3), round(at + 0.3, 3), token, 0.95))
            at += 0.38
        at += 0.8  # a pause after every sentence
    options = SegmentOptions()
    sentences = split_sentences(words, options)
    found = build_candidates(words, sentences, options, "0" * 16)
    candidates = folder / "candidates.json"
    fileio.write_json(candidates, {
        "sentences": [asdict(s) for s in sentences],
        "pauses": [asdict(p) for p in find_pauses(words, options.pause_gap)],
        "candidates": [asdict(c) for c in found],
    })  # fmt: skip
    audio = folder / "audio.wav"
    noise = np.random.default_rng(1).normal(0, 2000, int(16000 * (at + 1)))
    with wave.open(str(audio), "wb") as fh:
        fh.setnchannels(1)
        fh.setsampwidth(2)
        fh.setframerate(16000)
        fh.writeframes(noise.astype("<i2").tobytes())
    return candidates, audio


def _options(server, folder: Path, **extra) -> LLMOptions:
    return LLMOptions(model="test-model", base_url=server.base_url,
                      answer_cache=str(folder / "answers.sqlite"), concurrency=1,
                      **extra)  # fmt: skip


def _transcript_scorer(options: LLMOptions, candidates: Path) -> TranscriptScorer:
    data = fileio.read_json(candidates)
    return TranscriptScorer(options, sentences_of(data), contexts_around(data))


def test_reads_the_transcript_once_for_a_fraction_of_the_tokens(
    llm_server, tmp_path: Path
) -> None:
    candidates, audio = talk(tmp_path)
    data = fileio.read_json(candidates)
    found = load_candidates(candidates)
    transcript_tokens = sum(len(s["text"]) + 1 for s in data["sentences"]) / 4
    instructions = len(PICKS_PROMPT) / 4
    results = {}
    for mode, budget in (("passages", 8192), ("transcript", 8192),
                         ("transcript", 2048)):  # fmt: skip
        server = llm_server("normal")
        options = _options(server, tmp_path / f"{mode}-{budget}", mode=mode,
                           context_tokens=budget)  # fmt: skip
        if mode == "passages":
            scorer = OpenAIScorer(options, contexts_before(data))
        else:
            scorer = _transcript_scorer(options, candidates)
        scores = scorer.score(found, audio)
        assert len(scores) == len(found)
        results[(mode, budget)] = (scorer.usage, server_requests(server.log))
    passages = results[("passages", 8192)][0]
    for budget in (8192, 2048):
        usage, log = results[("transcript", budget)]
        chunks = plan_chunks(sentences_of(data), LLMOptions(context_tokens=budget))
        assert usage.requests == len(chunks) == len(log) // 2  # asked + answered
        # The test server counts the user message: the transcript, numbered.
        assert usage.prompt_tokens <= 1.5 * transcript_tokens + instructions * len(
            chunks
        )  # fmt: skip
        assert usage.prompt_tokens * 10 < passages.prompt_tokens
    assert len(plan_chunks(sentences_of(data), LLMOptions(context_tokens=8192))) == 1
    assert len(plan_chunks(sentences_of(data), LLMOptions(context_tokens=2048))) >= 3


def test_chunks_overlap_and_cover_every_sentence(tmp_path: Path) -> None:
    candidates, _ = talk(tmp_path)
    sentences = sentences_of(fileio.read_json(candidates))
    options = LLMOptions(context_tokens=1500, chunk_overlap=4)
    chunks = plan_chunks(sentences, options)
    assert len(chunks) >= 4
    assert chunks[0].first == 0 and chunks[-1].last == len(sentences) - 1
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert b.first == a.last + 1 - 4
    for c in chunks:
        assert c.text.splitlines()[0].startswith("1. ")
        assert len(c.text) / 4 <= options.context_tokens


def test_a_highlight_across_a_chunk_edge_is_found_whole(
    llm_server, tmp_path: Path
) -> None:
    options = LLMOptions(context_tokens=2048)
    # Place five "golden" sentences across the end of the first chunk.
    golden = range(0)
    for _ in range(5):
        candidates, audio = talk(tmp_path, golden)
        edge = plan_chunks(sentences_of(fileio.read_json(candidates)), options)[0].last
        if golden and golden.start <= edge < golden.stop - 1:
            break
        golden = range(edge - 2, edge + 3)
    server = llm_server("normal")
    scorer = _transcript_scorer(
        replace(_options(server, tmp_path), context_tokens=2048), candidates
    )
    scores = {s.id: s for s in scorer.score(load_candidates(candidates), audio)}
    data = fileio.read_json(candidates)
    run = data["sentences"][golden.start], data["sentences"][golden.stop - 1]
    whole = next(
        c for c in data["candidates"]
        if c["first_word"] == run[0]["first_word"]
        and c["last_word"] == run[1]["last_word"]
    )  # fmt: skip
    # The first chunk saw half of it (the server gives that 5), the second all (9).
    assert scores[whole["id"]].overall == 9
    assert scores[whole["id"]].features["picked"] == 1.0


def test_invalid_and_reversed_picks_are_asked_again(llm_server, tmp_path: Path) -> None:
    candidates, audio = talk(tmp_path)
    server = llm_server("invalid", bad=1)
    scorer = _transcript_scorer(_options(server, tmp_path), candidates)
    scores = scorer.score(load_candidates(candidates), audio)
    assert scorer.usage.requests == 2  # one chunk, asked twice
    good = server_requests(server.log)[-1]
    assert good["event"] == "answered"
    assert all(0 <= s.overall <= 10 for s in scores)
    assert any(s.features.get("picked") == 1.0 for s in scores)


def test_a_pick_longer_than_any_clip_becomes_its_best_window(
    llm_server, tmp_path: Path
) -> None:
    candidates, audio = talk(tmp_path)
    found = load_candidates(candidates)
    server = llm_server("long")  # one pick: the whole chunk (ten minutes)
    scorer = _transcript_scorer(_options(server, tmp_path), candidates)
    scores = {s.id: s for s in scorer.score(found, audio)}
    picked = [s for s in scores.values() if s.features.get("picked") == 1.0]
    assert len(picked) == 1 and picked[0].overall == 8
    # The window kept is the best of the candidates by the offline score; the
    # others keep a share of theirs, below it and below the default threshold.
    offline = {s.id: s.features["offline_overall"] for s in scores.values()
               if "offline_overall" in s.features}  # fmt: skip
    assert max(offline.values()) <= 10
    assert all(s.overall < 6 for s in scores.values() if s.id != picked[0].id)
    best_other = max(offline.values())
    assert scores[picked[0].id].overall >= best_other * 0.4


def test_answers_are_kept_per_chunk_a_kill_asks_only_the_rest(
    llm_server, tmp_path: Path
) -> None:
    candidates, audio = talk(tmp_path)
    server = llm_server("slow", bad=10_000, delay=0.4)
    options = _options(server, tmp_path, context_tokens=1200, max_picks=2)
    chunks = plan_chunks(sentences_of(fileio.read_json(candidates)), options)
    assert len(chunks) >= 5
    code = (
        "import sys, json\n"
        "from reelmake.stages.scores.common import ScoreOptions\n"
        "from reelmake.stages.scores.stage import score_segments\n"
        "options = ScoreOptions.of('openai', json.loads(sys.argv[4]))\n"
        "score_segments(sys.argv[1], sys.argv[2], sys.argv[3], options)\n"
    )
    args = [sys.executable, "-c", code, str(candidates), str(audio),
            str(tmp_path / "scores.json"), json.dumps(asdict(options))]  # fmt: skip
    proc = subprocess.Popen(args, cwd=REPO, start_new_session=True,
                            env={**os.environ})  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        answered = [r for r in server_requests(server.log) if r["event"] == "answered"]
        if len(answered) >= 2:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = server_requests(server.log)
    done = {r["texts"][0] for r in before if r["event"] == "answered"}
    assert 2 <= len(done) < len(chunks)
    assert not (tmp_path / "scores.json").exists()

    rerun = subprocess.run(args, cwd=REPO, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    asked = [r["texts"][0] for r in server_requests(server.log)[len(before) :]
             if r["event"] == "asked"]  # fmt: skip
    # Each chunk without a stored answer is asked once; at most the one on the wire
    # when the process died is asked again.
    assert len(asked) == len(set(asked))
    assert len(asked) <= len(chunks) - len(done) + 1
    assert len(set(asked) & done) <= 1
    assert len(set(asked) | done) == len(chunks)
