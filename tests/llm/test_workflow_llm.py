"""The whole workflow with the openai backend, against servers on 127.0.0.1."""

import json
import math
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import (
    FAST_CLIPS,
    Server,
    merged_config,
    reelmake,
    results_of,
    rules_run,
    server_requests,
)
from tests.llm_server import expected_score
from tests.soak import snapshot

pytestmark = [pytest.mark.llm, pytest.mark.workflow]

KEY = "sk-sentinel-4b1d-never-written-anywhere"


@pytest.fixture(autouse=True)
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)


def _config(workdir: Path, base_url: str, **extra: str) -> None:
    lines = [
        "scores:",
        "  backend: openai",
        "  openai:",
        "    model: test-model",
        f"    base_url: {base_url}",
        f"    batch_size: {extra.get('batch_size', 2)}",
        "    concurrency: 1",
        f"    answer_cache: {workdir / 'answers.sqlite'}",
        f"    on_failure: {extra.get('on_failure', 'fail')}",
        f"    response_format: {extra.get('response_format', 'json_schema')}",
        f"    mode: {extra.get('mode', 'passages')}",
        "segments:",
        f"  min_seconds: {extra.get('min_seconds', 3)}",
        f"  max_seconds: {extra.get('max_seconds', 12)}",
        "highlights:",
        f"  threshold: {extra.get('threshold', 0)}",
        "  top_k: 2",
        "  min_gap: 0.5",
    ]
    if extra.get("answer_cache") == "default":
        lines = [line for line in lines if "answer_cache" not in line]
    (workdir / "config.yaml").write_text(
        merged_config(FAST_CLIPS, "\n".join(lines) + "\n")
    )


def _asked(server) -> list[str]:
    return [
        t
        for r in server_requests(server.log)
        if r["event"] == "asked"
        for t in r["texts"]
    ]


def _scores(workdir: Path) -> dict:
    (path,) = results_of(workdir).glob("*/scores/scores.json")
    return json.loads(path.read_text())


def test_scores_metadata_cache_and_no_secret_anywhere(
    llm_server, tmp_path: Path, speech_video: Path
) -> None:
    server = llm_server("normal")
    _config(tmp_path, server.base_url)
    # The offline stages first, so that the estimate counts the real candidates.
    ready = reelmake("run", speech_video, "--until", "segmentation", cwd=tmp_path)
    assert ready.returncode == 0, ready.stderr
    est = reelmake("estimate", speech_video, cwd=tmp_path)
    assert est.returncode == 0, est.stderr
    assert "from its candidates" in est.stdout
    row = next(line for line in est.stdout.splitlines()
               if line.startswith("garden") and " passages " in line)  # fmt: skip
    candidates, cached, requests = (int(x) for x in row.split()[2:5])
    assert candidates > 0 and cached == 0 and requests == math.ceil(candidates / 2)
    assert _asked(server) == []  # estimating sends nothing

    run = reelmake("run", speech_video, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    data = _scores(tmp_path)
    assert data["llm_usage"]["requests"] == requests
    assert {s["backend"] for s in data["scores"]} == {"openai:test-model"}
    texts = _asked(server)
    assert len(texts) == candidates and len(set(texts)) == candidates
    by_text = {c["text"]: c["id"] for c in json.loads(
        next(results_of(tmp_path).glob("*/segments/candidates.json")).read_text()
    )["candidates"]}  # fmt: skip
    overall = {s["id"]: s["overall"] for s in data["scores"]}
    assert all(overall[by_text[t]] == expected_score(t) for t in texts)
    metas = list(results_of(tmp_path).glob("*/metadata/*.json"))
    assert metas
    for meta in map(lambda p: json.loads(p.read_text()), metas):
        assert meta["copy_backend"] == "openai:test-model"
        assert meta["title"].startswith("Title of c") and meta["hashtags"][0] == "#one"
    # The clips' titles came in one request for the video.
    kinds = [r["kind"] for r in server_requests(server.log) if r["event"] == "asked"]
    assert kinds.count("clips") == 1

    # A threshold change re-selects without a single request.
    asked_before = len(server_requests(server.log))
    _config(tmp_path, server.base_url, threshold=1)
    again = reelmake("run", speech_video, cwd=tmp_path)
    assert "select_highlights" in rules_run(again.stderr)
    assert len(server_requests(server.log)) == asked_before
    est = reelmake("estimate", speech_video, cwd=tmp_path)
    row = next(line for line in est.stdout.splitlines()
               if line.startswith("garden") and " passages " in line)  # fmt: skip
    assert [int(x) for x in row.split()[2:5]] == [candidates, candidates, 0]

    # --no-cache of the stage re-runs it from the answer cache; --rescore pays again.
    forced = reelmake("run", speech_video, "--no-cache", "score_segments", cwd=tmp_path)
    assert "score_segments" in rules_run(forced.stderr)
    assert len(_asked(server)) == candidates
    rescore = reelmake("run", speech_video, "--rescore", cwd=tmp_path)
    assert rescore.returncode == 0, rescore.stderr
    assert len(_asked(server)) == 2 * candidates
    # A re-score changes no setting: the next plain run re-runs and asks nothing.
    after = reelmake("run", speech_video, cwd=tmp_path)
    assert after.returncode == 0, after.stderr
    assert rules_run(after.stderr) == []
    assert len(_asked(server)) == 2 * candidates

    # The key is in the server's log (it was used) and nowhere of ours.
    outputs = [est, run, again, forced, rescore, after]
    assert all(KEY not in p.stdout + p.stderr for p in outputs)
    for path in tmp_path.rglob("*"):
        if path.is_file() and not path.name.startswith("server-"):
            assert KEY.encode() not in path.read_bytes(), path


def test_transcript_mode_reads_once_and_settings_after_it_ask_nothing(
    llm_server, tmp_path: Path, long_speech_video: Path
) -> None:
    server = llm_server("normal")
    video = tmp_path / "talk.mp4"
    shutil.copy(long_speech_video, video)
    _config(tmp_path, server.base_url, mode="transcript", threshold=6)
    est = reelmake("estimate", video, cwd=tmp_path)
    assert est.returncode == 0, est.stderr
    row = next(line.split() for line in est.stdout.splitlines()
               if line.startswith("talk.mp4") and " transcript " in line)  # fmt: skip
    assert row[2:5] == ["1", "0", "1"]  # one chunk, none cached, one request
    assert _asked(server) == []

    run = reelmake("run", video, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    asked = [r for r in server_requests(server.log) if r["event"] == "asked"]
    # The transcript once, then one request for the titles of every clip.
    assert [r["kind"] for r in asked] in (["transcript", "clips"], ["transcript"])
    data = _scores(tmp_path)
    assert data["llm_usage"]["requests"] == 1
    picked = [s for s in data["scores"] if s["features"].get("picked") == 1.0]
    assert picked and all(s["backend"] == "openai:test-model" for s in picked)
    others = [s for s in data["scores"] if s["features"].get("picked") == 0.0]
    assert all(s["overall"] <= 4.0 for s in others)

    # Selection and the length band change what is chosen, never what is asked.
    count = len(server_requests(server.log))
    for change in ({"threshold": 0}, {"min_seconds": 4, "max_seconds": 10}):
        _config(tmp_path, server.base_url, mode="transcript", **change)
        again = reelmake("run", video, cwd=tmp_path)
        assert again.returncode == 0, again.stderr
        assert "select_highlights" in rules_run(again.stderr)
        new = [r for r in server_requests(server.log)[count:] if r["event"] == "asked"]
        assert [r["kind"] for r in new] in ([], ["clips"]), new
        count = len(server_requests(server.log))
    assert "score_segments" in rules_run(again.stderr)  # new candidates, same picks


def test_missing_key_stops_before_any_work(
    llm_server, tmp_path: Path, speech_video: Path, monkeypatch
) -> None:
    server = llm_server("normal")
    _config(tmp_path, server.base_url)
    monkeypatch.delenv("OPENAI_API_KEY")
    run = reelmake("run", speech_video, cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "error: score.openai: the environment variable OPENAI_API_KEY is not set; "
        "export your API key there (any text for a local server), or use "
        "score.backend: heuristic"
    ]
    assert not results_of(tmp_path).exists()


def test_kill_during_scoring_never_asks_an_answered_candidate_again(
    llm_server, tmp_path: Path, long_speech_video: Path
) -> None:
    server = llm_server("slow", bad=10_000, delay=0.25)
    _config(tmp_path, server.base_url, batch_size=1, min_seconds=4, max_seconds=20)
    video = tmp_path / "talk.mp4"
    shutil.copy(long_speech_video, video)
    proc = subprocess.Popen(
        [sys.executable, "-m", "reelmake.cli", "run", str(video)],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True, env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        done = [r for r in server_requests(server.log) if r["event"] == "answered"]
        if len(done) >= 5:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = server_requests(server.log)
    answered = {t for r in before if r["event"] == "answered" for t in r["texts"]}
    with sqlite3.connect(tmp_path / "answers.sqlite") as db:
        stored = db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    assert stored >= 4
    assert not list(results_of(tmp_path).glob("*/scores/scores.json"))

    rerun = reelmake("run", video, cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    after = server_requests(server.log)[len(before) :]
    asked_again = [t for r in after if r["event"] == "asked" for t in r["texts"]]
    candidates = json.loads(
        next(results_of(tmp_path).glob("*/segments/candidates.json")).read_text()
    )["candidates"]
    # Only what had no stored answer is asked, once. An answer that was on the wire
    # when the process died (at most one with concurrency 1) is asked again.
    assert len(asked_again) == len(set(asked_again)) == len(candidates) - stored
    assert len(answered & set(asked_again)) <= 1
    data = _scores(tmp_path)
    overall = {s["id"]: s["overall"] for s in data["scores"]}
    assert all(overall[c["id"]] == expected_score(c["text"]) for c in candidates)


def test_real_local_model_end_to_end(tmp_path: Path, speech_video: Path) -> None:
    """SmolLM2-135M served by llama.cpp (xllamacpp), in the default transcript mode:
    only the protocol is judged."""
    server = Server("tests.local_llm", timeout=120)
    try:
        _config(tmp_path, server.base_url, mode="transcript", on_failure="heuristic")
        # A tiny model's answer may break the schema: asked once, it falls back (the
        # retries are tested against the scripted server).
        own = tmp_path / "config.yaml"
        own.write_text(
            merged_config(own.read_text(), "scores:\n  openai:\n    max_attempts: 1\n")
        )
        run = reelmake("run", speech_video, cwd=tmp_path, timeout=900)
        assert run.returncode == 0, run.stderr
    finally:
        server.stop()
    data = _scores(tmp_path)
    assert data["scored_count"] == len(data["scores"]) > 0
    for s in data["scores"]:
        assert s["backend"] in ("openai:test-model", "heuristic (fallback)")
        assert 0 <= s["overall"] <= 10
        assert {"hook", "emotion", "self_contained", "payoff"} <= set(s["subscores"])
        assert all(0 <= v <= 10 for v in s["subscores"].values())
        assert s["title"].strip()
    assert data["llm_usage"]["requests"] >= 1
    for path in results_of(tmp_path).glob("*/metadata/*.json"):
        meta = json.loads(path.read_text())
        assert meta["title"].strip() and meta["description"].strip()
        assert meta["hashtags"] and all(
            re.match(r"^#\S+$", t) for t in meta["hashtags"]
        )


def test_shared_cache_second_folder_transcribes_scores_and_asks_nothing(
    llm_server, tmp_path: Path, speech_video: Path
) -> None:
    server = llm_server("normal")
    shared = tmp_path / "shared cache"
    first, second = tmp_path / "checkout-a", tmp_path / "checkout-b"
    for folder in (first, second):
        folder.mkdir()
        shutil.copy(speech_video, folder / "garden.mp4")
        _config(folder, server.base_url, answer_cache="default")

    run_a = reelmake("run", "garden.mp4", "--shared-cache", shared, cwd=first)
    assert run_a.returncode == 0, run_a.stderr
    requests_a = len(server_requests(server.log))
    assert _asked(server), "the first folder scores through the server"
    assert (shared / "reelmake-llm-answers.sqlite").is_file()

    run_b = reelmake("run", "garden.mp4", "--shared-cache", shared, cwd=second)
    assert run_b.returncode == 0, run_b.stderr
    # Nothing was transcribed, scored or asked again...
    assert len(server_requests(server.log)) == requests_a
    from_cache = re.findall(r"Symlinking output file (\S+) from cache", run_b.stderr)
    assert any(p.endswith("transcript/transcript.json") for p in from_cache), from_cache
    assert any(p.endswith("scores/scores.json") for p in from_cache), from_cache
    timings = {
        folder: sorted(p.stem for p in results_of(folder).glob("*/benchmarks/*.tsv"))
        for folder in (first, second)
    }
    for rule in ("transcribe_audio", "score_segments"):
        assert rule in timings[first]
        assert rule not in timings[second]
    # ...clip titles came from the shared answer store...
    copy = [
        json.loads(p.read_text())
        for p in results_of(second).glob("*/metadata/*-*-*.json")
    ]
    assert copy and all(c["llm_usage"]["requests"] == 0 for c in copy)
    assert all(c["llm_usage"]["cached_answers"] >= 1 for c in copy)
    # ...and apart from those counts the second folder's results are the first's.
    snapshots = [snapshot(results_of(folder)) for folder in (first, second)]
    for snap in snapshots:
        for data in snap.values():
            if isinstance(data, dict):
                data.pop("llm_usage", None)
    assert snapshots[1] == snapshots[0]
