import json
import shutil
import subprocess
from pathlib import Path

import pytest

from reelmake.cli.demo import make_video
from reelmake.core.errors import ReelmakeError
from reelmake.core.media import probe
from reelmake.stages.audio import extract_audio
from reelmake.stages.ingest import ingest_video
from tests.episodes import make_cover, make_episode

pytestmark = pytest.mark.media


def test_probe_reads_streams(speech_video: Path) -> None:
    info = probe(speech_video)
    assert info.video.width == 320 and info.video.height == 180
    assert info.video.fps == 25
    assert info.audio.codec == "aac"
    assert 5 < info.duration < 20


@pytest.mark.parametrize(
    ("maker", "expected"),
    [
        (lambda p: p.write_text("just some notes\n"), "not a readable video"),
        (
            lambda p: make_video(p, seconds=2, audio=False),
            "has no audio stream",
        ),
    ],
    ids=["text-file", "no-audio"],
)
def test_bad_files_get_one_line(tmp_path: Path, maker, expected: str) -> None:
    path = tmp_path / "clip.mp4"
    maker(path)
    with pytest.raises(ReelmakeError) as err:
        probe(path)
    message = str(err.value)
    assert message.startswith(f"{path}: ") and expected in message
    assert "\n" not in message


def test_truncated_mp4(tmp_path: Path, speech_video: Path) -> None:
    path = tmp_path / "cut.mp4"
    data = speech_video.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ReelmakeError, match="truncated"):
        probe(path)


def test_audio_is_16k_mono(tmp_path: Path, speech_video: Path) -> None:
    import wave

    name = tmp_path / "a b $(x) 'q'.mp4"
    shutil.copy(speech_video, name)
    wav = extract_audio(name, tmp_path / "out" / "audio.wav")
    with wave.open(str(wav)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
    assert [p.name for p in wav.parent.iterdir()] == ["audio.wav"]


@pytest.mark.parametrize("suffix", [".mp3", ".m4a", ".wav", ".flac", ".ogg"])
def test_audio_only_episodes_are_videos_to_us(
    tmp_path: Path, speech_video: Path, suffix: str
) -> None:
    episode = make_episode(tmp_path / f"episode{suffix}", speech_video)
    info = probe(episode)
    assert not info.has_video and info.cover is None
    assert [s.kind for s in info.streams] == ["audio"]
    assert 5 < info.duration < 20


@pytest.mark.parametrize("suffix", [".mp3", ".m4a"])
def test_cover_art_is_kept_beside_video_json(
    tmp_path: Path, speech_video: Path, suffix: str
) -> None:
    cover = make_cover(tmp_path / "cover.jpg", size=2400)
    tags = {"title": "Tomatoes and basil", "artist": "The garden podcast"}
    episode = make_episode(tmp_path / f"episode{suffix}", speech_video, cover, tags)
    info = probe(episode)
    assert not info.has_video and info.tags == tags
    assert info.cover is not None and info.cover.width == 2400
    video_json = tmp_path / "results" / "ingest" / "video.json"
    ingest_video(episode, video_json, "0" * 16)
    data = json.loads(video_json.read_text())
    assert data["has_video"] is False and data["cover_file"] == "cover.png"
    png = video_json.parent / data["cover_file"]
    shown = probe_picture(png)
    assert shown == (1920, 1920)  # no larger than a clip is high
    assert sorted(p.name for p in video_json.parent.iterdir()) == [
        "cover.png",
        "video.json",
    ]
    wav = extract_audio(episode, tmp_path / "audio.wav")
    assert wav.stat().st_size > 100_000


def test_episode_without_cover_has_no_cover_file(
    tmp_path: Path, speech_video: Path
) -> None:
    episode = make_episode(tmp_path / "episode.mp3", speech_video)
    video_json = tmp_path / "ingest" / "video.json"
    ingest_video(episode, video_json, "0" * 16)
    assert json.loads(video_json.read_text())["cover_file"] is None
    assert [p.name for p in video_json.parent.iterdir()] == ["video.json"]


def test_a_video_is_still_a_video(speech_video: Path) -> None:
    info = probe(speech_video)
    assert info.has_video and info.cover is None


def probe_picture(path: Path) -> tuple[int, int]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=width,height,codec_name", "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    stream = json.loads(out)["streams"][0]
    assert stream["codec_name"] == "png"
    return stream["width"], stream["height"]
