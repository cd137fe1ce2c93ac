"""``reelmake review`` in a real browser (Debian's Chromium, driven by Playwright):
a person's decisions made on the page land in decisions.yaml, and Render makes
exactly the clips they change."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reelmake.stages import decisions
from tests.review_helper import (
    ReviewServer,
    chosen,
    chromium,
    clip_times,
    copy_of,
    screenshot_dir,
    video_folder,
)

pytestmark = pytest.mark.workflow

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _card(page, at: tuple[float, float]):
    return page.locator(f'.clip[data-at="{_at(at)}"]')


def _at(at: tuple[float, float]) -> str:
    # As the page's script writes numbers: 0 for 0.0, 44.72 for 44.72.
    return ",".join(f"{v:g}" for v in at)


def _words(folder: Path) -> list[dict]:
    return json.loads((folder / "transcript/transcript.json").read_text())["words"]


def test_decisions_in_the_browser_render_only_the_clips_they_change(
    tmp_path_factory: pytest.TempPathFactory, long_speech_video: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    workdir = copy_of(tmp_path_factory, long_speech_video, "review")
    folder = video_folder(workdir)
    before = chosen(folder)
    assert len(before) == 4, [h["clip"] for h in before]
    rejected, corrected, trimmed, untouched = before  # in rank order
    times = clip_times(folder)
    old_plan = json.loads(
        (folder / "clips" / f"{trimmed['clip']}.plan.json").read_text()
    )
    shots = screenshot_dir(tmp_path)
    with (
        ReviewServer(workdir) as server,
        chromium(tmp_path / "profile", viewport=DESKTOP) as browser,
    ):
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server.url)
        # The token went into a cookie; the address no longer shows it.
        assert "token" not in page.url
        page.click(f"a[href='/v/{folder.name}']")
        expect(page.locator(".clip")).to_have_count(4)
        expect(page.locator('.clip[data-status="rendered"]')).to_have_count(4)
        page.screenshot(path=shots / "review-desktop.png", full_page=True)

        # Reject the first clip with its key.
        with page.expect_response(re.compile(r"/decide$")):
            page.keyboard.press("r")
        expect(page.locator(".clip")).to_have_count(3)
        expect(page.locator(".rejected-clip")).to_have_count(1)

        # Start the third one two words later: its "later" button, twice.
        card = _card(page, (trimmed["start"], trimmed["end"]))
        first = int(card.get_attribute("data-first"))
        for step in (1, 2):
            card.locator('[data-action="start-later"]').click()
            expect(card).to_have_attribute("data-first", str(first + step))
        expect(card).to_have_attribute("data-status", "new")

        # Correct a word of the second: click it, type the fix.
        card = _card(page, (corrected["start"], corrected["end"]))
        at = int(card.get_attribute("data-first")) + 1
        card.locator(f'.w[data-i="{at}"]').click()
        page.fill("#fix-text", "Zanzibar")
        page.click('[data-menu="fix"]')
        expect(card.locator(f'.w[data-i="{at}"]')).to_have_text("Zanzibar")
        expect(card).to_have_attribute("data-status", "stale")
        expect(_card(page, (untouched["start"], untouched["end"]))).to_have_attribute(
            "data-status", "rendered"
        )

        # Render: progress shows live, then every clip is rendered.
        page.click("#render")
        expect(page.locator("#progress")).to_be_visible()
        expect(page.locator("#progress")).to_have_attribute(
            "data-state", "done", timeout=240_000
        )
        expect(page.locator('.clip[data-status="rendered"]')).to_have_count(3)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=shots / "review-desktop-rendered.png", full_page=True)
        page.set_viewport_size(PHONE)
        # A phone-sized screen: one column, nothing wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=shots / "review-phone.png")
        page.locator(".clip .w").nth(3).click()
        expect(page.locator("#word-menu")).to_be_visible()
        page.screenshot(path=shots / "review-phone-word.png")
        players = page.eval_on_selector_all(
            ".clip video", "els => els.map(v => v.getAttribute('src'))"
        )
        assert not errors, errors
    assert server.proc.returncode == 0
    assert "stopped" in "".join(server.output)

    after = chosen(folder)
    now = clip_times(folder)
    by_span = {(h["start"], h["end"]): h for h in after}
    # The rejected clip is gone, its files too.
    assert not any(n.startswith(rejected["clip"]) for n in now)
    assert (rejected["start"], rejected["end"]) not in by_span
    # The trimmed one is a new, shorter clip (its old files are gone).
    moved = next(h for h in after if h["selected"] == [trimmed["start"],
                                                       trimmed["end"]])  # fmt: skip
    words = _words(folder)
    assert moved["start"] > trimmed["start"]
    assert moved["speech_start"] == words[first + 2]["start"]
    assert moved["speech_end"] == trimmed["speech_end"]
    plan = json.loads((folder / "clips" / f"{moved['clip']}.plan.json").read_text())
    assert plan["duration"] < old_plan["duration"]
    assert f"{moved['clip']}.mp4" in now and f"{trimmed['clip']}.mp4" not in now
    # The corrected clip is the same clip, rendered again with the word.
    name = f"{corrected['clip']}.mp4"
    assert now[name] > times[name]
    plan = json.loads((folder / "clips" / f"{corrected['clip']}.plan.json").read_text())
    assert "Zanzibar" in [w["text"] for w in plan["captions"]["words"]]
    # The last one is untouched: not planned, not rendered.
    for ext in ("mp4", "plan.json", "srt", "vtt"):
        name = f"{untouched['clip']}.{ext}"
        assert now[name] == times[name], name
    assert {h["clip"] for h in after} == {
        moved["clip"],
        corrected["clip"],
        untouched["clip"],
    }
    # The page's players load the new files (their addresses carry the version).
    assert any(moved["clip"] in (src or "") for src in players)
    written = decisions.load(folder / "decisions.yaml")
    assert written.rejected() == [(rejected["start"], rejected["end"])]
    assert "Zanzibar" in written.words.values()


def test_every_control_writes_its_decision(
    tmp_path_factory: pytest.TempPathFactory, long_speech_video: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    workdir = copy_of(tmp_path_factory, long_speech_video, "controls")
    folder = video_folder(workdir)
    first, second, _, fourth = chosen(folder)
    times = clip_times(folder)
    path = folder / "decisions.yaml"
    with (
        ReviewServer(workdir) as server,
        chromium(
            tmp_path / "profile", viewport=PHONE, is_mobile=True, has_touch=True
        ) as browser,
    ):
        page = browser.new_page()
        page.goto(server.url.replace("/?", f"/v/{folder.name}?"))
        expect(page.locator(".clip")).to_have_count(4)

        def decided(key: str, *keys: str) -> None:
            with page.expect_response(re.compile(f"/{key}$")):
                for k in keys:
                    page.keyboard.press(k)

        # Keys: approve, next, next, end one word earlier, move up.
        decided("decide", "a")
        expect(_card(page, (first["start"], first["end"]))).to_have_class(
            re.compile("approved")
        )
        page.keyboard.press("j")
        page.keyboard.press("n")
        card = page.locator(".clip.current")
        at = card.get_attribute("data-at")
        place = int(card.get_attribute("data-index"))
        last = int(card.get_attribute("data-last"))
        assert place == 2
        decided("decide", "{")
        card = page.locator(f'.clip[data-at="{at}"]')
        expect(card).to_have_attribute("data-last", str(last - 1))
        decided("move", "u")
        expect(card).to_have_attribute("data-index", str(place - 1))
        ended = tuple(float(v) for v in at.split(","))
        # Title, hook and hashtags of the last clip.
        card = _card(page, (fourth["start"], fourth["end"]))
        card.locator('input[name="title"]').fill("A better title")
        card.locator('input[name="hook"]').fill("Wait for it")
        card.locator('input[name="hashtags"]').fill("rivers, #floods")
        with page.expect_response(re.compile(r"/decide$")):
            card.locator('[data-action="save"]').click()
        expect(card.locator('[data-part="title"]')).to_have_text("A better title")
        # A clip added from the transcript: its first word, then its last.
        words = page.locator("#transcript .w")
        count = words.count()
        words.nth(count - 8).click()
        page.click('[data-menu="from"]')
        words.nth(count - 2).click()
        with page.expect_response(re.compile(r"/add$")):
            page.click('[data-menu="to"]')
        # A clip cannot end before it starts: the page says why, in one line.
        card = _card(page, (second["start"], second["end"]))
        card.locator(".w.out").first.click()
        with page.expect_response(re.compile(r"/decide$")) as answer:
            page.click('[data-menu="end"]')
        assert answer.value.status == 400
        expect(page.locator("#message")).to_contain_text("must end after it starts")
        # Reject, then take it back.
        card = _card(page, (second["start"], second["end"]))
        with page.expect_response(re.compile(r"/decide$")):
            card.locator('[data-action="reject"]').click()
        with page.expect_response(re.compile(r"/decide$")):
            page.click('[data-action="unreject"]')
        expect(page.locator(".rejected-clip")).to_have_count(0)
        expect(page.locator("#render")).to_have_class(re.compile("needed"))
        # The keys are on the page ("?" shows them).
        page.keyboard.press("?")
        expect(page.locator("#keys")).to_have_attribute("open", "")
        help_text = page.locator("#keys").inner_text()
    assert server.proc.returncode == 0
    for key in ("a", "r", "j / n", "k / p", "[ / ]", "{ / }", "u / d", "R"):
        assert key in help_text

    got = decisions.load(path)
    entry = {c.at: c for c in got.clips if not c.added}
    assert entry[(first["start"], first["end"])].decision == "approve"
    moved = entry[ended]
    assert moved.end is not None and moved.end < ended[1]
    assert moved.rank == place
    titled = entry[(fourth["start"], fourth["end"])]
    assert (titled.title, titled.hook) == ("A better title", "Wait for it")
    assert titled.hashtags == ("#rivers", "#floods")
    assert entry[(second["start"], second["end"])].decision is None
    added = [c for c in got.clips if c.added]
    assert len(added) == 1 and added[0].at[0] > fourth["end"]
    # Deciding renders nothing by itself.
    assert clip_times(folder) == times


def test_a_malformed_decisions_file_is_one_line_naming_its_line(
    tmp_path_factory: pytest.TempPathFactory, long_speech_video: Path
) -> None:
    import urllib.request

    workdir = copy_of(tmp_path_factory, long_speech_video, "malformed")
    folder = video_folder(workdir)
    path = folder / "decisions.yaml"
    path.write_text("version: 1\nclips:\n  - at: [1.0, 20.0]\n    decision: maybe\n")
    with ReviewServer(workdir) as server:
        request = urllib.request.Request(
            f"http://127.0.0.1:{server.port}/api/v/{folder.name}",
            headers={"X-Reelmake-Token": server.token},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            state = json.loads(response.read())
    assert state["problem"].startswith(f"{path}: line 4: clips.0.decision:")
    # The console says it once, at the start.
    warned = [line for line in server.output if line.startswith("warning: ")]
    assert warned == [f"warning: {state['problem']}\n"]
    assert "\n" not in state["problem"]
    # The page still shows the clips.
    assert len(state["clips"]) == 4
