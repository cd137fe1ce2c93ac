"""Make the real set's excerpts from a checkout of public presidential transcripts.

    python -m bench.realset_make SOURCE_DATA_FOLDER

``SOURCE_DATA_FOLDER`` is the ``data/`` folder of the public collection named in
``bench/realset/README.md`` (one speech a file, a first line "President: Name",
paragraphs one a line). Run once: it writes ``bench/realset/texts/<id>.txt`` and
``bench/realset/talks.yaml``; the evaluation reads only those files.

Which talks and which part of each, by rules fixed before any scorer saw them:

- only what a president said in office and the White House published (a work of
  the United States government, public domain): nominating conventions, campaign
  debates and election-night speeches are left out;
- the human signal is the audience's laughter the transcript marks; a talk needs at
  least one such mark outside its first two paragraphs;
- the excerpt is a run of whole paragraphs of about ``EXCERPT_WORDS`` words placed
  around one laughter mark (chosen, like its place in the excerpt, by a hash of the
  talk's id), keeping only excerpts with at most ``MAX_MOMENTS`` marked laughs, so
  that blind picks rarely hit;
- ``TALKS`` talks are taken in the order of a hash of their ids, and each is put in
  the development or the held-out part by another hash, once;
- the talks that qualify after those make the ``train`` part: text only, never
  spoken, used with the development part to fit the line model (more laughs to
  learn from than twelve spoken talks hold) and never scored.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

import yaml

from bench import realset

EXCERPT_WORDS = 620
MAX_MOMENTS = 3
TALKS = 36
LEFT_OUT = ("convention", "debate", "acceptance", "victory", "nominee", "campaign")
GENRES = (
    (("press-conference", "news-conference", "press-briefing", "briefing"),
     "press conference"),
    (("commencement", "graduation", "university", "convocation"), "commencement"),
    (("state-union", "joint-session", "address"), "address"),
)  # fmt: skip
SOURCE = "kfogel/presidential-speeches (GitHub), commit a4c8b38, file data/{file}"
LICENCE = (
    "public domain: a work of the United States government (17 U.S.C. 105); "
    "the collection's LICENSE.md says so of the speeches"
)


def digest(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16)


def genre_of(name: str) -> str:
    for keys, genre in GENRES:
        if any(k in name for k in keys):
            return genre
    return "remarks"


def clean(line: str) -> str:
    line = re.sub(r"\[sic\]", "", line)
    line = re.sub(r"^(THE PRESIDENT|The President)[.:]\s*", "", line.strip())
    return " ".join(line.split())


def excerpt(paragraphs: list[str], tid: str) -> list[str] | None:
    counts = [len(realset.moment_marks(p)) for p in paragraphs]
    anchors = [i for i, c in enumerate(counts) if c and i >= 2]
    if not anchors:
        return None
    anchor = anchors[digest("anchor:" + tid) % len(anchors)]
    share = 0.15 + 0.7 * (digest("place:" + tid) % 1000) / 1000
    words = [len(realset.spoken(p).split()) for p in paragraphs]
    first = anchor
    while first > 0 and sum(words[first:anchor]) < share * EXCERPT_WORDS:
        first -= 1
    last = anchor
    while last + 1 < len(paragraphs) and sum(words[first : last + 1]) < EXCERPT_WORDS:
        last += 1
    while first > 0 and sum(words[first : last + 1]) < EXCERPT_WORDS:
        first -= 1
    chosen = paragraphs[first : last + 1]
    total = sum(counts[first : last + 1])
    if total > MAX_MOMENTS or sum(words[first : last + 1]) > 1.6 * EXCERPT_WORDS:
        return None
    return chosen


def split_of(name: str, taken: int) -> str:
    if taken >= TALKS:
        return "train"
    return "dev" if digest("split:" + name) % 3 == 0 else "held-out"


def main(argv: list[str]) -> int:
    source = Path(argv[0])
    out = Path(__file__).with_name("realset")
    (out / "texts").mkdir(parents=True, exist_ok=True)
    talks = []
    for path in sorted(source.glob("*.txt"), key=lambda p: digest(p.stem)):
        name = path.stem
        if any(k in name for k in LEFT_OUT):
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        speaker = lines[0].removeprefix("President:").strip()
        paragraphs = [clean(x) for x in lines[1:] if clean(x)]
        chosen = excerpt(paragraphs, name)
        if chosen is None:
            continue
        (out / "texts" / f"{name}.txt").write_text("\n".join(chosen) + "\n")
        talks.append({
            "id": name,
            "title": name[11:].replace("-", " "),
            "speaker": speaker,
            "date": name[:10],
            "genre": genre_of(name),
            "source": SOURCE.format(file=path.name),
            "licence": LICENCE,
            "signal": "audience laughter marked in the transcript",
            "split": split_of(name, len(talks)),
        })  # fmt: skip
    (out / "talks.yaml").write_text(
        yaml.safe_dump({"talks": talks}, sort_keys=False, width=88)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
