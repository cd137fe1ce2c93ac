from pathlib import Path

import pytest

from reelmake.core import fileio
from reelmake.stages.export import export_timeline

pytestmark = pytest.mark.unit


def _inputs(tmp_path: Path, fps: float) -> tuple[Path, Path, Path]:
    source = tmp_path / "talk.mp4"
    source.write_bytes(b"not decoded here")
    video = fileio.artifact("ingest", {}, {})
    video.update(duration=60.0, streams=[{"kind": "video", "fps": fps}])
    fileio.write_json(tmp_path / "video.json", video)
    selection = fileio.artifact("selection", {"threshold": 6.0}, {})
    selection["highlights"] = [
        {"rank": 1, "id": "a", "clip": "01-a", "start": 10.02, "end": 25.5,
         "speech_start": 10.3, "speech_end": 25.0, "overall": 8.0, "subscores": {},
         "reason": "", "title": "A", "hook": "", "text": "", "backend": "heuristic",
         "duration": 15.48},
    ]  # fmt: skip
    fileio.write_json(tmp_path / "highlights.json", selection)
    return tmp_path / "highlights.json", tmp_path / "video.json", source


@pytest.mark.parametrize("fps", [25.0, 15.0])
def test_exports_at_smpte_and_other_rates(tmp_path: Path, fps: float) -> None:
    import opentimelineio as otio

    highlights, video, source = _inputs(tmp_path, fps)
    out = {ext: tmp_path / f"timeline.{ext}" for ext in ("otio", "edl", "xml")}
    plan = str(tmp_path / "clips" / "{clip}.plan.json")
    export_timeline(source=source, highlights=highlights, video_json=video, plans=[],
                    plan=plan, **out)  # fmt: skip
    (clip,) = otio.adapters.read_from_file(str(out["otio"])).find_clips()
    assert clip.source_range.start_time.value == round(10.02 * fps)
    assert clip.source_range.end_time_exclusive().value == round(25.5 * fps)
    edl = out["edl"].read_text()
    if fps == 25.0:
        # round() as cut_clip does: frame 250 (10.02 s) to 388 (25.5 s, exclusive)
        assert "00:00:10:00 00:00:25:13" in edl
        assert (
            len(list(otio.adapters.read_from_file(str(out["xml"])).find_clips())) == 1
        )
    else:
        assert "No events" in edl and "SMPTE" in out["xml"].read_text()
