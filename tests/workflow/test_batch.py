"""A big batch: twenty-four tiny videos in one folder, two of them bad."""

import subprocess
from pathlib import Path

import pytest

from reelmake.batch import summary
from reelmake.cli.demo import make_video
from tests.conftest import fast_clips, reelmake

pytestmark = pytest.mark.workflow

# Good videos in the batch (two bad ones join them).
GOOD = 22
WORDS = ("bees", "honey", "rivers", "maps", "bread", "stars", "trains", "songs")


def test_a_big_batch_with_two_bad_ones(tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    spoken = [
        make_video(tmp_path / f"{word}.mp4", [f"Today we talk about {word}."],
                   size="160x90")
        for word in WORDS
    ]  # fmt: skip
    folder.mkdir()
    good = []
    for i in range(GOOD):
        # Eight recordings, each copied with its own tag: all different files.
        target = folder / f"v{i:02d}.mp4"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-i", spoken[i % len(WORDS)], "-c", "copy",
             "-metadata", f"comment=take {i}", target],
            check=True,
        )  # fmt: skip
        good.append(target)
    (folder / "zero.mp4").write_bytes(b"")
    data = good[0].read_bytes()
    (folder / "truncated.mp4").write_bytes(data[: len(data) // 2])

    fast_clips(tmp_path)  # whatever clips the tiny talks give, small
    run = reelmake("run", folder, "--cores", "2", cwd=tmp_path, timeout=1800)

    assert run.returncode == 1
    errors = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 2, errors
    table = summary.read_summary(tmp_path / "results" / "summary.tsv")
    assert len(table) == GOOD + 2
    by_name = {Path(row["video"]).name: row for row in table}
    assert by_name["zero.mp4"]["status"] == "refused"
    assert "empty" in by_name["zero.mp4"]["error"]
    assert by_name["truncated.mp4"]["status"] == "failed"
    assert "truncated" in by_name["truncated.mp4"]["error"]
    assert by_name["truncated.mp4"]["last_stage"] == ""
    for video in good:
        row = by_name[video.name]
        assert row["status"] == "done", row
        assert row["last_stage"] == "metadata"
        assert row["error"] == ""
        assert len(row["video_hash"]) == 16
        assert int(row["clips"]) >= 0
        assert 1.0 < float(row["duration_s"]) < 10.0
        assert float(row["transcribe_s"]) > 0
        assert float(row["total_s"]) >= float(row["transcribe_s"])
    # Distinct videos, distinct results folders.
    assert len({by_name[v.name]["video_hash"] for v in good}) == GOOD
