"""Clips ready to post, from real speech: the default finish (vertical, trimmed,
captioned, titled, levelled), every caption style, a split screen for two people
talking, exact spans and safe names."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from reelmake.cli.demo import make_talk
from reelmake.core import fileio, media
from reelmake.stages import framing
from reelmake.stages.audio import extract_audio
from reelmake.stages.clips import styles, trim
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
from tests import faces
from tests.clip_helper import make_clip

pytestmark = pytest.mark.media

# Three paragraphs with hesitations in them, 2.5 s of silence between them.
TALK = (
    "We measured the river every morning for a year. Um, in spring the water rose "
    "by two metres in a single week.",
    "Uh, the old bridge closed for the first time since the flood. Um, the "
    "engineers blamed the snow on the northern hills.",
    "Erm, so the town built a new wall of stone along the bank, and the next "
    "spring the water stayed in the river.",
)


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory):
    """A talk with long pauses and hesitations, transcribed, segmented, scored and
    selected by the package's own stages."""
    d = tmp_path_factory.mktemp("render")
    video, spans = make_talk(d / "talk.mp4", TALK, pause=2.5)
    ingest_video(video, d / "video.json", "0" * 16)
    extract_audio(video, d / "audio.wav")
    transcribe_audio(d / "audio.wav", d / "t.json", TranscribeOptions(threads=2))
    segment_transcript(d / "t.json", d / "c.json", "0" * 16,
                       SegmentOptions(min_seconds=3, max_seconds=12))  # fmt: skip
    score_segments(d / "c.json", d / "audio.wav", d / "s.json",
                   ScoreOptions("heuristic"))  # fmt: skip
    select_highlights(
        d / "c.json", d / "s.json", d / "t.json", d / "video.json",
        d / "highlights" / "h.json", str(d / "highlights" / "clips" / "{clip}.json"),
        SelectOptions(threshold=0, top_k=3, min_seconds=3, max_seconds=12,
                      min_gap=0.5),
    )  # fmt: skip
    return d, video, spans


def _words(d: Path, start: float, end: float) -> list[dict]:
    return [
        {"text": w.text, "start": w.start, "end": w.end}
        for w in load_transcript(d / "t.json").words
        if start - 1e-6 <= w.start and w.end <= end + 1e-6
    ]


def _frame(path: Path, at: float, size: tuple[int, int]) -> np.ndarray:
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-ss", f"{at}", "-i", str(path), "-frames:v", "1",
         "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, np.uint8).reshape(size[1], size[0])


def _silences(path: Path) -> list[tuple[float, float]]:
    log = subprocess.run(
        ["ffmpeg", "-nostdin", "-i", str(path), "-af",
         "silencedetect=noise=-35dB:d=1.0", "-f", "null", "-"],
        capture_output=True, text=True,
    ).stderr  # fmt: skip
    starts = [float(v) for v in re.findall(r"silence_start: ([0-9.]+)", log)]
    ends = [float(v) for v in re.findall(r"silence_end: ([0-9.]+)", log)]
    return list(zip(starts, ends + [float("inf")] * (len(starts) - len(ends)),
                    strict=True))  # fmt: skip


def _loudness(path: Path) -> float:
    log = subprocess.run(
        ["ffmpeg", "-nostdin", "-i", str(path), "-af", "ebur128", "-f", "null", "-"],
        capture_output=True, text=True,
    ).stderr  # fmt: skip
    return float(re.findall(r"I:\s+(-?[0-9.]+) LUFS", log)[-1])


def test_the_default_clip_is_ready_to_post(talk, tmp_path: Path) -> None:
    d, video, spans = talk
    # The first two paragraphs: a 2.5 s pause and hesitations inside.
    start, end = spans[0][0], spans[1][1]
    words = _words(d, start, end)
    # (The test pattern has no face: the window stays in the centre.)
    out, plan = make_clip(video, d / "video.json", tmp_path, start, end, words=words,
                          audio=d / "audio.wav", title="The river rose",
                          reframe="centre")  # fmt: skip
    info = media.probe(out)
    assert (info.video.width, info.video.height) == (1080, 1920)
    assert info.duration == pytest.approx(plan["duration"], abs=0.1)
    # The long pause was shortened: no silence of a second inside the clip.
    inside = [(a, b) for a, b in _silences(out) if a > 0.3 and b < info.duration - 0.3]
    assert inside == [], _silences(out)
    assert plan["duration"] < (end - start) - 1.5
    # No hesitation in the captions, and the words that were said are there.
    srt = (tmp_path / "c.srt").read_text()
    said = [w.lower().strip(".,") for w in srt.split() if w[0].isalpha()]
    assert not any(trim.is_filler(w) for w in said)
    assert {"river", "flood", "engineers"} <= set(said)
    # Levelled for the platforms, and the title card is drawn.
    assert _loudness(out) == pytest.approx(-14.0, abs=1.0)
    assert plan["title"]["text"] == "The river rose"
    meta = plan["audio"]["loudness"]
    assert meta["target"] == -14.0 and meta["measured_lufs"] < -14.5


def test_every_caption_style_draws_in_its_own_region(talk, tmp_path: Path) -> None:
    d, video, spans = talk
    start, end = spans[0][0], spans[0][0] + 4.0
    words = _words(d, start, end)
    size = (270, 480)
    common = {"size": list(size), "title": False, "trim": "off", "loudness": False,
              "layout": "single", "reframe": "centre"}  # fmt: skip
    plain, _ = make_clip(video, d / "video.json", tmp_path / "plain", start, end,
                         words=words, burn_captions=False, **common)  # fmt: skip
    at = 1.2
    base = _frame(plain, at, size).astype(int)
    seen = {}
    for name in ("karaoke", "bold", "lower-third", "quiet"):
        out, _ = make_clip(video, d / "video.json", tmp_path / name, start, end,
                           words=words, burn_captions=True, caption_style=name,
                           **common)  # fmt: skip
        frame = _frame(out, at, size).astype(int)
        changed = np.abs(frame - base) > 40
        rows = np.nonzero(changed.sum(axis=1) > 2)[0]
        assert len(rows), name
        # The text sits above the style's position (its block's base), in the
        # band a caption of its size can fill.
        style = styles.caption_style(name)
        base_row = style.position * size[1]
        assert rows.max() <= base_row + 0.04 * size[1], (name, rows.max(), base_row)
        assert rows.min() >= base_row - 3 * style.lines * style.size * size[1]
        seen[name] = frame
    # The styles look different from each other.
    names = list(seen)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert np.abs(seen[a] - seen[b]).mean() > 0.2, (a, b)


def test_two_people_talking_get_a_split_screen(tmp_path: Path) -> None:
    video, truth, talker = faces.two_faces(tmp_path, seconds=12.0)
    video_json, audio = tmp_path / "video.json", tmp_path / "audio.wav"
    ingest_video(video, video_json, "0" * 16)
    extract_audio(video, audio)
    subjects = tmp_path / "subjects.json"
    framing.track_subjects(video, video_json, audio, subjects, framing.TrackOptions())
    out, plan = make_clip(video, video_json, tmp_path / "clip", 1.0, 11.0,
                          subjects=subjects, size=[360, 640], title=False,
                          burn_captions=False, trim="off", loudness=False)  # fmt: skip
    layout = plan["layout"]
    assert layout["kind"] == "split", layout["reason"]
    top, bottom = layout["windows"]
    # The left face on top, the right one below, each inside its pane's window.
    for window, box in ((top, truth(0)[0]), (bottom, truth(0)[1])):
        x = window["runs"][0][1]
        assert x <= box[0] and box[0] + box[2] <= x + window["width"]
    frame = _frame(out, 5.0, (360, 640))
    # Both panes show a picture (a face), not the plain backdrop.
    assert frame[:320].std() > 20 and frame[320:].std() > 20


def test_clips_are_named_by_span_and_ranked_links_are_safe(talk, tmp_path: Path):
    d, _, _ = talk
    chosen = fileio.read_json(d / "highlights" / "h.json")["highlights"]
    h = chosen[0]
    assert re.fullmatch(r"[0-9]{8}-[0-9]{8}-[0-9a-f]{8}", h["clip"])
    assert h["clip"].startswith(f"{round(h['start'] * 1000):08d}-")
    clips = tmp_path / "clips"
    clips.mkdir()
    for ext in ("mp4", "srt", "vtt"):
        (clips / f"{h['clip']}.{ext}").write_text(ext)
    odd = '../../etc/x: "a|b"'
    ranked = f"01-{slugify(odd)}"
    files = {ext: str(clips / f"{{clip}}.{ext}") for ext in ("mp4", "srt", "vtt")}
    folder = tmp_path / "ranked"
    links = link_ranked(folder, [{"clip": h["clip"], "ranked": ranked}], files)
    assert sorted(p.name for p in folder.iterdir()) == [
        "01-etc-x-a-b.mp4", "01-etc-x-a-b.srt", "01-etc-x-a-b.vtt",
    ]  # fmt: skip
    assert links == {h["clip"]: str(folder / "01-etc-x-a-b.mp4")}
    assert (folder / "01-etc-x-a-b.mp4").resolve(strict=True) == (
        clips / f"{h['clip']}.mp4"
    ).resolve()


def test_untrimmed_captions_are_the_words_of_the_span(talk, tmp_path: Path) -> None:
    d, video, _ = talk
    h = fileio.read_json(d / "highlights" / "h.json")["highlights"][1]
    description = fileio.read_json(d / "highlights" / "clips" / f"{h['clip']}.json")
    out, plan = make_clip(video, d / "video.json", tmp_path, h["start"], h["end"],
                          words=description["words"], format="source")  # fmt: skip
    assert plan["ranges"] == [plan["span"]]
    blocks = [b.splitlines() for b in (tmp_path / "c.srt").read_text().split("\n\n")]
    caption_words = " ".join(line for b in blocks if b for line in b[2:]).split()
    assert caption_words == [w["text"] for w in description["words"]]
    info = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-of", "json", "-show_streams", str(out)],
        capture_output=True, text=True, check=True,
    ).stdout)["streams"]  # fmt: skip
    video_stream = next(s for s in info if s["codec_type"] == "video")
    assert (video_stream["width"], video_stream["height"]) == (320, 180)
    assert float(video_stream["duration"]) == pytest.approx(
        h["end"] - h["start"], abs=1 / 25
    )


def test_a_sound_only_episode_renders_an_audiogram(talk, tmp_path: Path) -> None:
    d, _, spans = talk
    # The talk's sound as an episode with a red square as its cover art.
    episode, cover = tmp_path / "episode.mp3", tmp_path / "cover.png"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(d / "audio.wav"), "-f", "lavfi", "-i",
         "color=c=red:s=300x300:d=1", "-frames:v", "1", str(cover)],
        check=True,
    )  # fmt: skip
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(d / "audio.wav"), "-i", str(cover),
         "-map", "0:a", "-map", "1:v", "-c:a", "libmp3lame", "-c:v", "png",
         "-disposition:v", "attached_pic", str(episode)],
        check=True,
    )  # fmt: skip
    fileio.write_json(
        tmp_path / "video.json",
        {"duration": 60.0, "cover_file": "cover.png",
         "streams": [{"kind": "audio", "sample_rate": 16000, "channels": 1}]},
    )  # fmt: skip
    start, end = spans[0]
    out, plan = make_clip(episode, tmp_path / "video.json", tmp_path / "clip", start,
                          end, words=_words(d, start, end), audio=d / "audio.wav",
                          title="The river rose", size=[270, 480])  # fmt: skip
    info = media.probe(out)
    assert (info.video.width, info.video.height) == (270, 480)
    assert info.duration == pytest.approx(plan["duration"], abs=0.1)
    # The cover is the still: red (grey level 76) in the middle of its square.
    sx, sy, side, _ = plan["layout"]["still"]
    early, late = _frame(out, 0.5, (270, 480)), _frame(out, 2.0, (270, 480))
    assert abs(int(early[sy + side * 3 // 4, sx + side // 2]) - 76) < 12
    # The waveform moves with the speech; the sound is levelled as any clip's.
    wx, wy, ww, wh = plan["layout"]["wave"]
    band = (slice(wy, wy + wh), slice(wx, wx + ww))
    assert np.abs(early[band].astype(int) - late[band].astype(int)).mean() > 1.0
    assert _loudness(out) == pytest.approx(-14.0, abs=1.0)


@pytest.mark.parametrize("script", [("ЖЖЖЖ", "ПППП"), ("ΔΔΔΔ", "ΣΣΣΣ")])
def test_words_of_other_scripts_are_drawn_not_boxes(
    talk, tmp_path: Path, script: tuple[str, str]
) -> None:
    # A glyph missing from every font is drawn as the same box whatever the letter:
    # two words of different letters would then look alike.
    d, video, spans = talk
    start = spans[0][0]
    size = (270, 480)
    frames = []
    for i, text in enumerate(script):
        words = [{"text": text, "start": start + 0.2, "end": start + 2.8}]
        out, _ = make_clip(video, d / "video.json", tmp_path / str(i), start,
                           start + 3.0, words=words, size=list(size), title=False,
                           trim="off", loudness=False, reframe="centre",
                           caption_style="bold")  # fmt: skip
        frames.append(_frame(out, 1.0, size).astype(int))
    assert np.abs(frames[0] - frames[1]).mean() > 0.3
