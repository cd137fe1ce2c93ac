"""Benchmarks: every figure is reelmake against its floor, measured in turn.

    python -m bench                       # full run (about 15 minutes on 2 cores)
    python -m bench --quick               # small inputs, one round (CI)
    python -m bench --only noop hashing   # some sub-benchmarks
    python -m bench --only slurm          # two videos on a test SLURM cluster (root)
    python -m bench --only shared         # two checkouts sharing one cache folder
    python -m bench --only quality        # the labelled quality set, old and new scorer
    python -m bench --only render         # clips from a 1080p talk (not in --quick)
    python -m bench --only review         # from a decision on the page to its clip
    python -m bench --only audiogram      # a sound-only episode to audiograms
    python -m bench --only headline       # 10- and 60-minute 1080p talks to 9:16 clips
    python -m bench --only headline --minutes 3   # the same on a shorter talk
    python -m bench --only headline --talks DIR   # generated talks kept in DIR
    python -m bench --docs docs/benchmarks.md   # also write the table there

Inputs are generated (ffmpeg, espeak-ng) in a temporary folder that is removed at the
end. Each row is printed as it comes and appended as a JSON line to --jsonl.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import math
import os
import platform
import re
import resource
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reelmake.cache import get_video_hash
from reelmake.cli.demo import DEMO_SCRIPT, make_video
from reelmake.core.hashing import HashIndex, hash_file

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}
Row = dict[str, Any]


class Bench:
    def __init__(self, quick: bool, jsonl: Path | None, tmp: Path) -> None:
        self.quick = quick
        self.rounds = 1 if quick else 3
        self.jsonl = jsonl
        self.tmp = tmp
        self.rows: list[Row] = []
        self._talk: Path | None = None
        self.processed: Path | None = None  # a folder where the long talk is done
        self._long: Path | None = None
        self.frames: Path | None = None  # where render writes a frame per style
        self.minutes: list[float] = [10.0, 60.0]  # the talks of the headline
        self.talks: Path | None = None  # where its generated talks are kept

    def emit(self, bench: str, case: str, value: float, unit: str,
             floor: float | None = None, note: str = "") -> None:  # fmt: skip
        row: Row = {
            "bench": bench,
            "case": case,
            "value": round(value, 4),
            "unit": unit,
        }
        if floor is not None:
            row["floor"] = round(floor, 4)
            row["ratio"] = round(value / floor, 3) if floor else None
        if note:
            row["note"] = note
        self.rows.append(row)
        ratio = f"{row['ratio']:>7.2f}x" if row.get("ratio") is not None else " " * 8
        floor_txt = f"{floor:>10.3f}" if floor is not None else " " * 10
        line = f"{bench:<13} {case:<44} {value:>10.3f} {unit:<5}{floor_txt} {ratio}"
        print(f"{line}  {note}",
              flush=True)  # fmt: skip
        if self.jsonl:
            with open(self.jsonl, "a") as fh:
                fh.write(json.dumps(row) + "\n")

    def median(self, fn: Callable[[], float]) -> float:
        return statistics.median(fn() for _ in range(self.rounds))

    # -- inputs ---------------------------------------------------------------
    def talk(self) -> Path:
        """The 90 s demo talk (its first three paragraphs if quick)."""
        if self._talk is None:
            script = DEMO_SCRIPT[:3] if self.quick else DEMO_SCRIPT
            self._talk = make_video(self.tmp / "inputs" / "talk.mp4", script)
        return self._talk

    def segment_config(self) -> str:
        """Shorter candidates for the short quick-mode talk, and small clips quickly
        encoded (quick mode shows that every figure is reported, not what a clip
        at full size costs: ``--only render`` does)."""
        if not self.quick:
            return ""
        return (
            "segments:\n  min_seconds: 4\n  max_seconds: 12\n"
            "clips:\n  size: [144, 256]\n  preset: ultrafast\n"
        )

    def long_talk(self) -> Path:
        """About 10 minutes of talk (the demo script seven times); 90 s if quick."""
        if self.quick:
            return self.talk()
        if self._long is None:
            self._long = make_video(self.tmp / "inputs" / "long.mp4", DEMO_SCRIPT * 7)
        return self._long


def wall(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env or ENV, check=True, capture_output=True)
    return time.perf_counter() - start


def cpu_wall(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Run a command: its wall time and the CPU seconds it used."""

    def spent() -> float:
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        return used.ru_utime + used.ru_stime

    cpu = spent()
    seconds = wall(cmd, cwd)
    return seconds, spent() - cpu


def reelmake(*args: str) -> list[str]:
    return [PY, "-m", "reelmake.cli", *args]


def probe_duration(path: Path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
         str(path)], capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return float(out)


def bench_tsv(path: Path) -> tuple[float, float]:
    """Seconds and peak RSS (MB) from a Snakemake benchmark file."""
    with open(path) as fh:
        row = next(csv.DictReader(fh, delimiter="\t"))
    rss = row.get("max_rss", "NA")
    return float(row["s"]), float(rss) if rss not in ("NA", "-", "") else math.nan


# -- 1. no-op rerun -------------------------------------------------------------
def noop(b: Bench) -> None:
    counts = (1, 3) if b.quick else (1, 20, 200)
    # One video processed once; every folder below holds copies of its results:
    # what is measured is deciding that nothing needs doing, not the processing.
    base = b.tmp / "noop-base"
    base.mkdir()
    first = make_video(base / "v0000.mp4", seconds=1.5)
    subprocess.run(reelmake("run", first.name, "--cores", "2"), cwd=base, env=ENV,
                   check=True, capture_output=True)  # fmt: skip
    data = first.read_bytes()
    h0 = get_video_hash(first, str(base / "results"))
    for n in counts:
        work = b.tmp / f"noop-{n}"
        work.mkdir()
        for i in range(n):
            video = work / f"v{i:04d}.mp4"
            video.write_bytes(data + i.to_bytes(4, "big") if i else data)
            dst = work / "results" / get_video_hash(video, str(work / "results"))
            shutil.copytree(base / "results" / h0, dst, symlinks=True)
            (dst / "source.mp4").unlink()
            os.symlink(video.resolve(), dst / "source.mp4")
        videos = sorted(p.name for p in work.glob("v*.mp4"))
        subprocess.run(reelmake("run", *videos), cwd=work, env=ENV, check=True,
                       capture_output=True)  # fmt: skip
        overlay = work / "videos.yaml"
        overlay.write_text(json.dumps({"videos": videos}))
        cli = b.median(lambda: wall(reelmake("run", *videos), work))
        smk = b.median(lambda: wall(
            [PY, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
             "--cores", "2", "--configfile", str(overlay)], work))  # fmt: skip
        floor_code = f"import os, snakemake.api\n[os.stat(p) for p in {videos!r}]"
        floor = b.median(lambda: wall([PY, "-c", floor_code], work))
        b.emit("noop", f"reelmake run, {n} processed videos", cli, "s", floor,
               "floor: python + import snakemake + stat the videos")  # fmt: skip
        b.emit("noop", f"snakemake, {n} processed videos", smk, "s", floor)


# -- 2. hashing --------------------------------------------------------------------
def hashing(b: Bench) -> None:
    size = (64 if b.quick else 1024) * 1024 * 1024
    big = b.tmp / "big.bin"
    with open(big, "wb") as fh:
        block = os.urandom(8 * 1024 * 1024)
        for _ in range(size // len(block)):
            fh.write(block)
    wall(["cat", str(big)], b.tmp)  # warm the page cache
    cat = b.median(lambda: wall(["sh", "-c", f"cat '{big}' > /dev/null"], b.tmp))

    def first_hash() -> float:
        start = time.perf_counter()
        hash_file(big)
        return time.perf_counter() - start

    h = b.median(first_hash)
    gib = size / 1024**3
    b.emit("hashing", f"first hash of {gib:.2f} GiB (xxh3-128, warm)", h, "s", cat,
           f"{gib / h:.2f} GiB/s; floor: cat > /dev/null")  # fmt: skip
    index = HashIndex(b.tmp / "index.json")
    index.hash(big)

    def lookup() -> float:
        start = time.perf_counter()
        HashIndex(b.tmp / "index.json").lookup(big)
        return time.perf_counter() - start

    b.emit("hashing", "remembered hash of an unchanged file", b.median(lookup) * 1000,
           "ms", note="load index + stat")  # fmt: skip
    big.unlink()


# -- 3. transcription ------------------------------------------------------------------
BARE = """
import sys, time
from faster_whisper import WhisperModel, BatchedInferencePipeline
from reelmake.stages import whisper as models
path, name = sys.argv[1], sys.argv[2]
batched, vad = sys.argv[3] == "1", sys.argv[4] == "1"
model = WhisperModel(str(models.resolve(name)), device="cpu", compute_type="int8",
                     cpu_threads=2)
kw = dict(language="en", beam_size=5, word_timestamps=True, vad_filter=vad)
if batched:
    segs, info = BatchedInferencePipeline(model).transcribe(path, batch_size=8, **kw)
else:
    segs, info = model.transcribe(path, condition_on_previous_text=False, **kw)
words = [w.word for s in segs for w in (s.words or [])]
print(" ".join(words))
"""


def _wer(reference: str, text: str) -> float:
    import re

    import jiwer

    def norm(t: str) -> str:
        return re.sub(r"[^a-z0-9' ]+", " ", t.lower()).strip()

    return float(jiwer.wer(norm(reference), norm(text)))


def transcription(b: Bench) -> None:
    video = b.long_talk()
    work = b.tmp / "transcribe"
    work.mkdir()
    shutil.copy(video, work / video.name)
    run = reelmake("run", video.name, "--until", "transcript", "--cores", "2")
    subprocess.run(run, cwd=work, env=ENV, check=True, capture_output=True)
    folder = next(
        p for p in (work / "results").iterdir() if p.is_dir() and len(p.name) == 16
    )
    audio = folder / "audio" / "audio.wav"
    seconds = probe_duration(audio)
    reference = " ".join(DEMO_SCRIPT[:3] if b.quick else DEMO_SCRIPT * 7)

    def job() -> float:
        subprocess.run(
            [*run, "--no-cache", "transcribe_audio"], cwd=work, env=ENV, check=True,
            capture_output=True,
        )  # fmt: skip
        return bench_tsv(folder / "benchmarks" / "transcribe_audio.tsv")[0]

    def bare(model: str = "tiny.en", batched: bool = False, vad: bool = True) -> float:
        return wall([PY, "-c", BARE, str(audio), model, "1" if batched else "0",
                     "1" if vad else "0"], work)  # fmt: skip

    job_s = b.median(job)
    bare_s = b.median(bare)
    b.emit("transcription", f"transcribe_audio job, {seconds:.0f} s audio", job_s, "s",
           bare_s, "floor: bare faster-whisper script, same settings")  # fmt: skip
    for model in ("tiny.en", "base"):
        t = bare_s if model == "tiny.en" else bare("base")
        b.emit("transcription", f"real-time factor {model}", t / seconds, "x")
    for batched in (False, True):
        for vad in (True, False):
            kind = "batched" if batched else "sequential"
            name = f"{kind}, vad {'on' if vad else 'off'}"
            start = time.perf_counter()
            out = subprocess.run(
                [PY, "-c", BARE, str(audio), "tiny.en", "1" if batched else "0",
                 "1" if vad else "0"], cwd=work, env=ENV, capture_output=True,
                text=True,
            )  # fmt: skip
            t = time.perf_counter() - start
            if out.returncode != 0:
                last = (out.stderr.strip().splitlines() or ["?"])[-1][:60]
                b.emit("transcription", name, math.nan, "s", note=f"failed: {last}")
                continue
            b.emit("transcription", name, t, "s", bare_s,
                   f"WER {_wer(reference, out.stdout):.3f}; one round")  # fmt: skip


# -- 4. clips and 5. end to end -----------------------------------------------
def end_to_end(b: Bench) -> None:
    video = b.long_talk()
    work = b.tmp / "e2e"
    work.mkdir()
    shutil.copy(video, work / video.name)
    (work / "config.yaml").write_text(
        "highlights:\n  threshold: 0\n  top_k: 10\n  min_gap: 0.5\n"
        + b.segment_config()
    )
    start = time.perf_counter()
    subprocess.run(reelmake("run", video.name, "--cores", "2"), cwd=work, env=ENV,
                   check=True, capture_output=True)  # fmt: skip
    total = time.perf_counter() - start
    b.processed = work
    folder = next(
        p for p in (work / "results").iterdir() if p.is_dir() and len(p.name) == 16
    )
    seconds = probe_duration(work / video.name)
    per_rule: dict[str, list[tuple[float, float]]] = {}
    for tsv in (folder / "benchmarks").rglob("*.tsv"):
        rule = tsv.parent.name if tsv.parent.name != "benchmarks" else tsv.stem
        per_rule.setdefault(rule, []).append(bench_tsv(tsv))
    transcribe = per_rule["transcribe_audio"][0][0]
    others = 0.0
    for rule, values in sorted(per_rule.items()):
        t = sum(v[0] for v in values)
        rss = max(v[1] for v in values)
        if rule != "transcribe_audio":
            others += t
        b.emit("e2e", f"{rule} ({len(values)} job{'s' * (len(values) > 1)})", t, "s",
               note=f"peak RSS {rss:.0f} MB")  # fmt: skip
    b.emit("e2e", f"whole run, {seconds / 60:.1f} min video, --cores 2", total, "s",
           transcribe, "floor: transcription alone")  # fmt: skip
    b.emit("e2e", "all stages but transcription / transcription", others / transcribe,
           "x", note="goal < 0.30 (job times summed)")  # fmt: skip
    highlights(b, folder)
    clips(b, work, folder, video.name)


def highlights(b: Bench, folder: Path) -> None:
    """What the highlight stages made of the long talk."""
    words = json.loads((folder / "transcript" / "transcript.json").read_text())["words"]
    segs = json.loads((folder / "segments" / "candidates.json").read_text())
    chosen = json.loads((folder / "highlights" / "highlights.json").read_text())
    chosen = chosen["highlights"]
    b.emit("e2e", "candidates", segs["candidate_count"], "",
           note=f"{segs['sentence_count']} sentences, "
           f"{segs['pause_count']} pauses")  # fmt: skip
    in_pause = total = 0
    for h in chosen:
        first = next(i for i, w in enumerate(words) if w["start"] >= h["speech_start"])
        last = max(i for i, w in enumerate(words) if w["end"] <= h["speech_end"])
        gaps = [
            words[first]["start"] - words[first - 1]["end"] if first else math.inf,
            words[last + 1]["start"] - words[last]["end"] if last + 1 < len(words)
            else math.inf,
        ]  # fmt: skip
        in_pause += sum(g >= 0.15 for g in gaps)
        total += 2
    lengths = sorted(h["duration"] for h in chosen)
    b.emit("e2e", "clips", len(chosen), "",
           note=f"lengths {lengths[0]:.1f} / {statistics.median(lengths):.1f} / "
           f"{lengths[-1]:.1f} s (min / median / max)"
           if lengths else "none")  # fmt: skip
    share = in_pause / max(total, 1)
    b.emit("e2e", "clip boundaries in a pause of >= 150 ms", share, "share",
           note=f"{in_pause} of {total}; goal: all")  # fmt: skip
    report = folder / "report.html"
    b.emit("e2e", "report.html size", report.stat().st_size / 1024, "KiB")


def clips(b: Bench, work: Path, folder: Path, name: str) -> None:
    highlights = json.loads((folder / "highlights" / "highlights.json").read_text())
    chosen = highlights["highlights"]
    source = work / name

    def bare(items: list[dict[str, Any]]) -> float:
        start = time.perf_counter()
        for i, h in enumerate(items):
            subprocess.run(
                ["ffmpeg", "-nostdin", "-loglevel", "error", "-y",
                 "-ss", str(h["start"]),
                 "-i", str(source), "-t", str(h["end"] - h["start"]), "-map", "0:v:0",
                 "-map", "0:a:0", "-c:v", "libx264", "-preset", "veryfast",
                 "-crf", "20",
                 "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-movflags",
                 "+faststart", "-threads", "1", str(b.tmp / f"bare{i}.mp4")],
                check=True,
            )  # fmt: skip
        return time.perf_counter() - start

    def ours(cores: int, count: int) -> float:
        """Snakemake re-making exactly these clips (their files are removed first;
        --forcerun would force every cut_clip job in the workflow)."""
        targets = [folder.relative_to(work) / "clips" / f"{h['clip']}.mp4"
                   for h in chosen[:count]]  # fmt: skip
        for target in targets:
            (work / target).unlink()
        start = time.perf_counter()
        subprocess.run(
            # Targets first: --config and --configfile take every word after them.
            [PY, "-m", "snakemake", *map(str, targets), "--snakefile",
             str(REPO / "Snakefile"), "--cores", str(cores), "--config",
             f"videos=[{name}]", "--configfile", str(work / "config.yaml")],
            cwd=work, env=ENV, check=True, capture_output=True,
        )  # fmt: skip
        return time.perf_counter() - start

    for count in (1, min(10, len(chosen))):
        t = b.median(lambda: ours(1, count))
        floor = b.median(lambda: bare(chosen[:count]))
        b.emit("clips", f"{count} clip(s), --cores 1", t, "s", floor,
               "floor: the same ffmpeg re-encodes, one after another")  # fmt: skip
    count = min(10, len(chosen))
    one = b.median(lambda: ours(1, count))
    two = b.median(lambda: ours(2, count))
    b.emit("clips", f"{count} clips, --cores 2 against --cores 1", two, "s", one,
           f"speed-up {one / two:.2f}")  # fmt: skip


# -- 6. scoring with a language model ------------------------------------------
def scoring(b: Bench) -> None:
    video = b.long_talk()
    if b.processed is None:
        b.processed = b.tmp / "scoring-base"
        b.processed.mkdir()
        shutil.copy(video, b.processed / video.name)
        (b.processed / "config.yaml").write_text(b.segment_config())
        prepare = reelmake("run", video.name, "--until", "segments")
        subprocess.run(prepare, cwd=b.processed, env=ENV, check=True,
                       capture_output=True)  # fmt: skip
    results: dict[int, dict[str, Any]] = {}
    env = {**ENV, "OPENAI_API_KEY": "bench"}
    for batch in (1, 8, 16):
        work = b.tmp / f"llm-{batch}"
        # Transcription and segmentation are copied, not repeated; scoring is forced.
        shutil.copytree(b.processed, work, symlinks=True)
        shutil.rmtree(work / ".snakemake", ignore_errors=True)
        (work / "config.yaml").unlink(missing_ok=True)
        server, log = _server(work, "normal", 0)
        try:
            _llm_config(work, server, batch, extra=b.segment_config())
            # Only the run before the threshold change goes on to the clips (their
            # copy is asked for once); the others stop at the scores they count.
            until = [] if batch == 8 else ["--until", "scores"]
            forced = reelmake("run", video.name, "--no-cache", "score_segments", *until)
            subprocess.run(forced, cwd=work, env=env, check=True,
                           capture_output=True)  # fmt: skip
            scores = next((work / "results").glob("*/scores/scores.json"))
            usage = json.loads(scores.read_text())["llm_usage"]
            results[batch] = usage
            b.emit("scoring", f"passages mode: requests, batch size {batch}",
                   usage["requests"], "",
                   note=f"{usage['prompt_tokens']} prompt + "
                   f"{usage['completion_tokens']}"
                   " completion tokens (server's count)")  # fmt: skip
            if batch == 8:
                before = _count(log)
                _llm_config(
                    work, server, batch, threshold=7.5, extra=b.segment_config()
                )
                subprocess.run(reelmake("run", video.name), cwd=work, env=env,
                               check=True, capture_output=True)  # fmt: skip
                b.emit("scoring", "requests after a threshold change",
                       _count(log) - before,
                       "", note="must be 0")  # fmt: skip
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait()
    transcript_mode(b, video, results[8])
    work = b.tmp / "llm-kill"
    shutil.copytree(b.processed, work, symlinks=True)
    shutil.rmtree(work / ".snakemake", ignore_errors=True)
    server, log = _server(work, "slow", 10_000, delay=0.2)
    try:
        _llm_config(work, server, 1, extra=b.segment_config())
        proc = subprocess.Popen(reelmake("run", video.name, "--no-cache",
                                         "score_segments", "--until", "scores"),
                                cwd=work, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)  # fmt: skip
        wanted = 3 if b.quick else 10
        while proc.poll() is None and _count(log, "answered") < wanted:
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        answered = _count(log, "answered")
        with sqlite3.connect(work / "answers.sqlite") as db:
            stored = db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
        before = _count(log)
        subprocess.run(reelmake("run", video.name, "--until", "scores"), cwd=work,
                       env=env, check=True, capture_output=True)  # fmt: skip
        total = results[1]["requests"]
        b.emit("scoring", "requests on a rerun after kill -9 mid-scoring",
               _count(log) - before, "",
               note=f"{total} candidates; {answered} answers sent by the server and "
               f"{stored} stored before the kill; batch size 1")  # fmt: skip
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()


def _server(work: Path, mode: str, bad: int, delay: float = 0.0):
    log = work / "server.jsonl"
    proc = subprocess.Popen(
        [PY, "-m", "tests.llm_server", "--mode", mode, "--bad", str(bad), "--delay",
         str(delay), "--log", str(log)], cwd=REPO, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    line = proc.stdout.readline() if proc.stdout else ""
    proc.port = int(line.split()[-1])  # type: ignore[attr-defined]
    return proc, log


def _count(log: Path, event: str = "asked") -> int:
    if not log.exists():
        return 0
    return sum(
        json.loads(line)["event"] == event for line in log.read_text().splitlines()
    )


def _llm_config(
    work: Path, server: Any, batch: int, threshold: float = 6.0, extra: str = "",
    mode: str = "passages", port: int | None = None,
) -> None:  # fmt: skip
    (work / "config.yaml").write_text(
        f"scores:\n  backend: openai\n  openai:\n    model: bench\n"
        f"    base_url: http://127.0.0.1:{port or server.port}/v1\n"
        f"    batch_size: {batch}\n    mode: {mode}\n    on_failure: heuristic\n"
        f"    concurrency: 1\n    answer_cache: {work / 'answers.sqlite'}\n"
        f"highlights:\n  threshold: {threshold}\n" + extra
    )


def transcript_mode(b: Bench, video: Path, passages: dict[str, Any]) -> None:
    """Tokens per minute of speech of both modes against the floor (the transcript's
    own tokens and one set of instructions), and the transcript mode on a real local
    model (SmolLM2-135M under llama.cpp; its picks mean nothing, its time does)."""
    from reelmake.stages.scores.llm import SYSTEM_PROMPT
    from reelmake.stages.scores.picks import PICKS_PROMPT

    env = {**ENV, "OPENAI_API_KEY": "bench"}
    assert b.processed is not None
    work = b.tmp / "llm-transcript"
    shutil.copytree(b.processed, work, symlinks=True)
    shutil.rmtree(work / ".snakemake", ignore_errors=True)
    server, _ = _server(work, "normal", 0)
    try:
        _llm_config(work, server, 8, extra=b.segment_config(), mode="transcript")
        subprocess.run(reelmake("run", video.name, "--no-cache", "score_segments",
                                "--until", "scores"),
                       cwd=work, env=env, check=True, capture_output=True)  # fmt: skip
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()
    folder = next((work / "results").glob("*/scores")).parent
    usage = json.loads((folder / "scores" / "scores.json").read_text())["llm_usage"]
    sentences = json.loads((folder / "segments" / "candidates.json").read_text())
    minutes = probe_duration(work / video.name) / 60
    transcript = sum(len(s["text"]) + 1 for s in sentences["sentences"]) / 4
    floor = (transcript + len(PICKS_PROMPT) / 4) / minutes
    # The test server counts the user message; the instructions go with every request.
    for mode, used, system in (("passages", passages, SYSTEM_PROMPT),
                               ("transcript", usage, PICKS_PROMPT)):  # fmt: skip
        prompt = (used["prompt_tokens"] + used["requests"] * len(system) / 4) / minutes
        b.emit("scoring", f"{mode} mode: prompt tokens per minute of speech", prompt,
               "tok", floor, "floor: the transcript once + one set of instructions;"
               " goal (transcript mode) <= 1.5x")  # fmt: skip
        b.emit("scoring", f"{mode} mode: output tokens per minute of speech",
               used["completion_tokens"] / minutes, "tok",
               note="goal (transcript mode) < 300")  # fmt: skip
        b.emit("scoring", f"{mode} mode: requests per minute of speech",
               used["requests"] / minutes, "")  # fmt: skip

    from tests.conftest import Server

    local = b.tmp / "llm-local"
    shutil.copytree(b.processed, local, symlinks=True)
    shutil.rmtree(local / ".snakemake", ignore_errors=True)
    model = Server("tests.local_llm", timeout=120)
    try:
        _llm_config(local, None, 8, extra=b.segment_config(), mode="transcript",
                    port=model.port)  # fmt: skip
        subprocess.run(reelmake("run", video.name, "--no-cache", "score_segments",
                                "--until", "scores"),
                       cwd=local, env=env, check=True, capture_output=True)  # fmt: skip
    finally:
        model.stop()
    folder = next((local / "results").glob("*/scores")).parent
    seconds = bench_tsv(folder / "benchmarks" / "score_segments.tsv")[0]
    used = json.loads((folder / "scores" / "scores.json").read_text())["llm_usage"]
    b.emit("scoring", f"transcript mode on a real local model, {minutes:.1f} min talk",
           seconds, "s", note=f"SmolLM2-135M (llama.cpp), 2 cores; {used['requests']}"
           f" request(s); goal for 10 min: < 60 s")  # fmt: skip


# -- 7. batches: building the job graph -----------------------------------------------
def dag(b: Bench) -> None:
    """A dry run over a folder of new videos: hashing them, then the graph alone."""
    base = make_video(b.tmp / "inputs" / "dag.mp4", seconds=1.0).read_bytes()
    for n in (5,) if b.quick else (50, 500):
        work = b.tmp / f"dag-{n}"
        (work / "videos").mkdir(parents=True)
        # Distinct bytes, so distinct videos; a dry run does not decode them.
        for i in range(n):
            (work / "videos" / f"v{i:04d}.mp4").write_bytes(base + i.to_bytes(4, "big"))
        command = reelmake("run", "videos/", "--dry-run", "--cores", "2")
        first = wall(command, work)
        again = b.median(lambda command=command, work=work: wall(command, work))
        b.emit("dag", f"reelmake run -n, {n} new videos, first time", first, "s",
               note="hashes each video; the graph up to the chunk plans")  # fmt: skip
        b.emit("dag", f"reelmake run -n, {n} new videos, hashes known", again, "s")


# -- 8. a SLURM cluster (only with --only slurm: needs root and SLURM) ----------------
SECOND_TALK = (
    "Bread needs flour, water, salt and a little patience.",
    "Let the dough rest overnight, then bake it in a very hot oven.",
    "A good crust sings when it cools, and the crumb should be open and soft.",
)


def slurm(b: Bench) -> None:
    """Two videos locally and through profiles/slurm on a single-node cluster."""
    sys.path.insert(0, str(REPO))
    from tests.slurm_cluster import cluster, missing_programs

    if missing_programs() or os.geteuid() != 0:
        print("slurm: needs root and " + (", ".join(missing_programs()) or "SLURM"))
        return
    videos = [b.talk(), make_video(b.tmp / "inputs" / "bread.mp4", SECOND_TALK)]
    for name in ("local", "slurm"):
        (b.tmp / name).mkdir()
        for video in videos:
            shutil.copy(video, b.tmp / name / video.name)
    names = [v.name for v in videos]
    local = wall(reelmake("run", *names, "--cores", "2"), b.tmp / "local")
    with cluster(b.tmp / "cluster") as env:
        start = time.perf_counter()
        run = subprocess.run(
            # --verbose: Snakemake's own output, where submissions are counted.
            reelmake("run", *names, "--profile", "slurm", "--cores", "2", "--verbose"),
            cwd=b.tmp / "slurm", env={**ENV, **env}, capture_output=True, text=True,
            check=True,
        )  # fmt: skip
        remote = time.perf_counter() - start
    jobs = run.stderr.count("has been submitted with SLURM jobid")
    b.emit("slurm", "two videos, local run (2 cores)", local, "s")
    b.emit("slurm", "two videos, through profiles/slurm", remote, "s", local,
           f"{jobs} jobs submitted; single-node cluster on this machine")  # fmt: skip


# -- 9. a shared cache between two checkouts (only with --only shared) -----------------
def shared(b: Bench) -> None:
    """The same talk in two working folders that share one cache folder."""
    cache = b.tmp / "shared-cache"
    times, logs = [], []
    for name in ("checkout-a", "checkout-b"):
        work = b.tmp / name
        work.mkdir()
        shutil.copy(b.talk(), work / "talk.mp4")
        start = time.perf_counter()
        run = subprocess.run(
            reelmake("run", "talk.mp4", "--cores", "2", "--shared-cache", str(cache),
                     "--verbose"),
            cwd=work, env=ENV, capture_output=True, text=True, check=True,
        )  # fmt: skip
        times.append(time.perf_counter() - start)
        logs.append(run.stderr)
    linked = logs[1].count("from cache.")
    b.emit("shared", "first checkout, empty cache", times[0], "s")
    b.emit("shared", "second checkout, same talk", times[1], "s",
           note=f"{linked} outputs linked from the cache; "
           f"{times[1] / times[0]:.0%} of the first run")  # fmt: skip


# -- 11. rendering at real resolution -------------------------------------------
def _threshold_adding_one(folder: Path) -> float | None:
    """The highest threshold under which the selection gains exactly one clip."""
    found = _threshold_adding_few(folder)
    return found[0] if found is not None and found[1] == 1 else None


def render(b: Bench) -> None:
    """Clips of a 1920x1080 30 fps talk (a person off-centre, a keyframe every 2 s,
    B-frames): the whole default run against transcription; per format and caption
    style, the render job's time per second of clip against the same ffmpeg graph
    run by hand; what trimming and the two loudness passes cost in the plan; a
    threshold change that adds one clip. With ``--frames DIR``, a frame of every
    style is written there."""
    from reelmake.cli.demo import make_demo
    from reelmake.stages.clips import render as rendering
    from reelmake.stages.clips.plan import load_plan, plan_clip
    from tests.clip_helper import plan_options

    if b.quick:
        print("(render: skipped in quick mode; it generates a 1080p talk)")
        return
    work = b.tmp / "render"
    work.mkdir()
    began = time.perf_counter()
    video = make_demo(work / "talk1080.mp4", DEMO_SCRIPT * 2)
    seconds = probe_duration(video)
    b.emit("render", f"generate the 1080p input ({seconds / 60:.1f} min)",
           time.perf_counter() - began, "s")  # fmt: skip
    start = time.perf_counter()
    subprocess.run(reelmake("run", video.name, "--cores", "2"), cwd=work, env=ENV,
                   check=True, capture_output=True)  # fmt: skip
    total = time.perf_counter() - start
    folder = next(p for p in (work / "results").iterdir() if len(p.name) == 16)
    tsv = folder / "benchmarks"
    transcribe = bench_tsv(tsv / "transcribe_audio.tsv")[0]
    renders = [bench_tsv(p)[0] for p in (tsv / "render_clip").glob("*.tsv")]
    plans = [bench_tsv(p)[0] for p in (tsv / "plan_clip").glob("*.tsv")]
    b.emit("render", f"whole default run, {len(renders)} vertical clips, --cores 2",
           total, "s", transcribe, f"floor: transcription alone; plan jobs "
           f"{sum(plans):.1f} s, render jobs {sum(renders):.1f} s")  # fmt: skip

    chosen = json.loads((folder / "highlights" / "highlights.json").read_text())
    h = chosen["highlights"][0]
    description = folder / "highlights" / "clips" / f"{h['clip']}.json"
    source = next(folder.glob("source.*"))
    audio = folder / "audio" / "audio.wav"
    video_json = folder / "ingest" / "video.json"
    subjects = folder / "framing" / "spans" / f"{h['clip']}.json"

    def plan(name: str, **clips: Any) -> tuple[Path, float]:
        target = work / f"{name}.plan.json"
        began = time.perf_counter()
        plan_clip(source=source, description=description, audio=audio,
                  video_json=video_json, plan=target, srt=work / f"{name}.srt",
                  vtt=work / f"{name}.vtt", options=plan_options(**clips),
                  subjects=subjects if subjects.exists() else None)  # fmt: skip
        return target, time.perf_counter() - began

    # What the plan's own work costs: trimming (the sound's silences) and the two
    # loudness passes, against a plan with neither.
    _, bare = plan("bare", trim="off", loudness=False)
    _, trimmed = plan("trimmed", trim="light", loudness=False)
    _, levelled = plan("levelled", trim="off", loudness=True)
    b.emit("render", "plan: trimming (silences in the sound)", trimmed - bare, "s",
           note=f"a plan with neither: {bare:.2f} s")  # fmt: skip
    b.emit("render", "plan: loudness, two passes", levelled - bare, "s")

    cases = {
        "vertical, bold": {"format": "vertical"},
        "vertical, karaoke": {"format": "vertical", "caption_style": "karaoke"},
        "vertical, lower-third": {"format": "vertical",
                                  "caption_style": "lower-third"},
        "vertical, quiet": {"format": "vertical", "caption_style": "quiet"},
        "square": {"format": "square"},
        "landscape": {"format": "landscape"},
        "source (smart cut)": {"format": "source"},
    }  # fmt: skip
    frames = b.frames
    for name, clips in cases.items():
        target, _ = plan(name.replace(" ", "_"), **clips)
        made = load_plan(target)
        length = made["duration"]
        options = rendering.RenderOptions(threads=2)

        def job(target: Path = target, options: Any = options) -> float:
            began = time.perf_counter()
            rendering.render_clip(source, target, work / "out.mp4", options)
            return time.perf_counter() - began

        def by_hand(made: dict[str, Any] = made, options: Any = options) -> float:
            with tempfile.TemporaryDirectory() as tmp:
                graph = rendering.filter_graph(made, Path(tmp))
                cmd = rendering.encode_command(source, made, graph, options,
                                               Path(tmp) / "hand.mp4")  # fmt: skip
                return wall(cmd, Path(tmp))

        ours = b.median(job)
        if made["copyable"]:
            floor = b.median(lambda: wall(
                ["ffmpeg", "-nostdin", "-v", "error", "-y", "-ss", str(made["span"][0]),
                 "-to", str(made["span"][1]), "-i", str(source), "-c", "copy",
                 str(work / "copy.mp4")], work))  # fmt: skip
            note = "floor: a stream copy of the span (not frame-exact)"
        else:
            floor = b.median(by_hand)
            note = "floor: the same ffmpeg graph run by hand, 2 threads"
        b.emit("render", f"{name}: render per second of clip", ours / length, "s",
               floor / length, note)  # fmt: skip
        if frames is not None:
            Path(frames).mkdir(parents=True, exist_ok=True)
            subprocess.run(
                ["ffmpeg", "-nostdin", "-v", "error", "-y", "-ss",
                 str(min(1.5, length / 2)), "-i", str(work / "out.mp4"),
                 "-frames:v", "1", str(Path(frames) / f"{name.replace(' ', '_')}.png")],
                check=True,
            )  # fmt: skip

    threshold = _threshold_adding_one(folder)
    if threshold is None:
        b.emit("render", "threshold change adding one clip", math.nan, "s",
               note="no threshold adds exactly one clip")  # fmt: skip
        return
    (work / "config.yaml").write_text(f"highlights:\n  threshold: {threshold}\n")
    began = time.perf_counter()
    run = subprocess.run(
        reelmake("run", video.name, "--cores", "2", "--verbose"),
        cwd=work, env=ENV, check=True, capture_output=True, text=True,
    )  # fmt: skip
    spent = time.perf_counter() - began
    made_again = run.stderr.count("(Rule: render_clip)")
    wanted = len(chosen["highlights"]) + 1
    b.emit("render", "threshold change adding one clip", spent, "s",
           note=f"{made_again} clip(s) rendered of {wanted}")  # fmt: skip


# -- 12. review: from a decision to its clip (only with --only review) ----------------
def _review_server(work: Path) -> tuple[subprocess.Popen[str], str, str]:
    """``reelmake review`` in ``work``: the process, its address and its token."""
    proc = subprocess.Popen(
        reelmake("review"), cwd=work, env=ENV, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("open http://"):
            url = line.split()[1]
            return proc, url.split("/?")[0], url.split("token=")[1]
    raise RuntimeError("reelmake review did not start")


def _ask(base: str, token: str, path: str, body: dict[str, Any] | None = None) -> Any:
    import urllib.request

    headers = {"X-Reelmake-Token": token, "Origin": base,
               "Content-Type": "application/json"}  # fmt: skip
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def audiogram(b: Bench) -> None:
    """A sound-only episode (the demo talk's sound as .m4a with a cover picture) to
    the default vertical audiograms: each render job's time per second of clip
    against the same ffmpeg graph run by hand."""
    from reelmake.stages.clips import render as rendering
    from reelmake.stages.clips.plan import load_plan
    from tests.episodes import make_cover, make_episode

    work = b.tmp / "audiogram"
    work.mkdir()
    talk = b.talk()
    episode = make_episode(work / "episode.m4a", talk, make_cover(work / "cover.jpg"))
    start = time.perf_counter()
    subprocess.run(reelmake("run", episode.name, "--cores", "2"), cwd=work, env=ENV,
                   check=True, capture_output=True)  # fmt: skip
    total = time.perf_counter() - start
    folder = next(p for p in (work / "results").iterdir() if len(p.name) == 16)
    source = next(folder.glob("source.*"))
    timings = folder / "benchmarks" / "render_clip"
    plans = sorted((folder / "clips").glob("*.plan.json"))
    b.emit("audiogram", f"whole default run, {len(plans)} audiograms, --cores 2",
           total, "s")  # fmt: skip
    jobs = sum(bench_tsv(p)[0] for p in timings.glob("*.tsv"))
    ours = hand = length = 0.0
    options = rendering.RenderOptions(threads=2)
    # A plan names its picture (the cover) from the working folder, as jobs see it.
    with contextlib.chdir(work):
        for path in plans:
            made = load_plan(path)
            length += made["duration"]

            def render_once(path: Path = path) -> float:
                began = time.perf_counter()
                rendering.render_clip(source, path, work / "out.mp4", options)
                return time.perf_counter() - began

            ours += b.median(render_once)

            def by_hand(made: dict[str, Any] = made) -> float:
                with tempfile.TemporaryDirectory() as tmp:
                    graph = rendering.filter_graph(made, Path(tmp))
                    cmd = rendering.encode_command(source, made, graph, options,
                                                   Path(tmp) / "hand.mp4")  # fmt: skip
                    return wall(cmd, Path(tmp))

            hand += b.median(by_hand)
    if length:
        b.emit("audiogram", "render per second of clip", ours / length, "s",
               hand / length, "floor: the same ffmpeg graph run by hand, 2 threads; "
               f"the run's render jobs took {jobs / length:.2f} s per second of clip, "
               "two at a time")  # fmt: skip


def review(b: Bench) -> None:
    """The time from a decision on the review page (the best clip starts one word
    later, or back) to its rendered clip: the decision's request, Render (a run of
    the workflow for the video) until it is done; against rendering that clip alone
    (its plan and render, called directly), and the same two jobs inside the run.
    The clips have the default finish (1080x1920, captions, title, levelled)."""
    work = b.tmp / "review"
    work.mkdir()
    # The quick talk's few candidates pass a lower threshold.
    low = "highlights:\n  threshold: 2.0\n" if b.quick else ""
    (work / "config.yaml").write_text(b.segment_config() + low)
    shutil.copy(b.talk(), work / "talk.mp4")
    subprocess.run(reelmake("run", "talk.mp4"), cwd=work, env=ENV, check=True,
                   capture_output=True)  # fmt: skip
    folder = next(p for p in (work / "results").iterdir() if len(p.name) == 16)
    proc, base, token = _review_server(work)
    api = f"/api/v/{folder.name}"
    ready, times, jobs, alone = [], [], [], []
    try:
        for round_ in range(b.rounds):
            state = _ask(base, token, api)
            clip = state["clips"][0]
            # Later by a word, then back: each round is a new clip to render.
            first = clip["first"] + (1 if round_ % 2 == 0 else -1)
            began, wall = time.perf_counter(), time.time()
            _ask(base, token, f"{api}/decide", {
                "at": clip["at"], "start": state["words"][first][0],
                "end": state["words"][clip["last"]][1]})  # fmt: skip
            _ask(base, token, f"{api}/render", {})
            while (report := _ask(base, token, f"{api}/render"))["state"] == "running":
                time.sleep(0.2)
            times.append(time.perf_counter() - began)
            assert report["state"] == "done", report
            made = _ask(base, token, api)["clips"]
            name = next(c["clip"] for c in made if c["at"] == clip["at"])
            # The page shows the clip once its file is written (before the run
            # has written the reports).
            ready.append((folder / "clips" / f"{name}.mp4").stat().st_mtime - wall)
            tsv = folder / "benchmarks"
            jobs.append(
                bench_tsv(tsv / "plan_clip" / f"{name}.tsv")[0]
                + bench_tsv(tsv / "render_clip" / f"{name}.tsv")[0]
            )
            alone.append(_clip_alone(folder, name, work))
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=120)
    floor = statistics.median(alone)
    b.emit("review", "decision to its rendered clip on the page",
           statistics.median(ready), "s", floor,
           "floor: that clip's plan and render called alone")  # fmt: skip
    b.emit("review", "decision to the end of the run (Render done)",
           statistics.median(times), "s", floor)  # fmt: skip
    b.emit("review", "the clip's plan and render jobs in that run",
           statistics.median(jobs), "s", floor)  # fmt: skip


def _clip_alone(folder: Path, name: str, work: Path) -> float:
    """Seconds to plan and render one clip from its description, in this process."""
    from reelmake.core import config
    from reelmake.stages.clips.plan import PlanOptions, plan_clip
    from reelmake.stages.clips.render import RenderOptions, render_clip

    settings = config.load_user(work, None).settings
    out = work / "alone"
    out.mkdir(exist_ok=True)
    subjects = folder / "framing" / "subjects.json"
    began = time.perf_counter()
    plan_clip(source=next(folder.glob("source.*")),
              description=folder / "highlights" / "clips" / f"{name}.json",
              audio=folder / "audio" / "audio.wav",
              video_json=folder / "ingest" / "video.json",
              plan=out / "clip.plan.json", srt=out / "clip.srt", vtt=out / "clip.vtt",
              options=PlanOptions.from_config(settings),
              subjects=subjects if subjects.exists() else None)  # fmt: skip
    render_clip(next(folder.glob("source.*")), out / "clip.plan.json",
                out / "clip.mp4", RenderOptions.from_config(settings))  # fmt: skip
    return time.perf_counter() - began


# -- 10. the labelled quality set (only with --only quality) -------------------------
def quality(b: Bench) -> None:
    """What the offline scorers select on the labelled episodes (bench/quality.py)."""
    from bench import quality as q

    work = b.tmp / "quality"
    work.mkdir()
    episodes = q.make_episodes(work)
    hashes = q.process(work, episodes)
    labels = {e.name: e.passages for e in episodes}
    scorers = q.offline_scorers()
    for name, (rows, per_candidate) in q.compare(work, hashes, labels, scorers).items():
        for r in rows:
            note = (
                f"banter at 3 {r.banter_at_3}, recall {r.recall}, boundaries in "
                f"pauses {r.boundaries_in_pauses}, overlaps {r.overlaps}, "
                f"{r.clips} clips; top 3: {', '.join(r.top3)}"
            )
            case = f"{name}: {r.episode}, precision at 3"
            b.emit("quality", case, r.precision_at_3, "", note=note)
        mean = q.mean_figures(rows)
        for key, value in mean.items():
            b.emit("quality", f"{name}: mean {key.replace('_', ' ')}", value, "")
        b.emit("quality", f"{name}: time per candidate", per_candidate * 1000, "ms")


# -- 11. framing (only with --only framing) ------------------------------------------
def framing(b: Bench) -> None:
    """Face tracking per minute of 1080p video, and a crop that follows a face against
    a fixed crop of the same clip."""
    from reelmake.stages import framing as reframe
    from reelmake.stages.audio import extract_audio
    from reelmake.stages.ingest import ingest_video
    from tests import faces

    work = b.tmp / "framing"
    work.mkdir()
    seconds = 30.0 if b.quick else 120.0
    video, _, _ = faces.two_faces(work, seconds=seconds, preset="veryfast")
    video_json, audio = work / "video.json", work / "audio.wav"
    ingest_video(video, video_json, "0" * 16)
    extract_audio(video, audio)
    subjects = work / "subjects.json"

    costs = reframe.Costs()

    def track() -> float:
        nonlocal costs
        costs = reframe.Costs()
        began = time.perf_counter()
        reframe.analyse(video, faces.WIDTH, faces.HEIGHT, reframe.TrackOptions(),
                        costs=costs)  # fmt: skip
        return time.perf_counter() - began

    spent = b.median(track)
    b.emit("framing", "tracking per minute of 1080p video", spent * 60 / seconds,
           "s", 60.0, f"{seconds:.0f} s, two faces, 5 samples a second at 640 px; "
           "goal: at most 0.1 of real time")  # fmt: skip
    parts = {
        "decoding and scaling (ffmpeg)": costs.decode,
        "reading frames": costs.read,
        "shot cuts": costs.shots,
        "face search": costs.detect,
        "linking": costs.link,
    }
    reframe.track_subjects(video, video_json, audio, subjects, reframe.TrackOptions())
    for part, cpu in parts.items():
        b.emit("framing", f"a tracked second: {part}", cpu / seconds * 1000, "ms",
               note="CPU per second of video; searches: "
               f"{costs.full} full, {costs.skipped} skipped, "
               f"{costs.around} around faces")  # fmt: skip
    from reelmake.stages.transcript import (
        TranscribeOptions,
        load_transcript,
        transcribe_audio,
    )
    from tests.clip_helper import make_clip, window_path

    transcribe_audio(audio, work / "t.json", TranscribeOptions(threads=2))
    words = [{"text": w.text, "start": w.start, "end": w.end}
             for w in load_transcript(work / "t.json").words]  # fmt: skip
    span = (3.0, min(seconds - 1.0, 23.0))
    inside = [w for w in words if span[0] <= w["start"] and w["end"] <= span[1]]
    plain = {"burn_captions": False, "title": False, "trim": "off", "loudness": False,
             "layout": "single", "size": [1080, 1920]}  # fmt: skip

    def cut(reframe_mode: str) -> float:
        began = time.perf_counter()
        make_clip(video, video_json, work / reframe_mode, *span, words=inside,
                  subjects=subjects, reframe=reframe_mode, preset="veryfast",
                  **plain)  # fmt: skip
        return time.perf_counter() - began

    fixed = b.median(lambda: cut("centre"))
    moving = b.median(lambda: cut("face"))
    b.emit("framing", f"a {span[1] - span[0]:.0f} s 9:16 clip following the speaker",
           moving, "s", fixed,
           "floor: the same clip with a fixed centre crop, 2 threads")  # fmt: skip
    # Whether the window holds the one who talks, frame by frame (the talker
    # changes half way; the plan knows the words, so it can switch on the turn).
    (work / "truth").mkdir()
    _, truth, talker = faces.two_faces(work / "truth", seconds=seconds)
    _, plan = make_clip(video, video_json, work / "speaker", *span, words=inside,
                        subjects=subjects, reframe="face", **plain)  # fmt: skip
    xs, ys = window_path(plan)
    win = plan["layout"]["windows"][0]
    fps = plan["output"]["fps"]
    held = 0
    for f, (x, y) in enumerate(zip(xs, ys, strict=True)):
        t = span[0] + f / fps
        bx, by, bw, bh = truth(t)[talker(t)]
        held += x <= bx and bx + bw <= x + win["width"] and y <= by and \
            by + bh <= y + win["height"]  # fmt: skip
    b.emit("framing", "frames holding the one who talks", held / max(len(xs), 1),
           "", note=f"two faces taking turns, {len(xs)} frames; goal 0.95")  # fmt: skip

    # The detector on the test compositions: faces found, and boxes on no face.
    made = work / "compositions"
    made.mkdir()
    cases = {
        "one face drifting": faces.drifting_face(made)[:2],
        "two faces, one talking": faces.two_faces(made)[:2],
        "a hard cut": faces.hard_cut(made)[:2],
    }
    for neighbours in (reframe.TrackOptions().min_neighbors, 5):
        options = reframe.TrackOptions(min_neighbors=neighbours)
        for name, (clip, truth) in cases.items():
            tracks, _, count = reframe.analyse(clip, faces.WIDTH, faces.HEIGHT, options)
            found = wrong = 0
            for t in tracks:
                for k, box in enumerate(t.boxes):
                    if box is None:
                        continue
                    real = truth((t.first + k) / options.sample_fps)
                    if any(reframe.iou(box, r) > 0.3 for r in real):
                        found += 1
                    else:
                        wrong += 1
            expected = sum(len(truth(i / options.sample_fps)) for i in range(count))
            b.emit("framing", f"{name}: faces found, minNeighbors {neighbours}",
                   found / expected, "", note=f"{wrong} box(es) on no face; "
                   f"{len(tracks)} track(s)")  # fmt: skip


# -- 12. the headline: long 1080p talks to 9:16 clips (only with --only headline) ------
def _spoken(minutes: float) -> list[str]:
    """The demo script's paragraphs, over and over, for about ``minutes`` of speech
    (espeak-ng speaks about 160 words a minute; each paragraph is followed by a
    pause of 0.8 s)."""
    out: list[str] = []
    seconds = 0.0
    while seconds < minutes * 60 or not out:
        paragraph = DEMO_SCRIPT[len(out) % len(DEMO_SCRIPT)]
        out.append(paragraph)
        seconds += len(paragraph.split()) / 160 * 60 + 0.8
    return out


def _jobs(folder: Path) -> dict[str, list[dict[str, float]]]:
    """Every job's timing file, by rule: seconds, CPU seconds, mean load, peak RSS."""
    found: dict[str, list[dict[str, float]]] = {}
    for tsv in (folder / "benchmarks").rglob("*.tsv"):
        rule = tsv.parent.name if tsv.parent.name != "benchmarks" else tsv.stem
        with open(tsv) as fh:
            row = next(csv.DictReader(fh, delimiter="\t"))
        found.setdefault(rule, []).append({
            "s": float(row["s"]), "cpu": float(row.get("cpu_time") or 0.0),
            "load": float(row.get("mean_load") or 0.0) / 100,
            "rss": float(row.get("max_rss") or 0.0),
        })  # fmt: skip
    return found


def _at_once(commands: list[tuple[list[str], Path]], cores: int) -> float:
    """Run the commands (each in its folder), ``cores`` at a time; the wall time of
    all."""
    began = time.perf_counter()
    waiting = list(commands)
    running: list[subprocess.Popen[bytes]] = []
    while waiting or running:
        while waiting and len(running) < cores:
            command, cwd = waiting.pop(0)
            running.append(subprocess.Popen(command, cwd=cwd))
        time.sleep(0.05)
        for proc in [p for p in running if p.poll() is not None]:
            if proc.returncode:
                raise subprocess.CalledProcessError(proc.returncode, proc.args)
            running.remove(proc)
    return time.perf_counter() - began


def _by_hand(source: Path, plan: dict[str, Any], folder: Path, out: Path) -> list[str]:
    """The clip's own filters in a plain ffmpeg command, ffmpeg's own threading."""
    from reelmake.stages.clips import render as rendering

    graph = rendering.filter_graph(plan, folder)
    options = rendering.RenderOptions()
    start, end = plan["span"]
    return [
        "ffmpeg", "-nostdin", "-v", "error", "-y", "-ss", f"{start:.6f}",
        "-to", f"{end:.6f}", "-i", str(source), "-filter_complex", graph,
        "-map", "[vout]", "-map", "[aout]", "-r", f"{plan['output']['fps']:g}",
        "-c:v", "libx264", "-preset", options.preset, "-crf", str(options.crf),
        "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "160k",
        "-movflags", "+faststart", str(out),
    ]  # fmt: skip


def headline_talk(minutes: float, folder: Path) -> Path:
    """The headline's generated talk of ``minutes``, in ``folder`` (made there once:
    a 60-minute one takes about 20 minutes on two cores)."""
    from reelmake.cli.demo import make_talk, portrait

    target = folder / f"headline-{minutes:g}min.mp4"
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        make_talk(
            target, _spoken(minutes), size="1920x1080", fps=30, picture=portrait(),
            preset="veryfast", keyframe_seconds=2.0,
        )  # fmt: skip
    return target


def headline(b: Bench) -> None:
    """Generated 1080p30 talks (B-frames, a keyframe every 2 s, a real face
    off-centre) of ``--minutes`` to 9:16 clips with the default settings, on every
    core: the whole run against its floors (the transcription jobs alone, the same
    clips encoded by hand with the same filters as many at a time as there are
    cores, and decoding the spans the clips cover), each rule's job time and mean
    load, a threshold change that adds one clip against a bare re-encode of it, and
    tracking against decoding the spans it covers."""
    from reelmake.core import config
    from reelmake.stages.clips.plan import load_plan
    from reelmake.stages.framing import TrackOptions, tracked_range
    from reelmake.stages.highlights import span_of

    cores = os.cpu_count() or 1
    for minutes in b.minutes:
        tag = f"{minutes:g} min"
        work = b.tmp / f"headline-{minutes:g}"
        work.mkdir()
        began = time.perf_counter()
        video = headline_talk(minutes, b.talks or work)
        if video.parent != work:
            video = Path(shutil.copy(video, work))
        # A recording, not a file still being written: reelmake looks twice, a
        # second apart, at a video changed in the last two seconds.
        recorded = time.time() - 3600
        os.utime(video, (recorded, recorded))
        seconds = probe_duration(video)
        b.emit("headline", f"{tag}: generate the 1080p30 talk", time.perf_counter()
               - began, "s", note=f"{seconds / 60:.1f} min, "
               f"{video.stat().st_size / 2**20:.0f} MiB"
               + (f"; kept in {b.talks}" if b.talks else ""))  # fmt: skip
        load_before = os.getloadavg()[0]
        began = time.perf_counter()
        subprocess.run(reelmake("run", video.name, "--cores", str(cores)), cwd=work,
                       env=ENV, check=True, capture_output=True)  # fmt: skip
        total = time.perf_counter() - began
        load_after = os.getloadavg()[0]
        folder = next(p for p in (work / "results").iterdir() if len(p.name) == 16)
        source = next(folder.glob("source.*"))
        jobs = _jobs(folder)
        clips = [
            h["clip"]
            for h in json.loads(
                (folder / "highlights" / "highlights.json").read_text()
            )["highlights"]
        ]
        covered = sum(span_of(c)[1] - span_of(c)[0] for c in clips)

        # The floors, one after another on the same machine.
        # A long talk's chunks are transcribed side by side, as many at a time as
        # their threads allow.
        threads = int(config.defaults("transcript")["threads"])
        chunks = sum(j["s"] for j in jobs.get("transcribe_chunk", []))
        transcribe = jobs["transcribe_audio"][0]["s"] + chunks / max(
            1, cores // threads
        )
        hand = b.tmp / f"hand-{minutes:g}"
        hand.mkdir()
        commands = []
        for i, clip in enumerate(clips):
            side = hand / str(i)
            side.mkdir()
            plan = load_plan(folder / "clips" / f"{clip}.plan.json")
            commands.append((_by_hand(source, plan, side, side / "out.mp4"), side))
        encode = _at_once(commands, cores)
        options = TrackOptions()
        ranges = [tracked_range(span_of(c), seconds, options) for c in clips]
        decode = decode_cpu = 0.0
        for start, length in ranges:
            command = ["ffmpeg", "-nostdin", "-v", "error", "-ss", f"{start}", "-t",
                       f"{length}", "-i", str(source), "-map", "0:v:0", "-f", "null",
                       "-"]  # fmt: skip
            spent, cpu = cpu_wall(command, work)
            decode += spent
            decode_cpu += cpu
        floor = transcribe + encode + decode
        b.emit("headline", f"{tag}: whole run, {len(clips)} 9:16 clips, --cores "
               f"{cores}", total, "s", floor,
               f"floor: transcription {transcribe:.1f} s + the clips by hand, "
               f"{cores} at a time {encode:.1f} s + decoding their spans "
               f"{decode:.1f} s; clips cover {covered / seconds:.0%} of the talk; "
               f"load average {load_before:.1f} before, {load_after:.1f} after; "
               "goal 1.2x")  # fmt: skip
        for rule, values in sorted(jobs.items()):
            spent = sum(v["s"] for v in values)
            cpu = sum(v["cpu"] for v in values)
            loads = [v["load"] for v in values]
            b.emit("headline", f"{tag}: {rule} ({len(values)} job"
                   f"{'s' * (len(values) > 1)})", spent, "s",
                   note=f"mean load {cpu / max(spent, 1e-9):.2f} (jobs "
                   f"{min(loads):.2f}-{max(loads):.2f}), peak RSS "
                   f"{max(v['rss'] for v in values):.0f} MB")  # fmt: skip
        # In CPU seconds: tracking jobs run side by side, and each one's time then
        # counts the other's share of the cores.
        tracking = jobs.get("track_subjects", [])
        tracked = sum(v["cpu"] for v in tracking)
        b.emit("headline", f"{tag}: tracking against decoding its spans, CPU",
               tracked, "s", decode_cpu, f"{len(ranges)} spans, "
               f"{sum(r[1] for r in ranges):.0f} s of video with their margins; "
               "floor: ffmpeg decoding each span alone (its CPU seconds; "
               f"{decode:.1f} s of wall time, against the tracking jobs' "
               f"{sum(v['s'] for v in tracking):.1f} s summed); goal 1.5x")  # fmt: skip

        def rerun(threshold: float | None) -> tuple[float, list[str], list[str]]:
            """A run at another threshold: its time, the rules it ran, its clips."""
            settings = f"highlights:\n  threshold: {threshold}\n" if threshold else ""
            (work / "config.yaml").write_text(settings)
            began = time.perf_counter()
            run = subprocess.run(
                reelmake("run", video.name, "--cores", str(cores), "--verbose"),
                cwd=work, env=ENV, check=True, capture_output=True, text=True,
            )  # fmt: skip
            spent = time.perf_counter() - began
            chosen = json.loads((folder / "highlights" / "highlights.json").read_text())
            return (spent, re.findall(r"\(Rule: (\w+)\)", run.stderr),
                    [h["clip"] for h in chosen["highlights"]])  # fmt: skip

        found = _threshold_adding_few(folder)
        back = ""
        if found is None and len(clips) > 1:
            # Every candidate is taken: the last clip is dropped by a higher
            # threshold, then the default takes it back (its span stays tracked).
            last = json.loads((folder / "highlights" / "highlights.json").read_text())
            higher = last["highlights"][-1]["overall"] + 1e-3
            spent, ran, fewer = rerun(higher)
            b.emit(
                "headline",
                f"{tag}: threshold change dropping one clip",
                spent,
                "s",
                note=f"{len(ran)} jobs ran: {', '.join(sorted(set(ran)))}",
            )
            clips, found, back = fewer, (0.0, 1), " back"
        if found is None:
            b.emit("headline", f"{tag}: threshold change adding one clip", math.nan,
                   "s", note="no lower threshold adds a clip")  # fmt: skip
            continue
        threshold, more = found
        spent, ran, now = rerun(threshold or None)
        added = sorted(set(now) - set(clips))
        bare = 0.0
        for clip in added:
            start, end = span_of(clip)
            bare += wall(["ffmpeg", "-nostdin", "-v", "error", "-y", "-ss", f"{start}",
                          "-to", f"{end}", "-i", str(source), "-c:v", "libx264",
                          "-preset", "veryfast", "-crf", "20", "-c:a", "aac",
                          str(work / "bare.mp4")], work)  # fmt: skip
        length = sum(span_of(c)[1] - span_of(c)[0] for c in added)
        b.emit("headline", f"{tag}: threshold change adding{back} {len(added)} clip"
               f"{'s' * (len(added) > 1)}", spent, "s", bare,
               f"floor: a bare re-encode of its {length:.0f} s; {len(ran)} jobs "
               f"ran: {', '.join(sorted(set(ran)))}; goal 0.6x"
               + ("" if more == 1 else "; no threshold adds exactly one"))  # fmt: skip


def _threshold_adding_few(folder: Path) -> tuple[float, int] | None:
    """The highest threshold under which the selection gains clips, and how many
    it gains (one where a threshold adds exactly one)."""
    from reelmake.stages.highlights import SelectOptions, select
    from reelmake.stages.scores.common import load_scores
    from reelmake.stages.segments import load_candidates

    chosen = json.loads((folder / "highlights" / "highlights.json").read_text())
    params = {k: v for k, v in chosen["params"].items() if k != "picture"}
    candidates = load_candidates(folder / "segments" / "candidates.json")
    scores = load_scores(folder / "scores" / "scores.json")
    duration = json.loads((folder / "ingest" / "video.json").read_text())["duration"]
    for s in sorted(scores, key=lambda s: -s.overall):
        if s.overall < params["threshold"]:
            options = SelectOptions(**{**params, "threshold": s.overall})
            found = len(select(candidates, scores, options, duration))
            if found > chosen["highlight_count"]:
                return s.overall, found - chosen["highlight_count"]
    return None


BENCHES = {
    "noop": noop,
    "hashing": hashing,
    "transcription": transcription,
    "e2e": end_to_end,
    "scoring": scoring,
    "dag": dag,
    "render": render,
}
# Run only when named with --only.
EXTRA_BENCHES = {
    "slurm": slurm,
    "shared": shared,
    "quality": quality,
    "framing": framing,
    "review": review,
    "audiogram": audiogram,
    "headline": headline,
}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    version = platform.python_version()
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, Python {version}"


def write_docs(path: Path, b: Bench, command: str, seconds: float) -> None:
    lines = ["| bench | case | value | unit | floor | ratio | note |",
             "| --- | --- | ---: | --- | ---: | ---: | --- |"]  # fmt: skip
    for r in b.rows:
        value = (
            "n/a"
            if isinstance(r["value"], float) and math.isnan(r["value"])
            else r["value"]
        )
        lines.append(f"| {r['bench']} | {r['case']} | {value} | {r['unit']} | "
                     f"{r.get('floor', '')} | {r.get('ratio') or ''} | "
                     f"{r.get('note', '')} |")  # fmt: skip
    text = path.read_text() if path.exists() else ""
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    block = (f"{start}\nMeasured with `{command}` on {time.strftime('%Y-%m-%d')}, "
             f"{machine()}"
             + ("." if math.isnan(seconds) else f"; it took {seconds / 60:.1f} min.")
             + "\n\n" + "\n".join(lines)
             + f"\n{end}")  # fmt: skip
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text += "\n" + block + "\n"
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small inputs, one round")
    parser.add_argument(
        "--only", nargs="+", choices=sorted(BENCHES | EXTRA_BENCHES), default=None
    )
    parser.add_argument("--jsonl", type=Path, help="append one JSON line per figure")
    parser.add_argument("--docs", type=Path, help="write the table into this markdown")
    parser.add_argument(
        "--frames", type=Path, metavar="DIR",
        help="render: write a frame of every clip format and caption style here",
    )  # fmt: skip
    parser.add_argument(
        "--minutes", type=float, nargs="+", metavar="M",
        help="headline: the talks' lengths in minutes (default: 10 60)",
    )  # fmt: skip
    parser.add_argument(
        "--talks", type=Path, metavar="DIR",
        help="headline: keep the generated talks here and use them again",
    )  # fmt: skip
    parser.add_argument(
        "--render", type=Path, nargs="+", metavar="JSONL",
        help="write --docs from the JSON lines of earlier runs instead of running",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.render:
        b = Bench(False, None, Path(tempfile.gettempdir()))
        b.rows = [json.loads(line) for path in args.render
                  for line in path.read_text().splitlines()]  # fmt: skip
        command = "python -m bench --jsonl ... (runs: " + ", ".join(
            sorted({r["bench"] for r in b.rows})) + ")"  # fmt: skip
        write_docs(args.docs, b, command, math.nan)
        return 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="reelmake-bench-") as tmp:
        b = Bench(args.quick, args.jsonl, Path(tmp))
        b.frames = args.frames
        if args.minutes:
            b.minutes = list(args.minutes)
        b.talks = args.talks.resolve() if args.talks else None
        print(
            f"{'bench':<13} {'case':<44} {'value':>10} {'unit':<5}{'floor':>10} "
            f"{'ratio':>8}  note"
        )
        for name in args.only or BENCHES:
            begun = time.perf_counter()
            (BENCHES | EXTRA_BENCHES)[name](b)
            print(f"({name}: {time.perf_counter() - begun:.0f} s)")
    seconds = time.perf_counter() - started
    print(f"done in {seconds:.0f} s")
    if args.docs:
        command = "python -m bench" + (" --quick" if args.quick else "")
        if args.only:
            command += " --only " + " ".join(args.only)
        if args.minutes:
            command += " --minutes " + " ".join(f"{m:g}" for m in args.minutes)
        write_docs(args.docs, b, command, seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
