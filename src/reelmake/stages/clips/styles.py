"""Clip formats and caption styles, as data: ``config/presets.yaml`` beside the
config schema. A format sets the clip settings a creator would otherwise set one by
one (shape, size, captions, title, trimming, loudness); a caption style says how words
look on screen. This module reads and checks them, and writes the ASS subtitle script
that draws a plan's captions and title."""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from reelmake.core import config
from reelmake.core.errors import ReelmakeError

# Format names that are also the shape they give.
ASPECT_FORMATS = {"9:16": "vertical", "1:1": "square", "16:9": "landscape"}
HIGHLIGHTS = ("spoken", "keywords", "none")


@dataclass(frozen=True)
class CaptionStyle:
    """How caption words look; sizes are shares of the frame's height, margins of
    its width, ``position`` the share of the height where the text block's bottom
    sits."""

    font: str
    bold: bool
    size: float
    words: int
    lines: int
    uppercase: bool
    colour: str
    outline_colour: str
    outline: float
    shadow: float
    box: bool
    box_colour: str
    box_opacity: float
    highlight: str
    highlight_colour: str
    position: float
    margin_x: float


@dataclass(frozen=True)
class TitleStyle:
    font: str
    size: float
    uppercase: bool
    colour: str
    box_colour: str
    position: float
    margin_x: float
    seconds: float


@dataclass(frozen=True)
class Presets:
    formats: dict[str, dict[str, Any]]
    captions: dict[str, CaptionStyle]
    title: TitleStyle


def presets_path() -> Path:
    return config.workflow_dir() / "config" / "presets.yaml"


def _build(kind: type[Any], data: Any, where: str) -> Any:
    if not isinstance(data, Mapping):
        raise ReelmakeError(f"{where}: must be a mapping of keys to values")
    names = {f.name for f in fields(kind)}
    missing, extra = names - set(data), set(data) - names
    if missing or extra:
        what = [f"missing {', '.join(sorted(missing))}"] if missing else []
        what += [f"unknown {', '.join(sorted(extra))}"] if extra else []
        raise ReelmakeError(f"{where}: {'; '.join(what)}")
    built = kind(**data)
    for f in fields(kind):
        value = getattr(built, f.name)
        if f.type in ("float", "int") and (
            not isinstance(value, int | float) or isinstance(value, bool) or value < 0
        ):
            raise ReelmakeError(f"{where}.{f.name}: {value!r} is not a number >= 0")
        if f.name.endswith("colour") and not _is_colour(value):
            raise ReelmakeError(f"{where}.{f.name}: {value!r} is not an RGB hex colour")
    return built


def _is_colour(value: Any) -> bool:
    return (
        isinstance(value, str)
        and len(value) == 6
        and all(c in "0123456789abcdefABCDEF" for c in value)
    )


def load(path: Path | None = None) -> Presets:
    """Read and check a presets file (default: the workflow's)."""
    path = path or presets_path()
    data = config.load(path)
    captions = {
        name: _build(CaptionStyle, style, f"{path}: captions.{name}")
        for name, style in (data.get("captions") or {}).items()
    }
    for name, style in captions.items():
        if style.highlight not in HIGHLIGHTS:
            raise ReelmakeError(
                f"{path}: captions.{name}.highlight: {style.highlight!r} is not one "
                f"of {', '.join(HIGHLIGHTS)}"
            )
        if style.words < 1 or style.lines < 1:
            raise ReelmakeError(
                f"{path}: captions.{name}: words and lines must be >= 1"
            )
    formats = dict(data.get("formats") or {})
    for name, values in formats.items():
        style = (values or {}).get("caption_style")
        if style not in captions:
            raise ReelmakeError(
                f"{path}: formats.{name}.caption_style: no caption style {style!r}"
            )
    title = _build(TitleStyle, data.get("title"), f"{path}: title")
    return Presets(formats, captions, title)


@functools.cache
def shipped() -> Presets:
    return load()


def format_settings(name: str, presets: Presets | None = None) -> dict[str, Any]:
    """What a format sets (``9:16`` names ``vertical``, and so on)."""
    presets = presets or shipped()
    name = ASPECT_FORMATS.get(name, name)
    if name not in presets.formats:
        raise ReelmakeError(
            f"clips.format {name!r}: no such format; formats are: "
            f"{', '.join(presets.formats)}"
        )
    return dict(presets.formats[name])


def caption_style(name: str, presets: Presets | None = None) -> CaptionStyle:
    presets = presets or shipped()
    if name not in presets.captions:
        raise ReelmakeError(
            f"clips.caption_style {name!r}: no such caption style; styles are: "
            f"{', '.join(presets.captions)}"
        )
    return presets.captions[name]


# -- fonts ----------------------------------------------------------------------------

# Fonts that ship in Python packages (the others are the system's, through
# fontconfig): family name -> the package holding its files.
PACKAGED_FONTS = {"Anton": "fontpkg_anton"}


def fonts_dir() -> Path | None:
    """The folder of the fonts that ship with reelmake, for libass."""
    for module in PACKAGED_FONTS.values():
        spec = importlib.util.find_spec(module)
        if spec is not None and spec.origin is not None:
            return Path(spec.origin).parent / "files"
    return None


# -- ASS -------------------------------------------------------------------------------


def _ass_colour(rgb: str, opacity: float = 1.0) -> str:
    """ASS colours are &HAABBGGRR with alpha 0 for opaque."""
    alpha = round((1 - min(max(opacity, 0.0), 1.0)) * 255)
    return f"&H{alpha:02X}{rgb[4:6]}{rgb[2:4]}{rgb[0:2]}".upper()


def _ass_time(seconds: float) -> str:
    cs = max(0, round(seconds * 100))
    h, cs = divmod(cs, 360000)
    m, cs = divmod(cs, 6000)
    s, cs = divmod(cs, 100)
    return f"{h}:{m:02d}:{s:02d}.{cs:02d}"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("{", "(").replace("}", ")")


@dataclass(frozen=True)
class Word:
    """A caption word on the clip's own timeline; ``key``: one of the passage's
    most specific words (coloured by a style that highlights keywords)."""

    text: str
    start: float
    end: float
    key: bool = False


@dataclass(frozen=True)
class Group:
    """Words shown together, from ``start`` to ``end`` on the clip's timeline."""

    start: float
    end: float
    lines: list[list[Word]]

    @property
    def words(self) -> list[Word]:
        return [w for line in self.lines for w in line]


PAUSE_BREAK = 0.6
SENTENCE_END = (".", "?", "!", "…")


def group_words(words: Sequence[Word], style: CaptionStyle) -> list[Group]:
    """Words in groups of at most ``style.words`` (split into ``style.lines``
    lines), breaking at sentence ends and pauses; a group stays on screen until the
    next one starts (or half a second after its last word)."""
    chunks: list[list[Word]] = []
    current: list[Word] = []
    for w in words:
        if current and (
            len(current) >= style.words or w.start - current[-1].end >= PAUSE_BREAK
        ):
            chunks.append(current)
            current = []
        current.append(w)
        if w.text.rstrip().endswith(SENTENCE_END):
            chunks.append(current)
            current = []
    if current:
        chunks.append(current)
    groups = []
    for i, chunk in enumerate(chunks):
        per_line = -(-len(chunk) // style.lines)
        lines = [chunk[k : k + per_line] for k in range(0, len(chunk), per_line)]
        after = chunks[i + 1][0].start if i + 1 < len(chunks) else chunk[-1].end + 0.5
        end = min(after, chunk[-1].end + 1.0)
        groups.append(Group(chunk[0].start, max(end, chunk[-1].end), lines))
    return groups


def _style_line(name: str, font: str, size: int, primary: str, outline_colour: str,
                back: str, bold: bool, border: int, outline: float, shadow: float,
                align: int, margins: tuple[int, int, int]) -> str:  # fmt: skip
    ml, mr, mv = margins
    return (
        f"Style: {name},{font},{size},{primary},{primary},{outline_colour},{back},"
        f"{-1 if bold else 0},0,0,0,100,100,0,0,{border},{outline:.1f},{shadow:.1f},"
        f"{align},{ml},{mr},{mv},1"
    )


def ass_script(
    width: int,
    height: int,
    groups: Sequence[Group],
    style: CaptionStyle | None,
    title: str = "",
    title_style: TitleStyle | None = None,
    title_seconds: float = 0.0,
) -> str:
    """The ASS script that draws ``groups`` in ``style`` (None: no captions) and
    ``title`` on a card over the first ``title_seconds``."""
    out = [
        "[Script Info]",
        "ScriptType: v4.00+",
        f"PlayResX: {width}",
        f"PlayResY: {height}",
        "WrapStyle: 0",
        "ScaledBorderAndShadow: yes",
        "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, "
        "OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, "
        "ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, "
        "MarginR, MarginV, Encoding",
    ]
    events = []
    if style is not None:
        size = max(12, round(style.size * height))
        margin = round(style.margin_x * width)
        # Alignment 2: bottom centre; MarginV from the bottom to the block's base.
        bottom = max(0, round((1 - style.position) * height))
        boxed = style.box and style.box_opacity > 0
        out.append(
            _style_line(
                "Caption", style.font, size, _ass_colour(style.colour),
                _ass_colour(style.box_colour if boxed else style.outline_colour),
                _ass_colour(style.box_colour, style.box_opacity if boxed else 0.6),
                style.bold, 3 if boxed else 1,
                max(1.0, style.outline * size) if not boxed else style.outline * size,
                style.shadow * size, 2, (margin, margin, bottom),
            )
        )  # fmt: skip
        events += _caption_events(groups, style)
    if title and title_style is not None and title_seconds > 0:
        size = max(12, round(title_style.size * height))
        margin = round(title_style.margin_x * width)
        top = round(title_style.position * height)
        out.append(
            _style_line(
                "Title", title_style.font, size, _ass_colour(title_style.colour),
                _ass_colour(title_style.box_colour),
                _ass_colour(title_style.box_colour), False, 3,
                max(4.0, 0.35 * size), 0.0, 8, (margin, margin, top),
            )
        )  # fmt: skip
        text = title.upper() if title_style.uppercase else title
        events.append(
            f"Dialogue: 1,{_ass_time(0)},{_ass_time(title_seconds)},Title,,0,0,0,,"
            f"{{\\fad(150,300)}}{_escape(text)}"
        )
    out += [
        "",
        "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, "
        "Text",
        *events,
    ]
    return "\n".join(out) + "\n"


def _word_text(w: Word, style: CaptionStyle) -> str:
    text = w.text.strip()
    return _escape(text.upper() if style.uppercase else text)


def _caption_events(groups: Sequence[Group], style: CaptionStyle) -> list[str]:
    colour = _ass_colour(style.highlight_colour)
    events = []
    for g in groups:
        words = g.words

        def render(spoken: int | None, g: Group = g, words: list[Word] = words) -> str:
            lines = []
            index = 0
            for line in g.lines:
                parts = []
                for w in line:
                    text = _word_text(w, style)
                    lit = (style.highlight == "spoken" and index == spoken) or (
                        style.highlight == "keywords" and w.key
                    )
                    parts.append(f"{{\\c{colour}}}{text}{{\\r}}" if lit else text)
                    index += 1
                lines.append(" ".join(parts))
            return "\\N".join(lines)

        if style.highlight != "spoken":
            events.append(_dialogue(g.start, g.end, render(None)))
            continue
        for i, w in enumerate(words):
            start = w.start if i else g.start
            end = words[i + 1].start if i + 1 < len(words) else g.end
            events.append(_dialogue(start, max(end, start + 0.01), render(i)))
    return events


def _dialogue(start: float, end: float, text: str) -> str:
    return f"Dialogue: 0,{_ass_time(start)},{_ass_time(end)},Caption,,0,0,0,,{text}"


def style_json(style: CaptionStyle | TitleStyle) -> dict[str, Any]:
    return asdict(style)
