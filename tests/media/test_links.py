"""Links fetched with yt-dlp from a server on 127.0.0.1: once, then from the record."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reelmake.batch import links
from reelmake.core.hashing import hash_file, short
from tests.file_server import serve

pytestmark = pytest.mark.media


def test_a_link_is_fetched_once_and_kept_by_url_and_content(
    tmp_path: Path, speech_video: Path
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(speech_video, site / "garden talk.mp4")
    downloads = tmp_path / "downloads"
    notes: list[str] = []
    with serve(site) as server:
        url = server.url("garden%20talk.mp4")
        missing = server.url("gone.mp4")
        entries = ["local.mp4", url, missing]
        out, problems = links.fetch_links(entries, downloads, notes.append)
        asked = len(server.requests)
        again, problems_again = links.fetch_links([url], downloads, notes.append)
        assert len(server.requests) == asked  # the second time asks nothing

    digest = short(hash_file(speech_video))
    fetched = downloads / links.url_key(url) / digest / "garden talk.mp4"
    assert out == ["local.mp4", str(fetched)] and again == [str(fetched)]
    assert fetched.read_bytes() == speech_video.read_bytes()
    record = json.loads((downloads / links.url_key(url) / "link.json").read_text())
    assert record["url"] == url and record["video_hash"] == digest
    # The 404 is one line naming the link; nothing of it is left behind.
    assert [(p.path, p.message) for p in problems] == [
        (missing, "could not be fetched (Unable to download webpage: HTTP Error "
                  "404: File not found)")
    ]  # fmt: skip
    assert problems_again == []
    assert sorted(p.name for p in downloads.iterdir()) == [links.url_key(url)]
    assert notes[-1] == f"{url}: already fetched: {fetched}"


def test_a_dry_run_fetches_nothing(tmp_path: Path) -> None:
    with serve(tmp_path) as server:
        notes: list[str] = []
        out, problems = links.fetch_links(
            [server.url("talk.mp4")], tmp_path / "downloads", notes.append, True
        )
        assert server.requests == []
    assert out == [] and problems == []
    assert "would be fetched" in notes[0]
    assert not (tmp_path / "downloads").exists()


def test_only_web_links_are_links() -> None:
    assert links.is_link("https://example.org/talk?v=1")
    assert links.is_link("HTTP://example.org/a.mp3")
    for entry in ("talk.mp4", "ftp://example.org/a.mp4", "streams/*.mkv", "http://"):
        assert not links.is_link(entry), entry


def test_a_folder_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    blocked = tmp_path / "downloads"
    blocked.write_text("a file where the folder should be")

    def never(url: str, into: Path) -> links.Media:
        raise AssertionError("nothing is fetched without a place to put it")

    out, problems = links.fetch_links(
        ["https://example.org/talk"], blocked, lambda _: None, fetcher=never
    )
    assert out == []
    assert [p.message for p in problems] == [
        f"could not be saved in {blocked} (Not a directory)"
    ]
