"""Where a long transcription is cut: between speech clips, near even positions."""

import logging

import pytest

from reelmake.stages.transcript import SAMPLE_RATE, Cut, choose_cuts


def _clips(*seconds: tuple[float, float]) -> list[tuple[int, int]]:
    return [(int(a * SAMPLE_RATE), int(b * SAMPLE_RATE)) for a, b in seconds]


def test_cuts_sit_in_the_middle_of_the_gap_nearest_each_even_position() -> None:
    # Speech every 10 s with 1 s gaps, 120 s in all; four chunks aim at 30, 60, 90 s.
    clips = _clips(*[(t, t + 9) for t in range(0, 120, 10)])
    cuts = choose_cuts(clips, count=4, reach=20)
    assert cuts == [Cut(29.5, 1.0), Cut(59.5, 1.0), Cut(89.5, 1.0)]


def test_a_longer_pause_wins_over_a_slightly_nearer_one() -> None:
    # Aiming at 50 s: a 0.1 s gap 1.05 s away, a 1 s gap 1 s away on the other side.
    clips = _clips((0, 48.9), (49.0, 50.5), (51.5, 100))
    (cut,) = choose_cuts(clips, count=2, reach=30)
    assert cut == Cut(51.0, 1.0)
    # A pause of the same length nearer by is still preferred.
    clips = _clips((0, 49.0), (50.0, 50.5), (51.5, 100))
    (cut,) = choose_cuts(clips, count=2, reach=30)
    assert cut == Cut(49.5, 1.0)


def test_cuts_increase_and_stop_when_no_gap_is_left() -> None:
    clips = _clips((0, 20), (21, 200))
    assert choose_cuts(clips, count=5, reach=10) == [Cut(20.5, 1.0)]
    assert choose_cuts(_clips((0, 200)), count=5, reach=10) == []
    assert choose_cuts([], count=5, reach=10) == []


def test_a_gap_out_of_reach_is_still_used_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clips = _clips((0, 10), (12, 100))
    with caplog.at_level(logging.WARNING):
        (cut,) = choose_cuts(clips, count=2, reach=5)
    assert cut.at == 11.0
    assert "no pause within 5 s of 50.0 s" in caplog.text


def test_cuts_fall_on_whole_samples() -> None:
    clips = [(0, 100_001), (100_004, 300_000)]
    (cut,) = choose_cuts(clips, count=2, reach=100)
    assert cut.at * SAMPLE_RATE == pytest.approx(100_002, abs=0.01)


def test_decoding_loops_are_dropped_and_real_repeats_kept() -> None:
    from reelmake.stages.transcript import drop_loops

    def words(*texts: str) -> list[tuple[float, float, str, float]]:
        return [(float(i), i + 0.5, t, 0.9) for i, t in enumerate(texts)]

    looped = words("the", "wall", "R.", "R.", "R", "r.", "R.", "is", "long")
    assert [w[2] for w in drop_loops(looped)] == ["the", "wall", "is", "long"]
    kept = words("no,", "no,", "no.", "Stop")
    assert drop_loops(kept) == kept
