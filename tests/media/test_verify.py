"""Media that a stage made is held against what it should be: a clip cut off,
emptied or overwritten inside is found (so its stage makes it again), a clip's sound
is held against the transcript's audio, and audio extracted from a source with a
damaged middle keeps its length."""

import json
import logging
import random
import shutil
import subprocess
import wave
from pathlib import Path

import pytest

from reelmake.cli.demo import make_video
from reelmake.core.errors import NOTICE
from reelmake.core.hashing import hash_file
from reelmake.core.media import Expected, audio_lag, check_media
from reelmake.stages.audio import extract_audio, timestamps_kept
from tests.conftest import SHORT_SCRIPT

pytestmark = pytest.mark.media


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A spoken clip as the clip stage writes them (index at the front)."""
    folder = tmp_path_factory.mktemp("verify")
    return make_video(folder / "clip.mp4", SHORT_SCRIPT, faststart=True)


def _seconds(path: Path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
         "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(out.stdout)


def _overwrite(path: Path, at: int, count: int, seed: int = 7) -> None:
    noise = random.Random(seed).randbytes(count)
    with open(path, "r+b") as fh:
        fh.seek(at)
        fh.write(noise)


def test_a_sound_clip_passes(clip: Path) -> None:
    assert check_media(clip, Expected(duration=_seconds(clip))) == ""


@pytest.mark.parametrize(
    ("damage", "found"),
    [
        ("truncated", "cut off before its end"),
        ("emptied", "empty (0 bytes)"),
        ("overwritten", "damaged inside"),
        ("shorter", "lasts"),
    ],
)
def test_a_damaged_clip_is_found(
    clip: Path, tmp_path: Path, damage: str, found: str
) -> None:
    copy = tmp_path / clip.name
    shutil.copy(clip, copy)
    size = copy.stat().st_size
    expected = Expected(duration=_seconds(clip))
    if damage == "truncated":
        with open(copy, "r+b") as fh:
            fh.truncate(size // 2)
    elif damage == "emptied":
        copy.write_bytes(b"")
    elif damage == "overwritten":
        # A few hundred bytes in the middle: the file's index and length are
        # intact.
        _overwrite(copy, size // 2, 300)
    else:
        expected = Expected(duration=_seconds(clip) + 2)
    assert found in check_media(copy, expected)


def test_bytes_as_their_maker_wrote_them_are_not_read_through_again(
    clip: Path, tmp_path: Path
) -> None:
    """A file that still holds the bytes its maker recorded is trusted without a
    decode (here even one damaged inside, as if the maker had written it so); once
    its bytes differ it is read through, and a change that still decodes is
    found by its hash."""
    expected = Expected(duration=_seconds(clip))
    damaged = tmp_path / "damaged.mp4"
    shutil.copy(clip, damaged)
    _overwrite(damaged, damaged.stat().st_size // 2, 300)
    assert "damaged inside" in check_media(damaged, expected)
    assert check_media(damaged, expected, written=hash_file(damaged)) == ""
    assert "damaged inside" in check_media(damaged, expected, written=hash_file(clip))
    assert check_media(clip, expected, written=hash_file(clip)) == ""
    assert "changed since it was written" in check_media(
        clip, expected, written=hash_file(damaged)
    )
    # A cut-off file is found by its probe or its read, whatever its hash says.
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    assert "cut off before its end" in check_media(cut, expected, written="0" * 32)


def test_a_missing_stream_and_another_size_are_found(
    clip: Path, tmp_path: Path
) -> None:
    silent = tmp_path / "silent.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(clip), "-an", "-c", "copy",
                    str(silent)], check=True)  # fmt: skip
    assert check_media(silent, Expected()) == "has no audio stream"
    assert check_media(clip, Expected(width=640, height=360)) == (
        "is 320x180, not 640x360"
    )


def test_a_clip_s_sound_is_held_against_the_transcript_s_audio(
    clip: Path, tmp_path: Path
) -> None:
    """The transcript's audio with 1.5 s of silence before the clip's sound: words
    timed on it come 1.5 s late, or, looked for at 0, the clip lies 1.5 s early."""
    wav = tmp_path / "audio.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(clip), "-af", "adelay=1500",
         "-ac", "1", "-ar", "16000", str(wav)],
        check=True,
    )  # fmt: skip
    assert audio_lag(clip, wav, 1.5) == pytest.approx(0.0, abs=0.03)
    assert audio_lag(clip, wav, 0.0) == pytest.approx(-1.5, abs=0.03)
    tone = make_video(tmp_path / "tone.mp4", seconds=3)
    assert audio_lag(tone, wav, 0.0) is None  # a steady tone: nothing to tell by


@pytest.fixture(scope="module")
def damaged(clip: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clip with 1.5 s of its sound's packets overwritten in the middle."""
    target = tmp_path_factory.mktemp("damaged") / "damaged middle.mp4"
    shutil.copy(clip, target)
    listed = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
         "packet=pos,size,pts_time", "-of", "json", str(target)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    packets = json.loads(listed.stdout)["packets"]
    for i, p in enumerate(p for p in packets if 4.0 <= float(p["pts_time"]) < 5.5):
        _overwrite(target, int(p["pos"]), int(p["size"]), seed=i)
    return target


def test_audio_of_a_damaged_middle_keeps_its_length_and_warns(
    clip: Path, damaged: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    whole = extract_audio(clip, tmp_path / "whole.wav")
    with caplog.at_level(logging.WARNING, logger=NOTICE):
        kept = extract_audio(damaged, tmp_path / "kept.wav")

    def seconds(path: Path) -> float:
        with wave.open(str(path), "rb") as fh:
            return fh.getnframes() / fh.getframerate()

    # Lost packets are silence of their length: every later word stays in time.
    assert seconds(kept) == pytest.approx(seconds(whole), abs=0.05)
    assert timestamps_kept(kept) and timestamps_kept(whole)
    lines = [r.getMessage() for r in caplog.records if r.name == NOTICE]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{damaged}: ")
    assert "packet(s) of its sound could not be decoded" in lines[0]
    missing = float(lines[0].split("; ")[1].split(" s of sound")[0])
    assert 1.0 <= missing <= 2.0
