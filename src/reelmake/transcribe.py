"""Speech to word-timed text, offline, with faster-whisper and weights from a package.

The transcript keeps every word with its own start and end: later stages build sentences
and clip boundaries from words, not from Whisper's segments.
"""

from __future__ import annotations

import logging
import math
import os
import wave
from collections.abc import Sequence
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
    # auto: a CUDA device when CTranslate2 sees one (a GPU node), else the CPU. Not a
    # param of the transcript: where it ran does not change what it is.
    device: str = "auto"


# Whisper's input rate; audio.wav is written at this rate by default.
SAMPLE_RATE = 16000


class Transcriber(Protocol):
    def transcribe(
        self,
        audio: Path,
        options: TranscribeOptions,
        window: tuple[float, float] | None = None,
    ) -> Transcript: ...


def pick_device(wanted: str) -> str:
    if wanted != "auto":
        return wanted
    import ctranslate2

    return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"


def read_window(audio: Path, start: float, end: float) -> Any:
    """Samples of ``audio`` between two times, as float32 at Whisper's rate."""
    import numpy as np

    with wave.open(str(audio), "rb") as wav:
        rate, width, channels = (
            wav.getframerate(),
            wav.getsampwidth(),
            wav.getnchannels(),
        )
        if (rate, width, channels) == (SAMPLE_RATE, 2, 1):
            first = int(round(start * rate))
            wav.setpos(min(first, wav.getnframes()))
            raw = wav.readframes(int(round(end * rate)) - first)
            return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    from faster_whisper import decode_audio

    samples = decode_audio(str(audio), sampling_rate=SAMPLE_RATE)
    return samples[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)]


class FasterWhisperTranscriber:
    """faster-whisper on the CPU (or a GPU when there is one); the model folder
    comes from :mod:`reelmake.models`."""

    def transcribe(
        self,
        audio: Path,
        options: TranscribeOptions,
        window: tuple[float, float] | None = None,
    ) -> Transcript:
        """Transcribe ``audio``, or only ``window`` (start, end seconds) of it with
        every time given in the whole file's time."""
        # A stray model-hub request must fail at once rather than hang offline.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from faster_whisper import WhisperModel

        model_dir = models.resolve(options.model)
        device = pick_device(options.device)
        model = WhisperModel(
            str(model_dir),
            device=device,
            compute_type=options.compute_type,
            cpu_threads=options.threads,
        )
        common: dict[str, Any] = {
            "language": options.language,
            "beam_size": options.beam_size,
            "word_timestamps": True,
            "vad_filter": options.vad,
        }
        source: Any = str(audio)
        offset, limit = 0.0, float("inf")
        if window is not None:
            offset, limit = window
            source = read_window(audio, offset, limit)
            log.info(
                "transcribing %s from %.2f to %.2f s with %s on %s",
                audio, offset, limit, options.model, device,
            )  # fmt: skip
        else:
            log.info("transcribing %s with %s on %s", audio, options.model, device)
        if options.batch_size > 0 and options.vad:
            from faster_whisper import BatchedInferencePipeline

            segments_iter, info = BatchedInferencePipeline(model).transcribe(
                source, batch_size=options.batch_size, **common
            )
        else:
            segments_iter, info = model.transcribe(
                source, condition_on_previous_text=False, **common
            )
        words: list[Word] = []
        segments: list[Segment] = []
        last_end = offset
        for seg in segments_iter:
            first = len(words)
            for w in seg.words or []:
                text = w.word.strip()
                if not text:
                    continue
                # Whisper's word times can step back a little at segment seams, and
                # a window's last word must not reach into the next window.
                start = min(max(float(w.start) + offset, last_end), limit)
                end = min(max(float(w.end) + offset, start), limit)
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
        duration = float(info.duration) if window is None else limit - offset
        return Transcript(info.language, round(duration, 3), words, segments)


def _header(stage: str, options: TranscribeOptions) -> dict[str, Any]:
    params = asdict(options)
    del params["device"]
    return fileio.artifact(
        stage, params, fileio.versions("faster-whisper", "ctranslate2")
    )


def transcribe_audio(
    audio: str | os.PathLike[str],
    transcript: str | os.PathLike[str],
    srt: str | os.PathLike[str],
    vtt: str | os.PathLike[str],
    options: TranscribeOptions,
    chunks: Sequence[str | os.PathLike[str]] = (),
    transcriber: Transcriber | None = None,
) -> Transcript:
    """Transcribe ``audio`` and write the JSON transcript and full-video captions.

    With ``chunks`` (the transcripts of a long video's chunks, in order), the chunks
    are stitched instead; nothing is transcribed again.
    """
    if not Path(audio).is_file():
        raise ReelmakeError(f"{audio}: audio file is missing; run extract_audio first")
    if chunks:
        result = stitch([load_chunk(path) for path in chunks])
        log.info("stitched %d chunks: %d words", len(chunks), len(result.words))
    else:
        result = (transcriber or FasterWhisperTranscriber()).transcribe(
            Path(audio), options
        )
    data = _header("transcription", options)
    data.update(
        model=options.model,
        language=result.language,
        duration=result.duration,
        word_count=len(result.words),
        segment_count=len(result.segments),
        chunk_count=max(len(chunks), 1),
        words=[asdict(w) for w in result.words],
        segments=[asdict(s) for s in result.segments],
    )
    cues = captions.cues_from_words(result.words)
    fileio.write_text(srt, captions.to_srt(cues))
    fileio.write_text(vtt, captions.to_vtt(cues))
    # The JSON goes last: its presence says the whole stage finished.
    fileio.write_json(transcript, data)
    return result


# --- Long videos: chunks cut at silences, transcribed as separate jobs -------------


@dataclass(frozen=True)
class ChunkOptions:
    # Videos longer than this are split; 0 never splits.
    above_minutes: float = 30.0
    # The length a chunk aims at; cuts move to the nearest pause.
    minutes: float = 10.0
    # How far (seconds) a cut may move from its even position to find a pause.
    search_seconds: float = 60.0


@dataclass(frozen=True)
class Cut:
    at: float
    # The pause the cut sits in (seconds); 0 when no pause was found in reach.
    pause: float


def wav_duration(audio: str | os.PathLike[str]) -> float:
    with wave.open(str(audio), "rb") as wav:
        return wav.getnframes() / float(wav.getframerate())


def speech_gaps(samples: Any, offset: float) -> list[tuple[float, float]]:
    """Pauses between speech in ``samples`` (Silero VAD), in the file's time."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    speech = get_speech_timestamps(
        samples,
        VadOptions(min_silence_duration_ms=150, speech_pad_ms=30),
        sampling_rate=SAMPLE_RATE,
    )
    return [
        (offset + a["end"] / SAMPLE_RATE, offset + b["start"] / SAMPLE_RATE)
        for a, b in zip(speech, speech[1:], strict=False)
    ]


def _quietest(samples: Any, offset: float) -> float:
    """The middle of the quietest 50 ms of ``samples``: the cut of last resort."""
    import numpy as np

    frame = SAMPLE_RATE // 20
    count = max(len(samples) // frame, 1)
    frames = np.resize(samples[: count * frame], (count, frame))
    quietest = int(np.argmin((frames.astype(np.float64) ** 2).mean(axis=1)))
    return offset + (quietest + 0.5) * frame / SAMPLE_RATE


def find_cut(audio: Path, ideal: float, low: float, high: float) -> Cut:
    """The pause nearest to ``ideal`` between ``low`` and ``high``; the longest
    pause wins among those about as near."""
    samples = read_window(audio, low, high)
    gaps = [(a, b) for a, b in speech_gaps(samples, low) if b - a >= 0.15]
    if not gaps:
        log.warning(
            "no pause between %.1f and %.1f s; cutting at the quietest moment",
            low, high,
        )  # fmt: skip
        return Cut(round(_quietest(samples, low), 3), 0.0)
    # Distance to the ideal point, less a bonus for long pauses (up to 2 s).
    a, b = min(
        gaps, key=lambda g: abs((g[0] + g[1]) / 2 - ideal) - 4 * min(g[1] - g[0], 0.5)
    )
    return Cut(round((a + b) / 2, 3), round(b - a, 3))


def plan_chunks(
    audio: str | os.PathLike[str], plan: str | os.PathLike[str], options: ChunkOptions
) -> list[tuple[float, float]]:
    """Decide where a long video's transcription is split; write the plan.

    A video no longer than ``above_minutes`` gets one chunk (it is not split).
    """
    duration = wav_duration(audio)
    windows = [(0.0, duration)]
    cuts: list[Cut] = []
    if options.above_minutes > 0 and duration > options.above_minutes * 60:
        count = math.ceil(duration / (options.minutes * 60))
        step = duration / count
        reach = min(options.search_seconds, step / 3)
        for i in range(1, count):
            ideal = i * step
            cuts.append(find_cut(Path(audio), ideal, ideal - reach, ideal + reach))
        edges = [0.0, *(c.at for c in cuts), duration]
        windows = list(zip(edges, edges[1:], strict=False))
        log.info(
            "%.1f s of audio in %d chunks, cut at %s s",
            duration, count, ", ".join(f"{c.at:.2f}" for c in cuts),
        )  # fmt: skip
    data = fileio.artifact("transcription_plan", asdict(options), {})
    data.update(
        duration=round(duration, 3),
        chunks=[{"start": round(a, 3), "end": round(b, 3)} for a, b in windows],
        cuts=[asdict(c) for c in cuts],
    )
    fileio.write_json(plan, data)
    return windows


def load_plan(path: str | os.PathLike[str]) -> list[tuple[float, float]]:
    data = fileio.read_json(path)
    return [(float(c["start"]), float(c["end"])) for c in data["chunks"]]


def chunk_name(index: int) -> str:
    return f"{index:03d}"


def transcribe_chunk(
    audio: str | os.PathLike[str],
    plan: str | os.PathLike[str],
    chunk: str,
    target: str | os.PathLike[str],
    options: TranscribeOptions,
    transcriber: Transcriber | None = None,
) -> Transcript:
    """Transcribe one chunk of the plan; its times are the whole file's times."""
    windows = load_plan(plan)
    index = int(chunk)
    if not 0 <= index < len(windows):
        raise ReelmakeError(f"{plan}: the plan has no chunk {chunk}")
    window = windows[index]
    result = (transcriber or FasterWhisperTranscriber()).transcribe(
        Path(audio), options, window=window
    )
    data = _header("transcription_chunk", options)
    data.update(
        chunk=index,
        start=window[0],
        end=window[1],
        language=result.language,
        duration=result.duration,
        words=[asdict(w) for w in result.words],
        segments=[asdict(s) for s in result.segments],
    )
    fileio.write_json(target, data)
    return result


@dataclass(frozen=True)
class Chunk:
    start: float
    end: float
    transcript: Transcript


def load_chunk(path: str | os.PathLike[str]) -> Chunk:
    data = fileio.read_json(path)
    if data.get("stage") != "transcription_chunk":
        raise ReelmakeError(f"{path}: not a chunk transcript")
    return Chunk(data["start"], data["end"], Transcript.from_json(data))


def stitch(chunks: Sequence[Chunk]) -> Transcript:
    """One transcript from consecutive chunks; word and segment indices renumbered."""
    words: list[Word] = []
    segments: list[Segment] = []
    languages: dict[str, float] = {}
    for chunk in sorted(chunks, key=lambda c: c.start):
        base = len(words)
        words += chunk.transcript.words
        segments += [
            Segment(s.start, s.end, s.text, s.first_word + base, s.word_count)
            for s in chunk.transcript.segments
        ]
        lang = chunk.transcript.language
        languages[lang] = languages.get(lang, 0.0) + chunk.end - chunk.start
    if any(b.start < a.end for a, b in zip(words, words[1:], strict=False)):
        raise ReelmakeError("chunk transcripts overlap; transcribe the chunks again")
    duration = max((c.end for c in chunks), default=0.0)
    language = max(languages, key=languages.__getitem__) if languages else "en"
    return Transcript(language, round(duration, 3), words, segments)


def load_transcript(path: str | os.PathLike[str]) -> Transcript:
    return Transcript.from_json(fileio.read_json(path))
