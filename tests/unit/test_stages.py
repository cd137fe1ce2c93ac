import json
import os
import wave
from pathlib import Path

import pytest

from reelmake import fileio, stages
from reelmake.stages import compute_state, write_state

pytestmark = pytest.mark.unit

HASH = "0123456789abcdef"


def _artifact(path: Path, stage: str, **fields: object) -> None:
    data = fileio.artifact(stage, {}, {})
    data.update(fields)
    fileio.write_json(path, data)


def _wav(path: Path, seconds: float = 1.0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * int(16000 * seconds))


def _make(results: Path, upto: int) -> Path:
    folder = results / HASH
    folder.mkdir(parents=True)
    os.symlink("/videos/talk.mp4", folder / "source.mp4")
    makers = [
        lambda: _artifact(folder / "ingest/video.json", "ingest", duration=2.0),
        lambda: _wav(folder / "audio/audio.wav", 2.0),
        lambda: (
            _artifact(
                folder / "transcript/transcript.json",
                "transcription",
                segment_count=3,
                word_count=12,
                language="en",
                model="tiny.en",
            ),
            (folder / "transcript/transcript.srt").write_text("1\n"),
            (folder / "transcript/transcript.vtt").write_text("WEBVTT\n"),
        ),
    ]
    for make in makers[:upto]:
        make()
    return folder


def test_complete_video_has_the_design_fields(tmp_path: Path) -> None:
    _make(tmp_path, 3)
    state = compute_state(tmp_path, HASH)
    assert state["last_stage"] == "transcription"
    assert state["video_path"] == "/videos/talk.mp4"
    assert state["video_hash"] == HASH
    assert state["last_updated"]
    assert state["audio_extraction"] == {
        "completed": True,
        "audio_path": str(tmp_path / HASH / "audio/audio.wav"),
        "duration": 2.0,
    }
    t = state["transcription"]
    assert (t["completed"], t["segment_count"], t["word_count"], t["language"]) == (
        True,
        3,
        12,
        "en",
    )


def test_last_stage_is_the_end_of_the_unbroken_run(tmp_path: Path) -> None:
    folder = _make(tmp_path, 3)
    (folder / "audio/audio.wav").unlink()
    state = compute_state(tmp_path, HASH)
    assert state["last_stage"] == "ingest"
    assert state["transcription"]["completed"] is True
    assert state["audio_extraction"]["completed"] is False
    assert state["completed"] is False


def test_a_cut_off_artifact_is_not_taken_as_done(tmp_path: Path) -> None:
    folder = _make(tmp_path, 3)
    path = folder / "transcript/transcript.json"
    path.write_text(path.read_text()[:40])
    state = compute_state(tmp_path, HASH)
    assert state["transcription"]["completed"] is False
    assert "unreadable" in state["transcription"]["error"]
    assert state["last_stage"] == "audio_extraction"


def test_nothing_done(tmp_path: Path) -> None:
    (tmp_path / HASH).mkdir()
    state = compute_state(tmp_path, HASH)
    assert state["last_stage"] is None and state["last_updated"] is None
    assert state["video_path"] is None


def test_write_state_reads_its_own_folder(tmp_path: Path) -> None:
    folder = _make(tmp_path, 2)
    written = write_state(folder / "stage_state.json")
    assert json.loads((folder / "stage_state.json").read_text()) == written
    assert written["last_stage"] == "audio_extraction"


def test_stage_lookup_by_either_name() -> None:
    assert stages.stage("transcribe_audio").name == "transcription"
    assert stages.stage("transcription").rule == "transcribe_audio"
    with pytest.raises(KeyError, match="unknown stage"):
        stages.stage("nope")
