"""Framing: where the subject is, so that a vertical or square crop keeps them in frame.

Two parts with different costs. :func:`track_subjects` (the ``track_subjects`` rule,
once per clip span) decodes sampled frames of the span at a small size, from the
keyframe before it and with a margin on each side, finds shot cuts, detects faces,
links them into tracks within each shot and measures how much each face's mouth moves
and how loud the audio is at every sample. That is evidence only, no decision, so it
depends on the source, the span (the clip's name) and its own settings alone: a
selection that adds a clip tracks only that clip's span, and a clip whose span does not
change is never tracked again. :func:`plan_crop` (inside each clip's plan,
milliseconds) decides whom to follow in the clip's span: the one face, or the active
speaker (mouth movement while the audio is loud), held for a minimum time before a
switch, along a smoothed path of bounded speed that restarts at every shot cut.

The detector is OpenCV's Haar frontal-face cascade, which ships inside the
``opencv-python-headless`` wheel: nothing is downloaded. Faces are searched in the
whole frame once per ``full_scan_seconds`` (not at all while nothing changes outside
the faces being followed) and, in between, only around those faces, in a picture
scaled down to the faces' size. Decoding drops the frames no other frame refers to.
Measured on a 1080p talk, that cut a tracked second's CPU from 0.21 s (half of it
the face search) to 0.09 s (two thirds of it decoding); see ``analyse``'s ``costs``.
"""

from __future__ import annotations

import logging
import math
import os
import resource
import subprocess
import time
import wave
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from reelmake.core import config, fileio
from reelmake.core.errors import ReelmakeError
from reelmake.core.media import tool
from reelmake.core.options import Options

log = logging.getLogger(__name__)

STAGE = "framing"
# Where a face's mouth sits inside its detection box (fractions of the box), and the
# band above it (eyes and brows) whose change stands for the head's own movement.
MOUTH = (0.25, 0.68, 0.75, 0.95)
UPPER = (0.2, 0.2, 0.8, 0.45)
PATCH = (32, 16)  # regions are compared at this size, whatever the face's size
# A face searched around a followed one is looked for in a picture scaled down until
# the smallest size searched is this many pixels: a little over the 24 of the
# cascade's window, where it still finds faces reliably.
SEARCH_WINDOW = 28
# Whether anything changed outside the followed faces since the last full search is
# judged on the grey picture averaged over cells of this many analysed pixels...
CHANGE_CELL = 16
# ...and a cell changed when its mean moved by more than this many grey levels
# (compression noise moves it by one or two; a face that enters, by tens).
CHANGE_LEVEL = 8.0


_TRACK = config.defaults("framing")


@dataclass(frozen=True)
class TrackOptions(Options):
    """``framing``: settings of the analysis; any change re-runs ``track_subjects``
    (``threads`` are the job's own)."""

    section = "framing"
    runtime = ("threads",)

    sample_fps: float = _TRACK["sample_fps"]
    analysis_width: int = _TRACK["analysis_width"]
    # Faces smaller than this share of the analysed frame's height are ignored.
    min_face: float = _TRACK["min_face"]
    # OpenCV's minNeighbors: overlapping hits a face needs (higher: fewer false
    # faces, more missed ones).
    min_neighbors: int = _TRACK["min_neighbors"]
    full_scan_seconds: float = _TRACK["full_scan_seconds"]
    # A face unseen for longer than this ends its track.
    max_gap_seconds: float = _TRACK["max_gap_seconds"]
    # Tracks shorter than this, or seen in less than this share of the samples they
    # span, are dropped as false detections (a real face is found nearly always).
    min_track_seconds: float = _TRACK["min_track_seconds"]
    min_track_hits: float = _TRACK["min_track_hits"]
    # PySceneDetect's content threshold for a shot cut.
    cut_threshold: float = _TRACK["cut_threshold"]
    # Seconds tracked before and after a clip's span: a shot cut or a face that
    # enters at the span's edge is found, and a track that begins there is long
    # enough to keep.
    margin_seconds: float = _TRACK["margin_seconds"]
    threads: int = _TRACK["threads"]


_FRAME = config.defaults("clips")


@dataclass(frozen=True)
class FrameOptions:
    """Settings of the crop path (part of a clip's picture settings)."""

    reframe: str = _FRAME["reframe"]  # face | centre | fit
    # centre | fit, when reframe is face and no face is found
    no_face: str = _FRAME["no_face"]
    switch_hold_seconds: float = _FRAME["switch_hold_seconds"]
    smoothing_seconds: float = _FRAME["smoothing_seconds"]
    # The crop moves at most this share of its own width per second (cuts excepted).
    max_speed: float = _FRAME["max_speed"]


@dataclass
class Track:
    """One face followed through one shot; ``boxes[k]`` is at sample ``first + k``
    (None where it was not seen), in source pixels."""

    id: int
    shot: int
    first: int
    boxes: list[list[int] | None] = field(default_factory=list)
    activity: list[float] = field(default_factory=list)

    @property
    def last(self) -> int:
        return self.first + len(self.boxes) - 1

    def box_at(self, i: int) -> list[int] | None:
        if self.first <= i <= self.last:
            return self.boxes[i - self.first]
        return None


# -- analysis ---------------------------------------------------------------------


def analysis_size(width: int, height: int, analysis_width: int) -> tuple[int, int]:
    w = min(width, analysis_width)
    w -= w % 2
    h = round(height * w / width)
    return w, h - h % 2


def frames(
    source: str | os.PathLike[str],
    size: tuple[int, int],
    sample_fps: float,
    start: float = 0.0,
    duration: float | None = None,
    threads: int = 2,
) -> Iterator[np.ndarray]:
    """BGR frames of ``source`` at ``sample_fps``, scaled to ``size``, decoded once:
    from ``start`` (decoding from the keyframe before it) for ``duration`` seconds,
    or to the end.

    Frames that no other frame refers to are not decoded at all (``-skip_frame
    noref``: most B-frames): a sample then shows the frame beside the one at its
    time, a thirtieth of a second off, for a fraction of the decoding.
    """
    w, h = size
    seek = ["-ss", f"{start:.6f}"] if start > 0 else []
    seek += ["-t", f"{duration:.6f}"] if duration is not None else []
    cmd = [
        tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error",
        "-threads", str(threads), "-skip_frame", "noref",
        *seek, "-i", os.fspath(source), "-map", "0:v:0", "-filter_threads", "1",
        "-vf", f"fps={sample_fps:g},scale={w}:{h}:flags=area",
        "-pix_fmt", "bgr24", "-f", "rawvideo", "-",
    ]  # fmt: skip
    frame_bytes = w * h * 3
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None  # noqa: S101 - Popen with PIPE sets it
    try:
        while True:
            data = proc.stdout.read(frame_bytes)
            if len(data) < frame_bytes:
                break
            yield np.frombuffer(data, np.uint8).reshape(h, w, 3)
    finally:
        proc.stdout.close()
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        code = proc.wait()
    if code != 0:
        raise ReelmakeError(
            f"{os.path.realpath(source)}: decoding frames for framing failed "
            f"(ffmpeg: {err.strip().splitlines()[-1:]})"
        )


def loudness(
    audio: str | os.PathLike[str], sample_fps: float, count: int, origin: float = 0.0
) -> list[float]:
    """The audio's level in dBFS around each sample time (-100 for silence); sample
    ``i`` is at ``origin + i / sample_fps``. Only those times' sound is read."""
    with wave.open(os.fspath(audio), "rb") as wav:
        rate = wav.getframerate()
        width = wav.getsampwidth()
        channels = wav.getnchannels()
        half = rate / sample_fps / 2
        # The frame the first sample's window begins at (the whole window after it).
        begin = max(0, int(origin * rate - half))
        begin = min(begin, wav.getnframes())
        wav.setpos(begin)
        raw = wav.readframes(int((count / sample_fps) * rate + 2 * half) + 1)
    if width != 2:
        raise ReelmakeError(f"{audio}: expected 16-bit audio")
    pcm = np.frombuffer(raw, np.int16).astype(np.float32) / 32768.0
    pcm = pcm.reshape(-1, channels).mean(axis=1)
    out = []
    for i in range(count):
        centre = (origin + i / sample_fps) * rate - begin
        part = pcm[max(0, int(centre - half)) : int(centre + half)]
        rms = float(np.sqrt(np.mean(part**2))) if part.size else 0.0
        out.append(round(20 * math.log10(rms), 2) if rms > 1e-5 else -100.0)
    return out


def _region(
    gray: np.ndarray, box: Sequence[float], part: Sequence[float]
) -> np.ndarray:
    import cv2

    x, y, w, h = box
    x0, y0 = int(x + part[0] * w), int(y + part[1] * h)
    x1, y1 = int(x + part[2] * w), int(y + part[3] * h)
    height, width = gray.shape
    x0, x1 = max(0, x0), min(width, max(x1, x0 + 2))
    y0, y1 = max(0, y0), min(height, max(y1, y0 + 2))
    patch = gray[y0:y1, x0:x1]
    if patch.size == 0:
        return np.zeros((PATCH[1], PATCH[0]), np.float32)
    return cv2.resize(patch, PATCH, interpolation=cv2.INTER_AREA).astype(np.float32)


def mouth_activity(
    before: np.ndarray,
    box_before: Sequence[float],
    now: np.ndarray,
    box_now: Sequence[float],
) -> float:
    """How much the mouth changed between two samples, beyond the change of the upper
    face (which moves with the head, not with speech). Each region is taken at the
    face's own position in each frame, so a face that moves is compared with itself."""
    mouth = float(
        np.mean(
            np.abs(_region(now, box_now, MOUTH) - _region(before, box_before, MOUTH))
        )
    )
    upper = float(
        np.mean(
            np.abs(_region(now, box_now, UPPER) - _region(before, box_before, UPPER))
        )
    )
    return round(max(0.0, mouth - upper), 3)


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def _linkable(a: Sequence[float], b: Sequence[float]) -> float:
    """How well detection ``b`` continues box ``a`` (0: not at all): overlap, or a
    centre close for the face's size (a face moving fast overlaps little)."""
    overlap = iou(a, b)
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    dist = math.hypot(ax + aw / 2 - bx - bw / 2, ay + ah / 2 - by - bh / 2)
    near = 1.0 - dist / max(aw, bw)
    size = min(aw, bw) / max(aw, bw)
    return max(overlap, near * 0.5) if size > 0.6 else 0.0


class _Detector:
    def __init__(self, min_size: int, min_neighbors: int) -> None:
        import cv2

        cascades = cv2.data.haarcascades  # type: ignore[attr-defined]
        path = os.path.join(cascades, "haarcascade_frontalface_default.xml")
        self.cascade = cv2.CascadeClassifier(path)
        if self.cascade.empty():
            raise ReelmakeError(f"{path}: OpenCV's face cascade could not be loaded")
        self.min_size = min_size
        self.min_neighbors = min_neighbors

    def detect(
        self,
        gray: np.ndarray,
        roi: tuple[int, int, int, int] | None = None,
        near_size: float | None = None,
    ) -> list[tuple[int, int, int, int]]:
        """Faces in the frame, or in ``roi`` only; ``near_size``: only faces of about
        that size (a face already followed does not change size much in a sample)."""
        x0, y0 = 0, 0
        image = gray
        if roi is not None:
            x0, y0, x1, y1 = roi
            image = gray[y0:y1, x0:x1]
            if image.shape[0] < self.min_size or image.shape[1] < self.min_size:
                return []
        smallest, largest = self.min_size, 0
        shrink = 1.0
        if near_size is not None:
            smallest = max(self.min_size, int(near_size * 0.7))
            largest = int(near_size * 1.5)
            # The same faces searched in a picture made smaller until the smallest
            # of them just fills the cascade's own window: a fraction of the pixels.
            shrink = min(1.0, SEARCH_WINDOW / smallest)
        if shrink < 1.0:
            import cv2

            image = cv2.resize(
                image, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA
            )
        low = max(1, round(smallest * shrink))
        high = round(largest * shrink)
        found = self.cascade.detectMultiScale(
            image,
            scaleFactor=1.1,
            minNeighbors=self.min_neighbors,
            minSize=(low, low),
            maxSize=(high, high),
        )
        return [
            (round(x / shrink) + x0, round(y / shrink) + y0, round(w / shrink),
             round(h / shrink))
            for x, y, w, h in found
        ]  # fmt: skip


def _nms(boxes: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """One box per face: the larger of two that overlap."""
    kept: list[tuple[int, int, int, int]] = []
    for box in sorted(boxes, key=lambda b: -b[2] * b[3]):
        if all(iou(box, k) < 0.3 for k in kept):
            kept.append(box)
    return kept


def _shot_detector(sample_fps: float, threshold: float) -> Any:
    from scenedetect.detectors import ContentDetector

    # Shots shorter than half a second are taken as flashes, not cuts.
    return ContentDetector(
        threshold=threshold, min_scene_len=max(1, round(sample_fps / 2))
    )


@dataclass
class Costs:
    """Where tracking's time went: CPU seconds of each part (``decode``: ffmpeg's
    own, decoding and dropping to the sample rate and size) and the searches made."""

    decode: float = 0.0
    read: float = 0.0
    shots: float = 0.0
    detect: float = 0.0
    link: float = 0.0
    full: int = 0
    skipped: int = 0
    around: int = 0

    def line(self, samples: int) -> str:
        total = self.decode + self.read + self.shots + self.detect + self.link
        return (
            f"{samples} sample(s), {total:.2f} s of CPU: decoding and scaling "
            f"{self.decode:.2f} s (ffmpeg), reading frames {self.read:.2f} s, shot "
            f"cuts {self.shots:.2f} s, face search {self.detect:.2f} s ({self.full} "
            f"full, {self.skipped} skipped as nothing changed, {self.around} around "
            f"followed faces), linking {self.link:.2f} s"
        )


def _cells(gray: np.ndarray) -> np.ndarray:
    """The grey picture averaged over cells of ``CHANGE_CELL`` pixels."""
    import cv2

    h, w = gray.shape
    size = (max(1, w // CHANGE_CELL), max(1, h // CHANGE_CELL))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA).astype(np.float32)


def _changed(
    now: np.ndarray, before: np.ndarray, faces: Sequence[Sequence[float]]
) -> bool:
    """Whether a cell outside the followed ``faces`` (and the head and shoulders
    around them, which move as people talk) changed between two pictures of
    :func:`_cells`: a picture that did not change cannot hold a face the last full
    search did not find."""
    diff = np.abs(now - before)
    for x, y, w, h in faces:
        x0 = max(0, int((x - w / 2) // CHANGE_CELL))
        y0 = max(0, int((y - h / 2) // CHANGE_CELL))
        x1 = int(math.ceil((x + 1.5 * w) / CHANGE_CELL))
        y1 = int(math.ceil((y + 2 * h) / CHANGE_CELL))
        diff[y0:y1, x0:x1] = 0
    return bool(diff.size) and float(diff.max()) > CHANGE_LEVEL


def analyse(
    source: str | os.PathLike[str],
    width: int,
    height: int,
    options: TrackOptions,
    start: float = 0.0,
    duration: float | None = None,
    costs: Costs | None = None,
    threads: int = 2,
) -> tuple[list[Track], list[int], int]:
    """Tracks, the samples at which shots start, and the number of samples, of the
    ``duration`` seconds from ``start`` (the whole video by default); sample ``i``
    is at ``start + i / sample_fps``. ``costs``: filled with where the time went.

    The whole frame is searched at the start of each shot, at every sample of its
    first ``full_scan_seconds`` until a face is found, when a followed face is not
    found around its place, and once every ``full_scan_seconds`` unless nothing
    changed outside the followed faces since the last full search; in between,
    only around the followed faces.
    """
    import cv2
    from scenedetect import FrameTimecode

    costs = costs if costs is not None else Costs()
    cv2.setNumThreads(1)
    clock = time.thread_time
    decode_before = _children_cpu()

    size = analysis_size(width, height, options.analysis_width)
    scale = width / size[0]
    fps = options.sample_fps
    detector = _Detector(
        max(16, round(options.min_face * size[1])), options.min_neighbors
    )
    shots = _shot_detector(fps, options.cut_threshold)
    full_every = max(1, round(options.full_scan_seconds * fps))
    max_gap = max(1, round(options.max_gap_seconds * fps))
    tracks: list[Track] = []
    live: list[Track] = []
    shot_starts = [0]
    previous: np.ndarray | None = None
    last_seen: dict[int, tuple[int, list[float]]] = {}  # track id -> (sample, box)
    count = 0
    # The last full search: its sample, its picture (in cells) and the faces
    # followed then.
    searched, searched_at = -full_every, np.zeros(0)
    searched_faces: dict[int, list[float]] = {}
    decoded = frames(source, size, fps, start, duration, threads)
    began = clock()
    for i, frame in enumerate(decoded):
        costs.read += clock() - began
        count = i + 1
        began = clock()
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        # Shot cuts are judged on half the analysed size (PySceneDetect's own
        # choice for pictures of this width).
        small = cv2.resize(frame, (size[0] // 2, size[1] // 2),
                           interpolation=cv2.INTER_AREA)  # fmt: skip
        cuts = shots.process_frame(FrameTimecode(i, fps), small)
        now = _cells(gray)
        costs.shots += clock() - began
        began = clock()
        if i and cuts:
            shot_starts.append(i)
            live = []  # a cut ends every track: the people on screen are others
        new_shot = i - shot_starts[-1] < full_every
        if (not live and new_shot) or i == shot_starts[-1]:
            full = True
        elif i - searched >= full_every:
            # Skipped only while every face of the last full search is still
            # followed (one lost may still be there) and nothing else changed.
            ids = {t.id for t in live}
            masked = [last_seen[t.id][1] for t in live]
            masked += [b for t, b in searched_faces.items() if t in ids]
            full = (
                not set(searched_faces) <= ids
                or searched_at.shape != now.shape
                or _changed(now, searched_at, masked)
            )
            costs.skipped += not full
        else:
            full = False
        found = []
        if not full:
            for t in live:
                x, y, w, h = last_seen[t.id][1]
                roi = (
                    max(0, int(x - w)), max(0, int(y - h)),
                    min(size[0], int(x + 2 * w)), min(size[1], int(y + 2 * h)),
                )  # fmt: skip
                near = detector.detect(gray, roi, near_size=w)
                costs.around += 1
                # A followed face not found where it was: the whole frame is
                # searched (the cascade may miss it in a part of the picture).
                full = full or not near
                found += near
        if full:
            found = detector.detect(gray)
            searched, searched_at = i, now
            costs.full += 1
        costs.detect += clock() - began
        began = clock()
        found = _nms(found)
        # Greedy matching, best pairs first.
        pairs = sorted(
            ((_linkable(last_seen[t.id][1], b), n, t) for t in live
             for n, b in enumerate(found)),
            key=lambda p: -p[0],
        )  # fmt: skip
        used_t: set[int] = set()
        used_b: set[int] = set()
        for score, n, t in pairs:
            if score <= 0.2 or t.id in used_t or n in used_b:
                continue
            used_t.add(t.id)
            used_b.add(n)
            _extend(t, i, found[n], scale, gray, previous, last_seen)
        for n, box in enumerate(found):
            if n in used_b:
                continue
            t = Track(id=len(tracks), shot=len(shot_starts) - 1, first=i)
            tracks.append(t)
            live.append(t)
            _extend(t, i, box, scale, gray, previous, last_seen)
        live = [t for t in live if i - last_seen[t.id][0] < max_gap]
        if full:
            searched_faces = {t.id: last_seen[t.id][1] for t in live}
        previous = gray
        costs.link += clock() - began
        began = clock()
    costs.decode += _children_cpu() - decode_before
    min_len = max(1, round(options.min_track_seconds * fps))
    kept = []
    for t in tracks:
        hits = sum(b is not None for b in t.boxes)
        # The span ends at the last detection (later samples are only padding).
        if hits >= min_len and hits >= options.min_track_hits * len(t.boxes):
            kept.append(t)
    for new_id, t in enumerate(kept):
        t.id = new_id
    return kept, shot_starts, count


def _children_cpu() -> float:
    """CPU seconds of this process's ended children (ffmpeg, once it has ended)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _extend(
    t: Track,
    i: int,
    box: Sequence[int],
    scale: float,
    gray: np.ndarray,
    previous: np.ndarray | None,
    last_seen: dict[int, tuple[int, list[float]]],
) -> None:
    """Add detection ``box`` (analysis pixels) to ``t`` at sample ``i``.

    ``last_seen`` keeps each track's smoothed box: detections of a still face jitter
    by a tenth of their size from frame to frame, which would read as movement.
    """
    seen = last_seen.get(t.id)
    activity = 0.0
    smooth = [float(v) for v in box]
    if seen is not None:
        old = seen[1]
        shift = math.hypot(
            box[0] + box[2] / 2 - old[0] - old[2] / 2,
            box[1] + box[3] / 2 - old[1] - old[3] / 2,
        )
        if shift < 0.15 * old[2]:
            # A still face: both frames are compared at the same smoothed box, also
            # when the detector missed it in the previous sample (an open mouth can
            # hide a face from it).
            smooth = [0.7 * o + 0.3 * float(v) for o, v in zip(old, box, strict=True)]
            if previous is not None:
                activity = mouth_activity(previous, smooth, gray, smooth)
        elif previous is not None and seen[0] == i - 1:
            activity = mouth_activity(previous, old, gray, box)
    while t.last < i - 1:
        t.boxes.append(None)
        t.activity.append(0.0)
    t.boxes.append([round(v * scale) for v in smooth])
    t.activity.append(activity)
    last_seen[t.id] = (i, smooth)


def tracked_range(
    span: tuple[float, float], duration: float | None, options: TrackOptions
) -> tuple[float, float | None]:
    """Where tracking of ``span`` starts (on the grid of samples of the whole video,
    so that every span's samples fall at the same times) and how long it lasts:
    the span with ``margin_seconds`` on each side, inside the video."""
    sf = options.sample_fps
    begin = max(0.0, math.floor((span[0] - options.margin_seconds) * sf) / sf)
    end = span[1] + options.margin_seconds
    if duration:
        end = min(end, duration)
    return round(begin, 6), round(max(end - begin, 1 / sf), 6)


def track_subjects(
    source: str | os.PathLike[str],
    video_json: str | os.PathLike[str],
    audio: str | os.PathLike[str],
    subjects: str | os.PathLike[str],
    options: TrackOptions,
    clip: str | None = None,
) -> dict[str, Any]:
    """Write the faces, shots and audio levels of the span of ``clip`` (read from
    its name, see :func:`reelmake.stages.highlights.span_of`), or of the whole
    video, to ``subjects``."""
    from reelmake.stages.highlights import span_of

    info = fileio.read_json(video_json)
    stream = next((s for s in info["streams"] if s["kind"] == "video"), None)
    span = span_of(clip) if clip is not None else None
    origin, length = (
        tracked_range(span, info.get("duration"), options) if span else (0.0, None)
    )
    if stream is None:  # a sound-only episode: no picture, no one to follow
        width = height = 0
        found: tuple[list[Track], list[int], int] = ([], [], 0)
    else:
        width, height = int(stream["width"]), int(stream["height"])
        costs = Costs()
        # The decoder gets one thread more than the job, beside the search.
        found = analyse(source, width, height, options, origin, length, costs,
                        options.threads + 1)  # fmt: skip
        log.info("where the time went: %s", costs.line(found[2]))
    tracks, shots, count = found
    data = fileio.artifact(
        STAGE,
        options.tracked(),
        fileio.versions("opencv-python-headless", "scenedetect-headless"),
    )
    data.update(
        {
            "width": width,
            "height": height,
            "sample_fps": options.sample_fps,
            # Sample i is at origin + i / sample_fps (seconds of the video).
            "origin": origin,
            "span": list(span) if span else None,
            "samples": count,
            "shots": shots,
            "loudness": loudness(audio, options.sample_fps, count, origin),
            "tracks": [asdict(t) for t in tracks],
        }
    )
    fileio.write_json(subjects, data)
    log.info(
        "%s: %d sample(s) from %.2f s, %d shot(s), %d face track(s)",
        clip or "the whole video", count, origin, len(shots), len(tracks),
    )  # fmt: skip
    return data


def load_tracks(data: dict[str, Any]) -> list[Track]:
    return [Track(**t) for t in data["tracks"]]


# -- the crop path of one clip ---------------------------------------------------------


@dataclass(frozen=True)
class CropPath:
    """Where the crop window sits in each frame of a clip (source pixels)."""

    mode: str  # face | centre | fit
    reason: str
    width: int
    height: int
    xs: list[int]
    ys: list[int]
    subjects: list[int | None]  # followed track per frame (None: none)
    switches: int

    def as_json(self, fps: float) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "reason": self.reason,
            "fps": fps,
            "crop": [self.width, self.height],
            "switches": self.switches,
            "x": self.xs,
            "y": self.ys,
            "subject": self.subjects,
        }


def _speech_gate(levels: Sequence[float]) -> list[bool]:
    """Which samples are loud: within 25 dB of the video's loud end (its 90th
    percentile) and above -50 dBFS. Measured from the top, so that a video that is
    speech from end to end counts as loud throughout."""
    if not levels:
        return []
    top = float(np.percentile(levels, 90))
    return [lv > max(-50.0, top - 25.0) for lv in levels]


def _choose(
    present: list[dict[int, list[int]]],
    speaking: dict[int, list[float]],
    hold: int,
) -> list[int | None]:
    """The followed track at each sample of one shot: the only face, or the one
    speaking most, kept for at least ``hold`` samples before a switch."""
    chosen: list[int | None] = []
    current: int | None = None
    since = 0
    for k, faces in enumerate(present):
        if not faces:
            chosen.append(current if current is not None else None)
            since += 1
            continue
        if current not in faces:
            # First pick in the shot, or the followed face is gone: the face that
            # speaks most over the next hold time, else the largest.
            def ahead(
                t: int, k: int = k, faces: dict[int, list[int]] = faces
            ) -> tuple[float, int]:
                box = faces[t]
                return (sum(speaking[t][k : k + hold]), box[2] * box[3])

            current, since = max(faces, key=ahead), 0
        elif len(faces) > 1 and since >= hold:
            best = max(faces, key=lambda t: speaking[t][k])
            if best != current and speaking[best][k] > 1.5 * speaking[current][k] + 0.5:
                current, since = best, 0
        chosen.append(current)
        since += 1
    return chosen


def _on_time(
    picks: list[int | None],
    begins: float,
    sf: float,
    turns: Sequence[float],
    hold: int,
) -> list[int | None]:
    """Each switch of speaker moved back to the last turn (a word after a pause)
    before it, no further than the hold time and never before the previous switch:
    the crop arrives as the new speaker begins, not once their mouth has shown it."""
    out = list(picks)
    previous = 0
    for j in range(1, len(out)):
        if out[j] is None or out[j - 1] is None or out[j] == out[j - 1]:
            continue
        at = begins + j / sf
        near = [s for s in turns if at - hold / sf <= s <= at]
        if near:
            back = max(previous + 1, math.floor((max(near) - begins) * sf))
            for m in range(back, j):
                out[m] = out[j]
        previous = j
    return out


def choose_layout(
    subjects: dict[str, Any] | None,
    start: float,
    end: float,
    crop_width: int,
) -> tuple[str, list[int], str]:
    """``single``, or ``split`` with the two faces to show (left one first), and why:
    two faces both seen most of the clip, both speaking, too far apart for one
    window of ``crop_width`` to hold them."""
    if subjects is None:
        return "single", [], "no faces tracked"
    first, last = _samples(subjects, start, end)
    span = last - first + 1
    loud = _speech_gate(subjects["loudness"])
    tracks = load_tracks(subjects)
    speaking = _speaking(tracks, loud, first, last, 1)
    seen = []
    for t in tracks:
        boxes = [t.box_at(i) for i in range(first, last + 1)]
        found = [b for b in boxes if b is not None]
        if len(found) >= 0.5 * span:
            centre = sum(b[0] + b[2] / 2 for b in found) / len(found)
            seen.append((t.id, centre, sum(speaking[t.id])))
    if len(seen) < 2:
        return "single", [], f"{len(seen)} face(s) seen through the clip"
    total = sum(s for _, _, s in seen) or 1.0
    talking = sorted((s for s in seen if s[2] >= 0.2 * total), key=lambda s: -s[2])
    if len(talking) < 2:
        return "single", [], "one of the faces does the talking"
    a, b = sorted(talking[:2], key=lambda s: s[1])
    if b[1] - a[1] < 0.75 * crop_width:
        return "single", [], "the two speakers fit one window"
    return "split", [a[0], b[0]], "two people talk and do not fit one window"


def _smooth(values: list[float], window: int, step: float) -> list[float]:
    """Centred moving average, then at most ``step`` of movement per sample."""
    if not values:
        return []
    half = max(0, window // 2)
    arr = np.asarray(values, dtype=np.float64)
    padded = np.pad(arr, half, mode="edge")
    kernel = np.ones(2 * half + 1) / (2 * half + 1)
    smooth = [float(v) for v in np.convolve(padded, kernel, mode="valid")]
    out = [smooth[0]]
    for v in smooth[1:]:
        out.append(out[-1] + max(-step, min(step, v - out[-1])))
    return out


def plan_crop(
    subjects: dict[str, Any] | None,
    start: float,
    end: float,
    fps: float,
    crop: tuple[int, int],
    frame: tuple[int, int],
    options: FrameOptions,
    follow: int | None = None,
    turns: Sequence[float] = (),
) -> CropPath:
    """The crop window of every frame of the clip ``[start, end)``: on ``follow``
    alone when given (a pane of a split screen), else on the speaker. ``turns``:
    the times a speaker may start talking (a word after a pause); a switch of
    speaker moves back to the last of them before it, since the mouth of the new
    speaker shows it only after a while."""
    width, height = frame
    cw, ch = crop
    frames_n = max(1, round((end - start) * fps))
    cx0, cy0 = (width - cw) // 2, (height - ch) // 2
    cx0 -= cx0 % 2
    cy0 -= cy0 % 2

    def fixed(mode: str, reason: str) -> CropPath:
        return CropPath(mode, reason, cw, ch, [cx0] * frames_n, [cy0] * frames_n,
                        [None] * frames_n, 0)  # fmt: skip

    if options.reframe == "centre":
        return fixed("centre", "clips.reframe is centre")
    if options.reframe == "fit":
        return fixed("fit", "clips.reframe is fit")
    if subjects is None:
        raise ReelmakeError("face framing needs the subjects of track_subjects")
    sf = float(subjects["sample_fps"])
    first, last = _samples(subjects, start, end)
    origin = float(subjects.get("origin") or 0.0)
    tracks = [t for t in load_tracks(subjects) if follow is None or t.id == follow]
    loud = _speech_gate(subjects["loudness"])
    window = max(1, round(options.smoothing_seconds * sf))
    hold = max(1, round(options.switch_hold_seconds * sf))
    speaking = _speaking(tracks, loud, first, last, hold)
    if not any(t.first <= last and t.last >= first for t in tracks):
        if options.no_face == "fit":
            return fixed("fit", "no face found in the clip; whole frame fitted")
        return fixed("centre", "no face found in the clip; centre crop")
    shot_of = np.searchsorted(subjects["shots"], np.arange(first, last + 1), "right")
    present = _present(tracks, first, last)
    centres_x: list[float] = []
    centres_y: list[float] = []
    chosen: list[int | None] = []
    switches = 0
    step_x = options.max_speed * cw / sf
    step_y = options.max_speed * ch / sf
    for k, end_k, _ in _runs(list(shot_of)):
        # One shot: the path restarts at its start, and at each change of face.
        picks = _choose(present[k:end_k], {t: s[k:end_k] for t, s in speaking.items()},
                        hold)  # fmt: skip
        picks = _on_time(picks, origin + (first + k) / sf, sf, turns, hold)
        for j, stop, who in _runs(picks):
            xs, ys = [], []
            for m in range(j, stop):
                box = present[k + m].get(who) if who is not None else None
                if box is None:
                    xs.append(cx0 + cw / 2)
                    ys.append(cy0 + ch / 2)
                else:
                    xs.append(box[0] + box[2] / 2)
                    # The face a little above the centre, where people look first.
                    ys.append(box[1] + box[3] / 2 + ch / 8)
            centres_x += _smooth(xs, window, step_x)
            centres_y += _smooth(ys, window, step_y)
            if chosen and who is not None and chosen[-1] not in (None, who):
                switches += 1
            chosen += [who] * (stop - j)
    xs_out: list[int] = []
    ys_out: list[int] = []
    subj_out: list[int | None] = []
    for f in range(frames_n):
        pos = (start - origin + f / fps) * sf - first
        a = max(0, min(len(centres_x) - 1, math.floor(pos)))
        b = min(len(centres_x) - 1, a + 1)
        frac = max(0.0, min(1.0, pos - a))
        # No blending across a cut or a switch: the crop jumps with the picture.
        same = shot_of[a] == shot_of[b] and chosen[a] == chosen[b]
        x = _between(centres_x, a, b, frac if same else 0.0)
        y = _between(centres_y, a, b, frac if same else 0.0)
        subj_out.append(chosen[a] if same or frac < 0.5 else chosen[b])
        left = int(round(min(max(x - cw / 2, 0), width - cw)))
        top = int(round(min(max(y - ch / 2, 0), height - ch)))
        xs_out.append(left - left % 2)
        ys_out.append(top - top % 2)
    followed = sorted({s for s in subj_out if s is not None})
    reason = (
        f"following {'the speaking face' if len(followed) > 1 else 'one face'}"
        f" ({len(followed)} face(s), {switches} switch(es))"
    )
    return CropPath("face", reason, cw, ch, xs_out, ys_out, subj_out, switches)


def _samples(subjects: Mapping[str, Any], start: float, end: float) -> tuple[int, int]:
    """The first and last sample of ``[start, end]`` among the tracked ones (sample
    ``i`` is at ``origin + i / sample_fps``)."""
    sf = float(subjects["sample_fps"])
    n = int(subjects["samples"])
    origin = float(subjects.get("origin") or 0.0)
    # Rounded first: a time on the grid of samples must not fall a hair before it.
    first = max(0, min(n - 1, math.floor(round((start - origin) * sf, 6))))
    last = max(first, min(n - 1, math.ceil(round((end - origin) * sf, 6))))
    return first, last


def _speaking(
    tracks: Sequence[Track], loud: Sequence[bool], first: int, last: int, hold: int
) -> dict[int, list[float]]:
    """Speaking evidence per track and sample from ``first`` to ``last``: mouth
    movement while loud, summed over the hold time around the sample (a mouth moves
    in bursts)."""
    speaking: dict[int, list[float]] = {}
    for t in tracks:
        raw = [
            (t.activity[i - t.first] if loud[i] and t.box_at(i) else 0.0)
            if t.first <= i <= t.last
            else 0.0
            for i in range(first, last + 1)
        ]
        half = hold // 2
        speaking[t.id] = [
            sum(raw[max(0, k - half) : k + half + 1]) for k in range(len(raw))
        ]
    return speaking


def _present(
    tracks: Sequence[Track], first: int, last: int
) -> list[dict[int, list[int]]]:
    """Per sample: the faces seen, gaps of a followed face filled from its last
    box."""
    present: list[dict[int, list[int]]] = []
    for i in range(first, last + 1):
        faces: dict[int, list[int]] = {}
        for t in tracks:
            box = t.box_at(i)
            if box is None and t.first <= i <= t.last:
                box = next(
                    (b for b in reversed(t.boxes[: i - t.first]) if b is not None), None
                )
            if box is not None:
                faces[t.id] = box
        present.append(faces)
    return present


def _runs(values: Sequence[Any]) -> list[tuple[int, int, Any]]:
    """Runs of equal neighbours: (first index, index after the last, value)."""
    out: list[tuple[int, int, Any]] = []
    for i, value in enumerate(values):
        if out and out[-1][2] == value:
            out[-1] = (out[-1][0], i + 1, value)
        else:
            out.append((i, i + 1, value))
    return out


def _between(values: Sequence[float], a: int, b: int, frac: float) -> float:
    return values[a] + (values[b] - values[a]) * frac


def sendcmd_script(path: CropPath, fps: float, target: str = "crop") -> str:
    """ffmpeg ``sendcmd`` lines that move ``target`` (a crop filter) frame by frame;
    only frames where the window moves get a line."""
    lines = []
    last: tuple[int, int] | None = None
    for f, (x, y) in enumerate(zip(path.xs, path.ys, strict=True)):
        if (x, y) == last:
            continue
        # Half a frame early: a frame's time may round a hair below f / fps.
        at = max(0.0, (f - 0.5) / fps)
        lines.append(f"{at:.6f} {target} x {x}, {target} y {y};")
        last = (x, y)
    return "\n".join(lines) + "\n"
