"""Rendering a clip from its edit plan, in one ffmpeg pass: the kept ranges joined,
the windows cropped and placed, captions and title drawn, the sound faded at every
cut and levelled (the second loudness pass). A plan that is one uncropped range with
nothing drawn on it and its sound untouched is smart-cut instead: the compressed
frames between its first and last keyframe are copied."""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelmake.core import config, fileio, hashing
from reelmake.core.errors import ReelmakeError
from reelmake.core.media import tool
from reelmake.core.options import Options
from reelmake.stages.clips import smartcut, styles
from reelmake.stages.clips.plan import (
    OUTPUT_SOUND,
    audio_chain,
    levelling,
    load_plan,
)

log = logging.getLogger(__name__)

_CLIPS = config.defaults("clips")
# Files the filter graph names, in the folder ffmpeg runs in (no escaping needed).
CAPTIONS_FILE = "captions.ass"
FONTS_DIR = "fonts"


@dataclass(frozen=True)
class RenderOptions(Options):
    """The encoder's settings (``clips``); ``threads`` are the job's own."""

    section = "clips"
    runtime = ("threads",)

    crf: int = _CLIPS["crf"]
    preset: str = _CLIPS["preset"]
    smart_cut: bool = _CLIPS["smart_cut"]
    threads: int = _CLIPS["threads"]


def window_commands(window: Mapping[str, Any], name: str, fps: float) -> str:
    """ffmpeg ``sendcmd`` lines that move the crop filter ``name`` along a window's
    runs (half a frame early: a frame's time may round a hair below f / fps)."""
    lines = []
    for frame, x, y in window["runs"][1:]:
        at = max(0.0, (frame - 0.5) / fps)
        lines.append(f"{at:.6f} {name} x {x}, {name} y {y};")
    return "\n".join(lines) + "\n"


def _video_chain(plan: Mapping[str, Any]) -> str:
    """The kept frames, joined, ending in the pad ``[vj]``."""
    origin = plan["span"][0]
    ranges = plan["ranges"]
    parts = [
        f"[0:v]trim=start={a - origin:.6f}:end={b - origin:.6f},"
        f"setpts=PTS-STARTPTS[v{i}];"
        for i, (a, b) in enumerate(ranges)
    ]
    joined = "".join(f"[v{i}]" for i in range(len(ranges)))
    return "".join(parts) + f"{joined}concat=n={len(ranges)}:v=1:a=0[vj];"


def _picture(plan: Mapping[str, Any], folder: Path) -> str:
    """The layout's filters from ``[vj]`` to ``[vo]``; window commands are written
    to ``folder``."""
    out = plan["output"]
    w, h, fps = out["width"], out["height"], float(out["fps"])
    layout = plan["layout"]
    windows = layout["windows"]
    if layout["kind"] == "source":
        return f"[vj]scale={w}:{h},setsar=1[vo];"
    if layout["kind"] == "fit":
        return (
            f"[vj]split[bg][fg];[bg]scale={w}:{h}:force_original_aspect_ratio=increase,"
            f"crop={w}:{h},boxblur=20:2[back];"
            f"[fg]scale={w}:{h}:force_original_aspect_ratio=decrease[front];"
            f"[back][front]overlay=(W-w)/2:(H-h)/2,setsar=1[vo];"
        )
    chain = f"[vj]split={len(windows)}" + "".join(
        f"[s{i}]" for i in range(len(windows))
    )
    chain = (chain + ";") if len(windows) > 1 else "[vj]null[s0];"
    panes = []
    for i, win in enumerate(windows):
        name = f"crop@w{i}"
        moves = ""
        if len(win["runs"]) > 1:  # a window that moves: its commands beside it
            (folder / f"window{i}.cmd").write_text(window_commands(win, name, fps))
            moves = f"sendcmd=f=window{i}.cmd,"
        x, y = win["runs"][0][1], win["runs"][0][2]
        _, _, pw, ph = win["pane"]
        chain += (
            f"[s{i}]{moves}{name}={win['width']}:{win['height']}:"
            f"{x}:{y},scale={pw}:{ph},setsar=1[p{i}];"
        )
        panes.append(f"[p{i}]")
    if len(panes) == 1:
        return chain.replace("[p0];", "[vo];")
    return chain + "".join(panes) + f"vstack=inputs={len(panes)}[vo];"


def _overlay(plan: Mapping[str, Any], folder: Path) -> str:
    """Captions and title, from ``[vo]`` to ``[vout]``."""
    captions = plan["captions"]
    style = (
        styles.CaptionStyle(**captions["style"])
        if captions["burn"] and captions["style"] else None
    )  # fmt: skip
    title = plan.get("title")
    if style is None and not title:
        return "[vo]null[vout]"
    out = plan["output"]
    words = [styles.Word(w["text"], w["start"], w["end"], w["key"])
             for w in captions["words"]]  # fmt: skip
    groups = styles.group_words(words, style) if style else []
    script = styles.ass_script(
        out["width"], out["height"], groups, style,
        title=title["text"] if title else "",
        title_style=styles.TitleStyle(**title["style"]) if title else None,
        title_seconds=title["seconds"] if title else 0.0,
    )  # fmt: skip
    (folder / CAPTIONS_FILE).write_text(script, encoding="utf-8")
    fonts = styles.fonts_dir()
    extra = ""
    if fonts is not None:
        (folder / FONTS_DIR).symlink_to(fonts, target_is_directory=True)
        extra = f":fontsdir={FONTS_DIR}"
    return f"[vo]subtitles={CAPTIONS_FILE}{extra}[vout]"


def _sound(plan: Mapping[str, Any]) -> str:
    """The kept sound, faded at every cut and levelled, ending in ``[aout]``: the
    same filters, in the same order, as the plan measured it through."""
    chain = audio_chain([tuple(r) for r in plan["ranges"]], plan["span"][0])
    return _levelled(chain, plan)


def _audiogram(plan: Mapping[str, Any]) -> str:
    """An audiogram's picture and sound: the still (input 1, when there is one) on a
    card, a waveform drawn from the kept sound, ending in ``[vo]`` and ``[aout]``."""
    out = plan["output"]
    w, h, fps = out["width"], out["height"], float(out["fps"])
    layout = plan["layout"]
    sx, sy, side, _ = layout["still"]
    wx, wy, ww, wh = layout["wave"]
    chain = audio_chain([tuple(r) for r in plan["ranges"]], plan["span"][0])
    graph = chain + "asplit=2[ak][aw];"
    graph += f"color=c=0x1b2633:s={w}x{h}:r={fps:g}[bg];"
    if layout["image"]:
        graph += (
            f"[1:v]scale={side}:{side}:force_original_aspect_ratio=increase,"
            f"crop={side}:{side},setsar=1[still];[bg][still]overlay=x={sx}:y={sy}[card];"
        )
    else:
        graph += "[bg]null[card];"
    graph += (
        f"[aw]showwaves=s={ww}x{wh}:mode=cline:rate={fps:g}:colors=0xFFD60A,"
        f"format=yuva420p[wave];[card][wave]overlay=x={wx}:y={wy}:shortest=1[vo];"
    )
    return graph + _levelled("[ak]", plan)


def _levelled(head: str, plan: Mapping[str, Any]) -> str:
    """The sound ``head`` leads into (a pad, or a chain ending in a comma) made as
    the plan measured it, ending in ``[aout]``."""
    chain = head + OUTPUT_SOUND
    loud = plan["audio"].get("loudness")
    if loud:
        chain += levelling(loud["gain_db"], loud["limit_db"]) + ","
    return chain.rstrip(",") + "[aout]"


def filter_graph(plan: Mapping[str, Any], folder: Path) -> str:
    """The whole graph of one clip (its side files written to ``folder``)."""
    if plan["layout"]["kind"] == "audiogram":
        return _audiogram(plan) + ";" + _overlay(plan, folder)
    return (
        _video_chain(plan)
        + _picture(plan, folder)
        + _overlay(plan, folder)
        + ";"
        + _sound(plan)
    )


def encode_command(
    source: str | os.PathLike[str],
    plan: Mapping[str, Any],
    graph: str,
    options: RenderOptions,
    out: str | os.PathLike[str],
) -> list[str]:
    """The ffmpeg command of a clip (run in the folder holding its side files).

    ffmpeg (5.x) reads, decodes and filters in one thread, which also encodes when
    x264 has a single thread: a one-thread job then keeps at most one core busy,
    and less while it starts and finishes, so clips cut side by side leave cores
    idle. The decoder and encoder get one thread more than the job has, so that
    both work beside that thread: measured on a 12 s 9:16 clip of a 1080p talk
    (one-thread job), that thread's share of the CPU fell from 85% to a third. The
    decoder's threads are set, not left to ffmpeg, which would start one per core
    of the machine in every job.
    """
    start, end = plan["span"]
    fps = plan["output"]["fps"]
    threads = str(options.threads)
    beside = str(options.threads + 1)
    image = plan["layout"].get("image")
    still = (
        ["-loop", "1", "-framerate", f"{fps:g}", "-i", os.path.abspath(image)]
        if image else []
    )  # fmt: skip
    return [
        tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        "-threads", beside,
        "-ss", f"{start:.6f}", "-to", f"{end:.6f}", "-i", os.path.abspath(source),
        *still,
        "-filter_complex", graph, "-filter_complex_threads", threads,
        "-map", "[vout]", "-map", "[aout]", "-r", f"{fps:g}",
        "-c:v", "libx264", "-preset", options.preset, "-crf", str(options.crf),
        "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "160k",
        "-movflags", "+faststart", "-threads", beside,
        "-f", "mp4", os.path.abspath(out),
    ]  # fmt: skip


def _smart_cut(
    source: str | os.PathLike[str],
    plan: Mapping[str, Any],
    video: str | os.PathLike[str],
    options: RenderOptions,
) -> bool:
    """Copy the middle of a copyable plan (see :mod:`smartcut`); False, with the
    reason logged, when it can't."""
    start, end = plan["span"]
    if not options.smart_cut:
        why = "smart cut is off (clips.smart_cut: false)"
    elif not plan["copyable"]:
        why = "the plan crops, trims, draws on or levels the clip"
    else:
        src = smartcut.describe(source)
        cut = smartcut.plan(source, start, end, src)
        if isinstance(cut, str):
            why = cut
        else:
            try:
                with fileio.atomic_path(video) as out:
                    smartcut.cut(source, cut, src, out, options.crf, options.preset,
                                 options.threads)  # fmt: skip
            except ReelmakeError as error:
                why = f"the smart cut failed: {error}"
            else:
                log.info(
                    "smart cut: copied %.2f of %.2f s from the source, encoded "
                    "%.2f s at the start and %.2f s at the end",
                    cut.last_key - cut.first_key, end - start,
                    cut.first_key - start, end - cut.last_key,
                )  # fmt: skip
                return True
    log.info("full render: %s", why)
    return False


def render_clip(
    source: str | os.PathLike[str],
    plan: str | os.PathLike[str],
    video: str | os.PathLike[str],
    options: RenderOptions,
    digest: str | None = None,
) -> dict[str, Any]:
    """Render the clip its ``plan`` describes to ``video``; ``digest`` (its clip
    left open) records the hash of the bytes written, so that a clip changed
    afterwards is found damaged."""
    made = load_plan(plan)
    if not _smart_cut(source, made, video, options):
        _encode(source, made, video, options)
    if digest is not None:
        fileio.write_text(digest.format(clip=made["clip"]), hashing.hash_file(video))
    return made


def _encode(
    source: str | os.PathLike[str],
    made: dict[str, Any],
    video: str | os.PathLike[str],
    options: RenderOptions,
) -> None:
    with tempfile.TemporaryDirectory() as tmp, fileio.atomic_path(video) as out:
        folder = Path(tmp)
        graph = filter_graph(made, folder)
        cmd = encode_command(source, made, graph, options, out)
        result = subprocess.run(
            cmd, cwd=folder, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise ReelmakeError(
                f"{os.path.realpath(source)}: rendering clip {made['clip']} failed "
                f"(ffmpeg: {result.stderr.strip().splitlines()[-1:]})"
            )
