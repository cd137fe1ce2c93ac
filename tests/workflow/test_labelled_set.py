"""The labelled quality set end to end: what the default configuration selects from
two-voice episodes of highlights, stuffed banter, context-dependent talk and filler."""

from pathlib import Path

import pytest

from bench import quality
from reelmake.cache import get_video_hash
from tests.conftest import fast_clips, merged_config, reelmake, rules_run

pytestmark = pytest.mark.workflow

BEFORE_SELECTION = {
    "ingest_video", "extract_audio", "plan_chunks", "transcribe_audio",
    "transcribe_chunk", "segment_transcript", "score_segments",
}  # fmt: skip


@pytest.fixture(scope="module")
def episodes(tmp_path_factory: pytest.TempPathFactory):
    work = fast_clips(tmp_path_factory.mktemp("labelled"))
    made = quality.make_episodes(work)
    # Only the selection is judged: no clip is rendered.
    run = reelmake("run", "--cores", "2", "--until", "highlights",
                   *(e.video for e in made), cwd=work)  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    return work, made


def _figures(work: Path, made: list[quality.Episode]) -> list[quality.Figures]:
    return [
        quality.figures_of_results(
            work / "results", get_video_hash(str(e.video))[:16], e.name, e.passages
        )
        for e in made
    ]


def test_the_set_is_labelled_and_varied() -> None:
    episodes = quality.load_set()
    assert len(episodes) >= 3
    for ep in episodes:
        labels = [label for label, _, _ in ep["passages"]]
        assert {"highlight", "banter", "context", "filler"} <= set(labels)
        assert labels.count("highlight") >= 3
        assert len(ep["voices"]) == 2


def test_highlights_take_the_top_places(episodes) -> None:
    work, made = episodes
    rows = _figures(work, made)
    quality.print_rows("heuristic, through the workflow", rows)
    mean = quality.mean_figures(rows)
    assert mean["precision_at_3"] >= 0.9, rows
    assert mean["banter_at_3"] <= 0.1, rows
    for row in rows:
        assert row.boundaries_in_pauses == 1.0, row
        assert row.overlaps == 0, row


def test_a_threshold_change_reruns_nothing_before_selection(episodes) -> None:
    work, made = episodes
    before = (work / "config.yaml").read_text()
    (work / "config.yaml").write_text(
        merged_config(before, "highlights:\n  threshold: 5.0\n")
    )
    try:
        run = reelmake("run", "--until", "highlights", made[0].video, cwd=work)
    finally:
        (work / "config.yaml").write_text(before)
    assert run.returncode == 0, run.stderr[-2000:]
    ran = set(rules_run(run.stderr))
    assert "select_highlights" in ran
    assert not ran & BEFORE_SELECTION, sorted(ran)


def test_label_of_judges_clips_as_a_creator_would() -> None:
    passages = [
        quality.Passage("banter", 0.0, 10.0, ""),
        quality.Passage("highlight", 11.0, 31.0, ""),
        quality.Passage("context", 32.0, 42.0, ""),
    ]
    assert quality.label_of((11.0, 31.0), passages) == "highlight"
    assert quality.label_of((10.5, 31.5), passages) == "highlight"
    assert quality.label_of((16.0, 31.0), passages) == "part"  # starts mid-story
    assert quality.label_of((2.0, 31.0), passages) == "part"  # banter first
    assert quality.label_of((0.0, 10.0), passages) == "banter"
    assert quality.label_of((25.0, 42.0), passages) == "context"
    assert quality.label_of((5.0, 16.0), passages) == "mixed"
