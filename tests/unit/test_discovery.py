import os
from pathlib import Path

import pytest

from reelmake.pipeline.discovery import discover, register, source_link

pytestmark = pytest.mark.unit


def _problems(entries: list[str], base: Path) -> dict[str, str]:
    _, problems = discover(entries, base)
    return {p.path: p.message for p in problems}


def test_each_bad_entry_gets_one_line_naming_it(tmp_path: Path) -> None:
    (tmp_path / "empty_folder").mkdir()
    (tmp_path / "folder.mp4").mkdir()
    (tmp_path / "zero.mp4").write_bytes(b"")
    problems = _problems(
        ["missing.mp4", "empty_folder", "folder.mp4", "zero.mp4", "nothing*.mkv"],
        tmp_path,
    )
    assert problems == {
        "missing.mp4": "no such file or folder",
        "empty_folder": problems["empty_folder"],
        "folder.mp4": "is a folder, not a video file",
        "zero.mp4": "is empty (0 bytes)",
        "nothing*.mkv": "pattern matches no files",
    }
    assert problems["empty_folder"].startswith("folder has no video files")
    for path, message in problems.items():
        assert "\n" not in message and path


def test_files_folders_and_globs_expand_once_in_order(tmp_path: Path) -> None:
    sub = tmp_path / "season 1"
    sub.mkdir()
    for name in ("b.mp4", "a.MKV", "notes.txt", ".hidden.mp4"):
        (sub / name).write_bytes(b"x")
    (tmp_path / "c.mov").write_bytes(b"y")
    videos, problems = discover(["season 1", "*.mov", "season 1/b.mp4"], tmp_path)
    assert problems == []
    assert [v.name for v in videos] == ["a.MKV", "b.mp4", "c.mov"]


def test_odd_names_are_plain_paths(tmp_path: Path) -> None:
    name = 'it\'s a "test" $(touch pwned) ünïcödé.mp4'
    (tmp_path / name).write_bytes(b"x")
    videos, problems = discover([name], tmp_path)
    assert problems == [] and videos == [tmp_path / name]
    assert not (tmp_path / "pwned").exists()


def test_register_dedupes_equal_bytes_and_links_the_source(tmp_path: Path) -> None:
    a, b = tmp_path / "a.mp4", tmp_path / "copy of a.mp4"
    a.write_bytes(b"same")
    b.write_bytes(b"same")
    results = tmp_path / "results"
    videos, problems = register([a, b], results)
    assert problems == [] and len(videos) == 1
    link = source_link(results, videos[0].hash)
    assert link is not None and link.name == "source.mp4"
    assert os.path.realpath(link) == str(a.resolve())


def test_a_moved_video_keeps_its_folder_and_link(tmp_path: Path) -> None:
    a = tmp_path / "a.mp4"
    a.write_bytes(b"bytes")
    results = tmp_path / "results"
    (first,), _ = register([a], results)
    moved = tmp_path / "sub" / "renamed.mp4"
    moved.parent.mkdir()
    a.rename(moved)
    (second,), _ = register([moved], results)
    assert second.hash == first.hash
    link = source_link(results, first.hash)
    assert link is not None and os.path.realpath(link) == str(moved.resolve())
