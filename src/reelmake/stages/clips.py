"""Cutting clips: frame-exact re-encodes with optional crop and burned-in captions.

Stream copy would start at the previous keyframe, so clips are re-encoded (H.264/AAC,
``+faststart``) with boundaries snapped to the source's frame grid. A crop to another
shape follows the speaker (see :mod:`reelmake.framing`), sits in the centre, or fits
the whole frame over a blurred copy of itself; the window it used is written beside
the clip.
"""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, fields
from fractions import Fraction
from pathlib import Path
from typing import Any

from reelmake.core import captions, config, fileio
from reelmake.core.errors import ReelmakeError
from reelmake.core.media import tool
from reelmake.core.options import Options
from reelmake.stages import framing, smartcut
from reelmake.stages.highlights import load_description
from reelmake.stages.transcript import Word, load_transcript

log = logging.getLogger(__name__)

ASPECTS = {"9:16": Fraction(9, 16), "1:1": Fraction(1, 1), "16:9": Fraction(16, 9)}
POSITIONS = {"bottom": 2, "center": 5, "top": 8}  # ASS numpad alignment


_CLIPS = config.defaults("clips")


@dataclass(frozen=True)
class ClipOptions(framing.FrameOptions, Options):
    """``clips``: the picture and captions of a clip; the crop path's settings
    (other shapes than the source's: follow a face, crop the centre, or fit) are
    the :class:`framing.FrameOptions` it extends. ``threads`` are the job's own."""

    section = "clips"
    runtime = ("threads",)

    aspect: str = _CLIPS["aspect"]
    max_height: int = _CLIPS["max_height"]
    burn_captions: bool = _CLIPS["burn_captions"]
    font_size: int = _CLIPS["font_size"]  # 0: a size relative to the frame height
    position: str = _CLIPS["position"]
    highlight_word: bool = _CLIPS["highlight_word"]
    highlight_colour: str = _CLIPS["highlight_colour"]  # RGB hex
    crf: int = _CLIPS["crf"]
    preset: str = _CLIPS["preset"]
    smart_cut: bool = _CLIPS["smart_cut"]
    threads: int = _CLIPS["threads"]

    def tracked(self) -> dict[str, Any]:
        """The settings that shape the picture: a clip that keeps the source's shape
        ignores the crop path's."""
        data = super().tracked()
        if self.aspect == "source":
            for f in fields(framing.FrameOptions):
                del data[f.name]
        return data


def output_size(
    width: int, height: int, aspect: str, max_height: int
) -> tuple[int, int]:
    """Crop-then-scale size: exactly the asked ratio, both sides even."""
    ratio = Fraction(width, height) if aspect == "source" else ASPECTS[aspect]
    crop_h = min(height, int(width / ratio))
    target = min(crop_h, max_height)
    for h in range(target - target % 2, 1, -2):
        w = h * ratio
        if w.denominator == 1 and w.numerator % 2 == 0:
            return int(w), h
    # A ratio with no exact even size below the frame (odd source sizes): round.
    h = target - target % 2
    return max(2, round(h * ratio / 2) * 2), h


def crop_size(width: int, height: int, aspect: str) -> tuple[int, int]:
    """The largest window of the asked shape inside the frame, both sides even."""
    if aspect == "source":
        return width, height
    ratio = ASPECTS[aspect]
    crop_w = min(width, int(height * ratio))
    crop_h = min(height, int(width / ratio))
    return crop_w - crop_w % 2, crop_h - crop_h % 2


# The crop window's moves, as ffmpeg sendcmd lines, in the folder ffmpeg runs in.
CROP_COMMANDS = "crop.cmd"


def video_filter(
    width: int,
    height: int,
    aspect: str,
    max_height: int,
    path: framing.CropPath | None = None,
) -> str:
    """The picture's filters; ``path`` moves the crop (face) or asks for ``fit``."""
    out_w, out_h = output_size(width, height, aspect, max_height)
    if aspect == "source":
        return f"scale={out_w}:{out_h}"
    crop_w, crop_h = crop_size(width, height, aspect)
    if path is not None and path.mode == "fit":
        return (
            f"split[bg][fg];[bg]scale={out_w}:{out_h}:force_original_aspect_ratio="
            f"increase,crop={out_w}:{out_h},boxblur=20:2[back];"
            f"[fg]scale={out_w}:{out_h}:force_original_aspect_ratio=decrease[front];"
            f"[back][front]overlay=(W-w)/2:(H-h)/2,setsar=1"
        )
    if path is not None and path.mode == "face":
        return (
            f"sendcmd=f={CROP_COMMANDS},"
            f"crop={crop_w}:{crop_h}:{path.xs[0]}:{path.ys[0]},"
            f"scale={out_w}:{out_h},setsar=1"
        )
    at = f":{path.xs[0]}:{path.ys[0]}" if path is not None else ""
    return f"crop={crop_w}:{crop_h}{at},scale={out_w}:{out_h},setsar=1"


def snap(seconds: float, fps: float) -> float:
    """The nearest frame boundary."""
    return round(round(seconds * fps) / fps, 6)


def clip_words(words: list[Word], start: float, end: float) -> list[Word]:
    return [w for w in words if w.start >= start - 1e-6 and w.end <= end + 1e-6]


def _ass_time(seconds: float) -> str:
    cs = max(0, round(seconds * 100))
    h, cs = divmod(cs, 360000)
    m, cs = divmod(cs, 6000)
    s, cs = divmod(cs, 100)
    return f"{h}:{m:02d}:{s:02d}.{cs:02d}"


def _dialogue(start: float, end: float, text: str) -> str:
    return f"Dialogue: 0,{_ass_time(start)},{_ass_time(end)},Default,{text}"


def _ass_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("{", "(").replace("}", ")")


def to_ass(
    cues: list[captions.Cue],
    words: list[Word],
    offset: float,
    size: tuple[int, int],
    options: ClipOptions,
) -> str:
    """An ASS subtitle script; with ``highlight_word``, one event per spoken word in
    which that word is coloured."""
    width, height = size
    font = options.font_size or max(12, round(height / 16))
    rgb = options.highlight_colour
    colour = f"&H00{rgb[4:6]}{rgb[2:4]}{rgb[0:2]}&"
    align = POSITIONS[options.position]
    margin = round(height * 0.08)
    lines = [
        "[Script Info]",
        "ScriptType: v4.00+",
        f"PlayResX: {width}",
        f"PlayResY: {height}",
        "WrapStyle: 0",
        "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, OutlineColour, BackColour, "
        "Bold, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV",
        f"Style: Default,DejaVu Sans,{font},&H00FFFFFF,&H00000000,&H80000000,"
        f"1,1,{max(1, font // 12)},0,{align},{margin // 2},{margin // 2},{margin}",
        "",
        "[Events]",
        "Format: Layer, Start, End, Style, Text",
    ]
    for cue in cues:
        inside = [
            w
            for w in words
            if w.start - offset >= cue.start - 1e-6 and w.end - offset <= cue.end + 1e-6
        ]
        if not options.highlight_word or not inside:
            lines.append(_dialogue(cue.start, cue.end, _ass_escape(cue.text)))
            continue
        for i, word in enumerate(inside):
            start = word.start - offset if i else cue.start
            end = inside[i + 1].start - offset if i + 1 < len(inside) else cue.end
            parts = [_ass_escape(w.text) for w in inside]
            parts[i] = f"{{\\c{colour}}}{parts[i]}{{\\r}}"
            lines.append(_dialogue(start, end, " ".join(parts)))
    return "\n".join(lines) + "\n"


# Burned captions: an ASS script of this name in the folder ffmpeg runs in.
CAPTIONS_FILE = "captions.ass"


def encode_command(
    source: str | os.PathLike[str],
    start: float,
    end: float,
    fps: float,
    size: tuple[int, int],
    options: ClipOptions,
    threads: int,
    out: str | os.PathLike[str],
    path: framing.CropPath | None = None,
) -> list[str]:
    """The ffmpeg command that encodes a whole clip (run in a folder holding
    ``CAPTIONS_FILE`` when captions are burned in and ``CROP_COMMANDS`` when the crop
    follows a face)."""
    vf = video_filter(*size, options.aspect, options.max_height, path)
    if options.burn_captions:
        # The filter is given a bare name in its own folder: no escaping needed.
        vf += f",subtitles={CAPTIONS_FILE}"
    return [
        tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        "-ss", f"{start:.6f}", "-i", os.path.abspath(source),
        "-t", f"{end - start:.6f}",
        "-map", "0:v:0", "-map", "0:a:0",
        "-vf", vf, "-r", f"{fps:g}",
        "-c:v", "libx264", "-preset", options.preset, "-crf", str(options.crf),
        "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k",
        "-movflags", "+faststart", "-threads", str(threads),
        "-f", "mp4", os.path.abspath(out),
    ]  # fmt: skip


def _smart_cut(
    source: str | os.PathLike[str],
    start: float,
    end: float,
    size: tuple[int, int],
    video: str | os.PathLike[str],
    options: ClipOptions,
    threads: int,
) -> bool:
    """Cut ``video`` by copying the middle (see :mod:`reelmake.smartcut`) when the
    clip keeps the source's picture; False, with the reason logged, when it can't."""
    same = output_size(*size, options.aspect, options.max_height) == size
    if not options.smart_cut:
        why = "smart cut is off (clips.smart_cut: false)"
    elif options.aspect != "source" or options.burn_captions or not same:
        why = "the clip's picture differs from the source's (crop, scale or captions)"
    else:
        src = smartcut.describe(source)
        plan = smartcut.plan(source, start, end, src)
        if isinstance(plan, str):
            why = plan
        else:
            try:
                with fileio.atomic_path(video) as out:
                    smartcut.cut(source, plan, src, out, options.crf, options.preset,
                                 threads)  # fmt: skip
            except ReelmakeError as error:
                why = f"the smart cut failed: {error}"
            else:
                log.info(
                    "smart cut: copied %.2f of %.2f s from the source, encoded "
                    "%.2f s at the start and %.2f s at the end",
                    plan.last_key - plan.first_key, end - start,
                    plan.first_key - start, end - plan.last_key,
                )  # fmt: skip
                return True
    log.info("full re-encode: %s", why)
    return False


def crop_path(
    subjects: str | os.PathLike[str] | None,
    start: float,
    end: float,
    fps: float,
    frame: tuple[int, int],
    options: ClipOptions,
) -> framing.CropPath | None:
    """The crop window of every frame, or None when the clip keeps the source's
    shape."""
    if options.aspect == "source":
        return None
    data = None
    if options.reframe == "face":
        if subjects is None:
            raise ReelmakeError("clips.reframe: face needs the video's tracked faces")
        data = fileio.read_json(subjects)
    crop = crop_size(*frame, options.aspect)
    return framing.plan_crop(data, start, end, fps, crop, frame, options)


def cut_clip(
    source: str | os.PathLike[str],
    description: str | os.PathLike[str],
    transcript: str | os.PathLike[str],
    video_json: str | os.PathLike[str],
    video: str | os.PathLike[str],
    srt: str | os.PathLike[str],
    vtt: str | os.PathLike[str],
    crop: str | os.PathLike[str],
    options: ClipOptions,
    subjects: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Cut the clip that ``description`` (see :func:`highlights.description`) names
    to ``video``, with its caption files and ``crop``, the window it used
    (``subjects``: the video's faces, see :func:`framing.track_subjects`, needed
    when the crop follows a face)."""
    threads = options.threads
    h = load_description(description)
    clip = h["clip"]
    info = fileio.read_json(video_json)
    stream = next(s for s in info["streams"] if s["kind"] == "video")
    fps = float(stream["fps"] or 25.0)
    start, end = snap(h["start"], fps), snap(h["end"], fps)
    words = clip_words(load_transcript(transcript).words, h["start"], h["end"])
    cues = captions.cues_from_words(words, offset=start)
    cues = [captions.Cue(c.start, min(c.end, end - start), c.text) for c in cues]
    fileio.write_text(srt, captions.to_srt(cues))
    fileio.write_text(vtt, captions.to_vtt(cues))

    width, height = int(stream["width"]), int(stream["height"])
    path = crop_path(subjects, start, end, fps, (width, height), options)
    if path is not None:
        log.info("framing: %s", path.reason)
        fileio.write_json(crop, {"clip": clip, **path.as_json(fps)})
    else:
        fileio.write_json(crop, {"clip": clip, "mode": "source", "fps": fps,
                                 "crop": [width, height]})  # fmt: skip
    if _smart_cut(source, start, end, (width, height), video, options, threads):
        return h
    with tempfile.TemporaryDirectory() as tmp, fileio.atomic_path(video) as out:
        if options.burn_captions:
            size = output_size(width, height, options.aspect, options.max_height)
            ass = Path(tmp) / CAPTIONS_FILE
            ass.write_text(to_ass(cues, words, start, size, options), encoding="utf-8")
        if path is not None and path.mode == "face":
            commands = framing.sendcmd_script(path, fps)
            (Path(tmp) / CROP_COMMANDS).write_text(commands, encoding="utf-8")
        cmd = encode_command(
            source, start, end, fps, (width, height), options, threads, out, path
        )
        result = subprocess.run(
            cmd, cwd=tmp, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise ReelmakeError(
                f"{os.path.realpath(source)}: cutting clip {clip} failed "
                f"(ffmpeg: {result.stderr.strip().splitlines()[-1:]})"
            )
    return h


def summary(paths: Mapping[str, Path]) -> dict[str, Any]:
    """The stage state's clips."""
    videos = sorted(str(p) for key, p in paths.items() if key.startswith("video:"))
    return {"clip_count": len(videos), "clips": videos}
