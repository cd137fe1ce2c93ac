"""A person's decisions outlive the results: ``clean``, ``gc`` and the Python API
remove everything else, and only ``clean VIDEO --all`` (asked, or with ``--yes``)
removes them too."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from reelmake.cache import PipelineCache
from reelmake.cli import main
from reelmake.core.hashing import INDEX_NAME, HashIndex, short
from reelmake.pipeline import discovery

pytestmark = pytest.mark.unit

DECIDED = (
    "version: 1\nclips:\n  - at: [1.0, 9.0]  # the good one\n    decision: approve\n"
)


def _processed(workdir: Path, name: str, decided: bool) -> Path:
    """A video with results as a run leaves them (and a person's decisions)."""
    video = workdir / name
    video.write_bytes(name.encode() * 100)
    results = workdir / "results"
    index = HashIndex(results / discovery.STATE_DIR / INDEX_NAME)
    folder = results / short(index.hash(video))
    (folder / "clips").mkdir(parents=True)
    (folder / f"source{video.suffix}").symlink_to(video)
    (folder / "clips" / "c.mp4").write_bytes(b"x" * 1000)
    (folder / "stage_state.json").write_text("{}")
    if decided:
        (folder / "decisions.yaml").write_text(DECIDED)
    return folder


def _left(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_clean_keeps_decisions_unless_a_named_video_is_cleaned_with_all(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    talk = _processed(tmp_path, "talk.mp4", decided=True)
    plain = _processed(tmp_path, "plain.mp4", decided=False)
    d = ["-d", str(tmp_path)]
    assert main(["clean", "talk.mp4", "plain.mp4", *d]) == 0
    out = capsys.readouterr().out
    assert _left(talk) == ["decisions.yaml"] and not plain.exists()
    assert f"kept your decisions ({talk / 'decisions.yaml'})" in out
    # Kept as the person wrote it, comment and all.
    assert (talk / "decisions.yaml").read_text() == DECIDED

    # --all with the video named asks first; no one to ask (no terminal): kept.
    with open(os.devnull) as nobody:
        monkeypatch.setattr("sys.stdin", nobody)
        assert main(["clean", "talk.mp4", "--all", *d]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {tmp_path / 'talk.mp4'}: kept: it has a person's")
    assert "add --yes" in err and len(err.strip().splitlines()) == 1
    assert _left(talk) == ["decisions.yaml"]
    assert main(["clean", "talk.mp4", "--all", "--yes", *d]) == 0
    assert not talk.exists()


def test_clean_all_gc_and_the_api_keep_every_decisions_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = ["-d", str(tmp_path)]
    talk = _processed(tmp_path, "talk.mp4", decided=True)
    _processed(tmp_path, "plain.mp4", decided=False)
    assert main(["clean", "--all", *d]) == 0
    assert "kept the decisions on 1 video(s)" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == [talk.name]
    assert _left(talk) == ["decisions.yaml"]

    # gc expires the results of a video unused for long, not its decisions.
    talk = _processed(tmp_path, "again.mp4", decided=True)
    old = time.time() - 30 * 86400
    for path in talk.rglob("*"):
        os.utime(path, (old, old), follow_symlinks=False)
    os.utime(talk, (old, old))
    assert main(["gc", "--older-than", "7d", *d]) == 0
    assert "removing" in capsys.readouterr().out
    assert _left(talk) == ["decisions.yaml"]

    cache = PipelineCache(cache_dir=tmp_path / "results")
    _processed(tmp_path, "third.mp4", decided=False)
    cache.clear_cache(tmp_path / "third.mp4")
    cache.clear_cache()
    kept = sorted(p.name for p in (tmp_path / "results").iterdir())
    assert all(_left(tmp_path / "results" / k) == ["decisions.yaml"] for k in kept)
    assert len(kept) == 2
