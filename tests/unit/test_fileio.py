import os
from pathlib import Path

import pytest

from reelmake.core import fileio

pytestmark = pytest.mark.unit


def test_atomic_write_is_all_or_nothing(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.json"
    fileio.write_json(target, {"a": 1})
    with pytest.raises(RuntimeError), fileio.atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed mid-write")
    assert fileio.read_json(target) == {"a": 1}
    assert [p.name for p in target.parent.iterdir()] == ["out.json"]


def test_results_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        fileio.write_text(tmp_path / "x.txt", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "x.txt").stat().st_mode & 0o777 == 0o644
