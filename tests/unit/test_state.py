import json
import os
import wave
from pathlib import Path

import pytest

from reelmake.core import fileio
from reelmake.pipeline import registry
from reelmake.pipeline.state import block, compute_state, write_state

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
                # The label results written before the stage's rename carry.
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
        "stage": "audio",
        "completed": True,
        "audio_path": str(tmp_path / HASH / "audio/audio.wav"),
        "duration": 2.0,
    }
    # Each block once, under the design notes' key where they name the stage.
    assert "audio" not in state and "transcript" not in state
    assert block(state, "audio") is state["audio_extraction"]
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
    assert written["stage"] == "state"


def test_stage_lookup_by_any_of_its_names() -> None:
    for name in ("transcript", "transcription", "transcribe_audio", "plan_chunks"):
        assert registry.stage(name).name == "transcript"
    assert registry.stage("transcript").rule == "plan_chunks"
    assert registry.stage("ai_scoring").name == "scores"
    with pytest.raises(registry.UnknownStage, match="unknown stage 'nope'"):
        registry.stage("nope")


def test_scores_count_the_high_ones_at_the_selections_threshold(
    tmp_path: Path,
) -> None:
    folder = _make(tmp_path, 3)
    _artifact(folder / "segments/candidates.json", "segments",
              sentence_count=2, pause_count=1, candidate_count=3)  # fmt: skip
    scores = [{"overall": v} for v in (8.0, 6.5, 3.0)]
    data = fileio.artifact("scores", {"backend": "heuristic"}, {})
    data.update(scored_count=3, scores=scores)
    fileio.write_json(folder / "scores/scores.json", data)
    # No selection yet: the schema's default threshold (6.0).
    scored = compute_state(tmp_path, HASH)["ai_scoring"]
    assert (scored["high_quality_count"], scored["threshold"]) == (2, 6.0)
    assert "overall" not in scored  # the scores themselves stay in their file
    _artifact(folder / "highlights/highlights.json", "highlights",
              highlight_count=0, highlights=[])  # fmt: skip
    selection = fileio.read_json(folder / "highlights/highlights.json")
    selection["params"] = {"threshold": 7.0}
    fileio.write_json(folder / "highlights/highlights.json", selection)
    scored = compute_state(tmp_path, HASH)["ai_scoring"]
    assert (scored["high_quality_count"], scored["threshold"]) == (1, 7.0)
