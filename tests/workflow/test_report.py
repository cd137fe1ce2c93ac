"""The report in a real headless Chromium, editor exports, Snakemake's own report."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import (
    FAST_CLIPS,
    fast_clips,
    merged_config,
    only_hash,
    reelmake,
    reelmake_with_config,
    results_of,
    rules_run,
)

pytestmark = pytest.mark.workflow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory, long_speech_video: Path):
    workdir = fast_clips(tmp_path_factory.mktemp("report"))
    video = workdir / "talk.mp4"
    shutil.copy(long_speech_video, video)
    # A low threshold, so that the report shows several clips (the talk's speech
    # leaves room for two that do not overlap).
    low = workdir / "low-threshold.yaml"
    low.write_text(merged_config(FAST_CLIPS, "highlights:\n  threshold: 3.0\n"))
    run = reelmake("run", video, "--configfile", low, cwd=workdir)
    assert run.returncode == 0, run.stderr
    return workdir, video, results_of(workdir) / only_hash(workdir)


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM, "chromium is installed by tasks.sh test"
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--disable-background-networking", "--no-proxy-server",
         "--proxy-server=127.0.0.1:9", "--virtual-time-budget=8000", *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _uses_in_group(dom: str, gid: str) -> int:
    """Markers drawn inside the SVG group with this id (nested groups included)."""
    start = dom.index(f'<g id="{gid}"')
    depth, pos = 0, start
    for tag in re.finditer(r"<(/?)g\b", dom[start:]):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            pos = start + tag.end()
            break
    return dom[start:pos].count("<use")


def test_report_loads_offline_in_chromium(talk, tmp_path: Path) -> None:
    _, _, folder = talk
    page = folder / "report.html"
    text = page.read_text()
    # Nothing is fetched from elsewhere: no remote sources or links.
    assert not re.search(r'(src|href)="(https?:)?//', text)
    dom = _chromium("--dump-dom", page.as_uri()).stdout
    highlights = json.loads((folder / "highlights/highlights.json").read_text())
    candidates = json.loads((folder / "segments/candidates.json").read_text())
    assert dom.count('class="clip-card"') == len(highlights["highlights"]) >= 2
    assert _uses_in_group(dom, "candidate-points") == candidates["candidate_count"]
    # One picture per card: the thumbnail is the player's poster.
    media = re.findall(r"<(img|video)\b[^>]*>", dom)
    assert media == ["video"] * len(highlights["highlights"])
    assert dom.count('poster="data:image/jpeg;base64,') == len(media)
    # Words, not the names in our files.
    assert "self_contained" not in dom and "stands alone" in dom
    assert ">heuristic<" not in dom and "scored offline" in dom
    loaded = re.findall(r'<(?:img|video)\b[^>]*data-loaded="(\w+)"', dom)
    assert loaded == ["yes"] * len(media), loaded
    shot = tmp_path / "report.png"
    _chromium("--window-size=1200,1600", f"--screenshot={shot}", page.as_uri())
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[0] == 1600 and pixels.shape[1] == 1200
    assert pixels.std() > 0.05  # not a blank page


def test_the_batch_page_has_a_card_per_video(talk) -> None:
    workdir, _, folder = talk
    page = results_of(workdir) / "report.html"
    dom = _chromium("--dump-dom", page.as_uri()).stdout
    chosen = json.loads((folder / "highlights/highlights.json").read_text())
    assert dom.count('class="video-card"') == 1
    assert "<h1>1 video</h1>" in dom
    assert f'href="{folder.name}/report.html"' in dom
    assert 'src="data:image/jpeg;base64,' in dom
    assert f"{len(chosen['highlights'])} clips" in dom
    assert f'<span class="score">{chosen["highlights"][0]["overall"]}</span>' in dom


def test_missing_clip_shows_in_the_report(talk, tmp_path: Path) -> None:
    _, _, folder = talk
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy, symlinks=True)
    first = sorted((copy / "clips").glob("*.mp4"))[0]
    first.unlink()
    dom = _chromium("--dump-dom", (copy / "report.html").as_uri()).stdout
    assert dom.count('data-loaded="no"') == 1 and "cannot load clips/" in dom


def test_editor_exports_are_frame_exact(talk) -> None:
    import opentimelineio as otio

    _, _, folder = talk
    highlights = json.loads((folder / "highlights/highlights.json").read_text())
    chosen = highlights["highlights"]
    timeline = otio.adapters.read_from_file(str(folder / "export/timeline.otio"))
    clips = list(timeline.find_clips())
    # Each clip's kept ranges (its plan's: pauses trimmed), in rank order, the
    # first named by its rank and title, the next ones "(2)", "(3)"...
    plans = [
        json.loads((folder / "clips" / f"{h['clip']}.plan.json").read_text())
        for h in chosen
    ]
    ranges = [(h, r) for h, p in zip(chosen, plans, strict=True) for r in p["ranges"]]
    assert len(clips) == len(ranges) >= len(chosen)
    for clip, (h, (a, b)) in zip(clips, ranges, strict=True):
        about = clip.metadata["reelmake"]
        assert about["clip"] == h["clip"] and about["rank"] == h["rank"]
        name = h["ranked"] if about["part"] == 1 else f"{h['ranked']} ({about['part']})"
        assert clip.name == name
        rng = clip.source_range
        assert rng.start_time.rate == 25
        assert rng.start_time.value == round(a * 25)
        assert rng.end_time_exclusive().value == round(b * 25)
        # Where the clip's edit plan is, for an editor to read.
        assert (folder / "export" / about["plan"]).resolve() == (
            folder / "clips" / f"{h['clip']}.plan.json"
        ).resolve()
    edl = (folder / "export/timeline.edl").read_text()
    events = re.findall(r"^\d{3}\s+\S+\s+V\s+C\s+(\S+) (\S+) (\S+) (\S+)$", edl, re.M)
    assert len(events) == len(ranges)
    for (src_in, src_out, _, _), (_, (a, b)) in zip(events, ranges, strict=True):
        for tc, seconds in ((src_in, a), (src_out, b)):
            hh, mm, ss, ff = map(int, tc.split(":"))
            assert ((hh * 60 + mm) * 60 + ss) * 25 + ff == round(seconds * 25)
    # Each rendered clip holds exactly the frames of its ranges.
    for h, plan in zip(chosen, plans, strict=True):
        video = folder / "clips" / f"{h['clip']}.mp4"
        frames = subprocess.run(
            ["ffprobe", "-v", "error", "-count_packets", "-select_streams", "v:0",
             "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", str(video)],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        kept = sum(round(b * 25) - round(a * 25) for a, b in plan["ranges"])
        assert abs(int(frames) - kept) <= 1, (frames, kept)
    xml = otio.adapters.read_from_file(str(folder / "export/timeline.xml"))
    assert len(list(xml.find_clips())) == len(ranges)


def test_threshold_change_updates_the_report_only_downstream(talk) -> None:
    workdir, video, folder = talk
    run = reelmake_with_config(video, "highlights:\n  threshold: 6.5\n", workdir)
    assert run.returncode == 0, run.stderr
    ran = set(rules_run(run.stderr))
    assert {"select_highlights", "report_video", "report_batch"} <= ran
    assert not ran & {"transcribe_audio", "score_segments", "segment_transcript"}
    assert "threshold 6.5" in (folder / "report.html").read_text()
    batch = (results_of(workdir) / "report.html").read_text()
    assert f"{folder.name}/report.html" in batch


def test_snakemake_report_lists_clips_and_summaries(talk) -> None:
    workdir, video, folder = talk
    # Bring everything up to date first (another test changed a setting and back).
    assert reelmake("run", video, cwd=workdir).returncode == 0
    out = workdir / "snakemake-report.zip"
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile",
         str(Path(__file__).resolve().parents[2] / "Snakefile"),
         "--config", f"videos=[{video.name}]", "--report", str(out)],
        cwd=workdir, capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    import zipfile

    names = zipfile.ZipFile(out).namelist()
    clips = [h["clip"] for h in json.loads(
        (folder / "highlights/highlights.json").read_text())["highlights"]]  # fmt: skip
    for clip in clips:
        assert any(name.endswith(f"{clip}.mp4") for name in names), clip
    assert any(name.endswith("transcript.json") for name in names)
    assert any(name.endswith("stage_state.json") for name in names)
