"""Export for editors: the selected clips as ranges of the source, frame-exact.

One OpenTimelineIO timeline per video, written as ``.otio`` and, through OTIO's
adapters, as a CMX 3600 EDL and an FCP 7 XML (Premiere, Resolve and Final Cut import
these); :func:`read_timeline` reads one back once a person has changed it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelmake.core import fileio
from reelmake.core.errors import ReelmakeError
from reelmake.stages.clips.plan import AUDIOGRAM_FPS
from reelmake.stages.highlights import load_highlights


def build_timeline(
    highlights: str | os.PathLike[str],
    video_json: str | os.PathLike[str],
    source: str | os.PathLike[str],
    plan: str,
    here: str | os.PathLike[str] = ".",
) -> object:
    """The clips as one track over the source: each clip's kept ranges (see its
    edit plan, at ``plan`` with ``{clip}`` open) as clips of their own, named by the
    clip's rank and title (``01-title``, then ``01-title (2)``...), with the plan's
    path relative to the folder ``here``."""
    import opentimelineio as otio

    info = fileio.read_json(video_json)
    stream = next((s for s in info["streams"] if s["kind"] == "video"), None)
    # A sound-only episode is timed at its clips' rate, on a sound track.
    rate = float(stream["fps"] or 25.0) if stream else AUDIOGRAM_FPS
    kind = otio.schema.TrackKind.Video if stream else otio.schema.TrackKind.Audio
    real = os.path.realpath(source)
    total = round(float(info["duration"]) * rate)
    reference = otio.schema.ExternalReference(
        target_url=Path(real).as_uri(),
        available_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(total, rate)
        ),
    )
    timeline = otio.schema.Timeline(name=f"reelmake highlights: {Path(real).name}")
    track = otio.schema.Track(name="highlights", kind=kind)
    for h in load_highlights(highlights):
        path = plan.replace("{clip}", h.clip)
        ranges = _ranges(path, h.start, h.end)
        for part, (a, b) in enumerate(ranges, 1):
            # The same frame rounding as the plan, so the EDL matches the clips.
            first, last = round(a * rate), round(b * rate)
            about: dict[str, object] = {
                "clip": h.clip, "rank": h.rank, "score": h.overall, "title": h.title,
                "part": part, "parts": len(ranges),
                "plan": os.path.relpath(path, here),
            }  # fmt: skip
            name = h.ranked or h.clip
            track.append(
                otio.schema.Clip(
                    name=name if part == 1 else f"{name} ({part})",
                    media_reference=reference.clone(),
                    source_range=otio.opentime.TimeRange(
                        otio.opentime.RationalTime(first, rate),
                        otio.opentime.RationalTime(last - first, rate),
                    ),
                    metadata={"reelmake": about},
                )
            )
    timeline.tracks.append(track)
    return timeline


def _ranges(plan: str, start: float, end: float) -> list[tuple[float, float]]:
    """A clip's kept ranges from its plan (its whole span when it has none yet)."""
    try:
        return [(float(a), float(b)) for a, b in fileio.read_json(plan)["ranges"]]
    except (OSError, ValueError, KeyError, TypeError):
        return [(start, end)]


def _smpte_rate(timeline: object) -> bool:
    import opentimelineio as otio

    clip = timeline.find_clips()[0]  # type: ignore[attr-defined]
    rate = clip.source_range.start_time.rate
    return bool(otio.opentime.RationalTime.is_valid_timecode_rate(rate))


def export_timeline(
    source: str | os.PathLike[str],
    highlights: str | os.PathLike[str],
    video_json: str | os.PathLike[str],
    plans: Sequence[str | os.PathLike[str]],
    otio: str | os.PathLike[str],
    edl: str | os.PathLike[str],
    xml: str | os.PathLike[str],
    plan: str,
) -> None:
    """The clips as an OTIO timeline, a CMX 3600 EDL and an FCP XML (``plans``: the
    clips' edit plans, made first; ``plan``: where each lies, ``{clip}`` open)."""
    import opentimelineio

    timeline = build_timeline(highlights, video_json, source, plan, Path(otio).parent)
    name = timeline.name  # type: ignore[attr-defined]
    clips = timeline.find_clips()  # type: ignore[attr-defined]
    # EDL and FCP XML speak SMPTE timecode; other rates (15 fps screen recordings,
    # say) get a file that says why it has no events.
    smpte = not clips or _smpte_rate(timeline)
    # An EDL's events are pictures: a sound-only episode's clips are in the others.
    sound = not timeline.video_tracks()  # type: ignore[attr-defined]
    for target, adapter in ((otio, "otio_json"), (edl, "cmx_3600"),
                            (xml, "fcp_xml")):  # fmt: skip
        why = "this frame rate has no SMPTE timecode; import timeline.otio instead"
        if adapter == "cmx_3600" and sound and clips:
            why = "a sound-only episode has no picture; import timeline.xml instead"
        if adapter == "cmx_3600" and (not clips or not smpte or sound):
            note = "" if not clips else f"* No events: {why}.\n"
            fileio.write_text(target, f"TITLE: {name}\nFCM: NON-DROP FRAME\n{note}")
            continue
        if adapter == "fcp_xml" and not smpte:
            fileio.write_text(
                target,
                f'<?xml version="1.0" encoding="UTF-8"?>\n'
                f"<!-- {name.replace('--', '- -')}: {why} -->\n"
                '<xmeml version="4"/>\n',
            )
            continue
        try:
            text = opentimelineio.adapters.write_to_string(
                timeline, adapter_name=adapter
            )
        except Exception as exc:  # adapters raise their own exception types
            raise ReelmakeError(
                f"{target}: export as {adapter} failed ({exc})"
            ) from None
        fileio.write_text(target, text)


# -- reading a timeline back (``reelmake import-edits``) -------------------------------

ADAPTERS = {".otio": "otio_json", ".xml": "fcp_xml", ".edl": "cmx_3600"}


@dataclass(frozen=True)
class TimelineClip:
    """A clip of a timeline, as a range of the source in frames at the video's rate
    (``start`` its first frame, ``end`` the one after its last); ``position`` its
    place in the timeline (seconds), ``clip`` and ``part`` what our export named it
    (OTIO keeps them; EDL and FCP XML keep only ``name``)."""

    name: str
    start: int
    end: int
    position: float
    clip: str | None = None
    part: int | None = None
    url: str | None = None


def read_timeline(path: str | os.PathLike[str], rate: float) -> list[TimelineClip]:
    """The video clips of an OTIO, FCP 7 XML or CMX 3600 EDL timeline, in the order
    they play (``rate``: the source's frame rate, which an EDL does not say)."""
    import opentimelineio as otio

    path = Path(path)
    adapter = ADAPTERS.get(path.suffix.lower())
    if adapter is None:
        known = ", ".join(ADAPTERS)
        raise ReelmakeError(f"{path}: not a timeline reelmake reads ({known})")
    if not path.is_file():
        raise ReelmakeError(f"{path}: no such file")
    extra: dict[str, Any] = {"rate": rate} if adapter == "cmx_3600" else {}
    try:
        timeline = otio.adapters.read_from_file(
            str(path), adapter_name=adapter, **extra
        )
    except Exception as exc:  # adapters raise their own exception types
        first = str(exc).strip().splitlines()[:1]
        raise ReelmakeError(
            f"{path}: not a readable {adapter} timeline ({' '.join(first)})"
        ) from None
    found = []
    for track in timeline.video_tracks():
        for item in track:
            if not isinstance(item, otio.schema.Clip):
                continue
            found.append(_timeline_clip(item, rate))
    return sorted(found, key=lambda c: (c.position, c.start))


def _timeline_clip(item: Any, rate: float) -> TimelineClip:
    source = item.trimmed_range()
    first = round(source.start_time.to_seconds() * rate)
    last = round(source.end_time_exclusive().to_seconds() * rate)
    ours = dict(item.metadata).get("reelmake") or {}
    reference = item.media_reference
    url = getattr(reference, "target_url", None)
    part = ours.get("part")
    return TimelineClip(
        name=str(item.name or ""),
        start=first,
        end=last,
        position=float(item.range_in_parent().start_time.to_seconds()),
        clip=str(ours["clip"]) if "clip" in ours else None,
        part=int(part) if part is not None else None,
        url=str(url) if url else None,
    )
