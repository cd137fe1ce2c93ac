"""The review page's and import-edits' decisions without a server or a run: what
a posted decision may hold, which files may be served, what an edited timeline
decides."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelmake.batch import edits
from reelmake.batch.review import guard, model
from reelmake.core.errors import ReelmakeError
from reelmake.stages.export import TimelineClip

pytestmark = pytest.mark.unit

HASH = "0123456789abcdef"


def test_only_files_inside_a_videos_folder_are_served(tmp_path: Path) -> None:
    results = tmp_path / "results"
    clips = results / HASH / "clips"
    clips.mkdir(parents=True)
    (clips / "a.mp4").write_bytes(b"clip")
    (tmp_path / "secret").write_text("no")
    (clips / "out.mp4").symlink_to(tmp_path / "secret")
    (results / HASH / "ranked").mkdir()
    (results / HASH / "ranked" / "01-a.mp4").symlink_to(clips / "a.mp4")
    assert guard.inside(results, HASH, "clips/a.mp4") == (clips / "a.mp4").resolve()
    # A link that stays inside is followed.
    assert guard.inside(results, HASH, "ranked/01-a.mp4") == (clips / "a.mp4").resolve()
    for bad in ("../secret", "clips/../../secret", "/etc/hostname", "clips/out.mp4",
                "clips/.a.mp4", "", ".", "clips//a.mp4", "clips\\a.mp4",
                "clips/missing.mp4", "clips"):  # fmt: skip
        assert guard.inside(results, HASH, bad) is None, bad
    assert guard.inside(results, "../" + HASH[:13], "clips/a.mp4") is None
    assert guard.inside(results, HASH.upper(), "clips/a.mp4") is None


def test_a_posted_decision_is_checked_field_by_field() -> None:
    assert model.decision_fields(
        {"at": [1, 2], "decision": "approve", "title": "  A title ", "hook": ""}
    ) == {"decision": "approve", "title": "A title", "hook": None}
    assert model.decision_fields({"hashtags": "rivers, #floods  dams"}) == {
        "hashtags": ["#rivers", "#floods", "#dams"]
    }
    assert model.decision_fields({"hashtags": ""}) == {"hashtags": None}
    assert model.decision_fields({"start": 3, "rank": None}) == {
        "start": 3.0, "rank": None
    }  # fmt: skip
    for bad, why in (
        ({"decision": "maybe"}, "decision: approve or reject"),
        ({"start": -1}, "start: a time in seconds"),
        ({"end": "soon"}, "end: a time in seconds"),
        ({"rank": 0}, "rank: a place from 1"),
        ({"colour": "red"}, "unknown decision field: colour"),
    ):
        with pytest.raises(ReelmakeError, match=why):
            model.decision_fields(bad)


def _ours(name: str, at: tuple[float, float], *parts: tuple[int, int]) -> edits.Ours:
    clip = f"{round(at[0] * 1000):08d}-{round(at[1] * 1000):08d}-x"
    pieces = [
        TimelineClip(name if i == 0 else f"{name} ({i + 1})", a, b, 0.0, clip, i + 1)
        for i, (a, b) in enumerate(parts)
    ]
    return edits.Ours(clip, 0, name, at, (at[0] + 0.3, at[1] - 0.5), pieces)


def _item(name: str, start: int, end: int, position: float) -> TimelineClip:
    # As an EDL gives it back: a name and a range, no metadata.
    return TimelineClip(name, start, end, position)


def test_an_edited_timeline_decides_only_what_changed() -> None:
    a = _ours("01-a", (10.0, 20.0), (250, 500))
    b = _ours("02-b", (30.0, 40.0), (750, 900), (910, 1000))
    c = _ours("03-c", (50.0, 60.0), (1250, 1500))
    as_exported = [p for o in (a, b, c) for p in o.parts]
    plan = edits.plan_edits([a, b, c], as_exported, 25.0)
    assert (plan.changes, plan.added, plan.order) == ([], [], [])

    # b's start trimmed by a second, c before a, a range of none of ours added.
    edited = [
        _item("03-c", 1250, 1500, 0.0),
        _item("01-a", 250, 500, 10.0),
        _item("02-b", 775, 900, 20.0),
        _item("02-b (2)", 910, 1000, 25.0),
        _item("Clip 7", 2000, 2200, 30.0),
    ]
    plan = edits.plan_edits([a, b, c], edited, 25.0)
    # The end that did not move stays on b's last word.
    assert plan.changes == [((30.0, 40.0), {"start": 31.0, "end": 39.5})]
    assert plan.added == [(80.0, 88.0)]
    assert plan.order == [(50.0, 60.0), (10.0, 20.0), (30.0, 40.0), (80.0, 88.0)]
    assert any(line.startswith("order:") for line in plan.lines)

    # a deleted; a cut inside c (not a decision, and said so).
    edited = [
        _item("02-b", 750, 900, 0.0),
        _item("02-b (2)", 910, 1000, 6.0),
        _item("03-c", 1250, 1300, 10.0),
        _item("03-c", 1400, 1500, 12.0),
    ]
    plan = edits.plan_edits([a, b, c], edited, 25.0)
    assert plan.changes == [((10.0, 20.0), {"decision": "reject"})]
    assert plan.order == []
    assert any("a cut inside the clip is not a decision" in x for x in plan.lines)
