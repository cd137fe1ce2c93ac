from dataclasses import dataclass

import pytest

from reelmake.core.captions import Cue, cues_from_words, to_srt, to_vtt

pytestmark = pytest.mark.unit


@dataclass(frozen=True)
class W:
    start: float
    end: float
    text: str


def test_cues_break_at_sentences_pauses_and_length() -> None:
    words = [
        W(0.0, 0.3, "Hello"),
        W(0.3, 0.6, "there."),
        W(0.7, 1.0, "After"),
        W(2.0, 2.3, "pause"),  # a 1 s gap starts a new cue
    ] + [W(3.0 + i * 0.2, 3.2 + i * 0.2, "word") for i in range(20)]
    cues = cues_from_words(words)
    assert [c.text for c in cues[:3]] == ["Hello there.", "After", "pause"]
    assert all(len(c.text) <= 42 for c in cues)
    assert " ".join(c.text for c in cues).split() == [w.text for w in words]


def test_offset_makes_times_relative() -> None:
    cues = cues_from_words([W(10.0, 10.5, "Hi.")], offset=9.5)
    assert cues == [Cue(0.5, 1.0, "Hi.")]


def test_srt_and_vtt_format() -> None:
    cues = [Cue(0.0, 1.5, "One."), Cue(3661.001, 3662.0, "Two.")]
    assert to_srt(cues) == (
        "1\n00:00:00,000 --> 00:00:01,500\nOne.\n\n"
        "2\n01:01:01,001 --> 01:01:02,000\nTwo.\n"
    )
    assert to_vtt(cues).startswith("WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nOne.\n")
