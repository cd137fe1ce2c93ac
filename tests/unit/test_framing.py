"""The crop path on hand-made evidence: who is followed, how the window moves."""

from __future__ import annotations

from typing import Any

import pytest

from reelmake.stages import framing

pytestmark = pytest.mark.unit

FRAME = (1920, 1080)
CROP = (606, 1080)
SF = 5.0


def _subjects(
    tracks: list[dict[str, Any]], samples: int, shots: list[int] | None = None
) -> dict[str, Any]:
    return {
        "sample_fps": SF,
        "samples": samples,
        "shots": shots or [0],
        "loudness": [-20.0] * samples,
        "tracks": tracks,
    }


def _still(track_id: int, x: int, activity: list[float]) -> dict[str, Any]:
    return {
        "id": track_id,
        "shot": 0,
        "first": 0,
        "boxes": [[x, 300, 150, 150]] * len(activity),
        "activity": activity,
    }


def test_two_faces_speaking_in_turns_switch_once_each_turn() -> None:
    n = 100  # 20 s: the left talks for 10 s, then the right
    left = _still(0, 200, [8.0 if i < 50 else 0.0 for i in range(n)])
    right = _still(1, 1500, [0.0 if i < 50 else 8.0 for i in range(n)])
    path = framing.plan_crop(
        _subjects([left, right], n), 0, 20, 30, CROP, FRAME, framing.FrameOptions()
    )
    assert path.switches == 1
    assert path.subjects[0] == 0 and path.subjects[-1] == 1


def test_mouth_movement_in_silence_is_not_speech() -> None:
    """The one who moves their mouth while the audio is quiet (chewing, a smile)
    loses to the one who moves it while it is loud."""
    n = 100
    subjects = _subjects(
        [_still(0, 200, [0.0] * 50 + [8.0] * 50),
         _still(1, 1500, [0.0] * 50 + [4.0] * 50)], n
    )  # fmt: skip
    subjects["loudness"] = [-20.0] * 50 + [-20.0 if i % 2 else -90.0 for i in range(50)]
    # The left moves only in the quiet samples, the right only in the loud ones.
    subjects["tracks"][0]["activity"] = [0.0] * 50 + [0.0 if i % 2 else 8.0
                                                      for i in range(50)]  # fmt: skip
    subjects["tracks"][1]["activity"] = [0.0] * 50 + [4.0 if i % 2 else 0.0
                                                      for i in range(50)]  # fmt: skip
    path = framing.plan_crop(subjects, 12, 20, 30, CROP, FRAME, framing.FrameOptions())
    assert path.subjects.count(1) > 0.9 * len(path.subjects)


def test_a_quick_back_and_forth_does_not_flicker() -> None:
    """Both mouths move in alternate samples: the crop holds its face for at least
    the hold time, so it switches far less often than the evidence alternates."""
    n = 100
    left = _still(0, 200, [8.0 if (i // 3) % 2 == 0 else 0.0 for i in range(n)])
    right = _still(1, 1500, [0.0 if (i // 3) % 2 == 0 else 8.0 for i in range(n)])
    options = framing.FrameOptions(switch_hold_seconds=2.0)
    path = framing.plan_crop(
        _subjects([left, right], n), 0, 20, 30, CROP, FRAME, options
    )
    assert path.switches <= 20 / options.switch_hold_seconds
    runs = [1]
    for a, b in zip(path.subjects, path.subjects[1:], strict=False):
        runs[-1:] = [runs[-1] + 1] if a == b else [runs[-1], 1]
    assert min(runs[:-1] or [len(path.subjects)]) >= options.switch_hold_seconds * 30


def test_a_face_at_the_edge_keeps_the_crop_inside_the_frame() -> None:
    n = 20
    edge = _still(0, 1850, [0.0] * n)
    path = framing.plan_crop(
        _subjects([edge], n), 0, 4, 30, CROP, FRAME, framing.FrameOptions()
    )
    assert set(path.xs) == {FRAME[0] - CROP[0]}
    assert set(path.ys) == {0}


def test_centre_and_fit_need_no_faces() -> None:
    for mode in ("centre", "fit"):
        options = framing.FrameOptions(reframe=mode)
        path = framing.plan_crop(None, 0, 2, 25, CROP, FRAME, options)
        assert path.mode == mode and len(path.xs) == 50
        # ffmpeg's crop starts 4:2:0 pictures on an even column.
        assert set(path.xs) == {(FRAME[0] - CROP[0]) // 2 // 2 * 2}


def test_frames_between_samples_are_interpolated() -> None:
    """A face moving steadily gives a crop that moves a little every frame, not a
    step every fifth of a second."""
    n = 50
    track = {
        "id": 0, "shot": 0, "first": 0, "activity": [0.0] * n,
        "boxes": [[400 + 10 * i, 300, 150, 150] for i in range(n)],
    }  # fmt: skip
    path = framing.plan_crop(
        _subjects([track], n), 2, 8, 30, CROP, FRAME, framing.FrameOptions()
    )
    steps = [b - a for a, b in zip(path.xs, path.xs[1:], strict=False)]
    assert all(0 <= s <= 4 for s in steps)
    assert sum(s > 0 for s in steps) > len(steps) / 3


def test_sendcmd_lines_only_where_the_window_moves() -> None:
    path = framing.CropPath("face", "", 606, 1080, [10, 10, 12, 12], [0, 0, 0, 0],
                            [0, 0, 0, 0], 0)  # fmt: skip
    lines = framing.sendcmd_script(path, 25).splitlines()
    assert lines == ["0.000000 crop x 10, crop y 0;", "0.060000 crop x 12, crop y 0;"]


def _from(data: dict[str, Any], first: int) -> dict[str, Any]:
    """What tracking a span from sample ``first`` on would have written: the same
    evidence, its samples counted from there (``origin``)."""
    tracks = []
    for t in data["tracks"]:
        skip = max(0, first - t["first"])
        tracks.append({**t, "first": max(0, t["first"] - first),
                       "boxes": t["boxes"][skip:],
                       "activity": t["activity"][skip:]})  # fmt: skip
    return {
        **data,
        "origin": first / data["sample_fps"],
        "samples": data["samples"] - first,
        "shots": [0] + [s - first for s in data["shots"] if s > first],
        "loudness": data["loudness"][first:],
        "tracks": tracks,
    }


def test_a_tracked_span_plans_the_clip_as_the_whole_video_did() -> None:
    """The crop of a clip planned from its span's samples (counted from the span's
    origin) is the crop planned from the whole video's."""
    n = 100
    left = [3.0 if i % 2 and i < 50 else 0.0 for i in range(n)]
    right = [3.0 if i % 2 and i >= 50 else 0.0 for i in range(n)]
    moving = {
        "id": 2, "shot": 1, "first": 70, "activity": [0.0] * 30,
        "boxes": [[400 + 10 * i, 300, 150, 150] for i in range(30)],
    }  # fmt: skip
    whole = _subjects([_still(0, 300, left), _still(1, 1400, right), moving], n,
                      shots=[0, 70])  # fmt: skip
    span = _from(whole, 35)
    for start, end in ((8.0, 13.0), (7.0, 19.8), (13.9, 15.1)):
        a = framing.plan_crop(whole, start, end, 30, CROP, FRAME,
                              framing.FrameOptions(), turns=[10.0])  # fmt: skip
        b = framing.plan_crop(span, start, end, 30, CROP, FRAME,
                              framing.FrameOptions(), turns=[10.0])  # fmt: skip
        assert (a.xs, a.ys, a.subjects) == (b.xs, b.ys, b.subjects)
        assert framing.choose_layout(whole, start, end, CROP[0]) == (
            framing.choose_layout(span, start, end, CROP[0])
        )
