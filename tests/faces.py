"""Generated 1080p videos with real faces where we know they are.

The face is scikit-image's astronaut photograph (it ships in the wheel), composited by
ffmpeg onto a plain background at known positions, over espeak-ng speech. A "talking"
face has its mouth region animated (a dark band that opens and closes) while it talks.
Each maker returns the video and a function giving the face boxes at a time, in source
pixels, so tests can hold the crop against where the faces really are.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from reelmake.cli.demo import speak

WIDTH, HEIGHT, FPS = 1920, 1080, 30
# The face inside the 512x512 photograph (OpenCV's frontal cascade finds it there).
PHOTO = 512
FACE = (177, 66, 95, 95)
SPEECH = (
    "We measured the river every morning for a year. In spring the water rose by two "
    "metres in a single week, and the old bridge closed for the first time since the "
    "flood of nineteen seventy. The engineers blamed the snow on the northern hills."
)

Box = tuple[float, float, float, float]
Truth = Callable[[float], list[Box]]


def photo(folder: Path) -> Path:
    import imageio.v3 as iio
    from skimage import data

    target = folder / "astronaut.png"
    if not target.exists():
        iio.imwrite(target, data.astronaut())
    return target


def _speech(folder: Path) -> Path:
    target = folder / "speech.wav"
    if not target.exists():
        speak(SPEECH, target)
    return target


def face_box(x: float, y: float, size: int) -> Box:
    """The face's box when the photograph is drawn at (x, y), ``size`` pixels wide."""
    s = size / PHOTO
    return (x + FACE[0] * s, y + FACE[1] * s, FACE[2] * s, FACE[3] * s)


def _mouth(x: float, y: float, size: int, start: float, end: float) -> str:
    """A drawbox filter that opens and closes the mouth between two times."""
    s = size / PHOTO
    mx, my = x + (FACE[0] + 0.32 * FACE[2]) * s, y + (FACE[1] + 0.74 * FACE[3]) * s
    mw, mh = 0.36 * FACE[2] * s, 0.12 * FACE[3] * s
    # Open or shut by two frequencies, so that samples a fifth of a second apart
    # see it change often but not in a fixed rhythm.
    moving = "gt(sin(2*PI*3.1*t)+sin(2*PI*4.7*t),0)"
    return (
        f"drawbox=x={mx:.0f}:y={my:.0f}:w={mw:.0f}:h={mh:.0f}:"
        f"color=0x401c1c@0.7:t=fill:enable='between(t,{start},{end})*{moving}'"
    )


def _render(
    target: Path,
    folder: Path,
    seconds: float,
    graph: str,
    photos: int,
    preset: str = "ultrafast",
) -> Path:
    inputs = ["-f", "lavfi", "-i", f"color=c=0x5a6470:size={WIDTH}x{HEIGHT}:rate={FPS}"]
    for _ in range(photos):
        inputs += ["-loop", "1", "-framerate", str(FPS), "-i", str(photo(folder))]
    inputs += ["-stream_loop", "-1", "-i", str(_speech(folder))]
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", *inputs,
         "-filter_complex", graph, "-map", "[v]", "-map", f"{photos + 1}:a",
         "-t", str(seconds), "-c:v", "libx264", "-preset", preset,
         "-g", str(2 * FPS), "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k",
         str(target)],
        check=True,
    )  # fmt: skip
    return target


def drifting_face(
    folder: Path, seconds: float = 12.0, size: int = 640
) -> tuple[Path, Truth]:
    """One face moving from the left of the frame to the right at constant speed."""
    x0, x1, y = 40.0, float(WIDTH - size - 40), 200.0

    def x(t: float) -> float:
        return x0 + (x1 - x0) * min(t, seconds) / seconds

    graph = (
        f"[1:v]scale={size}:{size}[p];"
        f"[0:v][p]overlay=x='{x0}+{x1 - x0}*t/{seconds}':y={y}:shortest=1[v]"
    )
    video = _render(folder / "drift.mp4", folder, seconds, graph, 1)
    return video, lambda t: [face_box(x(t), y, size)]


def two_faces(
    folder: Path, seconds: float = 20.0, size: int = 560, preset: str = "ultrafast"
) -> tuple[Path, Truth, Callable[[float], int]]:
    """Two faces, left and right; the left one talks in the first half, the right one
    in the second. Also returns who talks at a time (0: left, 1: right). ``preset``
    is x264's (``veryfast`` writes B-frames, as cameras and editors do)."""
    left, right, y = (120.0, 260.0), (float(WIDTH - size - 120), 260.0), 260.0
    half = seconds / 2
    graph = (
        f"[1:v]scale={size}:{size}[a];[2:v]scale={size}:{size}[b];"
        f"[0:v][a]overlay=x={left[0]}:y={y}[l];"
        f"[l][b]overlay=x={right[0]}:y={y}:shortest=1,"
        f"{_mouth(left[0], y, size, 0, half)},"
        f"{_mouth(right[0], y, size, half, seconds)}[v]"
    )
    video = _render(folder / "two.mp4", folder, seconds, graph, 2, preset)
    boxes = [face_box(left[0], y, size), face_box(right[0], y, size)]
    return video, lambda t: boxes, lambda t: 0 if t < half else 1


def hard_cut(
    folder: Path, seconds: float = 10.0, size: int = 640
) -> tuple[Path, Truth, float]:
    """A shot of a face on the left, then a hard cut to a face on the right (on
    another background). Also returns the time of the cut."""
    cut = seconds / 2
    left, right, y = 60.0, float(WIDTH - size - 60), 220.0
    graph = (
        f"[1:v]scale={size}:{size}[p];"
        f"[0:v]drawbox=x=0:y=0:w=iw:h=ih:color=0x806040:t=fill:"
        f"enable='gte(t,{cut})'[bg];"
        f"[bg][p]overlay=x='if(lt(t,{cut}),{left},{right})':y={y}:shortest=1[v]"
    )
    video = _render(folder / "cut.mp4", folder, seconds, graph, 1)
    return (
        video,
        lambda t: [face_box(left if t < cut else right, y, size)],
        cut,
    )


def no_face(folder: Path, seconds: float = 6.0) -> Path:
    """Speech over a moving test pattern, and no face anywhere."""
    inputs = ["-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate={FPS}"]
    target = folder / "noface.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", *inputs,
         "-stream_loop", "-1", "-i", str(_speech(folder)),
         "-map", "0:v", "-map", "1:a", "-t", str(seconds),
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-b:a", "64k", str(target)],
        check=True,
    )  # fmt: skip
    return target
