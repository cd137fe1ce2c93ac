"""Speech to word-timed text with faster-whisper, offline: the weights ship in a package
or come from the local cache (:mod:`reelmake.stages.whisper`).

The transcript keeps every word with its own start and end: later stages build sentences
and clip boundaries from words, not from Whisper's segments.
"""

from __future__ import annotations

import logging
import math
import os
import wave
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from reelmake.core import captions, config, fileio
from reelmake.core.errors import ReelmakeError
from reelmake.core.options import Options
from reelmake.stages import whisper

# The label results of this stage carried before it took its name.
FORMER = ("transcription",)

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


_TRANSCRIBE = config.defaults("transcript")


@dataclass(frozen=True)
class TranscribeOptions(Options):
    """``transcript``: the settings that change the words; ``threads`` and the device
    are the job's own (where it ran does not change what it heard)."""

    section = "transcript"
    runtime = ("threads", "device")
    # gpus: a scheduler's resource; chunk: the chunk plan's own section.
    derived = ("gpus", "chunk")

    model: str = _TRANSCRIBE["model"]
    language: str | None = _TRANSCRIBE["language"]
    vad: bool = _TRANSCRIBE["vad"]
    beam_size: int = _TRANSCRIBE["beam_size"]
    compute_type: str = _TRANSCRIBE["compute_type"]
    # > 0: faster-whisper's batched pipeline (it needs the VAD to cut the audio into
    # chunks), that many chunks at once; measured faster and as accurate (benchmarks)
    batch_size: int = _TRANSCRIBE["batch_size"]
    threads: int = _TRANSCRIBE["threads"]
    # auto: a CUDA device when CTranslate2 sees one (a GPU node), else the CPU. Not a
    # param of the transcript: where it ran does not change what it is.
    device: str = _TRANSCRIBE["device"]


# Whisper's input rate; audio.wav is written at this rate by default.
SAMPLE_RATE = 16000

# A stretch of audio given to Whisper at once: its first and end sample.
Clip = tuple[int, int]


class Transcriber(Protocol):
    def transcribe(
        self,
        audio: Path,
        options: TranscribeOptions,
        window: tuple[float, float] | None = None,
        clips: Sequence[Clip] | None = None,
    ) -> Transcript: ...


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
    comes from :mod:`reelmake.stages.whisper` (``model_cache``: where it keeps the
    models it assembles)."""

    def __init__(self, model_cache: str | os.PathLike[str] | None = None) -> None:
        self.model_cache = model_cache

    def transcribe(
        self,
        audio: Path,
        options: TranscribeOptions,
        window: tuple[float, float] | None = None,
        clips: Sequence[Clip] | None = None,
    ) -> Transcript:
        """Transcribe ``audio``, or only ``window`` (start, end seconds) of it with
        every time given in the whole file's time.

        The batched pipeline hears the audio as :func:`speech_clips`; a window needs
        ``clips``, the whole file's clips that fall in it (see :func:`plan_chunks`).
        """
        # A stray model-hub request must fail at once rather than hang offline.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from faster_whisper import WhisperModel

        model_dir = whisper.resolve(options.model, self.model_cache)
        device, compute_type = whisper.placement(options.device, options.compute_type)
        model = WhisperModel(
            str(model_dir),
            device=device,
            compute_type=compute_type,
            cpu_threads=options.threads,
        )
        common: dict[str, Any] = {
            "language": options.language,
            "beam_size": options.beam_size,
            "word_timestamps": True,
            "vad_filter": options.vad,
        }
        begin, limit = window or (0.0, wav_duration(audio))
        log.info(
            "transcribing %s from %.2f to %.2f s with %s on %s",
            audio, begin, limit, options.model, device,
        )  # fmt: skip
        samples = read_window(audio, begin, limit)
        # The first sample read: times in the window are counted from it.
        first_sample = int(round(begin * SAMPLE_RATE))
        offset = first_sample / SAMPLE_RATE
        if options.batch_size > 0 and options.vad:
            from faster_whisper import BatchedInferencePipeline

            if clips is None:
                if window is not None:
                    raise ValueError("a window of the batched pipeline needs its clips")
                clips = speech_clips(samples)
            if not clips:
                log.info("no speech in %s", audio)
                return Transcript(options.language or "en", round(limit - begin, 3))
            # Half a sample on: the pipeline rounds seconds down to samples.
            spans = [
                {"start": (a - first_sample + 0.5) / SAMPLE_RATE,
                 "end": (b - first_sample + 0.5) / SAMPLE_RATE}
                for a, b in clips
            ]  # fmt: skip
            pipeline = BatchedInferencePipeline(model)
            found, info = pipeline.transcribe(
                samples,
                batch_size=options.batch_size,
                clip_timestamps=spans,
                **common,
            )
            heard = _heard(found, info.duration)
            missed = missed_speech(samples, spans, heard)
            if missed:
                # Decoding a clip in one pass, Whisper now and then skips a stretch of
                # it (most often a new voice after a pause): hear those again alone.
                log.info(
                    "hearing again what the first pass skipped: %s",
                    ", ".join(
                        f"{m['start'] + offset:.1f}-{m['end'] + offset:.1f} s"
                        for m in missed
                    ),
                )
                again, _ = pipeline.transcribe(
                    samples,
                    batch_size=options.batch_size,
                    clip_timestamps=missed,
                    **common,
                )
                heard += _heard(again, info.duration)
        else:
            found, info = model.transcribe(
                samples, condition_on_previous_text=False, **common
            )
            heard = _heard(found, info.duration)
        words, segments = _assemble(heard, offset, limit)
        return Transcript(info.language, round(limit - begin, 3), words, segments)


def _assemble(
    heard: Sequence[Heard],
    offset: float,
    limit: float,
) -> tuple[list[Word], list[Segment]]:
    """Words and segments in the whole file's time from what Whisper heard (each
    segment's text and its words' start, end, text and probability)."""
    words: list[Word] = []
    segments: list[Segment] = []
    last_end = offset
    # In time order; a segment that a second hearing falls inside is split there.
    ordered = sorted(
        (w[0], i, j) for i, (_, ws) in enumerate(heard) for j, w in enumerate(ws)
    )
    run: list[tuple[int, int]] = []
    for k, (_, i, j) in enumerate(ordered):
        start, end, text, probability = heard[i][1][j]
        # Whisper's word times can step back a little at segment seams, and a
        # window's last word must not reach into the next window.
        start = min(max(start + offset, last_end), limit)
        end = min(max(end + offset, start), limit)
        words.append(Word(round(start, 3), round(end, 3), text, probability))
        last_end = end
        run.append((i, j))
        if k + 1 == len(ordered) or ordered[k + 1][1] != i:
            whole = len(run) == len(heard[i][1])
            first = len(words) - len(run)
            segments.append(
                Segment(
                    start=words[first].start,
                    end=words[-1].end,
                    text=heard[i][0] if whole else _join(words[first:]),
                    first_word=first,
                    word_count=len(run),
                )
            )
            run = []
    return words, segments


def _header(stage: str, options: TranscribeOptions) -> dict[str, Any]:
    params = asdict(options)
    del params["device"]
    return fileio.artifact(
        stage, params, fileio.versions("faster-whisper", "ctranslate2")
    )


def transcribe_audio(
    audio: str | os.PathLike[str],
    transcript: str | os.PathLike[str],
    options: TranscribeOptions,
    chunks: Sequence[str | os.PathLike[str]] = (),
    model_cache: str | os.PathLike[str] | None = None,
    transcriber: Transcriber | None = None,
) -> Transcript:
    """Transcribe ``audio`` and write the JSON transcript.

    With ``chunks`` (the transcripts of a long video's chunks, in order), the chunks
    are stitched instead; nothing is transcribed again.
    """
    if not Path(audio).is_file():
        raise ReelmakeError(f"{audio}: audio file is missing; run extract_audio first")
    if chunks:
        result = stitch([load_chunk(path) for path in chunks])
        log.info("stitched %d chunks: %d words", len(chunks), len(result.words))
    else:
        result = (transcriber or FasterWhisperTranscriber(model_cache)).transcribe(
            Path(audio), options
        )
    data = _header("transcript", options)
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
    fileio.write_json(transcript, data)
    return result


def write_captions(
    transcript: str | os.PathLike[str],
    srt: str | os.PathLike[str],
    vtt: str | os.PathLike[str],
    decisions_file: str | os.PathLike[str] | None = None,
) -> None:
    """The whole video's captions (SubRip and WebVTT), with the words a person
    corrected (see :mod:`reelmake.stages.decisions`)."""
    from reelmake.stages import decisions

    fixes = decisions.read(decisions_file).words
    words = [
        Word(w.start, w.end, fixes.get(round(w.start, 3), w.text), w.probability)
        for w in load_transcript(transcript).words
    ]
    cues = captions.cues_from_words(words)
    fileio.write_text(srt, captions.to_srt(cues))
    fileio.write_text(vtt, captions.to_vtt(cues))


# --- Long videos: chunks cut at silences, transcribed as separate jobs -------------


_CHUNK = config.defaults("transcript", "chunk")


@dataclass(frozen=True)
class ChunkOptions(Options):
    """``transcript.chunk``: where a long video's transcription is split."""

    section = "transcript.chunk"

    # Videos longer than this are split; 0 never splits.
    above_minutes: float = _CHUNK["above_minutes"]
    # The length a chunk aims at; cuts move to the nearest pause.
    minutes: float = _CHUNK["minutes"]
    # A cut that moves further than this (seconds, or a third of a chunk) from its
    # even position to reach a pause is reported with a warning.
    search_seconds: float = _CHUNK["search_seconds"]


@dataclass(frozen=True)
class Window:
    """One chunk of a plan: its times and the speech clips it holds."""

    start: float
    end: float
    clips: list[Clip]


@dataclass(frozen=True)
class Cut:
    at: float
    # The pause the cut sits in (seconds); 0 when no pause was found in reach.
    pause: float


def wav_duration(audio: str | os.PathLike[str]) -> float:
    with wave.open(str(audio), "rb") as wav:
        return wav.getnframes() / float(wav.getframerate())


# Whisper hears at most 30 s at a time.
CLIP_SECONDS = 30


def speech_clips(samples: Any) -> list[Clip]:
    """The stretches of ``samples`` the batched pipeline is given, as sample ranges:
    Silero VAD's speech, neighbours joined while a stretch stays within 30 s.

    Always computed on the whole file: a split transcript then hears exactly what an
    unsplit one hears, and chunk cuts fall between clips, in silence.
    """
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    speech = get_speech_timestamps(
        samples,
        VadOptions(max_speech_duration_s=CLIP_SECONDS, min_silence_duration_ms=160),
        sampling_rate=SAMPLE_RATE,
    )
    clips: list[Clip] = []
    for span in speech:
        if clips and span["end"] - clips[-1][0] <= CLIP_SECONDS * SAMPLE_RATE:
            clips[-1] = (clips[-1][0], span["end"])
        else:
            clips.append((span["start"], span["end"]))
    return clips


# A decoded segment: its text and its words (start, end, text, probability), times
# from the first sample given to Whisper.
Heard = tuple[str, list[tuple[float, float, str, float]]]
# This many identical words in a row are a decoding loop, not speech.
LOOP_WORDS = 4


def _heard(segments: Any, duration: float) -> list[Heard]:
    """Decoded segments as plain data, without empty words or decoding loops (a
    stretch whose words are dropped is then heard again as missed speech)."""
    out: list[Heard] = []
    for seg in segments:
        words = [
            (float(w.start), float(w.end), w.word.strip(), round(w.probability, 4))
            for w in seg.words or []
            if w.word.strip()
        ]
        kept = drop_loops(words)
        if kept:
            text = seg.text.strip() if len(kept) == len(words) else _join_text(kept)
            out.append((text, kept))
        log.info("transcribed %.1f of %.1f s", seg.end, duration)
    return out


def _norm(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def drop_loops(
    words: Sequence[tuple[float, float, str, float]],
) -> list[tuple[float, float, str, float]]:
    """``words`` without runs of ``LOOP_WORDS`` or more identical words."""
    out: list[tuple[float, float, str, float]] = []
    i = 0
    while i < len(words):
        j = i
        while j + 1 < len(words) and _norm(words[j + 1][2]) == _norm(words[i][2]):
            j += 1
        if j - i + 1 < LOOP_WORDS:
            out.extend(words[i : j + 1])
        i = j + 1
    return out


def _join_text(words: Sequence[tuple[float, float, str, float]]) -> str:
    return " ".join(w[2] for w in words)


def _join(words: Sequence[Word]) -> str:
    return " ".join(w.text for w in words)


# A stretch this long inside a clip with no word in it is checked for speech.
HOLE_SECONDS = 1.5
# Speech found in a hole is heard again when it lasts at least this long.
MIN_MISSED_SECONDS = 1.5


def missed_speech(
    samples: Any, spans: Sequence[dict[str, float]], heard: Sequence[Heard]
) -> list[dict[str, float]]:
    """Stretches of speech inside ``spans`` (clips, in seconds from the first sample)
    that no decoded word covers: silences of a second or more between a clip's edges
    and its words, in which Silero VAD still hears speech."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    words = sorted((w[0], w[1]) for _, ws in heard for w in ws)
    missed: list[dict[str, float]] = []
    for span in spans:
        inside = [w for w in words if span["start"] <= (w[0] + w[1]) / 2 <= span["end"]]
        edges = [span["start"], *(t for w in inside for t in w), span["end"]]
        for a, b in zip(edges[::2], edges[1::2], strict=True):
            if b - a < HOLE_SECONDS:
                continue
            first = int(a * SAMPLE_RATE)
            speech = get_speech_timestamps(
                samples[first : int(b * SAMPLE_RATE)],
                VadOptions(
                    max_speech_duration_s=CLIP_SECONDS, min_silence_duration_ms=160
                ),
                sampling_rate=SAMPLE_RATE,
            )
            if not speech:
                continue
            start = (first + speech[0]["start"]) / SAMPLE_RATE
            end = (first + speech[-1]["end"]) / SAMPLE_RATE
            if end - start >= MIN_MISSED_SECONDS:
                missed.append({"start": start, "end": min(end, start + CLIP_SECONDS)})
    return missed


def choose_cuts(clips: Sequence[Clip], count: int, reach: float) -> list[Cut]:
    """Up to ``count - 1`` cuts, each in the gap between two clips nearest its even
    position (the longest gap among those about as near), in increasing order."""
    gaps = [(a[1], b[0]) for a, b in zip(clips, clips[1:], strict=False)]
    if not gaps:
        return []
    end = clips[-1][1] / SAMPLE_RATE
    cuts: list[Cut] = []
    for i in range(1, count):
        ideal = i * end / count
        after = [g for g in gaps if not cuts or g[0] / SAMPLE_RATE > cuts[-1].at]
        if not after:
            break

        def cost(gap: tuple[int, int], ideal: float = ideal) -> float:
            middle, pause = (gap[0] + gap[1]) / 2 / SAMPLE_RATE, gap[1] - gap[0]
            return abs(middle - ideal) - 4 * min(pause / SAMPLE_RATE, 0.5)

        gap = min(after, key=cost)
        # On a sample, so that the chunk's first sample is exactly this one.
        at = (gap[0] + gap[1]) // 2 / SAMPLE_RATE
        if abs(at - ideal) > reach:
            log.warning(
                "no pause within %.0f s of %.1f s; cutting at %.1f s", reach, ideal, at
            )  # fmt: skip
        cuts.append(Cut(round(at, 6), round((gap[1] - gap[0]) / SAMPLE_RATE, 3)))
    return cuts


def plan_chunks(
    audio: str | os.PathLike[str], plan: str | os.PathLike[str], options: ChunkOptions
) -> list[Window]:
    """Decide where a long video's transcription is split; write the plan.

    A video no longer than ``above_minutes`` gets one chunk (it is not split). A
    longer one is cut between the clips of :func:`speech_clips`; each chunk keeps the
    clips it holds, so that its job transcribes exactly those.
    """
    duration = wav_duration(audio)
    windows = [Window(0.0, duration, [])]
    cuts: list[Cut] = []
    if options.above_minutes > 0 and duration > options.above_minutes * 60:
        clips = speech_clips(read_window(Path(audio), 0.0, duration))
        count = math.ceil(duration / (options.minutes * 60))
        reach = min(options.search_seconds, duration / count / 3)
        cuts = choose_cuts(clips, count, reach)
        edges = [0.0, *(c.at for c in cuts), duration]
        windows = [
            Window(
                a, b, [c for c in clips if a * SAMPLE_RATE <= c[0] < b * SAMPLE_RATE]
            )
            for a, b in zip(edges, edges[1:], strict=False)
        ]
        log.info(
            "%.1f s of audio, %d speech clips, in %d chunks cut at %s s",
            duration, len(clips), len(windows), ", ".join(f"{c.at:.2f}" for c in cuts),
        )  # fmt: skip
    data = fileio.artifact("transcription_plan", asdict(options), {})
    data.update(
        duration=round(duration, 6),
        chunks=[
            {"start": round(w.start, 6), "end": round(w.end, 6),
             "clips": [list(c) for c in w.clips]}
            for w in windows
        ],
        cuts=[asdict(c) for c in cuts],
    )  # fmt: skip
    fileio.write_json(plan, data)
    return windows


def load_plan(path: str | os.PathLike[str]) -> list[Window]:
    data = fileio.read_json(path)
    return [
        Window(float(c["start"]), float(c["end"]), [(a, b) for a, b in c["clips"]])
        for c in data["chunks"]
    ]


def chunk_name(index: int) -> str:
    return f"{index:03d}"


def chunk_names(plan: str | os.PathLike[str]) -> list[str]:
    """The chunks transcribed as jobs of their own: none when the plan has one."""
    count = len(load_plan(plan))
    return [chunk_name(i) for i in range(count)] if count > 1 else []


def summary(paths: Mapping[str, Path]) -> dict[str, Any]:
    """The stage state's counts of words and segments, the language and model."""
    data = fileio.read_artifact(paths["transcript"], "transcript", FORMER)
    keys = ("segment_count", "word_count", "language", "model")
    return {key: data[key] for key in keys}


def transcribe_chunk(
    audio: str | os.PathLike[str],
    plan: str | os.PathLike[str],
    chunk: str,
    chunk_transcript: str | os.PathLike[str],
    options: TranscribeOptions,
    model_cache: str | os.PathLike[str] | None = None,
    transcriber: Transcriber | None = None,
) -> Transcript:
    """Transcribe one chunk of the plan; its times are the whole file's times."""
    windows = load_plan(plan)
    index = int(chunk)
    if not 0 <= index < len(windows):
        raise ReelmakeError(f"{plan}: the plan has no chunk {chunk}")
    window = windows[index]
    result = (transcriber or FasterWhisperTranscriber(model_cache)).transcribe(
        Path(audio), options, window=(window.start, window.end), clips=window.clips
    )
    data = _header("transcription_chunk", options)
    data.update(
        chunk=index,
        start=window.start,
        end=window.end,
        language=result.language,
        duration=result.duration,
        words=[asdict(w) for w in result.words],
        segments=[asdict(s) for s in result.segments],
    )
    fileio.write_json(chunk_transcript, data)
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
