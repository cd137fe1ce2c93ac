"""The quality sets, and figures for what each scorer selects from them.

    python -m bench.quality                 # both sets, the offline scorers
    python -m bench.quality --set real --part held-out   # one set, one part of it
    python -m bench.quality --keep DIR      # keep the videos and results in DIR
    python -m bench.quality --backend openai --base-url http://127.0.0.1:8080/v1 \
        --model NAME                        # a language model beside the offline one

Two sets. The **real set** (``bench/realset``, see :mod:`bench.realset`) holds
excerpts of public transcripts of real speech whose audiences' laughs are marked; its
figures are hit@3, precision at 3 and recall against those marks, each beside blind
picks of the same lengths, per part (development, held out) and genre.

The **generated set** follows:

Each episode of ``episodes.yaml`` is spoken by two espeak-ng voices into a video whose
passages are labelled (highlight, banter, context, filler). A clip takes the label of
the passages it mostly covers. Figures per episode:

- precision at 3: the share of the first three clips that are clean clips of a
  highlight (see ``label_of``; a missing clip counts as a miss);
- banter at 3: the share of the first three clips that are mostly banter or
  context-dependent talk;
- recall: the share of highlight passages that some selected clip is a clean clip of;
- boundaries in pauses: the share of clip edges that fall outside every spoken word;
- overlaps: pairs of selected clips that share time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from reelmake.cli.demo import make_talk
from reelmake.core import fileio
from reelmake.stages.highlights import Highlight, SelectOptions, select
from reelmake.stages.scores.common import Score, Scorer, contexts_around
from reelmake.stages.scores.passage import Around
from reelmake.stages.segments import load_candidates
from reelmake.stages.transcript import load_transcript

EPISODES = Path(__file__).with_name("episodes.yaml")
LABELS = ("highlight", "banter", "context", "filler")
WEAK = frozenset({"banter", "context"})


@dataclass(frozen=True)
class Passage:
    label: str
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Episode:
    name: str
    video: Path
    passages: list[Passage]


@dataclass(frozen=True)
class Figures:
    episode: str
    precision_at_3: float
    banter_at_3: float
    recall: float
    boundaries_in_pauses: float
    overlaps: int
    clips: int
    top3: list[str]


def load_set(path: Path = EPISODES) -> list[dict[str, Any]]:
    episodes: list[dict[str, Any]] = yaml.safe_load(path.read_text())["episodes"]
    for ep in episodes:
        for label, voice, _ in ep["passages"]:
            if label not in LABELS or voice not in ep["voices"]:
                raise ValueError(f"{ep['name']}: bad passage label or voice {label!r}")
    return episodes


def make_episodes(folder: Path, size: str = "320x180") -> list[Episode]:
    """Speak every episode into ``folder/<name>.mp4`` (one made before for the same
    passages is kept); the labels go to ``folder/labels.json``."""
    known = load_labels(folder) if (folder / "labels.json").exists() else {}
    out = []
    for ep in load_set():
        texts = [" ".join(text.split()) for _, _, text in ep["passages"]]
        video = folder / f"{ep['name']}.mp4"
        old = known.get(ep["name"])
        if video.exists() and old and [p.text for p in old] == texts:
            out.append(Episode(ep["name"], video, old))
            continue
        voices = [ep["voices"][voice] for _, voice, _ in ep["passages"]]
        video, spans = make_talk(video, texts, voices=voices, size=size)
        passages = [
            Passage(label, start, end, text)
            for (label, _, _), (start, end), text in zip(
                ep["passages"], spans, texts, strict=True
            )
        ]
        out.append(Episode(ep["name"], video, passages))
    fileio.write_json(
        folder / "labels.json",
        {e.name: [asdict(p) for p in e.passages] for e in out},
    )
    return out


def load_labels(folder: Path) -> dict[str, list[Passage]]:
    data = fileio.read_json(folder / "labels.json")
    return {name: [Passage(**p) for p in items] for name, items in data.items()}


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def label_of(span: tuple[float, float], passages: Sequence[Passage]) -> str:
    """What a clip is, judged as a creator would:

    - ``highlight``: it starts where a highlight starts (within a second), covers most
      of it (60 %), and three quarters of it is highlight speech;
    - ``part``: mostly highlight speech, but cut into or padded with other talk;
    - ``banter``, ``context``, ``filler``: at least half of it is that;
    - ``mixed``: nothing makes up half of it.
    """
    length = max(span[1] - span[0], 1e-6)
    share: dict[str, float] = dict.fromkeys(LABELS, 0.0)
    for p in passages:
        share[p.label] += _overlap(span, (p.start, p.end)) / length
    for p in passages:
        if (
            p.label == "highlight"
            and span[0] <= p.start + 1.0
            and _overlap(span, (p.start, p.end)) >= 0.6 * (p.end - p.start)
            and share["highlight"] >= 0.75
        ):
            return "highlight"
    label, most = max(share.items(), key=lambda kv: kv[1])
    if most < 0.5:
        return "mixed"
    return "part" if label == "highlight" else label


def found(span: tuple[float, float], p: Passage, passages: Sequence[Passage]) -> bool:
    """Whether the clip at ``span`` is a clean clip of highlight ``p``."""
    return label_of(span, passages) == "highlight" and _overlap(
        span, (p.start, p.end)
    ) >= 0.6 * (p.end - p.start)


def figures(
    name: str,
    highlights: Sequence[Highlight],
    passages: Sequence[Passage],
    words: Sequence[tuple[float, float]],
) -> Figures:
    spans = [(h.speech_start, h.speech_end) for h in highlights]
    top = [label_of(s, passages) for s in spans[:3]]
    targets = [p for p in passages if p.label == "highlight"]
    recalled = sum(any(found(s, p, passages) for s in spans) for p in targets)
    edges = [t for h in highlights for t in (h.start, h.end)]
    inside = sum(any(a < t < b for a, b in words) for t in edges)
    overlaps = sum(
        _overlap((a.start, a.end), (b.start, b.end)) > 0
        for i, a in enumerate(highlights)
        for b in highlights[i + 1 :]
    )
    return Figures(
        episode=name,
        precision_at_3=round(top.count("highlight") / 3, 3),
        banter_at_3=round(sum(t in WEAK for t in top) / 3, 3),
        recall=round(recalled / max(len(targets), 1), 3),
        boundaries_in_pauses=round(1 - inside / max(len(edges), 1), 3),
        overlaps=overlaps,
        clips=len(highlights),
        top3=top,
    )


def figures_of_results(results: Path, video_hash: str, name: str,
                       passages: Sequence[Passage]) -> Figures:  # fmt: skip
    """Figures of what the workflow selected for one episode."""
    from reelmake.stages.highlights import load_highlights

    folder = results / video_hash
    chosen = load_highlights(folder / "highlights" / "highlights.json")
    words = load_transcript(folder / "transcript" / "transcript.json").words
    return figures(name, chosen, passages, [(w.start, w.end) for w in words])


# A scorer from where each candidate sits and the content of ``candidates.json`` (a
# language model in its transcript mode reads the whole transcript from it).
MakeScorer = Callable[[dict[str, Around], dict[str, Any]], Scorer]


def rescore(
    folder: Path, make: MakeScorer, options: SelectOptions | None = None
) -> tuple[list[Highlight], list[Score], float]:
    """Score a processed video's candidates again in this process and select, as
    ``score_segments`` and ``select_highlights`` would; also seconds spent scoring."""
    path = folder / "segments" / "candidates.json"
    candidates = load_candidates(path)
    data = fileio.read_json(path)
    contexts = contexts_around(data)
    scorer = make(contexts, data)
    began = time.perf_counter()
    scores = scorer.score(candidates, folder / "audio" / "audio.wav")
    spent = time.perf_counter() - began
    duration = float(fileio.read_json(folder / "ingest" / "video.json")["duration"])
    chosen = select(candidates, scores, options or SelectOptions(), duration)
    return chosen, scores, spent


def mean_figures(rows: Sequence[Figures]) -> dict[str, float]:
    keys = ("precision_at_3", "banter_at_3", "recall", "boundaries_in_pauses")
    return {k: round(statistics.mean(getattr(r, k) for r in rows), 3) for k in keys}


def process(folder: Path, episodes: Sequence[Episode]) -> dict[str, str]:
    """Run ``reelmake run`` on the episodes in ``folder``; their results folders."""
    run = subprocess.run(
        [sys.executable, "-m", "reelmake.cli", "run", "--cores", "2",
         *(str(e.video) for e in episodes)],
        cwd=folder, capture_output=True, text=True,
    )  # fmt: skip
    if run.returncode:
        raise RuntimeError(run.stdout[-3000:] + run.stderr[-3000:])
    from reelmake.cache import get_video_hash

    return {e.name: get_video_hash(str(e.video))[:16] for e in episodes}


def print_rows(title: str, rows: Sequence[Figures]) -> None:
    print(f"{title}")
    print(f"  {'episode':<16} {'P@3':>5} {'B@3':>5} {'recall':>6} {'pauses':>6} "
          f"{'overl':>5} {'clips':>5}  top 3")  # fmt: skip
    for r in rows:
        print(f"  {r.episode:<16} {r.precision_at_3:>5.2f} {r.banter_at_3:>5.2f} "
              f"{r.recall:>6.2f} {r.boundaries_in_pauses:>6.2f} {r.overlaps:>5} "
              f"{r.clips:>5}  {', '.join(r.top3)}")  # fmt: skip
    m = mean_figures(rows)
    print(f"  {'mean':<16} {m['precision_at_3']:>5.2f} {m['banter_at_3']:>5.2f} "
          f"{m['recall']:>6.2f} {m['boundaries_in_pauses']:>6.2f}")  # fmt: skip


def compare(
    folder: Path,
    hashes: dict[str, str],
    labels: dict[str, list[Passage]],
    scorers: dict[str, MakeScorer],
) -> dict[str, tuple[list[Figures], float]]:
    """Figures and seconds per candidate of each scorer on the processed episodes."""
    out = {}
    for name, make in scorers.items():
        rows, spent, count = [], 0.0, 0
        for episode, video_hash in hashes.items():
            results = folder / "results" / video_hash
            chosen, scores, seconds = rescore(results, make)
            spent, count = spent + seconds, count + len(scores)
            words = load_transcript(results / "transcript" / "transcript.json").words
            rows.append(
                figures(episode, chosen, labels[episode],
                        [(w.start, w.end) for w in words])
            )  # fmt: skip
        out[name] = (rows, spent / max(count, 1))
    return out


def ablations() -> dict[str, MakeScorer]:
    """The heuristic with one of its qualities left out, without the pauses, and
    with one feature of its line model left out."""
    from reelmake.stages.scores import phrasing
    from reelmake.stages.scores.heuristic import WEIGHTS, HeuristicScorer

    def without(name: str) -> MakeScorer:
        return lambda contexts, _: HeuristicScorer(contexts, {name: 0.0})

    def deaf(contexts: dict[str, Around], _: dict[str, Any]) -> Scorer:
        flat = {k: replace(a, break_before=1.0, break_after=1.0)
                for k, a in contexts.items()}  # fmt: skip
        return HeuristicScorer(flat)

    def without_line_feature(name: str) -> MakeScorer:
        model = phrasing.load_model()
        model = replace(model, weights={**model.weights, name: 0.0})
        return lambda contexts, _: HeuristicScorer(contexts, line_model=model)

    out = {f"heuristic without {name}": without(name) for name in WEIGHTS}
    out["heuristic without pause breaks"] = deaf
    out |= {
        f"heuristic without line feature {name}": without_line_feature(name)
        for name in phrasing.LINE_FEATURES
    }
    return out


def offline_scorers() -> dict[str, MakeScorer]:
    """The offline scorers side by side: the keyword counter of the first release,
    the content judgement before the line model, and the scorer now."""
    from bench.baseline_scorer import KeywordScorer
    from reelmake.stages.scores.heuristic import HeuristicScorer

    return {
        "keywords (first)": lambda contexts, _: KeywordScorer(contexts),
        "heuristic before": lambda contexts, _: HeuristicScorer(contexts, BEFORE),
        "heuristic now": lambda contexts, _: HeuristicScorer(contexts),
    }


# The scorer before it judged lines and ritual talk: the same code with both off.
BEFORE = {"line": 0.0, "ritual": 0.0}


def llm_scorer(args: argparse.Namespace) -> dict[str, MakeScorer]:
    """A language model behind an OpenAI-compatible server, as ``score_segments``
    builds it, with its answers kept in ``--answer-cache`` (or the usual store)."""
    from reelmake.stages.scores.common import ScoreOptions
    from reelmake.stages.scores.stage import make_scorer
    from reelmake.stages.scores.store import Answers

    llm = {
        k: v
        for k, v in {
            "model": args.model,
            "base_url": args.base_url,
            "api_key_env": args.api_key_env,
            "mode": args.mode,
            "response_format": args.response_format,
            "answer_cache": args.answer_cache,
        }.items()
        if v is not None
    }
    options = ScoreOptions.of("openai", {**config_llm(), **llm})
    answers = Answers.locate(args.answer_cache)

    def make(contexts: dict[str, Around], data: dict[str, Any]) -> Scorer:
        return make_scorer(options, answers, contexts, data)

    return {f"openai:{options.llm.model if options.llm else ''}": make}


def config_llm() -> dict[str, Any]:
    from reelmake.core import config

    return dict(config.defaults("scores", "openai"))


def run_generated(
    folder: Path, scorers: dict[str, MakeScorer], as_json: bool
) -> dict[str, list[Figures]]:
    episodes = make_episodes(folder)
    labels = {e.name: e.passages for e in episodes}
    hashes = process(folder, episodes)
    out = {}
    for name, (rows, per_candidate) in compare(folder, hashes, labels, scorers).items():
        print_rows(
            f"generated set, {name}: {per_candidate * 1000:.3f} ms per candidate", rows
        )
        if as_json:
            for r in rows:
                print(json.dumps({"set": "generated", "scorer": name, **asdict(r)}))
        out[name] = rows
    return out


def run_real(
    folder: Path, part: str | None, scorers: dict[str, MakeScorer], as_json: bool
) -> dict[str, list[Any]]:
    from bench import realset

    talks = realset.load_talks(part)
    spoken = realset.speak_all(talks, folder)
    results = realset.process(folder, spoken)
    out = {}
    for name, make in scorers.items():
        rows, spent, count = [], 0.0, 0
        for talk, said in zip(talks, spoken, strict=True):
            chosen, scores, seconds = rescore(results[talk.id], make)
            spent, count = spent + seconds, count + len(scores)
            spans = [(h.speech_start, h.speech_end) for h in chosen]
            rows.append(realset.figures(talk, said, spans))
        title = f"real set, {name}: {spent / max(count, 1) * 1000:.3f} ms per candidate"
        print_real(title, rows)
        if as_json:
            for r in rows:
                print(json.dumps({"set": "real", "scorer": name, **asdict(r)}))
        out[name] = rows
    return out


def print_summary(
    generated: dict[str, list[Figures]], real: dict[str, list[Any]]
) -> None:
    """One line per scorer: the real set's hit@3 against blind picks per part, and
    the generated set's precision at 3 and banter at 3."""
    from bench import realset

    def pair(values: dict[str, float] | None, a: str, b: str) -> list[str]:
        return [f"{values[a]:.2f}", f"{values[b]:.2f}"] if values else ["-", "-"]

    print("summary")
    print(f"  {'scorer':<44} {'dev hit@3':>9} {'blind':>5} {'held-out':>8} "
          f"{'blind':>5} {'gen P@3':>7} {'B@3':>5}")  # fmt: skip
    for name in dict.fromkeys([*real, *generated]):
        cells = []
        for part in realset.SPLITS:
            rows = [r for r in real.get(name, []) if r.split == part]
            m = realset.mean_figures(rows) if rows else None
            cells += pair(m, "hit_at_3", "blind_hit_at_3")
        g = mean_figures(generated[name]) if name in generated else None
        cells += pair(g, "precision_at_3", "banter_at_3")
        print(f"  {name:<44} {cells[0]:>9} {cells[1]:>5} {cells[2]:>8} "
              f"{cells[3]:>5} {cells[4]:>7} {cells[5]:>5}")  # fmt: skip


def print_real(title: str, rows: Sequence[Any]) -> None:
    """Per part and genre: hit@3, precision at 3 and recall, each beside blind picks
    of the same lengths."""
    from bench import realset

    print(title)
    print(f"  {'part':<9} {'genre':<17} {'talks':>5}  {'hit@3':>5} {'blind':>5}  "
          f"{'P@3':>5} {'blind':>5}  {'recall':>6} {'blind':>5}")  # fmt: skip
    for part in realset.SPLITS:
        mine = [r for r in rows if r.split == part]
        genres = sorted({r.genre for r in mine})
        for genre, group in [(g, [r for r in mine if r.genre == g]) for g in genres] + [
            ("all", mine)
        ]:
            if not group:
                continue
            m = realset.mean_figures(group)
            print(f"  {part:<9} {genre:<17} {len(group):>5}  {m['hit_at_3']:>5.2f} "
                  f"{m['blind_hit_at_3']:>5.2f}  {m['precision_at_3']:>5.2f} "
                  f"{m['blind_precision_at_3']:>5.2f}  {m['recall']:>6.2f} "
                  f"{m['blind_recall']:>5.2f}")  # fmt: skip


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.quality")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--json", action="store_true", help="also print JSON lines")
    parser.add_argument("--set", choices=("all", "real", "generated"), default="all")
    parser.add_argument(
        "--part", choices=("all", "dev", "held-out"), default="all",
        help="the part of the real set to run",
    )  # fmt: skip
    parser.add_argument(
        "--ablate", action="store_true",
        help="also score with each quality of the heuristic left out in turn",
    )  # fmt: skip
    parser.add_argument("--backend", choices=("heuristic", "openai"),
                        default="heuristic")  # fmt: skip
    parser.add_argument("--base-url", help="an OpenAI-compatible server's address")
    parser.add_argument("--model", help="the model's name on that server")
    parser.add_argument("--api-key-env", help="the variable that holds its key")
    parser.add_argument("--mode", choices=("transcript", "passages"))
    parser.add_argument("--response-format",
                        choices=("json_schema", "json_object", "none"))  # fmt: skip
    parser.add_argument("--answer-cache", help="where the model's answers are kept")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    scorers = offline_scorers()
    if args.backend == "openai":
        scorers = {"heuristic now": scorers["heuristic now"], **llm_scorer(args)}
    if args.ablate:
        scorers.update(ablations())
    generated: dict[str, list[Figures]] = {}
    real: dict[str, list[Any]] = {}
    with tempfile.TemporaryDirectory(prefix="reelmake-bench-") as tmp:
        folder = args.keep or Path(tmp)
        if args.set in ("all", "generated"):
            (folder / "generated").mkdir(parents=True, exist_ok=True)
            generated = run_generated(folder / "generated", scorers, args.json)
        if args.set in ("all", "real"):
            (folder / "real").mkdir(parents=True, exist_ok=True)
            part = None if args.part == "all" else args.part
            real = run_real(folder / "real", part, scorers, args.json)
    print_summary(generated, real)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
