"""The real set's development part end to end: excerpts of real speech, spoken by
espeak-ng without their laughter marks, run through ``reelmake run`` with the default
configuration; the clips it selects are scored against where the audience laughed,
beside blind picks of the same lengths. (The held-out part runs only in the
benchmark: ``python -m bench.quality --set real --part held-out``.)"""

from pathlib import Path

import pytest

from bench import realset

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def dev_figures(tmp_path_factory: pytest.TempPathFactory) -> list[realset.RealFigures]:
    work = tmp_path_factory.mktemp("realset")
    talks = realset.load_talks("dev")
    spoken = realset.speak_all(talks, work)
    results = realset.process(work, spoken)
    return [
        realset.selected_figures(t, s, results[t.id])
        for t, s in zip(talks, spoken, strict=True)
    ]


def test_top_clips_hold_what_audiences_laughed_at_twice_as_often_as_blind_picks(
    dev_figures: list[realset.RealFigures],
) -> None:
    mean = realset.mean_figures(dev_figures)
    for row in dev_figures:
        print(row)
    print(mean)
    assert mean["hit_at_3"] >= 2 * mean["blind_hit_at_3"], mean
    assert mean["precision_at_3"] > mean["blind_precision_at_3"], mean


def test_every_dev_talk_gets_clips_scored_against_its_own_moments(
    dev_figures: list[realset.RealFigures],
) -> None:
    assert {r.talk for r in dev_figures} == {t.id for t in realset.load_talks("dev")}
    for row in dev_figures:
        assert row.split == "dev"
        assert row.moments >= 1
        assert row.clips >= 1, row
        assert 0.0 < row.blind_hit_at_3 < 0.7, row  # moments are sparse


def test_spoken_talks_keep_their_lines_in_order(tmp_path: Path) -> None:
    talk = realset.load_talks("dev")[0]
    short = realset.Talk(**{**vars(talk), "lines": talk.lines[:3]})
    spoken = realset.speak_talk(short, tmp_path)
    assert len(spoken.spans) == 3
    pairs = zip(spoken.spans, spoken.spans[1:], strict=False)
    assert all(a < b <= c for (a, b), (c, _) in pairs)
    again = realset.speak_talk(short, tmp_path)  # kept, not spoken again
    assert again.spans == spoken.spans
