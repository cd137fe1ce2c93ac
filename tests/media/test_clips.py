"""Real clips cut from a generated talk: exact spans, captions, shapes, safe names."""

import json
import re
import subprocess
from pathlib import Path

import pytest

from reelmake.core import fileio
from reelmake.stages.audio import extract_audio
from reelmake.stages.clips import ClipOptions, cut_clip, output_size
from reelmake.stages.highlights import SelectOptions, select_highlights, slugify
from reelmake.stages.ingest import ingest_video
from reelmake.stages.metadata import link_ranked
from reelmake.stages.scores.common import ScoreOptions
from reelmake.stages.scores.stage import score_segments
from reelmake.stages.segments import SegmentOptions, segment_transcript
from reelmake.stages.transcript import (
    TranscribeOptions,
    load_transcript,
    transcribe_audio,
)

pytestmark = pytest.mark.media

ODD_TITLE = '../../etc/x: "a|b"'

HEURISTIC = ScoreOptions("heuristic")


@pytest.fixture(scope="module")
def pipeline(long_speech_video: Path, tmp_path_factory: pytest.TempPathFactory):
    """The package's stages run by hand up to a selection with an odd title."""
    d = tmp_path_factory.mktemp("clips")
    ingest_video(long_speech_video, d / "video.json", "0" * 16)
    extract_audio(long_speech_video, d / "audio.wav")
    transcribe_audio(
        d / "audio.wav", d / "t.json", d / "t.srt", d / "t.vtt", TranscribeOptions()
    )
    segment_transcript(
        d / "t.json",
        d / "c.json",
        "0" * 16,
        SegmentOptions(min_seconds=4, max_seconds=12),
    )
    score_segments(d / "c.json", d / "audio.wav", d / "s.json", HEURISTIC)
    select_highlights(
        d / "c.json",
        d / "s.json",
        d / "video.json",
        d / "highlights" / "h.json",
        str(d / "highlights" / "clips" / "{clip}.json"),
        SelectOptions(threshold=0, top_k=3, min_seconds=4, max_seconds=12, min_gap=0.5),
    )
    data = fileio.read_json(d / "highlights" / "h.json")
    assert len(data["highlights"]) == 3
    return d, data["highlights"]


def _probe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format",
         "-show_streams", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return json.loads(out)


def _cut(d: Path, source: Path, h: dict, options: ClipOptions, name: str) -> Path:
    out = d / name / "clips"
    cut_clip(
        source, d / "highlights" / "clips" / f"{h['clip']}.json", d / "t.json",
        d / "video.json", out / f"{h['clip']}.mp4", out / f"{h['clip']}.srt",
        out / f"{h['clip']}.vtt", out / f"{h['clip']}.crop.json", options,
    )  # fmt: skip
    return out / f"{h['clip']}.mp4"


def test_clip_duration_matches_its_span_within_a_frame(pipeline, long_speech_video):
    d, highlights = pipeline
    for h in highlights[:2]:
        clip = _cut(d, long_speech_video, h, ClipOptions(preset="ultrafast"), "plain")
        info = _probe(clip)
        video = next(s for s in info["streams"] if s["codec_type"] == "video")
        assert float(video["duration"]) == pytest.approx(
            h["end"] - h["start"], abs=1 / 25
        )
        assert (video["codec_name"], video["width"], video["height"]) == (
            "h264",
            320,
            180,
        )
        assert any(s["codec_type"] == "audio" for s in info["streams"])


def test_clips_are_named_by_span_and_ranked_links_are_safe(pipeline, long_speech_video):
    d, highlights = pipeline
    h = highlights[0]
    clip = _cut(d, long_speech_video, h, ClipOptions(preset="ultrafast"), "odd")
    assert re.fullmatch(r"[0-9]{8}-[0-9]{8}-[0-9a-f]{8}\.mp4", clip.name)
    assert clip.name.startswith(f"{round(h['start'] * 1000):08d}-")
    # The readable name, made from an odd title, is a link inside ranked/.
    ranked = f"01-{slugify(ODD_TITLE)}"
    folder = d / "odd" / "ranked"
    files = {ext: str(d / "odd" / "clips" / f"{{clip}}.{ext}")
             for ext in ("mp4", "srt", "vtt")}  # fmt: skip
    links = link_ranked(folder, [{"clip": clip.stem, "ranked": ranked}], files)
    assert sorted(p.name for p in folder.iterdir()) == [
        "01-etc-x-a-b.mp4", "01-etc-x-a-b.srt", "01-etc-x-a-b.vtt",
    ]  # fmt: skip
    assert links == {clip.stem: str(folder / "01-etc-x-a-b.mp4")}
    assert (folder / "01-etc-x-a-b.mp4").resolve(strict=True) == clip.resolve()


def test_captions_lie_inside_the_clip_and_match_the_transcript(
    pipeline, long_speech_video
):
    d, highlights = pipeline
    h = highlights[1]
    clip = _cut(d, long_speech_video, h, ClipOptions(preset="ultrafast"), "captions")
    length = h["end"] - h["start"]
    srt = clip.with_suffix(".srt").read_text()
    blocks = [b.splitlines() for b in srt.strip().split("\n\n")]
    assert blocks

    def secs(tc: str) -> float:
        hh, mm, rest = tc.split(":")
        return int(hh) * 3600 + int(mm) * 60 + float(rest.replace(",", "."))

    for block in blocks:
        start, end = (secs(x) for x in block[1].split(" --> "))
        assert 0 <= start <= end <= length + 1e-3
    words = [
        w.text
        for w in load_transcript(d / "t.json").words
        if w.start >= h["start"] - 1e-6 and w.end <= h["end"] + 1e-6
    ]
    caption_words = " ".join(line for b in blocks for line in b[2:]).split()
    assert caption_words == words
    assert words[:3] == h["text"].split()[:3]
    assert clip.with_suffix(".vtt").read_text().startswith("WEBVTT")


def test_vertical_clip_with_burned_captions(pipeline, long_speech_video):
    d, highlights = pipeline
    options = ClipOptions(
        aspect="9:16", reframe="centre", burn_captions=True, preset="ultrafast"
    )
    clip = _cut(d, long_speech_video, highlights[2], options, "vertical")
    video = next(s for s in _probe(clip)["streams"] if s["codec_type"] == "video")
    width, height = video["width"], video["height"]
    assert width * 16 == height * 9 and width % 2 == 0
    assert (width, height) == output_size(320, 180, "9:16", 1920)
    # Burned captions change the picture: compare one frame with a plain cut.
    plain = _cut(
        d,
        long_speech_video,
        highlights[2],
        ClipOptions(aspect="9:16", reframe="centre", preset="ultrafast"),
        "vplain",
    )
    frames = [
        subprocess.run(
            ["ffmpeg", "-v", "error", "-ss", "1.0", "-i", str(p), "-frames:v", "1",
             "-f", "rawvideo", "-pix_fmt", "gray", "-"],
            capture_output=True, check=True,
        ).stdout
        for p in (clip, plain)
    ]  # fmt: skip
    assert len(frames[0]) == width * height
    differing = sum(a != b for a, b in zip(frames[0], frames[1], strict=True))
    assert differing > width * height * 0.005


@pytest.mark.parametrize(
    ("size", "aspect", "expected"),
    [((1920, 1080), "9:16", (594, 1056)), ((1920, 1080), "1:1", (1080, 1080)),
     ((1280, 720), "16:9", (1280, 720)), ((320, 180), "9:16", (90, 160))],
)  # fmt: skip
def test_output_sizes_are_exact_and_even(size, aspect, expected):
    assert output_size(*size, aspect, 1920) == expected
