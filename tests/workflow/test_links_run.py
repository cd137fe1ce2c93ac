"""``reelmake run URL``: fetched once from a server on 127.0.0.1, then processed like
a file; a link that fails is one line and the other inputs finish."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reelmake.batch.summary import read_summary
from tests.conftest import only_hash, reelmake, results_of, rules_run
from tests.file_server import serve

pytestmark = pytest.mark.workflow


def test_a_link_is_fetched_once_processed_and_a_404_is_one_line(
    tmp_path: Path, speech_video: Path
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(speech_video, site / "garden.mp4")
    work = tmp_path / "work"
    work.mkdir()
    with serve(site) as server:
        good, gone = server.url("garden.mp4"), server.url("gone.mp4")
        first = reelmake("run", good, gone, cwd=work)
        rows = {r["video"]: r for r in read_summary(results_of(work) / "summary.tsv")}
        asked = len(server.requests)
        again = reelmake("run", good, cwd=work)
        assert len(server.requests) == asked, server.requests

    assert first.returncode == 1, first.console
    errors = [x for x in first.console.splitlines() if x.startswith("error: ")]
    assert errors == [
        f"error: {gone}: could not be fetched (Unable to download webpage: HTTP "
        "Error 404: File not found)"
    ]
    assert "summary: 1 of 2 video(s) done" in first.stdout
    assert "transcribe_audio" in rules_run(first.stderr)
    # The media is a file of the downloads folder, keyed by the URL and its content.
    digest = only_hash(work)
    source = (results_of(work) / digest / "source.mp4").resolve()
    assert source.parent.name == digest
    assert source.parent.parent.parent == (work / "downloads").resolve()
    assert rows[str(source)]["status"] == "done"
    assert rows[gone]["status"] == "refused"

    assert again.returncode == 0, again.console
    assert f"{good}: already fetched: " in again.stdout
    assert rules_run(again.stderr) == []
