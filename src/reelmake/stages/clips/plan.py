"""The edit plan of a clip: everything its render does, decided offline and written
beside the clip as a readable JSON file (``clips/<clip>.plan.json``).

A plan holds the source ranges the clip keeps (hesitations and long pauses cut out
on word boundaries), the output's size, the layout and the crop window of every
frame (one window following the speaker, two stacked for two people talking, the
whole frame fitted, or the source's picture), the caption words on the clip's own
timeline with their style, the title card, and the sound's gain (the loudness
measured in a first pass). Rendering reads nothing else, so a change of style,
trimming or loudness re-renders without tracking, scoring or transcribing again.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, Self

from reelmake.core import captions, config, fileio
from reelmake.core.errors import ReelmakeError
from reelmake.core.media import tool
from reelmake.core.options import Options
from reelmake.stages import framing
from reelmake.stages.clips import styles, trim
from reelmake.stages.highlights import load_description
from reelmake.stages.scores import passage

log = logging.getLogger(__name__)

# The format of a plan; a new one re-renders every clip.
PLAN_VERSION = 1
ASPECTS = {"9:16": Fraction(9, 16), "1:1": Fraction(1, 1), "16:9": Fraction(16, 9)}
# Short fades where the sound is cut, so that no click is heard.
FADE_SECONDS = 0.012
# The sound of every clip: what the render's last filters make of it, so that the
# loudness measured in the plan is the loudness delivered.
OUTPUT_SOUND = "aresample=48000,aformat=sample_rates=48000:channel_layouts=stereo,"
# Passes through the limiter to make up the loudness it takes.
MAKE_UP_PASSES = 3
# The speaker may start talking at a word that follows a pause this long.
TURN_PAUSE = 0.25
_CLIPS = config.defaults("clips")
_POSITIONS = {"bottom": None, "center": 0.55, "top": 0.2}


@dataclass(frozen=True)
class PlanOptions(framing.FrameOptions, Options):
    """``clips``: how a clip looks and sounds, its format's values filled in where
    the config leaves them null. ``caption`` and ``title_card`` are the resolved
    caption style and title card (a style's values, with the config's overrides)."""

    section = "clips"
    computed = ("caption", "title_card")

    format: str = _CLIPS["format"]
    aspect: str | None = _CLIPS["aspect"]
    size: list[int] | None = _CLIPS["size"]
    max_height: int = _CLIPS["max_height"]
    layout: str | None = _CLIPS["layout"]
    burn_captions: bool | None = _CLIPS["burn_captions"]
    caption_style: str | None = _CLIPS["caption_style"]
    font_size: int = _CLIPS["font_size"]
    position: str | None = _CLIPS["position"]
    highlight_word: bool | None = _CLIPS["highlight_word"]
    highlight_colour: str | None = _CLIPS["highlight_colour"]
    title: bool | None = _CLIPS["title"]
    title_seconds: float = _CLIPS["title_seconds"]
    trim: str | None = _CLIPS["trim"]
    max_pause: float | None = _CLIPS["max_pause"]
    keep_pause: float | None = _CLIPS["keep_pause"]
    loudness: bool | None = _CLIPS["loudness"]
    loudness_target: float = _CLIPS["loudness_target"]
    true_peak: float = _CLIPS["true_peak"]
    audiogram_image: str | None = _CLIPS["audiogram_image"]
    caption: dict[str, Any] | None = None
    title_card: dict[str, Any] | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        settings = cls.settings(config)
        own = {f.name for f in fields(cls)} - set(cls.computed)
        return cls(**{k: v for k, v in settings.items() if k in own}).resolved()

    def resolved(self) -> Self:
        """Every null taken from the format, the caption style and title card made
        concrete; a name that is not in the presets stops here, in one line."""
        preset = styles.format_settings(self.format)
        filled: dict[str, Any] = {}
        for key in ("aspect", "size", "layout", "burn_captions", "caption_style",
                    "title", "trim", "loudness"):  # fmt: skip
            own = getattr(self, key)
            filled[key] = preset.get(key) if own is None else own
        if self.reframe == "fit" and filled["layout"] in ("auto", "single"):
            filled["layout"] = "fit"
        style = styles.caption_style(str(filled["caption_style"]))
        style = replace(
            style,
            size=(self.font_size / _nominal_height(filled)) or style.size,
            position=_POSITIONS.get(self.position or "bottom") or style.position,
            highlight=(
                style.highlight if self.highlight_word is None
                else ("spoken" if self.highlight_word else "none")
            ),
            highlight_colour=self.highlight_colour or style.highlight_colour,
        )  # fmt: skip
        title = styles.shipped().title
        card = replace(title, seconds=self.title_seconds)
        return replace(
            self,
            **filled,
            caption=asdict(style),
            title_card=asdict(card) if filled["title"] else None,
        )

    @property
    def style(self) -> styles.CaptionStyle:
        return styles.CaptionStyle(**(self.caption or {}))

    def trim_pauses(self) -> tuple[float | None, float]:
        """The pause a trimmed clip shortens, and what it keeps of one."""
        level = trim.LEVELS[self.trim or "off"]
        if level is None:
            return None, 0.0
        return (self.max_pause or level[0], self.keep_pause or level[1])


def needs_faces(config: Mapping[str, Any]) -> bool:
    """Whether a clip's window follows a face: only then are faces tracked."""
    options = PlanOptions.from_config(config)
    return (
        options.aspect != "source"
        and options.reframe == "face"
        and options.layout != "fit"
    )


def _nominal_height(filled: Mapping[str, Any]) -> int:
    size = filled.get("size")
    return int(size[1]) if size else 1080


# -- sizes ----------------------------------------------------------------------


def output_size(width: int, height: int, options: PlanOptions) -> tuple[int, int]:
    """The clip's size: the format's, or (source shape) the source's scaled down to
    ``max_height``, both sides even."""
    if options.size:
        w, h = options.size
        return w - w % 2, h - h % 2
    ratio = Fraction(width, height)
    target = min(height, options.max_height)
    for h in range(target - target % 2, 1, -2):
        exact = h * ratio
        if exact.denominator == 1 and exact.numerator % 2 == 0:
            return int(exact), h
    h = target - target % 2
    return max(2, round(h * ratio / 2) * 2), h


def crop_size(width: int, height: int, shape: Fraction) -> tuple[int, int]:
    """The largest window of ``shape`` inside the frame, both sides even."""
    crop_w = min(width, int(height * shape))
    crop_h = min(height, int(width / shape))
    return crop_w - crop_w % 2, crop_h - crop_h % 2


# -- the plan -------------------------------------------------------------------


@dataclass
class Window:
    """A crop window: its size in source pixels and where it sits from each output
    frame on, as runs ``[frame, x, y]`` (the window keeps its place until the next).
    ``pane``: where it is drawn on the output, ``[x, y, width, height]``."""

    width: int
    height: int
    pane: list[int]
    runs: list[list[int]] = field(default_factory=list)
    follows: list[int] = field(default_factory=list)

    def place_at(self, frame: int) -> tuple[int, int]:
        x, y = self.runs[0][1], self.runs[0][2]
        for f, rx, ry in self.runs:
            if f > frame:
                break
            x, y = rx, ry
        return x, y


def _runs(xs: Sequence[int], ys: Sequence[int]) -> list[list[int]]:
    out: list[list[int]] = []
    for f, (x, y) in enumerate(zip(xs, ys, strict=True)):
        if not out or (out[-1][1], out[-1][2]) != (x, y):
            out.append([f, int(x), int(y)])
    return out


def _kept_frames(
    span: tuple[float, float], ranges: Sequence[tuple[float, float]], fps: float
) -> list[int]:
    """Indices, among the span's frames, of the frames the ranges keep."""
    first = round(span[0] * fps)
    out: list[int] = []
    for a, b in ranges:
        out += range(round(a * fps) - first, round(b * fps) - first)
    return out


def _window(
    path: framing.CropPath,
    keep: Sequence[int],
    pane: list[int],
) -> Window:
    last = len(path.xs) - 1
    xs = [path.xs[min(i, last)] for i in keep]
    ys = [path.ys[min(i, last)] for i in keep]
    follows = sorted({s for s in path.subjects if s is not None})
    return Window(path.width, path.height, pane, _runs(xs, ys), follows)


def plan_layout(
    subjects: Mapping[str, Any] | None,
    span: tuple[float, float],
    keep: Sequence[int],
    fps: float,
    frame: tuple[int, int],
    out: tuple[int, int],
    options: PlanOptions,
    turns: Sequence[float],
) -> dict[str, Any]:
    """The layout and its windows (see :class:`Window`)."""
    width, height = frame
    out_w, out_h = out
    if options.aspect == "source":
        whole = Window(width, height, [0, 0, out_w, out_h], [[0, 0, 0]])
        return {
            "kind": "source",
            "reason": "the source's picture",
            "windows": [asdict(whole)],
        }
    if options.layout == "fit":
        whole = Window(width, height, [0, 0, out_w, out_h], [[0, 0, 0]])
        return {"kind": "fit", "reason": "the whole frame, fitted",
                "windows": [asdict(whole)]}  # fmt: skip
    single = crop_size(width, height, Fraction(out_w, out_h))
    data = dict(subjects) if subjects is not None else None
    kind, faces, why = "single", list[int](), ""
    if (
        data is not None
        and options.reframe == "face"
        and options.layout in ("auto", "split")
    ):
        kind, faces, why = framing.choose_layout(data, span[0], span[1], single[0])
        if options.layout == "split" and kind != "split":
            why = f"split asked for, but {why}"
    if kind == "split":
        half = crop_size(width, height, Fraction(out_w, out_h // 2))
        windows = []
        for i, face in enumerate(faces):
            path = framing.plan_crop(data, span[0], span[1], fps, half, frame, options,
                                     follow=face, turns=turns)  # fmt: skip
            pane = [0, i * (out_h // 2), out_w, out_h // 2]
            windows.append(asdict(_window(path, keep, pane)))
        return {"kind": "split", "reason": why, "windows": windows}
    if options.reframe == "face" and data is None:
        raise ReelmakeError("clips.reframe: face needs the video's tracked faces")
    path = framing.plan_crop(data, span[0], span[1], fps, single, frame, options,
                             turns=turns)  # fmt: skip
    mode = "fit" if path.mode == "fit" else "single"
    reason = path.reason + (f"; {why}" if why else "")
    return {"kind": mode, "reason": reason,
            "windows": [asdict(_window(path, keep, [0, 0, out_w, out_h]))]}  # fmt: skip


def _measure(sound: Path, effects: str = "") -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) of a WAV file, after
    ``effects`` (filters ending in a comma) when given: ffmpeg's EBU R128 meter,
    under a third of the CPU of its ``loudnorm`` filter, which measures the same
    after resampling to 192 kHz."""
    result = subprocess.run(
        [tool("ffmpeg"), "-nostdin", "-hide_banner", "-nostats", "-i", str(sound),
         "-af", f"{effects}ebur128=peak=true", "-f", "null", "-"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    summary = result.stderr.rpartition("Summary:")[2]
    loudness = re.search(r"\bI:\s+(-?(?:[0-9.]+|inf)) LUFS", summary)
    peak = re.search(r"\bPeak:\s+(-?(?:[0-9.]+|inf)) dBFS", summary)
    if result.returncode != 0 or loudness is None or peak is None:
        raise ReelmakeError(
            f"{sound}: loudness could not be measured "
            f"({result.stderr.strip().splitlines()[-1:]})"
        )
    return float(loudness.group(1)), float(peak.group(1))


def kept_sound(
    source: str | os.PathLike[str],
    ranges: Sequence[tuple[float, float]],
    target: Path,
) -> Path:
    """The sound a clip keeps, as the render makes it before levelling, to a WAV
    file: decoded from the source once for every pass of :func:`plan_gain`."""
    graph = audio_chain(ranges, ranges[0][0]) + OUTPUT_SOUND.rstrip(",")
    result = subprocess.run(
        [tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
         "-ss", f"{ranges[0][0]:.6f}", "-to", f"{ranges[-1][1]:.6f}",
         "-i", os.path.abspath(source), "-vn", "-filter_complex", graph,
         "-c:a", "pcm_f32le", str(target)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise ReelmakeError(
            f"{os.path.realpath(source)}: the clip's sound could not be read "
            f"({result.stderr.strip().splitlines()[-1:]})"
        )
    return target


def plan_gain(
    source: str | os.PathLike[str],
    ranges: Sequence[tuple[float, float]],
    target: float,
    true_peak: float,
) -> dict[str, float] | None:
    """The sound's levelling, decided over the kept sound (EBU R128): measured, then
    the gain that brings it to ``target`` LUFS under a limiter that holds peaks half
    a decibel under ``true_peak``, made up for what the limiter takes (measured
    through it). None for a silent clip."""
    with tempfile.TemporaryDirectory() as tmp:
        sound = kept_sound(source, ranges, Path(tmp) / "sound.wav")
        loudness, peak = _measure(sound)
        if not (_finite(loudness) and loudness > -70):
            return None
        limit = true_peak - 0.5
        gain = target - loudness
        # The limiter takes more as the gain grows: measured through it, the gain
        # is made up until the clip is within a fifth of a unit of the target.
        for _ in range(MAKE_UP_PASSES):
            levelled, _ = _measure(sound, levelling(gain, limit) + ",")
            if not _finite(levelled) or abs(target - levelled) < 0.2:
                break
            gain += target - levelled
    return {
        "target": target,
        "true_peak": true_peak,
        "gain_db": round(gain, 2),
        "limit_db": limit,
        "measured_lufs": round(loudness, 2),
        "measured_true_peak": round(peak, 2),
    }


def levelling(gain: float, limit: float) -> str:
    """The filters that apply a plan's gain under its limiter."""
    return (
        f"volume={gain:.2f}dB,"
        f"alimiter=limit={10 ** (limit / 20):.4f}:level=false:attack=5:release=60"
    )


def _finite(value: float) -> bool:
    return value == value and abs(value) != float("inf")


def audio_chain(ranges: Sequence[tuple[float, float]], origin: float) -> str:
    """The kept stretches of the input's sound, joined with short fades (times from
    ``origin``, where the input was cut), ending in a filter's input pad."""
    parts = []
    for i, (a, b) in enumerate(ranges):
        length = b - a
        fade = min(FADE_SECONDS, length / 4)
        parts.append(
            f"[0:a]atrim=start={a - origin:.6f}:end={b - origin:.6f},"
            f"asetpts=PTS-STARTPTS,afade=t=in:d={fade:.4f},"
            f"afade=t=out:st={max(0.0, length - fade):.6f}:d={fade:.4f}[a{i}];"
        )
    joined = "".join(f"[a{i}]" for i in range(len(ranges)))
    return "".join(parts) + f"{joined}concat=n={len(ranges)}:v=0:a=1,"


def _turns(words: Sequence[trim.Timed]) -> list[float]:
    """Where a speaker may start: words that follow a pause (or open the talk)."""
    out = []
    for i, w in enumerate(words):
        if i == 0 or w.start - words[i - 1].end >= TURN_PAUSE:
            out.append(w.start)
    return out


def build_plan(
    description: Mapping[str, Any],
    words: Sequence[trim.Timed],
    info: Mapping[str, Any],
    options: PlanOptions,
    subjects: Mapping[str, Any] | None = None,
    loudness: dict[str, float] | None = None,
    quiet: Sequence[tuple[float, float]] = (),
    picture: str | None = None,
) -> dict[str, Any]:
    """A clip's plan from its description (span, title, corrected words), the
    transcript's words, the source's probe and the tracked faces; ``loudness``: the
    sound's levelling (see :func:`plan_gain`); ``quiet``: the silences of the span
    (see :func:`trim.silences`); ``picture``: for a source with no picture, the
    still its audiogram shows (None: a plain card)."""
    stream = next((s for s in info["streams"] if s["kind"] == "video"), None)
    fps = float(stream["fps"] or 25.0) if stream else AUDIOGRAM_FPS
    span = (_snap(description["start"], fps), _snap(description["end"], fps))
    inside = [w for w in words if w.start >= span[0] - 1e-6 and w.end <= span[1] + 1e-6]
    max_pause, keep_pause = options.trim_pauses()
    kept = trim.kept_ranges(inside, span[0], span[1], max_pause, keep_pause, quiet)
    ranges = trim.snap_ranges(kept, fps) or [span]
    if stream is None:  # sound alone: an audiogram
        frame = None
        out = audiogram_size(options)
        layout = audiogram_layout(out, picture or options.audiogram_image, picture)
    else:
        frame = (int(stream["width"]), int(stream["height"]))
        out = target_size(frame, options)
        keep = _kept_frames(span, ranges, fps)
        layout = plan_layout(subjects, span, keep, fps, frame, out, options,
                             _turns(words))  # fmt: skip
    spoken = [w for w in trim.retime(inside, ranges) if not trim.is_filler(w.text)]
    keys = _keywords(" ".join(w.text for w in spoken))
    caption_words = [
        {"text": w.text.strip(), "start": w.start, "end": w.end,
         "key": _bare(w.text) in keys}
        for w in spoken
    ]  # fmt: skip
    duration = round(sum(b - a for a, b in ranges), 6)
    title = (description.get("hook_title") or description.get("title") or "").strip()
    burn = bool(options.burn_captions)
    drawn = burn or bool(options.title_card and title) or layout["kind"] != "source"
    plan = fileio.artifact("clips", {"options": options.tracked()}, fileio.versions())
    plan.update(
        kind="plan",
        version=PLAN_VERSION,
        clip=description["clip"],
        span=list(span),
        ranges=[list(r) for r in ranges],
        duration=duration,
        source=(
            {"width": frame[0], "height": frame[1], "fps": fps} if frame
            else {"picture": False}
        ),
        output={"width": out[0], "height": out[1], "fps": fps},
        layout=layout,
        captions={
            "burn": burn,
            "style": options.caption if burn else None,
            "words": caption_words,
        },
        title=(
            # A plain card shows the title throughout: it is all there is to see.
            {"text": title,
             "seconds": duration if _plain_card(layout)
             else min(options.title_seconds, duration),
             "style": options.title_card}
            if options.title_card and title else None
        ),
        audio={
            "fade": FADE_SECONDS,
            "loudness": loudness if options.loudness else None,
        },
        # One uncropped range with nothing drawn on it and the sound untouched: its
        # compressed frames can be copied (smart cut).
        copyable=len(ranges) == 1 and not drawn and frame is not None
        and not (options.loudness and loudness is not None)
        and out == frame,
    )  # fmt: skip
    return plan


# An audiogram's pictures per second (its still and its moving waveform).
AUDIOGRAM_FPS = 30.0


def audiogram_size(options: PlanOptions) -> tuple[int, int]:
    """An audiogram's size: the format's (a source shape: a square 1080x1080)."""
    if options.size:
        w, h = options.size
        return w - w % 2, h - h % 2
    if options.aspect in ASPECTS:
        return target_size((1080, 1080), options)
    return 1080, 1080


def audiogram_layout(
    out: tuple[int, int], image: str | None, cover: str | None
) -> dict[str, Any]:
    """The still (the episode's cover, the configured image, or a plain card) in
    the upper part, a waveform across the middle, clear of the captions."""
    width, height = out
    side = min(width, round(height * 0.45)) // 2 * 2
    return {
        "kind": "audiogram",
        "reason": (
            "the episode's cover"
            if image and image == cover
            else "the configured picture"
            if image
            else "a plain card"
        ),  # fmt: skip
        "image": image,
        "still": [(width - side) // 2, round(height * 0.06), side, side],
        "wave": [0, round(height * 0.53), width, round(height * 0.1) // 2 * 2],
        "windows": [],
    }


def _plain_card(layout: Mapping[str, Any]) -> bool:
    return layout["kind"] == "audiogram" and not layout["image"]


def _bare(text: str) -> str:
    return passage.stem(re.sub(r"[^\w'-]+", "", text).lower())


def _keywords(text: str) -> set[str]:
    """The passage's most specific words (stems), which some styles colour."""
    found = set()
    for term in passage.keywords(text, 4):
        # A name of several words ("NewYork") is coloured word by word.
        found |= {_bare(part) for part in re.findall(r"[A-Z]?[a-z']+|\d+", term)}
        found.add(_bare(term))
    return found


def target_size(frame: tuple[int, int], options: PlanOptions) -> tuple[int, int]:
    """The clip's size: the configured one, the shape's usual one (1080 pixels on
    the short side, at most ``max_height`` tall), or the source's scaled down."""
    if options.size:
        w, h = options.size
    elif options.aspect in ASPECTS:
        shape = ASPECTS[str(options.aspect)]
        h = min(options.max_height, 1920 if shape < 1 else 1080)
        w = round(h * shape)
    else:
        return output_size(*frame, options)
    return w - w % 2, h - h % 2


def _snap(seconds: float, fps: float) -> float:
    return round(round(seconds * fps) / fps, 6)


def caption_cues(plan: Mapping[str, Any]) -> list[captions.Cue]:
    """The plan's caption words as SubRip/WebVTT cues on the clip's timeline."""
    words = [
        trim.Timed(w["text"], w["start"], w["end"]) for w in plan["captions"]["words"]
    ]
    cues = captions.cues_from_words(words)
    return [captions.Cue(c.start, min(c.end, plan["duration"]), c.text) for c in cues]


def plan_clip(
    source: str | os.PathLike[str],
    description: str | os.PathLike[str],
    audio: str | os.PathLike[str],
    video_json: str | os.PathLike[str],
    plan: str | os.PathLike[str],
    srt: str | os.PathLike[str],
    vtt: str | os.PathLike[str],
    options: PlanOptions,
    subjects: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Write the edit plan of the clip ``description`` names (its span, title and
    words, a person's corrections in them), and its caption files (``audio``: the
    speech, where pauses are found; ``subjects``: the faces tracked over the clip's
    span, when a window follows one)."""
    wanted = load_description(description)
    words = [trim.Timed(w["text"], w["start"], w["end"]) for w in wanted["words"]]
    info = fileio.read_json(video_json)
    faces = fileio.read_json(subjects) if subjects else None
    max_pause, _ = options.trim_pauses()
    quiet = (
        trim.silences(audio, wanted["start"], wanted["end"], max_pause)
        if max_pause is not None else []
    )  # fmt: skip
    cover = info.get("cover_file")
    picture = str(Path(video_json).parent / cover) if cover else None
    made = build_plan(wanted, words, info, options, faces, quiet=quiet,
                      picture=picture)  # fmt: skip
    if options.loudness:
        ranges = [(float(a), float(b)) for a, b in made["ranges"]]
        gain = plan_gain(source, ranges, options.loudness_target, options.true_peak)
        if gain is not None:
            made["audio"]["loudness"] = gain
            made["copyable"] = False
    cues = caption_cues(made)
    fileio.write_text(srt, captions.to_srt(cues))
    fileio.write_text(vtt, captions.to_vtt(cues))
    fileio.write_json(plan, made)
    log.info(
        "plan of %s: %d range(s), %.2f of %.2f s kept, layout %s (%s)",
        made["clip"], len(made["ranges"]), made["duration"],
        made["span"][1] - made["span"][0], made["layout"]["kind"],
        made["layout"]["reason"],
    )  # fmt: skip
    return made


def load_plan(path: str | os.PathLike[str]) -> dict[str, Any]:
    data = fileio.read_artifact(path, "clips")
    if data.get("kind") != "plan" or data.get("version") != PLAN_VERSION:
        raise ValueError(f"{path}: not a clip plan of version {PLAN_VERSION}")
    return data


def summary(paths: Mapping[str, Path]) -> dict[str, Any]:
    """The stage state's clips (each plan must read as one), with how many of each
    layout their framing chose and how many follow a face (a split screen, or a
    window whose plan says it follows one)."""
    layouts: dict[str, int] = {}
    following = 0
    for key, path in paths.items():
        if key.startswith("plan:"):
            layout = load_plan(path)["layout"]
            layouts[layout["kind"]] = layouts.get(layout["kind"], 0) + 1
            reason = str(layout.get("reason", ""))
            following += layout["kind"] == "split" or reason.startswith("following")
    videos = sorted(str(p) for key, p in paths.items() if key.startswith("video:"))
    return {
        "clip_count": len(videos),
        "clips": videos,
        "layouts": layouts,
        "following_a_face": following,
    }
