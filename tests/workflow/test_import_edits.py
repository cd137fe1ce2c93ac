"""The round trip through an editor: export, change the timeline (here with the
OpenTimelineIO API, as an editor would), ``reelmake import-edits``, run: exactly the
changed clips change."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelmake.batch import edits
from reelmake.stages import decisions
from tests.conftest import reelmake, rules_run
from tests.review_helper import chosen, clip_times, copy_of, video_folder

pytestmark = pytest.mark.workflow


def _ours(item) -> str:
    return item.metadata["reelmake"]["clip"]


def test_an_edited_timeline_becomes_decisions_and_renders_only_its_changes(
    tmp_path_factory: pytest.TempPathFactory, long_speech_video: Path, tmp_path: Path
) -> None:
    import opentimelineio as otio

    workdir = copy_of(tmp_path_factory, long_speech_video, "edits")
    folder = video_folder(workdir)
    first, second, trimmed, deleted = chosen(folder)
    times = clip_times(folder)
    exported = folder / "export"

    def dry_run(path: Path) -> list[str]:
        # In this process: what the command would print, without its start-up.
        return edits.import_edits(
            workdir / "results", workdir / "talk.mp4", path, dry_run=True
        )

    # Imported as exported, no format changes anything.
    for name in ("timeline.otio", "timeline.xml", "timeline.edl"):
        assert dry_run(exported / name) == [
            "no change: the timeline is as it was exported"
        ]

    # In the editor: the last clip deleted, the third one's start trimmed by 1 s.
    timeline = otio.adapters.read_from_file(str(exported / "timeline.otio"))
    track = timeline.video_tracks()[0]
    for index in reversed(range(len(track))):
        if _ours(track[index]) == deleted["clip"]:
            del track[index]
    part = next(item for item in track if _ours(item) == trimmed["clip"])
    rate = part.source_range.start_time.rate
    one_second = otio.opentime.RationalTime(rate, rate)
    part.source_range = otio.opentime.TimeRange(
        part.source_range.start_time + one_second,
        part.source_range.duration - one_second,
    )
    edited = {
        "otio": tmp_path / "edited.otio",
        "xml": tmp_path / "edited.xml",
        "edl": tmp_path / "edited.edl",
    }
    otio.adapters.write_to_file(timeline, str(edited["otio"]))
    otio.adapters.write_to_file(timeline, str(edited["xml"]), adapter_name="fcp_xml")
    otio.adapters.write_to_file(timeline, str(edited["edl"]), adapter_name="cmx_3600")

    # The three formats say the same (EDL and FCP XML keep only the clips' names).
    said = {kind: dry_run(path) for kind, path in edited.items()}
    assert said["otio"] == said["xml"] == said["edl"], said
    assert said["otio"][:2] == [
        f"{trimmed['ranked']}: starts at {trimmed['start'] + 1:.2f} s "
        f"(was {trimmed['start']:.2f})",
        f"{deleted['ranked']}: rejected (not in the timeline)",
    ]
    assert not (folder / "decisions.yaml").exists()

    run = reelmake("import-edits", "talk.mp4", edited["edl"], cwd=workdir)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[:2] == said["edl"][:2]
    written = decisions.load(folder / "decisions.yaml")
    assert written.rejected() == [(deleted["start"], deleted["end"])]
    moved = written.about((trimmed["start"], trimmed["end"]))
    assert moved is not None and moved.start is not None
    assert moved.start == pytest.approx(trimmed["start"] + 1, abs=0.05)

    run = reelmake("run", "talk.mp4", cwd=workdir)
    assert run.returncode == 0, run.stderr
    # One clip planned and rendered: the trimmed one.
    ran = rules_run(run.stderr)
    assert ran.count("plan_clip") == ran.count("render_clip") == 1, ran
    after = chosen(folder)
    now = clip_times(folder)
    assert not any(name.startswith(deleted["clip"]) for name in now)
    assert not any(name.startswith(trimmed["clip"]) for name in now)
    new = next(h for h in after if h["selected"] == [trimmed["start"],
                                                     trimmed["end"]])  # fmt: skip
    assert new["start"] > trimmed["start"]
    assert new["speech_end"] == trimmed["speech_end"]
    assert f"{new['clip']}.mp4" in now
    for h in (first, second):
        for ext in ("mp4", "plan.json", "srt", "vtt"):
            name = f"{h['clip']}.{ext}"
            assert now[name] == times[name], name
    assert [h["clip"] for h in after] == [first["clip"], second["clip"], new["clip"]]

    # A timeline of another video is refused, in one line.
    other = timeline.clone()
    for item in other.find_clips():
        item.media_reference.target_url = "file:///videos/other.mp4"
    otio.adapters.write_to_file(other, str(tmp_path / "other.otio"))
    run = reelmake("import-edits", "talk.mp4", tmp_path / "other.otio", cwd=workdir)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'other.otio'}: its clips are of other.mp4, not "
        "talk.mp4; import the timeline exported for this video"
    ]
