import os
import time
from pathlib import Path

import pytest

from reelmake.batch import store as cache
from reelmake.core.errors import ReelmakeError

pytestmark = pytest.mark.unit


def test_sizes_and_ages() -> None:
    assert cache.parse_size("20G") == 20 * 1024**3
    assert cache.parse_size("1.5 MiB") == int(1.5 * 1024**2)
    assert cache.parse_size("512") == 512
    assert cache.parse_age("7d") == 7 * 86400
    assert cache.parse_age("12h") == 12 * 3600
    with pytest.raises(ReelmakeError, match="like 20G"):
        cache.parse_size("lots")
    with pytest.raises(ReelmakeError, match="like 7d"):
        cache.parse_age("7 days")


def _video(results: Path, name: str, size: int, age_days: float, now: float) -> None:
    folder = results / name
    folder.mkdir(parents=True)
    os.symlink("/videos/x.mp4", folder / "source.mp4")
    (folder / "data.bin").write_bytes(b"x" * size)
    (folder / cache.LAST_USED).touch()
    stamp = now - age_days * 86400
    os.utime(folder / cache.LAST_USED, (stamp, stamp))


def test_gc_plan_takes_old_ones_then_least_recently_used(tmp_path: Path) -> None:
    now = time.time()
    _video(tmp_path, "a" * 16, 1000, 30, now)  # old
    _video(tmp_path, "b" * 16, 1000, 3, now)
    _video(tmp_path, "c" * 16, 1000, 1, now)
    _video(tmp_path, "d" * 16, 1000, 0, now)
    plan = cache.plan_gc(tmp_path, older_than=7 * 86400, max_size=2500, now=now)
    assert [(e.video_hash[0], e.reason.split()[0]) for e in plan] == [
        ("a", "unused"),
        ("b", "over"),
    ]
    assert cache.plan_gc(tmp_path, None, None, now) == []
