"""Smart cut on generated sources: frame-exact, decodable, in sync, close to a full
re-encode; sources it can't handle fall back to one, and say why."""

import json
import logging
import re
import subprocess
from pathlib import Path

import pytest

from reelmake.stages.clips import smartcut
from reelmake.stages.ingest import ingest_video
from tests.clip_helper import make_clip

pytestmark = pytest.mark.media

FPS = 30
AUDIO_FRAME = 1024 / 48000  # one AAC frame at the source's rate


def _source(path: Path, seconds: int, *codec: str) -> Path:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
         f"testsrc2=size=640x360:rate={FPS}", "-f", "lavfi", "-i",
         "sine=frequency=300:sample_rate=48000", "-t", str(seconds), *codec,
         "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "96k", str(path)],
        check=True,
    )  # fmt: skip
    return path


# H.264 with B-frames and a keyframe every 2 s, as cameras and encoders write it.
H264 = ("-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-keyint_min", "60",
        "-sc_threshold", "0")  # fmt: skip


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("smartcut")
    return {
        "h264": _source(d / "h264.mp4", 20, *H264),
        "mpeg4": _source(d / "mpeg4.mp4", 12, "-c:v", "mpeg4", "-q:v", "4"),
        "open": _source(d / "open.mp4", 12, *H264, "-x264-params", "open-gop=1"),
    }


def _cut(source: Path, start: float, end: float, folder: Path, **clips) -> Path:
    """A clip of the source's picture and sound (the ``source`` format), with
    ``clips`` settings on top."""
    folder.mkdir(parents=True, exist_ok=True)
    ingest_video(source, folder / "video.json", "0" * 16)
    out, _ = make_clip(source, folder / "video.json", folder, start, end,
                       preset="veryfast", **{"format": "source", **clips})  # fmt: skip
    return out


def _streams(path: Path) -> dict[str, dict]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-of", "json", "-show_entries",
         "stream=codec_type,duration,nb_read_frames", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return {s["codec_type"]: s for s in json.loads(out)["streams"]}


def _psnr(a: Path, b: Path) -> list[float]:
    log = a.with_suffix(".psnr")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(a), "-i", str(b), "-lavfi",
         f"[0:v][1:v]psnr=stats_file={log}", "-f", "null", "-"], check=True,
    )  # fmt: skip
    return [
        float(re.search(r"psnr_avg:(\S+)", line).group(1).replace("inf", "99"))
        for line in log.read_text().splitlines()
    ]


@pytest.mark.parametrize(("start", "end"), [(3.1, 15.7), (2.5, 10.0), (4.0, 13.9)])
def test_a_smart_cut_is_frame_exact_decodable_and_in_sync(
    sources, tmp_path: Path, caplog: pytest.LogCaptureFixture, start, end
) -> None:
    caplog.set_level(logging.INFO)
    smart = _cut(sources["h264"], start, end, tmp_path / "smart")
    assert "smart cut: copied" in caplog.text
    full = _cut(sources["h264"], start, end, tmp_path / "full", smart_cut=False)
    assert "full render: smart cut is off" in caplog.text
    errors = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(smart), "-f", "null", "-"],
        capture_output=True, text=True,
    ).stderr  # fmt: skip
    assert errors == ""
    streams = _streams(smart)
    video, audio = streams["video"], streams["audio"]
    frames = round((end - start) * FPS)
    assert int(video["nb_read_frames"]) == frames
    assert float(video["duration"]) == pytest.approx(end - start, abs=1 / FPS)
    assert abs(float(audio["duration"]) - float(video["duration"])) <= AUDIO_FRAME
    psnr = _psnr(smart, full)
    assert len(psnr) == frames
    assert psnr[0] >= 35 and psnr[-1] >= 35, (psnr[0], psnr[-1])
    assert min(psnr) >= 30


def test_the_copied_middle_is_the_source_s_own_frames(sources, tmp_path: Path) -> None:
    src = smartcut.describe(sources["h264"])
    plan = smartcut.plan(sources["h264"], 3.1, 15.7, src)
    assert isinstance(plan, smartcut.Plan)
    assert (plan.first_key, plan.last_key) == (4.0, 14.0)


@pytest.mark.parametrize(
    ("name", "why"),
    [("mpeg4", "not H.264"), ("open", "open groups of pictures")],
)
def test_sources_it_cannot_cut_fall_back_and_say_why(
    sources, tmp_path: Path, caplog: pytest.LogCaptureFixture, name: str, why: str
) -> None:
    caplog.set_level(logging.INFO)
    clip = _cut(sources[name], 1.5, 9.9, tmp_path)
    assert "full render: " in caplog.text and why in caplog.text
    assert int(_streams(clip)["video"]["nb_read_frames"]) == round(8.4 * FPS)


def test_clips_that_change_the_picture_are_encoded_whole(
    sources, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    _cut(sources["h264"], 3.1, 9.0, tmp_path, aspect="9:16", reframe="centre",
         size=[180, 320])  # fmt: skip
    assert "full render: the plan crops, trims, draws on or levels" in caplog.text
    assert smartcut.plan(sources["h264"], 3.1, 5.5, smartcut.describe(
        sources["h264"])) == "fewer than two keyframes inside the clip"  # fmt: skip
