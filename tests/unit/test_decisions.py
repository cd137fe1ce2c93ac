"""A person's decisions: the file they own (checked line by line, comments kept when
it is written), and the selection that honours them whatever the scores say."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from reelmake.core.errors import ReelmakeError
from reelmake.stages import decisions
from reelmake.stages.highlights import (
    SelectOptions,
    choose,
    clip_key,
)
from reelmake.stages.scores.common import Score
from reelmake.stages.segments import Candidate
from reelmake.stages.transcript import Word

pytestmark = pytest.mark.unit


def test_a_wrong_entry_names_the_file_and_its_line(tmp_path: Path) -> None:
    path = tmp_path / "decisions.yaml"
    path.write_text(
        "version: 1\nclips:\n  - at: [1.0, 20.0]\n    decision: approve\n"
        "  - at: [30.0, 50.0]\n    decision: maybe\n"
    )
    with pytest.raises(ReelmakeError) as caught:
        decisions.load(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: line 6: clips.1.decision: 'maybe' is not one")
    path.write_text("version: 1\nclips:\n  - at: [1.0\n")
    with pytest.raises(ReelmakeError, match=r": line \d+: not valid YAML"):
        decisions.load(path)
    path.write_text("version: 1\nclips:\n  - at: [9.0, 3.0]\n")
    with pytest.raises(ReelmakeError, match="line 3: clips.0: a clip must end after"):
        decisions.load(path)
    # No file: no decisions.
    assert decisions.read(tmp_path / "none.yaml") == decisions.Decisions()


def test_writing_keeps_what_a_person_wrote(tmp_path: Path) -> None:
    path = tmp_path / "decisions.yaml"
    path.write_text(
        "version: 1\n# the keynote: keep the opening joke\nclips:\n"
        "  - at: [1.0, 20.0]  # the joke\n    decision: approve\n"
    )
    decisions.decide(path, (30.0, 50.0), decision="reject")
    decisions.decide(path, (1.2, 19.8), title="The joke that worked")
    decisions.add_clip(path, 60.0, 75.5)
    decisions.correct_word(path, 12.34, "their")
    text = path.read_text()
    assert "# the keynote: keep the opening joke" in text and "# the joke" in text
    got = decisions.load(path)
    joke = got.about((1.0, 20.0))
    assert joke and joke.decision == "approve" and joke.title == "The joke that worked"
    assert got.rejected() == [(30.0, 50.0)]
    assert [c.at for c in got.clips if c.added] == [(60.0, 75.5)]
    assert got.words == {12.34: "their"}
    # Withdrawing a decision removes the field, not the clip's other edits.
    decisions.decide(path, (1.0, 20.0), decision=None)
    joke = decisions.load(path).about((1.0, 20.0))
    assert joke and joke.decision is None and joke.title == "The joke that worked"
    # A bad edit never lands: the file is as it was.
    before = path.read_text()
    with pytest.raises(ReelmakeError, match="decision"):
        decisions.decide(path, (1.0, 20.0), decision="perhaps")
    assert path.read_text() == before


# Ten sentences of one second each, a pause of a second between them.
WORDS = [
    Word(start=2.0 * i + k * 0.25, end=2.0 * i + k * 0.25 + 0.2,
         text=f"w{i}{k}" + ("." if k == 3 else ""), probability=0.9)
    for i in range(10) for k in range(4)
]  # fmt: skip


def _candidate(i: int) -> Candidate:
    return Candidate(
        id=f"c{i}", first_word=4 * i, last_word=4 * i + 3, start=2.0 * i,
        end=2.0 * i + 0.95, text=f"sentence {i}", sentence_count=1, word_count=4,
        pause_before=1.05 if i else 0.0, pause_after=1.05 if i < 9 else None,
        words_per_second=4.0, mean_probability=0.9,
    )  # fmt: skip


def _score(i: int, overall: float) -> Score:
    return Score(id=f"c{i}", start=2.0 * i, end=2.0 * i + 0.95, overall=overall,
                 subscores={}, reason="", title=f"title {i}", hook="",
                 backend="heuristic")  # fmt: skip


OPTIONS = SelectOptions(threshold=5.0, top_k=3, min_seconds=0.5, max_seconds=10.0,
                        min_gap=0.1, pad_before=0.3, pad_after=0.3)  # fmt: skip
CANDIDATES = [_candidate(i) for i in range(10)]
# The machine's favourites are sentences 2, 5 and 7; sentence 8 scores low.
SCORES = [_score(i, {2: 9.0, 5: 8.0, 7: 7.0, 8: 2.0}.get(i, 5.5)) for i in range(10)]


def _honoured(decided: decisions.Decisions) -> list:
    return choose(CANDIDATES, SCORES, WORDS, decided, OPTIONS, 20.0)


def test_rejected_clips_go_and_approved_ones_stay_whatever_their_score() -> None:
    machine = _honoured(decisions.Decisions())
    assert [h.id for h in machine] == ["c2", "c5", "c7"]
    rejected = (machine[0].start, machine[0].end)
    low = (15.8, 17.2)  # sentence 8, far under the threshold
    decided = decisions.Decisions(
        (
            decisions.ClipDecision(at=rejected, decision="reject"),
            decisions.ClipDecision(at=low, decision="approve", title="Mine"),
        )
    )
    chosen = _honoured(decided)
    assert "c2" not in [h.id for h in chosen]
    mine = next(h for h in chosen if h.decision == "approved")
    assert mine.title == "Mine" and mine.overall == 2.0
    assert len(chosen) == 3  # the approved clip takes one of the three places
    # Its span is the one approved; its speech, the words inside it.
    assert mine.speech_start == 16.0 and mine.speech_end == pytest.approx(16.95)
    assert (mine.start, mine.end) == low and mine.clip == clip_key(*low)


def test_approving_a_clip_changes_nothing_of_it() -> None:
    machine = _honoured(decisions.Decisions())
    for h in machine:
        at = (h.start, h.end)
        approved = decisions.ClipDecision(at=at, decision="approve")
        chosen = _honoured(decisions.Decisions((approved,)))
        same = next(c for c in chosen if c.decision == "approved")
        # The same clip (span, name, candidate, score and place), only approved.
        assert (same.clip, same.id, same.overall, same.rank) == (
            h.clip, h.id, h.overall, h.rank,
        )  # fmt: skip
        assert [c.clip for c in chosen] == [c.clip for c in machine]


def test_moving_one_edge_leaves_the_other_and_kept_clips_keep_their_distance() -> None:
    machine = _honoured(decisions.Decisions())
    first = machine[0]
    at = (first.start, first.end)
    # The start moves to the third word; the end stays where it was.
    later = _honoured(decisions.Decisions((decisions.ClipDecision(at=at, start=4.5),)))
    moved = next(h for h in later if h.selected == list(at))
    assert moved.end == first.end and moved.speech_start == 4.5
    # A kept clip holds its place against the machine's picks: none comes closer
    # than the gap the selection keeps between its own clips (here a second, with
    # room for five clips: sentence 1 would end 0.45 s before it).
    roomy = replace(OPTIONS, top_k=5, min_gap=1.0)
    longer = decisions.Decisions((decisions.ClipDecision(at=at, end=first.end + 2),))
    kept = choose(CANDIDATES, SCORES, WORDS, longer, roomy, 20.0)
    mine = next(h for h in kept if h.selected == list(at))
    assert mine.speech_end == pytest.approx(6.95) and len(kept) == 5
    for h in kept:
        if h is not mine:
            assert h.end + roomy.min_gap <= mine.start or (
                mine.end + roomy.min_gap <= h.start
            ), (h, mine)


def test_a_moved_start_an_added_clip_and_a_chosen_order() -> None:
    machine = _honoured(decisions.Decisions())
    first = machine[0]
    decided = decisions.Decisions(
        (
            # Start two words later (at the third word of the sentence).
            decisions.ClipDecision(at=(first.start, first.end), start=4.5, rank=3),
            decisions.ClipDecision(at=(12.0, 14.95), added=True, rank=1),
        )
    )
    chosen = _honoured(decided)
    added = chosen[0]
    assert added.decision == "added" and added.speech_start == 12.0
    moved = next(h for h in chosen if h.selected == [first.start, first.end])
    assert (
        moved.speech_start == 4.5 and moved.rank == 3 and moved.decision == "approved"
    )
    assert [h.rank for h in chosen] == [1, 2, 3]
