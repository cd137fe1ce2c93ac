import shutil
from pathlib import Path

import pytest

from reelmake.cli.demo import make_video
from reelmake.core.errors import ReelmakeError
from reelmake.core.media import probe
from reelmake.stages.audio import extract_audio

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
