"""Speech to word-timed text, offline, with faster-whisper and weights from a package.

The transcript keeps every word with its own start and end: later stages build sentences
and clip boundaries from words, not from Whisper's segments.
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from reelmake import captions, fileio, models
from reelmake.errors import ReelmakeError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str
    probability: float


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    first_word: int
    word_count: int


@dataclass
class Transcript:
    language: str
    duration: float
    words: list[Word] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Transcript:
        return cls(
            language=data["language"],
            duration=float(data["duration"]),
            words=[Word(**w) for w in data["words"]],
            segments=[Segment(**s) for s in data["segments"]],
        )


@dataclass(frozen=True)
class TranscribeOptions:
    model: str = "tiny.en"
    language: str | None = "en"
    vad: bool = True
    beam_size: int = 5
    compute_type: str = "int8"
    # > 0: faster-whisper's batched pipeline (it needs the VAD to cut the audio into
    # chunks), that many chunks at once; measured faster and as accurate (benchmarks)
    batch_size: int = 8
    threads: int = 2


class Transcriber(Protocol):
    def transcribe(self, audio: Path, options: TranscribeOptions) -> Transcript: ...


class FasterWhisperTranscriber:
    """faster-whisper on the CPU; the model folder comes from :mod:`reelmake.models`."""

    def transcribe(self, audio: Path, options: TranscribeOptions) -> Transcript:
        # A stray model-hub request must fail at once rather than hang offline.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from faster_whisper import WhisperModel

        model_dir = models.resolve(options.model)
        model = WhisperModel(
            str(model_dir),
            device="cpu",
            compute_type=options.compute_type,
            cpu_threads=options.threads,
        )
        common: dict[str, Any] = {
            "language": options.language,
            "beam_size": options.beam_size,
            "word_timestamps": True,
            "vad_filter": options.vad,
        }
        log.info("transcribing %s with %s", audio, options.model)
        if options.batch_size > 0 and options.vad:
            from faster_whisper import BatchedInferencePipeline

            segments_iter, info = BatchedInferencePipeline(model).transcribe(
                str(audio), batch_size=options.batch_size, **common
            )
        else:
            segments_iter, info = model.transcribe(
                str(audio), condition_on_previous_text=False, **common
            )
        words: list[Word] = []
        segments: list[Segment] = []
        last_end = 0.0
        for seg in segments_iter:
            first = len(words)
            for w in seg.words or []:
                text = w.word.strip()
                if not text:
                    continue
                # Whisper's word times can step back a little at segment seams.
                start = max(float(w.start), last_end)
                end = max(float(w.end), start)
                words.append(
                    Word(round(start, 3), round(end, 3), text, round(w.probability, 4))
                )
                last_end = end
            if len(words) > first:
                segments.append(
                    Segment(
                        start=words[first].start,
                        end=words[-1].end,
                        text=seg.text.strip(),
                        first_word=first,
                        word_count=len(words) - first,
                    )
                )
            log.info("transcribed %.1f of %.1f s", seg.end, info.duration)
        return Transcript(
            info.language, round(float(info.duration), 3), words, segments
        )


def transcribe_audio(
    audio: str | os.PathLike[str],
    transcript: str | os.PathLike[str],
    srt: str | os.PathLike[str],
    vtt: str | os.PathLike[str],
    options: TranscribeOptions,
    transcriber: Transcriber | None = None,
) -> Transcript:
    """Transcribe ``audio`` and write the JSON transcript and full-video captions."""
    if not Path(audio).is_file():
        raise ReelmakeError(f"{audio}: audio file is missing; run extract_audio first")
    result = (transcriber or FasterWhisperTranscriber()).transcribe(
        Path(audio), options
    )
    data = fileio.artifact(
        "transcription",
        asdict(options),
        fileio.versions("faster-whisper", "ctranslate2"),
    )
    data.update(
        model=options.model,
        language=result.language,
        duration=result.duration,
        word_count=len(result.words),
        segment_count=len(result.segments),
        words=[asdict(w) for w in result.words],
        segments=[asdict(s) for s in result.segments],
    )
    cues = captions.cues_from_words(result.words)
    fileio.write_text(srt, captions.to_srt(cues))
    fileio.write_text(vtt, captions.to_vtt(cues))
    # The JSON goes last: its presence says the whole stage finished.
    fileio.write_json(transcript, data)
    return result


def load_transcript(path: str | os.PathLike[str]) -> Transcript:
    return Transcript.from_json(fileio.read_json(path))
