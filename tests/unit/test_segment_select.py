"""Invariants of segmentation and selection, on generated word timings."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reelmake.stages.highlights import WORD_MARGIN, SelectOptions, select, slugify
from reelmake.stages.scores.common import Score
from reelmake.stages.segments import (
    SegmentOptions,
    build_candidates,
    find_pauses,
    split_sentences,
)
from reelmake.stages.transcript import Word

pytestmark = pytest.mark.unit

VOCAB = ["so", "the", "plan", "works", "really", "well", "today", "yes", "um"]


@st.composite
def word_lists(draw: st.DrawFn) -> list[Word]:
    n = draw(st.integers(min_value=1, max_value=160))
    t = draw(st.floats(min_value=0, max_value=2))
    words = []
    for _ in range(n):
        length = draw(st.floats(min_value=0.08, max_value=0.8))
        text = draw(st.sampled_from(VOCAB)) + draw(
            st.sampled_from(["", "", "", ".", "?", ","])
        )
        words.append(Word(round(t, 3), round(t + length, 3), text, 0.9))
        t += length + draw(st.sampled_from([0.0, 0.02, 0.1, 0.2, 0.35, 0.8, 1.5]))
    return words


OPTIONS = SegmentOptions(
    min_seconds=3, max_seconds=15, pause_gap=0.3, max_sentence_seconds=6
)


@settings(max_examples=100, deadline=None)
@given(word_lists())
def test_sentences_cover_every_word_once_in_order(words: list[Word]) -> None:
    sentences = split_sentences(words, OPTIONS)
    covered = [i for s in sentences for i in range(s.first_word, s.last_word + 1)]
    assert covered == list(range(len(words)))
    for s in sentences:
        long_run = s.end - s.start > OPTIONS.max_sentence_seconds
        assert (
            not long_run
            or s.first_word == s.last_word
            or all(
                words[i + 1].start - words[i].end <= 0
                for i in range(s.first_word, s.last_word)
            )
        )


@settings(max_examples=100, deadline=None)
@given(word_lists())
def test_candidates_lie_in_the_band_and_end_in_pauses(words: list[Word]) -> None:
    sentences = split_sentences(words, OPTIONS)
    cands = build_candidates(words, sentences, OPTIONS, "0" * 16)
    starts = {s.first_word for s in sentences}
    ends = {s.last_word for s in sentences}
    for c in cands:
        assert OPTIONS.min_seconds <= c.duration <= OPTIONS.max_seconds
        assert 0 <= c.start < c.end <= words[-1].end
        assert c.first_word in starts and c.last_word in ends
        assert (
            c.first_word == 0
            or words[c.first_word].start - words[c.first_word - 1].end >= 0.3
        )
        assert c.last_word == len(words) - 1 or (
            words[c.last_word + 1].start - words[c.last_word].end >= 0.3
        )
    assert len({c.id for c in cands}) == len(cands)


@settings(max_examples=100, deadline=None)
@given(
    word_lists(),
    st.floats(min_value=0, max_value=10),
    st.floats(min_value=0, max_value=4),
    st.integers(min_value=1, max_value=8),
    st.floats(min_value=0, max_value=1.5),
    st.floats(min_value=0, max_value=1.5),
    st.randoms(use_true_random=False),
)
def test_selection_never_overlaps_and_padding_never_crosses_a_word(
    words, threshold, gap, top_k, pad_before, pad_after, rnd
) -> None:
    sentences = split_sentences(words, OPTIONS)
    cands = build_candidates(words, sentences, OPTIONS, "0" * 16)
    scores = [
        Score(c.id, c.start, c.end, round(rnd.uniform(0, 10), 2), {}, "", "t", "", "h")
        for c in cands
    ]
    opts = SelectOptions(threshold, top_k, 3, 15, gap, pad_before, pad_after)
    duration = words[-1].end + 1.0
    chosen = select(cands, scores, opts, duration)
    assert len(chosen) <= top_k
    assert [h.rank for h in chosen] == list(range(1, len(chosen) + 1))
    assert [h.overall for h in chosen] == sorted(
        (h.overall for h in chosen), reverse=True
    )
    spans = sorted((h.start, h.end) for h in chosen)
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert start - end >= gap - 1e-9
    for h in chosen:
        assert h.overall >= threshold
        assert 0 <= h.start <= h.speech_start and h.speech_end <= h.end <= duration
        inside = [w for w in words if w.end > h.start and w.start < h.end]
        assert inside[0].start == h.speech_start and inside[-1].end == h.speech_end
        before = [w for w in words if w.end <= h.speech_start]
        after = [w for w in words if w.start >= h.speech_end]
        if before:
            assert (
                h.start >= before[-1].end + WORD_MARGIN - 1e-6
                or h.start == h.speech_start
            )
        if after:
            assert h.end <= after[0].start - WORD_MARGIN + 1e-6 or h.end == h.speech_end


def test_pauses_and_presets() -> None:
    words = [Word(0, 1, "a", 1), Word(1.1, 2, "b.", 1), Word(2.5, 3, "c", 1)]
    assert [(p.after_word, p.length) for p in find_pauses(words, 0.3)] == [(1, 0.5)]
    assert (
        SegmentOptions.from_config({"segments": {"preset": "medium"}}).min_seconds,
        SegmentOptions.from_config(
            {"segments": {"preset": "long", "min_seconds": 100}}
        ).max_seconds,
    ) == (60, 180)


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ('../../etc/x: "a|b"', "etc-x-a-b"),
        ("Ünïcödé — CON?", "unicode-con"),
        ("???", "clip"),
        ("x" * 200, "x" * 48),
    ],
)
def test_slugs_are_safe_file_names(title: str, slug: str) -> None:
    assert slugify(title) == slug
