"""Export for editors: the selected clips as ranges of the source, frame-exact.

One OpenTimelineIO timeline per video, written as ``.otio`` and, through OTIO's
adapters, as a CMX 3600 EDL and an FCP 7 XML (Premiere, Resolve and Final Cut import
these).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

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
