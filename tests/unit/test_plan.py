"""Edit plans on hand-made words: what trimming keeps, captions on the clip's own
timeline, the layout chosen for one or two people, formats and caption styles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reelmake.core.errors import ReelmakeError
from reelmake.stages import framing
from reelmake.stages.clips import styles, trim
from reelmake.stages.clips.plan import PlanOptions, build_plan, target_size

pytestmark = pytest.mark.unit

T = trim.Timed


def _words(*items: tuple[str, float, float]) -> list[trim.Timed]:
    return [T(text, a, b) for text, a, b in items]


SPEECH = _words(
    ("The", 1.0, 1.2), ("glacier", 1.25, 1.7), ("moved.", 1.75, 2.1),
    ("Um,", 2.4, 2.7),  # a hesitation that stands alone
    ("Nobody", 2.9, 3.3), ("expected", 3.35, 3.8), ("it.", 3.85, 4.1),
    # a long pause, 4.1 to 6.5
    ("Then", 6.5, 6.8), ("umbrellas", 6.85, 7.4), ("appeared.", 7.45, 8.0),
)  # fmt: skip


def test_hesitations_and_long_pauses_are_cut_on_word_boundaries() -> None:
    ranges = trim.kept_ranges(SPEECH, 0.8, 8.3, max_pause=0.6, keep_pause=0.3)
    kept = [w for w in SPEECH if any(a <= w.start and w.end <= b for a, b in ranges)]
    # Every word but the hesitation ("umbrellas" is no hesitation).
    assert [w.text for w in kept] == [w.text for w in SPEECH if w.text != "Um,"]
    # The silence around it and the long pause keep 0.3 s between words.
    gaps = [b[0] - a[1] for a, b in zip(ranges, ranges[1:], strict=False)]
    assert len(ranges) == 3 and all(g > 0 for g in gaps)
    assert ranges[0] == (0.8, pytest.approx(2.25))
    assert ranges[1][0] == pytest.approx(2.75) and ranges[1][1] == pytest.approx(4.25)
    assert ranges[2] == (pytest.approx(6.35), 8.3)
    # The lead-in and the tail stay; nothing is cut with trimming off.
    assert trim.kept_ranges(SPEECH, 0.8, 8.3, max_pause=None) == [(0.8, 8.3)]


def test_pauses_are_taken_from_the_sound_when_it_is_measured() -> None:
    # The transcriber stretched "it." over the pause; the sound says it ends at 4.2.
    stretched = [*SPEECH[:6], T("it.", 3.85, 6.0), *SPEECH[7:]]
    ranges = trim.kept_ranges(stretched, 0.8, 8.3, 0.6, 0.3, quiet=[(4.2, 6.4)])
    assert ranges[-2][1] == pytest.approx(4.35) and ranges[-1][0] == pytest.approx(6.25)
    # A pause in the sound shorter than the limit stays whole.
    assert (
        len(trim.kept_ranges(SPEECH[4:], 2.8, 8.3, 3.0, 0.3, quiet=[(4.2, 6.4)])) == 1
    )


def test_captions_follow_the_words_onto_the_clip_timeline() -> None:
    ranges = trim.snap_ranges([(0.8, 2.25), (2.75, 4.25), (6.35, 8.3)], fps=25)
    assert ranges == [(0.8, 2.24), (2.76, 4.24), (6.36, 8.32)]
    timed = trim.retime(SPEECH, ranges)
    texts = [w.text for w in timed]
    assert "Um," not in texts and texts[0] == "The" and texts[-1] == "appeared."
    by = {w.text: w for w in timed}
    assert by["The"].start == pytest.approx(0.2)
    # "Nobody" starts 0.14 s into the second range, which starts 1.44 s in.
    assert by["Nobody"].start == pytest.approx(1.44 + 0.14)
    # "Then" is 0.14 s into the third range, after 1.44 + 1.48 s of clip.
    assert by["Then"].start == pytest.approx(2.92 + 0.14)
    assert all(b.start >= a.start for a, b in zip(timed, timed[1:], strict=False))
    # A word that begins in a cut silence starts where its sound resumes.
    early = trim.retime([T("Then", 6.2, 6.8)], ranges)
    assert early[0].start == pytest.approx(2.92)


def test_fillers_are_words_that_stand_alone() -> None:
    assert all(trim.is_filler(w) for w in ("um", "Um,", "uh...", "Erm", "hmm"))
    assert not any(trim.is_filler(w) for w in ("umbrella", "human", "ahead", "so"))


def _settings(**clips: Any) -> dict[str, Any]:
    from reelmake.core import config

    settings = config.load_user(config.workflow_dir(), None).settings
    settings["clips"].update(clips)
    return settings


def test_formats_fill_what_the_config_leaves_open() -> None:
    vertical = PlanOptions.from_config(_settings())
    assert (vertical.aspect, vertical.size, vertical.burn_captions) == (
        "9:16", [1080, 1920], True,
    )  # fmt: skip
    assert vertical.trim == "light" and vertical.loudness is True
    assert vertical.caption and vertical.caption["font"] == "Anton"
    assert vertical.title_card is not None
    # A key set in the config wins over its format's value.
    own = PlanOptions.from_config(_settings(burn_captions=False, caption_style="quiet"))
    assert own.burn_captions is False and own.caption_style == "quiet"
    # "9:16" names the vertical format; source keeps the picture and sound.
    assert PlanOptions.from_config(_settings(format="9:16")).size == [1080, 1920]
    source = PlanOptions.from_config(_settings(format="source"))
    assert (source.aspect, source.trim, source.loudness, source.title_card) == (
        "source", "off", False, None,
    )  # fmt: skip
    # The style's size scales with the frame; an explicit font size overrides it.
    assert PlanOptions.from_config(_settings(font_size=96)).style.size == 96 / 1920
    assert target_size((1920, 1080), PlanOptions.from_config(_settings(aspect="1:1",
           size=None, format="source"))) == (1080, 1080)  # fmt: skip


def test_a_bad_name_is_one_clear_line() -> None:
    with pytest.raises(ReelmakeError) as caught:
        PlanOptions.from_config(_settings(caption_style="comic-sans"))
    message = str(caught.value)
    assert message.startswith("clips.caption_style 'comic-sans': no such caption style")
    assert "karaoke" in message and "\n" not in message
    with pytest.raises(ReelmakeError, match="clips.format 'tall': no such format"):
        styles.format_settings("tall")


def test_the_shipped_presets_hold_four_styles_and_a_broken_file_says_where(
    tmp_path: Path,
) -> None:
    shipped = styles.load()
    assert {"karaoke", "bold", "lower-third", "quiet"} <= set(shipped.captions)
    assert {"vertical", "square", "landscape", "source"} <= set(shipped.formats)
    broken = tmp_path / "presets.yaml"
    text = styles.presets_path().read_text().replace("    highlight: spoken\n", "", 1)
    broken.write_text(text)
    with pytest.raises(ReelmakeError, match=r"captions\.karaoke: missing highlight"):
        styles.load(broken)


def _info(width: int = 1920, height: int = 1080) -> dict[str, Any]:
    return {"streams": [{"kind": "video", "width": width, "height": height,
                         "fps": 25.0}], "duration": 60.0}  # fmt: skip


def test_a_plan_holds_everything_the_render_needs() -> None:
    options = PlanOptions.from_config(_settings(reframe="centre"))
    description = {"clip": "00000800-00008300-00000000", "start": 0.8, "end": 8.3,
                   "title": "Nobody expected the glacier"}  # fmt: skip
    plan = build_plan(description, SPEECH, _info(), options)
    assert plan["output"] == {"width": 1080, "height": 1920, "fps": 25.0}
    assert len(plan["ranges"]) == 3 and plan["duration"] < 7.5 - 2.0
    (window,) = plan["layout"]["windows"]
    assert plan["layout"]["kind"] == "single"
    # A centre crop of the 16:9 frame at 9:16: 606 pixels wide, the full height.
    assert (window["width"], window["height"]) == (606, 1080)
    assert window["pane"] == [0, 0, 1080, 1920]
    words = [w["text"] for w in plan["captions"]["words"]]
    assert "Um," not in words and words[0] == "The"
    assert plan["captions"]["burn"] and plan["title"]["text"].startswith("Nobody")
    assert plan["copyable"] is False
    # The source format keeps one uncropped range with nothing drawn: copyable.
    source = PlanOptions.from_config(_settings(format="source"))
    plain = build_plan(description, SPEECH, _info(), source)
    # (8.3 s is frame 207.5 at 25 fps, which rounds to frame 208.)
    assert plain["ranges"] == [[0.8, 8.32]] and plain["copyable"] is True
    assert plain["layout"]["kind"] == "source" and plain["title"] is None


def _subjects(
    left_talks: bool, right_talks: bool, apart: bool = True
) -> dict[str, Any]:
    """Two faces seen for 10 s at 5 samples a second; a talking one's mouth moves."""
    n = 50
    xs = (300, 1400) if apart else (700, 900)
    tracks = []
    for i, (x, talks) in enumerate(zip(xs, (left_talks, right_talks), strict=True)):
        tracks.append({
            "id": i, "shot": 0, "first": 0,
            "boxes": [[x, 300, 200, 200]] * n,
            "activity": [(3.0 if k % 2 else 0.5) if talks else 0.0 for k in range(n)],
        })  # fmt: skip
    return {"sample_fps": 5.0, "samples": n, "shots": [0], "loudness": [-20.0] * n,
            "tracks": tracks}  # fmt: skip


def test_two_people_talking_apart_get_a_split_screen() -> None:
    assert framing.choose_layout(_subjects(True, True), 0, 10, 606)[:2] == (
        "split", [0, 1],
    )  # fmt: skip
    assert framing.choose_layout(_subjects(True, False), 0, 10, 606)[0] == "single"
    assert (
        framing.choose_layout(_subjects(True, True, apart=False), 0, 10, 606)[0]
        == "single"
    )
    options = PlanOptions.from_config(_settings())
    description = {"clip": "c", "start": 0.0, "end": 9.0, "title": ""}
    plan = build_plan(description, [], _info(), options, _subjects(True, True))
    top, bottom = plan["layout"]["windows"]
    assert plan["layout"]["kind"] == "split"
    assert top["pane"] == [0, 0, 1080, 960] and bottom["pane"] == [0, 960, 1080, 960]
    # Each pane holds its own face: the left one on top.
    assert top["follows"] == [0] and bottom["follows"] == [1]
    assert top["runs"][0][1] < 300 < top["runs"][0][1] + top["width"]
    assert bottom["runs"][0][1] < 1400 < bottom["runs"][0][1] + bottom["width"]
    # Asked for one window, the same clip gets one.
    single = PlanOptions.from_config(_settings(layout="single"))
    assert (
        build_plan(description, [], _info(), single, _subjects(True, True))["layout"][
            "kind"
        ]
        == "single"
    )


def test_a_switch_of_speaker_moves_back_to_the_pause_before_the_turn() -> None:
    # Samples at 5 a second; the evidence shows the switch at sample 12 (2.4 s), the
    # new speaker's first word after a pause began at 2.0 s.
    picks: list[int | None] = [0] * 12 + [1] * 8
    moved = framing._on_time(picks, 0.0, 5.0, turns=[0.0, 2.0], hold=10)
    assert moved == [0] * 10 + [1] * 10
    # No turn near it: the switch stays where the evidence put it.
    assert framing._on_time(picks, 0.0, 5.0, turns=[0.0], hold=10) == picks


def test_caption_groups_and_the_ass_script() -> None:
    bold = styles.caption_style("bold")
    words = [styles.Word(w.text, w.start, w.end, w.text == "glacier")
             for w in SPEECH if not trim.is_filler(w.text)]  # fmt: skip
    groups = styles.group_words(words, bold)
    assert all(len(g.words) <= bold.words for g in groups)
    # A sentence end closes a group.
    assert groups[0].words[-1].text == "moved."
    assert all(
        b.start >= a.end - 1e-9 for a, b in zip(groups, groups[1:], strict=False)
    )
    title = styles.shipped().title
    script = styles.ass_script(
        1080, 1920, groups, bold, "The glacier", title_style=title, title_seconds=3
    )
    assert "Style: Caption,Anton," in script and "Style: Title,Anton," in script
    assert "GLACIER" in script and "{\\c&H000AD6FF}GLACIER{\\r}" in script
    assert "Title,,0,0,0,,{\\fad(150,300)}THE GLACIER" in script
    karaoke = styles.caption_style("karaoke")
    spoken = styles.ass_script(1080, 1920, styles.group_words(words, karaoke), karaoke)
    # One event per word, each colouring the word being said.
    assert spoken.count("Dialogue:") == len(words)


def test_a_sound_only_episode_gets_an_audiogram_in_the_format() -> None:
    sound = {"streams": [{"kind": "audio", "sample_rate": 44100, "channels": 2}],
             "duration": 60.0}  # fmt: skip
    description = {"clip": "c", "start": 0.8, "end": 8.3, "title": "The glacier"}
    options = PlanOptions.from_config(_settings(audiogram_image="brand.png"))
    plan = build_plan(description, SPEECH, sound, options, picture="ingest/cover.png")
    layout = plan["layout"]
    # Vertical by default, its own cover art before the configured picture.
    assert plan["output"] == {"width": 1080, "height": 1920, "fps": 30.0}
    assert layout["kind"] == "audiogram" and layout["image"] == "ingest/cover.png"
    assert layout["reason"] == "the episode's cover"
    # The still and the waveform stay inside the frame and clear of each other.
    sx, sy, side, _ = layout["still"]
    wx, wy, ww, wh = layout["wave"]
    assert sx >= 0 and sx + side <= 1080 and sy + side < wy and wy + wh < 1920
    # Trimmed and captioned as any clip; never copied from a source with no picture.
    assert len(plan["ranges"]) == 3 and plan["captions"]["burn"]
    assert plan["copyable"] is False and plan["source"] == {"picture": False}
    # Without cover art the configured picture is shown, without either a card
    # that carries the title throughout.
    assert build_plan(description, SPEECH, sound, options)["layout"]["image"] == (
        "brand.png"
    )
    card = build_plan(description, SPEECH, sound, PlanOptions.from_config(_settings()))
    assert card["layout"]["image"] is None
    assert card["title"]["seconds"] == pytest.approx(card["duration"])
    # A square format makes a square audiogram.
    square = PlanOptions.from_config(_settings(format="square"))
    assert build_plan(description, SPEECH, sound, square)["output"]["width"] == 1080
    assert build_plan(description, SPEECH, sound, square)["output"]["height"] == 1080


def test_a_render_decodes_and_encodes_beside_its_main_thread(tmp_path: Path) -> None:
    """ffmpeg reads and filters in one thread: the decoder and x264 get one thread
    more than the job, so that they work beside it, and the decoder never one per
    core of the machine."""
    from reelmake.stages.clips import render

    options = PlanOptions.from_config(_settings(reframe="centre"))
    description = {"clip": "00000800-00008300-00000000", "start": 0.8, "end": 8.3,
                   "title": "Nobody expected the glacier"}  # fmt: skip
    plan = build_plan(description, SPEECH, _info(), options)
    graph = render.filter_graph(plan, tmp_path)
    for threads in (1, 3):
        cmd = render.encode_command("in.mp4", plan, graph,
                                    render.RenderOptions(threads=threads),
                                    "out.mp4")  # fmt: skip
        source = cmd.index("-i")
        at = [i for i, arg in enumerate(cmd) if arg == "-threads"]
        assert len(at) == 2 and at[0] < source < at[1]
        assert cmd[at[0] + 1] == cmd[at[1] + 1] == str(threads + 1)
        assert cmd[cmd.index("-filter_complex_threads") + 1] == str(threads)
