"""A long video's transcription split at pauses into chunk jobs, against one pass."""

from __future__ import annotations

import difflib
import itertools
import json
import re
import shutil
import statistics
from pathlib import Path

import jiwer
import pytest

from reelmake.cli.demo import make_video
from tests.conftest import reelmake, results_of, rules_run

pytestmark = pytest.mark.workflow

_WHO = (
    "The little girl",
    "My old neighbour",
    "The busy farmer",
    "A tall teacher",
    "Our friendly doctor",
    "The quiet student",
    "My younger brother",
    "The happy family",
)
_DID = ("carried", "painted", "cleaned", "found", "bought", "washed", "opened", "moved")
_WHAT = (
    "a heavy box",
    "the blue door",
    "some fresh bread",
    "a small window",
    "the green chairs",
    "an old bicycle",
    "the kitchen table",
    "a warm blanket",
    "the garden gate",
)
_WHERE = (
    "near the river",
    "behind the school",
    "in the town square",
    "beside the church",
    "at the train station",
    "on the sunny hill",
)
_WHEN = ("last summer", "on Sunday morning", "before the rain", "after dinner",
         "during the holiday", "late at night")  # fmt: skip


def long_script(paragraphs: int) -> list[str]:
    """Plain, varied English sentences, two to a paragraph, the same every time."""
    combos = itertools.product(_WHO, _DID, _WHAT, _WHERE, _WHEN)
    sentences = [
        " ".join(parts) + "." for parts in itertools.islice(combos, 0, None, 97)
    ]
    return [" ".join(sentences[2 * i : 2 * i + 2]) for i in range(paragraphs)]


@pytest.fixture(scope="module")
def ten_minute_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("long") / "lecture.mp4"
    return make_video(target, long_script(66), size="160x90", fps=2)


def _words(workdir: Path) -> list[dict]:
    (path,) = results_of(workdir).glob("*/transcript/transcript.json")
    return json.loads(path.read_text())["words"]


def _plain(words: list[dict]) -> list[tuple[str, float]]:
    """Each word in lower-case letters and digits, with its start; marks dropped."""
    cleaned = (
        (re.sub(r"[^a-z0-9']", "", w["text"].lower()), w["start"]) for w in words
    )
    return [(text, start) for text, start in cleaned if text]


def test_chunked_transcript_matches_one_pass(
    tmp_path: Path, ten_minute_video: Path
) -> None:
    folders = {"whole": tmp_path / "whole", "chunked": tmp_path / "chunked"}
    for folder in folders.values():
        folder.mkdir()
        shutil.copy(ten_minute_video, folder / "lecture.mp4")
    (folders["chunked"] / "config.yaml").write_text(
        "transcript:\n  chunk:\n    above_minutes: 5\n    minutes: 3\n"
    )
    runs = {
        name: reelmake("run", "lecture.mp4", "--until", "transcription", cwd=folder)
        for name, folder in folders.items()
    }
    for run in runs.values():
        assert run.returncode == 0, run.stderr
    assert "transcribe_chunk" not in rules_run(runs["whole"].stderr)
    assert rules_run(runs["chunked"].stderr).count("transcribe_chunk") >= 3

    (plan_file,) = results_of(folders["chunked"]).glob("*/transcript/chunks/plan.json")
    plan = json.loads(plan_file.read_text())
    assert plan["duration"] > 10 * 60
    chunks = plan["chunks"]
    assert len(chunks) >= 3
    assert chunks[0]["start"] == 0 and chunks[-1]["end"] == plan["duration"]
    assert all(a["end"] == b["start"] for a, b in itertools.pairwise(chunks))

    whole, chunked = _words(folders["whole"]), _words(folders["chunked"])
    # The same words: word error rate between the two within one point.
    plain_whole, plain_chunked = _plain(whole), _plain(chunked)
    texts_whole, texts_chunked = (
        [t for t, _ in plain_whole],
        [t for t, _ in plain_chunked],
    )
    error = jiwer.wer(" ".join(texts_whole), " ".join(texts_chunked))
    print(f"WER chunked vs one pass: {error:.4f} over {len(whole)} words")
    assert error <= 0.01

    # Source timestamps: monotonic across seams, no word across a cut.
    starts = [w["start"] for w in chunked]
    assert starts == sorted(starts)
    assert all(w["end"] >= w["start"] for w in chunked)
    for cut in (c["start"] for c in chunks[1:]):
        straddling = [
            w for w in chunked if w["start"] < cut - 0.01 < cut + 0.01 < w["end"]
        ]
        assert not straddling, (cut, straddling)
        near = [w for w in whole if w["start"] < cut < w["end"]]
        assert not near, f"cut at {cut} s is inside a spoken word: {near}"

    # ...and the times are the one-pass times, not times within a chunk.
    matcher = difflib.SequenceMatcher(None, texts_whole, texts_chunked, autojunk=False)
    drift = [
        abs(plain_whole[block.a + k][1] - plain_chunked[block.b + k][1])
        for block in matcher.get_matching_blocks()
        for k in range(block.size)
    ]
    assert len(drift) > 0.95 * len(plain_whole)
    median, worst = statistics.median(drift), max(drift)
    print(f"start-time drift: median {median:.3f} s, max {worst:.3f} s")
    # Each chunk hears the same clips of speech as the single pass, so the times agree
    # (up to a frame or a few of word alignment: batches of other sizes round apart).
    assert median < 0.02
    assert worst < 0.3
