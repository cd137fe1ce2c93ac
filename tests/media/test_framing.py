"""Reframing for vertical clips on generated 1080p videos with real faces."""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from reelmake.core import media
from reelmake.stages import framing, ingest
from reelmake.stages.audio import extract_audio
from reelmake.stages.clips.plan import crop_size
from tests import faces
from tests.clip_helper import make_clip, window_path

pytestmark = pytest.mark.media

FPS = faces.FPS
FRAME = (faces.WIDTH, faces.HEIGHT)
CROP = crop_size(*FRAME, Fraction(9, 16))
# A vertical clip without captions, title, trimming or levelling: the picture alone.
PLAIN = {"burn_captions": False, "title": False, "trim": "off", "loudness": False,
         "layout": "single"}  # fmt: skip


def _probe(video: Path) -> tuple[Path, Path]:
    folder = video.parent / video.stem
    folder.mkdir(exist_ok=True)
    video_json, audio = folder / "video.json", folder / "audio.wav"
    ingest.ingest_video(video, video_json, "0" * 16)
    extract_audio(video, audio)
    return video_json, audio


def _prepare(video: Path) -> tuple[Path, Path, Path, dict]:
    video_json, audio = _probe(video)
    subjects = video_json.parent / "subjects.json"
    data = framing.track_subjects(
        video, video_json, audio, subjects, framing.TrackOptions()
    )
    return video_json, audio, subjects, data


def _inside(box: faces.Box, x: int, y: int) -> bool:
    bx, by, bw, bh = box
    return bx >= x and by >= y and bx + bw <= x + CROP[0] and by + bh <= y + CROP[1]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("faces")


@pytest.fixture(scope="module")
def drift(folder: Path):
    video, truth = faces.drifting_face(folder)
    return video, truth, *_prepare(video)


def test_one_face_drifting_stays_inside_a_smooth_crop(drift) -> None:
    video, truth, _, _, _, data = drift
    assert len(data["tracks"]) == 1
    path = framing.plan_crop(data, 0.0, 12.0, FPS, CROP, FRAME, framing.FrameOptions())
    assert path.mode == "face"
    frames = len(path.xs)
    assert frames == 12 * FPS
    inside = sum(
        _inside(truth(f / FPS)[0], path.xs[f], path.ys[f]) for f in range(frames)
    )
    assert inside >= 0.95 * frames
    # Never a jump: at most max_speed of the crop's width per second, per frame.
    bound = framing.FrameOptions().max_speed * CROP[0] / FPS + 2
    steps = [abs(a - b) for a, b in zip(path.xs, path.xs[1:], strict=False)]
    assert max(steps) <= bound
    assert all(0 <= x <= FRAME[0] - CROP[0] for x in path.xs)


def test_the_moving_crop_is_rendered_frame_exactly(drift, tmp_path: Path) -> None:
    """A clip renders the path its plan holds: it has the span's frames, and the
    face is found in its pictures."""
    video, truth, video_json, _, subjects, _ = drift
    out, plan = make_clip(video, video_json, tmp_path, 2.0, 8.0, subjects=subjects,
                          size=[540, 960], **PLAIN)  # fmt: skip
    xs, _ = window_path(plan)
    assert plan["layout"]["kind"] == "single" and len(xs) == 6 * FPS
    assert len(plan["layout"]["windows"][0]["runs"]) > 1  # the window moves
    assert (media.probe(out).video.width, media.probe(out).video.height) == (540, 960)
    frames = int(
        subprocess.run(
            ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
             "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", str(out)],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    )  # fmt: skip
    assert frames == 6 * FPS
    seen = framing.analyse(out, 540, 960, framing.TrackOptions(analysis_width=540))
    tracks, _, samples = seen
    assert sum(sum(b is not None for b in t.boxes) for t in tracks) >= 0.9 * samples


def test_the_crop_follows_the_talker(folder: Path) -> None:
    video, truth, talker = faces.two_faces(folder)
    *_, data = _prepare(video)
    assert len(data["tracks"]) == 2
    path = framing.plan_crop(data, 0.0, 20.0, FPS, CROP, FRAME, framing.FrameOptions())
    frames = len(path.xs)
    on = sum(
        _inside(truth(f / FPS)[talker(f / FPS)], path.xs[f], path.ys[f])
        for f in range(frames)
    )
    assert on >= 0.9 * frames
    assert path.switches == 1  # one change of talker, one switch


def test_the_path_restarts_at_a_hard_cut(folder: Path) -> None:
    video, truth, cut = faces.hard_cut(folder)
    *_, data = _prepare(video)
    sample = round(cut * data["sample_fps"])
    assert any(abs(s - sample) <= 1 for s in data["shots"][1:]), data["shots"]
    path = framing.plan_crop(data, 0.0, 10.0, FPS, CROP, FRAME, framing.FrameOptions())
    at = round(cut * FPS)
    # Within a few frames of the cut the crop is on the new face: no pan across.
    after = range(at + 6, len(path.xs))
    assert all(_inside(truth(f / FPS)[0], path.xs[f], path.ys[f]) for f in after)
    assert all(_inside(truth(f / FPS)[0], path.xs[f], path.ys[f]) for f in range(at))


@pytest.fixture(scope="module")
def cut_video(folder: Path):
    (folder / "spans").mkdir()
    video, truth, cut = faces.hard_cut(folder / "spans")
    return video, truth, cut, *_probe(video)


@pytest.mark.parametrize(("start", "end"), [(5.0, 9.0), (1.0, 5.0), (3.0, 7.0)])
def test_a_span_finds_a_cut_at_its_edge(
    cut_video, folder: Path, start: float, end: float
) -> None:
    """Tracking a clip's span alone (from its name): a cut at the span's start or
    end, with a new face entering there, is found, and the crop holds the face on
    either side of it."""
    video, truth, cut, video_json, audio = cut_video
    clip = f"{round(start * 1000):08d}-{round(end * 1000):08d}-00000000"
    data = framing.track_subjects(video, video_json, audio, folder / f"{clip}.json",
                                  framing.TrackOptions(), clip=clip)  # fmt: skip
    sf = data["sample_fps"]
    assert data["origin"] <= start and data["samples"] / sf >= end - start
    cuts = [data["origin"] + s / sf for s in data["shots"][1:]]
    assert any(abs(c - cut) <= 1 / sf for c in cuts), cuts
    path = framing.plan_crop(data, start, end, FPS, CROP, FRAME, framing.FrameOptions())
    assert len(path.xs) == round((end - start) * FPS)
    at = round((cut - start) * FPS)
    held = [
        _inside(truth(start + f / FPS)[0], path.xs[f], path.ys[f])
        for f in range(len(path.xs))
        if not at <= f < at + 6  # the frames just after the cut
    ]
    assert all(held)


@pytest.mark.parametrize("no_face", ["centre", "fit"])
def test_no_face_falls_back_and_says_which(
    folder: Path, tmp_path: Path, no_face: str, caplog: pytest.LogCaptureFixture
) -> None:
    video = folder / "noface.mp4"
    if not video.exists():
        faces.no_face(folder)
    video_json, _, subjects, data = _prepare(video)
    assert data["tracks"] == []
    with caplog.at_level("INFO"):
        out, plan = make_clip(video, video_json, tmp_path, 1.0, 4.0,
                              subjects=subjects, size=[360, 640], no_face=no_face,
                              **PLAIN)  # fmt: skip
    layout = plan["layout"]
    assert layout["kind"] == ("single" if no_face == "centre" else "fit")
    assert "no face" in layout["reason"]
    assert any("no face" in r.getMessage() for r in caplog.records)
    info = media.probe(out).video
    assert (info.width, info.height) == (360, 640)
    if no_face == "centre":
        centre = (FRAME[0] - CROP[0]) // 2
        assert {x // 2 for x in window_path(plan)[0]} == {centre // 2}
    else:
        # The whole frame is in the picture: the middle rows hold the full-width
        # test pattern, the rows above it a blurred copy.
        raw = subprocess.run(
            ["ffmpeg", "-v", "error", "-ss", "1", "-i", str(out), "-frames:v", "1",
             "-f", "rawvideo", "-pix_fmt", "gray", "-"],
            capture_output=True, check=True,
        ).stdout  # fmt: skip
        picture = np.frombuffer(raw, np.uint8).reshape(640, 360)
        sharp = np.abs(np.diff(picture[310:330].astype(int), axis=1)).mean()
        blurred = np.abs(np.diff(picture[20:60].astype(int), axis=1)).mean()
        assert sharp > 2 * blurred
