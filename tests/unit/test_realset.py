"""The real set's data and definitions: labels from marked laughs, what "contains"
means, blind picks."""

import random

import pytest

from bench import realset

pytestmark = pytest.mark.unit


def test_a_laugh_labels_the_sentence_it_follows_and_is_never_spoken() -> None:
    lines = realset.lines_of(
        [
            "We measured the river every spring. The boat sank twice. (Laughter.) "
            "We bought a bigger boat.",
            "Q. Did the mayor come? [Laughter] (Applause.)",
        ]
    )
    assert [line.text for line in lines] == [
        "We measured the river every spring.",
        "The boat sank twice.",
        "We bought a bigger boat.",
        "Did the mayor come?",
    ]
    assert [line.moment for line in lines] == [False, True, False, True]
    assert [line.reporter for line in lines] == [False, False, False, True]


def test_a_laugh_inside_a_sentence_labels_that_sentence() -> None:
    lines = realset.lines_of(["The cake -- (Laughter) -- was still warm. Then rain."])
    assert lines[0].moment and not lines[1].moment
    assert "Laughter" not in lines[0].text


def test_titles_and_initials_do_not_end_a_sentence() -> None:
    assert realset.split_sentences("Mr. Lind met Dr. Ito in the U.S. today. Fine.") == [
        "Mr. Lind met Dr. Ito in the U.S. today.",
        "Fine.",
    ]


def test_contains_means_most_of_the_moment_is_inside_the_clip() -> None:
    moment = (100.0, 105.0)
    assert realset.contains((90.0, 120.0), moment)
    assert realset.contains((101.0, 130.0), moment)  # 80 % of it
    assert not realset.contains((102.0, 130.0), moment)  # 60 %
    assert not realset.contains((60.0, 99.0), moment)


def test_blind_picks_are_inside_the_talk_and_never_overlap() -> None:
    rng = random.Random(3)
    for _ in range(200):
        spans = realset.blind_spans([20.0, 35.0, 15.0], 100.0, rng)
        assert [round(b - a, 6) for a, b in spans] == [20.0, 35.0, 15.0]
        assert all(a >= 0.0 and b <= 100.0 for a, b in spans)
        ordered = sorted(spans)
        assert all(x[1] <= y[0] for x, y in zip(ordered, ordered[1:], strict=False))


def test_blind_hit_rate_matches_the_exact_chance_of_one_clip() -> None:
    # One 20 s clip in a 100 s talk holds a 2 s moment at 40 s when it starts
    # between 22.4 s and 40.4 s (80 % of the moment): 18 of the 80 possible seconds.
    hit, precision, recall = realset.blind_figures("t", [20.0], [(40.0, 42.0)], 100.0)
    assert hit == pytest.approx(18 / 80, abs=0.03)
    assert precision == pytest.approx(hit / 3, abs=1e-9)
    assert recall == pytest.approx(hit, abs=1e-9)


def test_the_set_is_large_varied_split_once_and_sourced() -> None:
    talks = realset.load_talks()
    assert len(talks) >= 30
    assert len({t.genre for t in talks}) >= 3
    assert {t.split for t in talks} == set(realset.SPLITS)
    dev = {t.id for t in realset.load_talks("dev")}
    held = {t.id for t in realset.load_talks("held-out")}
    train = {t.id for t in realset.load_talks(realset.TRAIN)}
    assert dev and held and not (dev & held) and not (train & (dev | held))
    assert len(dev) + len(held) == len(talks)
    for t in talks:
        assert t.source and t.licence and t.signal and t.speaker and t.date
        assert any(line.moment for line in t.lines), t.id
        # Sparse: a labelled moment is one sentence in many.
        assert sum(line.moment for line in t.lines) <= len(t.lines) / 8, t.id
        assert not any(realset.moment_marks(line.text) for line in t.lines), t.id
    assert len({t.voice for t in talks}) >= 3


def test_the_benchmark_builds_a_language_model_scorer_like_the_workflow() -> None:
    from bench import quality
    from reelmake.stages.scores.picks import TranscriptScorer

    parser_args = [
        "--backend", "openai", "--base-url", "http://127.0.0.1:9/v1",
        "--model", "local-model", "--api-key-env", "LOCAL_KEY",
    ]  # fmt: skip
    args = quality.parse_args(parser_args)
    (name, make), *_ = quality.llm_scorer(args).items()
    assert name == "openai:local-model"
    scorer = make({}, {"sentences": []})
    assert isinstance(scorer, TranscriptScorer)
    assert scorer.options.base_url == "http://127.0.0.1:9/v1"
    assert scorer.options.api_key_env == "LOCAL_KEY"
