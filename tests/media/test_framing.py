"""Reframing for vertical clips on generated 1080p videos with real faces."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from reelmake.core import fileio, media
from reelmake.stages import framing, ingest
from reelmake.stages.audio import extract_audio
from reelmake.stages.clips import ClipOptions, crop_size, cut_clip
from tests import faces

pytestmark = pytest.mark.media

FPS = faces.FPS
FRAME = (faces.WIDTH, faces.HEIGHT)
CROP = crop_size(*FRAME, "9:16")


def _prepare(video: Path) -> tuple[Path, Path, Path, dict]:
    folder = video.parent / video.stem
    folder.mkdir(exist_ok=True)
    video_json, audio = folder / "video.json", folder / "audio.wav"
    subjects = folder / "subjects.json"
    ingest.ingest_video(video, video_json, "0" * 16)
    extract_audio(video, audio)
    data = framing.track_subjects(
        video, video_json, audio, subjects, framing.TrackOptions()
    )
    return video_json, audio, subjects, data


def _cut(
    video: Path,
    video_json: Path,
    subjects: Path,
    folder: Path,
    start: float,
    end: float,
    options: ClipOptions,
) -> Path:
    """cut_clip of ``[start, end)`` (no words), into ``folder``: c.mp4, c.crop.json."""
    transcript, highlight = folder / "transcript.json", folder / "h.json"
    fileio.write_json(
        transcript, {"words": [], "segments": [], "language": "en", "duration": 20.0}
    )
    fileio.write_json(highlight, {"clip": "c", "start": start, "end": end, "rank": 1,
                                  "title": "t", "text": ""})  # fmt: skip
    out = folder / "c.mp4"
    cut_clip(
        video, highlight, transcript, video_json, out, folder / "c.srt",
        folder / "c.vtt", folder / "c.crop.json", replace(options, threads=2),
        subjects,
    )  # fmt: skip
    return out


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
    """cut_clip renders the path it writes: the clip has the span's frames, and the
    face is found in its pictures."""
    video, truth, video_json, _, subjects, _ = drift
    options = ClipOptions(aspect="9:16", max_height=960, preset="ultrafast")
    out = _cut(video, video_json, subjects, tmp_path, 2.0, 8.0, options)
    crop = json.loads((tmp_path / "c.crop.json").read_text())
    assert crop["mode"] == "face" and len(crop["x"]) == 6 * FPS
    assert media.probe(out).video.width * 16 == media.probe(out).video.height * 9
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


@pytest.mark.parametrize("no_face", ["centre", "fit"])
def test_no_face_falls_back_and_says_which(
    folder: Path, tmp_path: Path, no_face: str, caplog: pytest.LogCaptureFixture
) -> None:
    video = folder / "noface.mp4"
    if not video.exists():
        faces.no_face(folder)
    video_json, _, subjects, data = _prepare(video)
    assert data["tracks"] == []
    options = ClipOptions(aspect="9:16", max_height=640, preset="ultrafast",
                          no_face=no_face)  # fmt: skip
    with caplog.at_level("INFO"):
        out = _cut(video, video_json, subjects, tmp_path, 1.0, 4.0, options)
    crop = json.loads((tmp_path / "c.crop.json").read_text())
    assert crop["mode"] == no_face
    assert "no face" in crop["reason"]
    assert any("no face" in r.getMessage() for r in caplog.records)
    info = media.probe(out).video
    assert (info.width, info.height) == (360, 640)
    if no_face == "centre":
        centre = (FRAME[0] - CROP[0]) // 2
        assert {x // 2 for x in crop["x"]} == {centre // 2}
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
