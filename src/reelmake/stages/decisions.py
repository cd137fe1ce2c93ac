"""A person's decisions on a video's clips: approve, reject, move a clip's start or
end, retitle it, fix a misheard word, add a clip from the transcript, set the order.

They live in ``results/<hash>/decisions.yaml``, one human-readable file per video
that belongs to the user: the workflow reads it (the selection honours every
decision, a re-score or a new threshold included) and never writes it; ``reelmake
review``, ``reelmake import-edits`` and the MCP server write it through this module,
keeping what a person wrote by hand (comments too). Nothing removes it but
``reelmake clean VIDEO --all``.

The schema (times are seconds of the source)::

    version: 1
    clips:
      - at: [12.3, 45.6]      # a clip as reelmake selected it: its span
        decision: approve     # approve or reject (or leave it out: only edits)
        start: 13.1           # moved start, snapped to a word's start
        end: 44.0             # moved end, snapped to a word's end
        title: A better title
        hook: The line on the title card
        hashtags: ["#rivers", "#floods"]
        rank: 1               # its place among the clips
      - add: [100.0, 130.0]   # a clip added from a stretch of the transcript
    words:
      - at: 23.45             # a word's start
        text: their           # what it says
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelmake.core import fileio
from reelmake.core.errors import ReelmakeError

FILE_NAME = "decisions.yaml"
VERSION = 1
# A decision on a clip holds for the clips the selection makes that share this much
# of their span with it (a re-score moves boundaries a little).
SAME_CLIP = 0.5

_SPAN = {"type": "array", "items": {"type": "number", "minimum": 0},
         "minItems": 2, "maxItems": 2}  # fmt: skip
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "version": {"const": VERSION},
        "video": {"type": "string"},
        "clips": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "oneOf": [{"required": ["at"]}, {"required": ["add"]}],
                "properties": {
                    "at": _SPAN,
                    "add": _SPAN,
                    "decision": {"enum": ["approve", "reject"]},
                    "start": {"type": "number", "minimum": 0},
                    "end": {"type": "number", "minimum": 0},
                    "title": {"type": "string", "maxLength": 200},
                    "hook": {"type": "string", "maxLength": 300},
                    "hashtags": {"type": "array", "items": {"type": "string"}},
                    "rank": {"type": "integer", "minimum": 1},
                },
            },
        },
        "words": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["at", "text"],
                "properties": {
                    "at": {"type": "number", "minimum": 0},
                    "text": {"type": "string", "minLength": 1, "maxLength": 100},
                },
            },
        },
    },
}


@dataclass(frozen=True)
class ClipDecision:
    """What a person decided of one clip: ``at`` is the span reelmake gave it (or,
    for a clip they added, the stretch they chose)."""

    at: tuple[float, float]
    added: bool = False
    decision: str | None = None
    start: float | None = None
    end: float | None = None
    title: str | None = None
    hook: str | None = None
    hashtags: tuple[str, ...] | None = None
    rank: int | None = None

    @property
    def span(self) -> tuple[float, float]:
        """The clip as the person wants it."""
        start = self.at[0] if self.start is None else self.start
        end = self.at[1] if self.end is None else self.end
        return start, end

    @property
    def kept(self) -> bool:
        """Whether the clip is in whatever the scores say: approved, added, or its
        start or end moved (a person who trims a clip wants it), and not rejected
        (a clip a person added and then rejected is gone too)."""
        if self.decision == "reject":
            return False
        moved = self.start is not None or self.end is not None
        return self.added or self.decision == "approve" or moved


@dataclass(frozen=True)
class Decisions:
    clips: tuple[ClipDecision, ...] = ()
    words: dict[float, str] = field(default_factory=dict)

    def rejected(self) -> list[tuple[float, float]]:
        return [c.at for c in self.clips if c.decision == "reject"]

    def about(self, span: tuple[float, float]) -> ClipDecision | None:
        """The decision on the clip the selection gave ``span``, if any."""
        best, share = None, 0.0
        for c in self.clips:
            if c.added:
                continue
            found = overlap(c.at, span) / max(min(c.at[1] - c.at[0],
                                                  span[1] - span[0]), 1e-6)  # fmt: skip
            if found >= SAME_CLIP and found > share:
                best, share = c, found
        return best


def overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def _yaml() -> Any:
    from ruamel.yaml import YAML

    parser = YAML()  # round trip: a person's comments and order survive a write
    parser.preserve_quotes = True
    parser.width = 88
    return parser


def _line_of(document: Any, path: Sequence[Any]) -> int | None:
    """The line (from 1) of the item at ``path`` in a round-trip document."""
    node, line = document, None
    for key in path:
        try:
            if hasattr(node, "lc"):
                if isinstance(key, int):
                    line = node.lc.item(key)[0] + 1
                else:
                    line = node.lc.key(key)[0] + 1
            node = node[key]
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    return line


def _plain(value: Any) -> Any:
    """A round-trip document as plain dicts, lists and numbers."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value if not isinstance(value, str) else str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value


def _document(path: Path) -> Any:
    from ruamel.yaml.error import MarkedYAMLError

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ReelmakeError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        document = _yaml().load(text) if text.strip() else {}
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ReelmakeError(f"{path}:{where}: not valid YAML ({exc.problem})") from None
    return {} if document is None else document


def load(path: str | os.PathLike[str]) -> Decisions:
    """Read and check a decisions file; a wrong one is one line naming the file,
    the line and what is wrong."""
    import jsonschema  # only where a person keeps a decisions file

    path = Path(path)
    document = _document(path)
    data = _plain(document)
    errors = sorted(
        jsonschema.Draft202012Validator(SCHEMA).iter_errors(data),
        key=lambda e: list(e.absolute_path),
    )
    if errors:
        error = errors[0]
        line = _line_of(document, list(error.absolute_path))
        where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        at = f" line {line}" if line else ""
        raise ReelmakeError(f"{path}:{at}: {where}: {error.message}")
    clips = []
    for item in data.get("clips", []):
        span = item.get("add") or item["at"]
        start, end = item.get("start"), item.get("end")
        if float(span[1]) <= float(span[0]) or (
            start is not None and end is not None and end <= start
        ):
            index = data["clips"].index(item)
            line = _line_of(document, ["clips", index])
            raise ReelmakeError(
                f"{path}: line {line}: clips.{index}: a clip must end after it starts"
            )
        clips.append(
            ClipDecision(
                at=(float(span[0]), float(span[1])),
                added="add" in item,
                decision=item.get("decision"),
                start=start,
                end=end,
                title=item.get("title"),
                hook=item.get("hook"),
                hashtags=tuple(item["hashtags"]) if "hashtags" in item else None,
                rank=item.get("rank"),
            )
        )
    words = {round(float(w["at"]), 3): str(w["text"]) for w in data.get("words", [])}
    return Decisions(tuple(clips), words)


def read(path: str | os.PathLike[str] | None) -> Decisions:
    """The decisions of a file that may not exist (none yet)."""
    if path is None or not Path(path).is_file():
        return Decisions()
    return load(path)


HEADER = (
    "# Your decisions on this video's clips: reelmake reads this file on every run\n"
    "# and never overwrites what you wrote. Edit it by hand, with `reelmake review`,\n"
    "# or with `reelmake import-edits`. Times are seconds of the source.\n"
)


def edit(path: str | os.PathLike[str], change: Any) -> Decisions:
    """Apply ``change`` (a function of the round-trip document) to a decisions file,
    creating it when needed, check the result and write it atomically."""
    path = Path(path)
    document = _document(path) if path.is_file() else None
    if not document:
        from ruamel.yaml.comments import CommentedMap

        document = CommentedMap()
        document["version"] = VERSION
        document.yaml_set_start_comment(HEADER.replace("# ", "").rstrip())
    change(document)
    buffer = io.StringIO()
    _yaml().dump(document, buffer)
    text = buffer.getvalue()
    # Checked before it replaces the old file: a bad edit never lands.
    probe = path.with_name(f".{path.name}.check")
    fileio.write_text(probe, text)
    try:
        checked = load(probe)
    except ReelmakeError as exc:
        raise ReelmakeError(str(exc).replace(str(probe), str(path))) from None
    finally:
        probe.unlink(missing_ok=True)
    fileio.write_text(path, text)
    return checked


def _clip_entry(document: Any, at: tuple[float, float]) -> Any:
    """The entry of the clip with span ``at`` (made when missing)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    clips = document.setdefault("clips", CommentedSeq())
    for entry in clips:
        span = entry.get("at") or entry.get("add")
        if (
            span is not None
            and overlap((span[0], span[1]), at) / max(at[1] - at[0], 1e-6) >= SAME_CLIP
        ):
            return entry
    entry = CommentedMap()
    flow = CommentedSeq([round(at[0], 3), round(at[1], 3)])
    flow.fa.set_flow_style()
    entry["at"] = flow
    clips.append(entry)
    return entry


def decide(
    path: str | os.PathLike[str],
    at: tuple[float, float],
    **fields: Any,
) -> Decisions:
    """Record a decision on the clip reelmake gave span ``at``: ``decision``
    (approve, reject, or None to withdraw it), ``start``, ``end``, ``title``,
    ``hook``, ``hashtags``, ``rank``; a field given as None is removed."""

    return decide_each(path, [(at, fields)])


def decide_each(
    path: str | os.PathLike[str],
    changes: Sequence[tuple[tuple[float, float], Mapping[str, Any]]],
) -> Decisions:
    """Several :func:`decide` at once, in one write: a new order of the clips is
    one decision (every clip's rank), never half of one."""

    def change(document: Any) -> None:
        for at, fields in changes:
            entry = _clip_entry(document, at)
            for key, value in fields.items():
                if value is None:
                    entry.pop(key, None)
                else:
                    entry[key] = round(value, 3) if isinstance(value, float) else value

    return edit(path, change)


def add_clip(
    path: str | os.PathLike[str], start: float, end: float, **fields: Any
) -> Decisions:
    """Add a clip from a stretch of the transcript."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    def change(document: Any) -> None:
        entry = CommentedMap()
        flow = CommentedSeq([round(start, 3), round(end, 3)])
        flow.fa.set_flow_style()
        entry["add"] = flow
        entry.update({k: v for k, v in fields.items() if v is not None})
        document.setdefault("clips", CommentedSeq()).append(entry)

    return edit(path, change)


def correct_word(path: str | os.PathLike[str], at: float, text: str) -> Decisions:
    """Record what the word starting at ``at`` really says."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    def change(document: Any) -> None:
        words = document.setdefault("words", CommentedSeq())
        for entry in words:
            if round(float(entry["at"]), 3) == round(at, 3):
                entry["text"] = text
                return
        entry = CommentedMap()
        entry["at"] = round(at, 3)
        entry["text"] = text
        words.append(entry)

    return edit(path, change)
