"""How a single spoken line is phrased, and whether it is ritual talk.

The offline scorer judges a window by its strongest line as well as by the whole
passage: the line people laugh at, repeat or quote is usually one sentence, and a clip
is worth posting when it holds that line and ends soon after it. What marks such a
line, measured here on the sentence alone:

- contrast ("not this but that", "yet", "instead") and parallel structure (a phrase
  said twice, "the more ... the more", a line that opens as the one before it did);
- reported speech (someone "said", "told me", a quotation): an anecdote;
- the speaker stepping out of the script to the occasion itself ("here", "tonight",
  "this room"), or speaking to the listener directly ("you");
- a general statement in few words ("never", "every", "nobody");
- a short line after a long one: the turn of a joke;
- an aside ("let me say", "believe me", "I hope") or a question; a conversational
  register (contractions, everyday words) inside a prepared speech.

Ritual talk is the opposite: greetings, thanks and acknowledgements, housekeeping
("please be seated") and lists of the people present. It names people and places, so a
scorer that rewards specific words ranks it high; it is never a highlight.

The line model (``line_model.json`` beside this module) weighs the line features
into one number, the log-odds that an audience reacts to the line;
``python -m bench.fit_lines`` learns it from the development part of the real set
(lines of real speech and where their audiences laughed) and writes the file.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from reelmake.stages.scores import passage

MODEL_PATH = Path(__file__).with_name("line_model.json")

_CONTRAST = re.compile(
    r"\b(?:but|yet|instead|rather than|although|though|however|whereas|unlike"
    r"|not (?:\w+ ){0,3}but|than)\b"
)
_REPORTED = re.compile(
    r"\b(?:said|says|told|tells|asked|asks|answered|replied|called me|wrote"
    r"|quote|remember when)\b|[\"“”]"
)
_OCCASION = re.compile(
    r"\b(?:here|tonight|today|this (?:room|chamber|hall|audience|building|podium"
    r"|stage|morning|evening|afternoon)|in here|up here|out there|audience|folks"
    r"|you all|all of you|everybody)\b"
)
_GENERAL = re.compile(
    r"\b(?:never|always|every|everyone|everybody|everything|nobody|nothing|no one"
    r"|all|whoever|whatever|anyone)\b"
)
# Conversational register: contractions and everyday words. In a prepared speech a
# line in this register is the speaker talking to the room, off the script.
_INFORMAL = re.compile(
    r"n't\b|'m\b|'re\b|'ll\b|'ve\b|'d\b|\b(?:okay|ok|guys|folks|gonna|kind of"
    r"|sort of|pretty|stuff|anyway|well,)"
)
# The speaker commenting on what they are saying: the frame of an aside or a joke.
_ASIDE = re.compile(
    r"\b(?:let me (?:say|tell|just)|i (?:have|had|got) to (?:say|tell|admit)"
    r"|i must (?:say|admit)|i'll tell you|i admit|i confess|to be honest|by the way"
    r"|believe me|trust me|i'm told|i hope|i don't know|i guess|i'm not sure"
    r"|i know (?:what|that)|you know what|i can tell you|i promise)\b"
)
_SECOND_PERSON = frozenset("you your yours yourself yourselves".split())
_FIRST_SINGULAR = frozenset("i me my mine myself i'm i've i'd i'll".split())
_NEGATION = re.compile(r"\b(?:not|no|never|nothing|nobody|none)\b|n't\b")
# Ritual talk: thanks, greetings, acknowledgements and housekeeping.
_THANKS = re.compile(
    r"\b(?:thank(?:s|ed|ing)?|grateful|gratitude|appreciate|honou?red|privilege"
    r"|pleasure to|acknowledge|recogni[sz]e|congratulat\w*|welcome)\b"
)
_GREETING = re.compile(
    r"\b(?:good (?:morning|afternoon|evening)|hello|ladies and gentlemen"
    r"|distinguished guests|members of (?:the )?congress|mr\.? speaker"
    r"|madam speaker|please (?:be seated|sit|have a seat)"
    r"|sit down|be seated|let me (?:begin|start)|before i (?:begin|start))\b"
)
_NAME_LIST = re.compile(
    r"(?:\b[A-Z][a-z]+(?: [A-Z][a-z]+)*,\s+){2,}(?:and\s+)?[A-Z][a-z]+"
)

# The features in plain words, for the reason a score gives.
PLAIN = {
    "contrast": "a contrast",
    "parallel": "parallel phrasing",
    "reported": "reported speech",
    "occasion": "speaks to the occasion",
    "address": "speaks to the listener",
    "general": "a general statement",
    "first_person": "the speaker's own experience",
    "negation": "a denial",
    "question": "a question",
    "informal": "off the script",
    "aside": "an aside",
    "short": "in few words",
    "turn": "a short turn after a long line",
    "specific": "specific words",
    "ritual": "ritual",
}
LINE_FEATURES = (
    "contrast",
    "parallel",
    "reported",
    "occasion",
    "address",
    "general",
    "first_person",
    "negation",
    "question",
    "informal",
    "aside",
    "short",
    "turn",
    "specific",
    "ritual",
)


@dataclass(frozen=True)
class Line:
    """One sentence in its place: the text and the sentences around it."""

    text: str
    before: str = ""


def _words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in passage.tokens(text)]


def _parallel(words: Sequence[str], before: Sequence[str]) -> float:
    """1 when a phrase of two content-bearing words comes twice in the line, or the
    line opens with the same two words as the one before it (anaphora)."""
    pairs = [
        (a, b)
        for a, b in zip(words, words[1:], strict=False)
        if passage.is_content(a) or passage.is_content(b)
    ]
    if len(pairs) != len(set(pairs)):
        return 1.0
    stems = [passage.stem(w) for w in words if passage.is_content(w)]
    if len(stems) - len(set(stems)) >= 2:  # "the more ... the more", chiasmus
        return 1.0
    return float(len(words) >= 2 and len(before) >= 2 and words[:2] == before[:2])


def ritual(text: str) -> float:
    """How much of ``text`` is ritual: 1 for a line of thanks, a greeting, an
    acknowledgement, housekeeping or a list of three or more names."""
    low = text.lower()
    if _NAME_LIST.search(text):
        return 1.0
    hits = len(_THANKS.findall(low)) + len(_GREETING.findall(low))
    return min(1.0, hits / 1.0)


def line_features(line: Line) -> dict[str, float]:
    """The measured phrasing of one line (each 0-1)."""
    words = _words(line.text)
    before = _words(line.before)
    n = max(len(words), 1)
    low = " ".join(words)
    return {
        "contrast": float(bool(_CONTRAST.search(low))),
        "parallel": _parallel(words, before),
        "reported": float(bool(_REPORTED.search(line.text.lower()))),
        "occasion": float(bool(_OCCASION.search(low))),
        "address": min(1.0, 8 * sum(w in _SECOND_PERSON for w in words) / n),
        "general": float(bool(_GENERAL.search(low))),
        "first_person": min(1.0, 8 * sum(w in _FIRST_SINGULAR for w in words) / n),
        "negation": float(bool(_NEGATION.search(low))),
        "question": float(line.text.rstrip().endswith("?")),
        "informal": min(1.0, 6 * len(_INFORMAL.findall(low)) / n),
        "aside": float(bool(_ASIDE.search(low))),
        "short": float(3 <= len(words) <= 12),
        "turn": float(len(words) <= 14 and len(before) >= 2 * max(len(words), 1)),
        "specific": min(1.0, passage.specificity(line.text) / 0.16),
        "ritual": ritual(line.text),
    }


@dataclass(frozen=True)
class LineModel:
    """A logistic model of a memorable line: weights over standardised features."""

    weights: dict[str, float]
    bias: float
    mean: dict[str, float]
    scale: dict[str, float]
    trained_on: str = ""

    def raw(self, features: dict[str, float]) -> float:
        """The model's log-odds that a line is one an audience reacts to."""
        return self.bias + sum(
            w * (features[k] - self.mean[k]) / self.scale[k]
            for k, w in self.weights.items()
        )

    def contributions(self, features: dict[str, float]) -> dict[str, float]:
        """How much each feature moves the log-odds of this line."""
        return {
            k: w * (features[k] - self.mean[k]) / self.scale[k]
            for k, w in self.weights.items()
        }

    def probability(self, features: dict[str, float]) -> float:
        return 1 / (1 + math.exp(-self.raw(features)))

    def digest(self) -> str:
        """A short digest of the weights: scores made with other weights differ."""
        text = json.dumps(
            [self.weights, self.bias, self.mean, self.scale], sort_keys=True
        )
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def to_json(self) -> dict[str, object]:
        return {
            "features": list(self.weights),
            "weights": self.weights,
            "bias": self.bias,
            "mean": self.mean,
            "scale": self.scale,
            "trained_on": self.trained_on,
        }


@lru_cache(maxsize=1)
def load_model(path: Path = MODEL_PATH) -> LineModel:
    data = json.loads(path.read_text(encoding="utf-8"))
    return LineModel(
        weights={k: float(v) for k, v in data["weights"].items()},
        bias=float(data["bias"]),
        mean={k: float(v) for k, v in data["mean"].items()},
        scale={k: float(v) for k, v in data["scale"].items()},
        trained_on=str(data.get("trained_on", "")),
    )


def lines_of(text: str, before: str = "") -> list[Line]:
    """The sentences of ``text``, each with the one before it (``before``: the
    sentence before the first)."""
    sents = passage.sentences(text) or [text]
    return [Line(s, sents[i - 1] if i else before) for i, s in enumerate(sents)]


@dataclass(frozen=True)
class Strongest:
    """A window judged by its strongest line, against the rest of its talk."""

    peak: float  # 0-1: how far its best line stands out from the talk's lines
    ends_soon: float  # 0-1: 1 when the window ends with that line or just after
    lead: int  # words before that line
    ritual: float  # share of its words in ritual lines
    line: str  # the strongest line
    why: tuple[str, ...] = ()  # the features that lift it most


# Words after the strongest line by which a clip has said too much after it.
TAIL_WORDS = 30
# A line stands out fully when it is this far (in log-odds) above the talk's middle
# line at least: in a talk whose lines are all alike, none stands out much.
MIN_SPREAD = 0.5


class TalkLines:
    """Every line of one talk weighed by the line model, so that a window's best
    line is judged against the talk's own: a speaker who always jokes or always
    quotes does not lift every window alike."""

    def __init__(self, model: LineModel | None = None) -> None:
        self.model = model or load_model()
        self.raw: dict[tuple[str, str], float] = {}
        self.middle = 0.0
        self.spread = MIN_SPREAD

    def weigh(self, windows: Sequence[tuple[str, str]]) -> None:
        """Weigh the lines of ``windows`` (text, the sentence before it)."""
        for text, before in windows:
            for line in lines_of(text, before):
                key = (line.text, line.before)
                if key not in self.raw:
                    self.raw[key] = self.model.raw(line_features(line))
        values = sorted(self.raw.values())
        self.middle = values[len(values) // 2] if values else 0.0
        top = values[min(len(values) - 1, int(0.95 * len(values)))] if values else 0
        self.spread = max(top - self.middle, MIN_SPREAD)

    def standout(self, line: Line) -> float:
        key = (line.text, line.before)
        raw = self.raw.get(key)
        if raw is None:
            raw = self.raw[key] = self.model.raw(line_features(line))
        return min(1.0, max(0.0, (raw - self.middle) / self.spread))

    def strongest(self, text: str, before: str = "") -> Strongest:
        lines = lines_of(text, before)
        sizes = [len(passage.tokens(x.text)) for x in lines]
        total = max(sum(sizes), 1)
        ritual_words = sum(n for x, n in zip(lines, sizes, strict=True)
                           if ritual(x.text) > 0)  # fmt: skip
        scored = [(self.standout(x), i) for i, x in enumerate(lines)]
        peak, at = max(scored, key=lambda pair: (pair[0], -pair[1]))
        tail = sum(sizes[at + 1 :])
        lift = self.model.contributions(line_features(lines[at]))
        why = tuple(
            k for k, v in sorted(lift.items(), key=lambda kv: -kv[1])[:2] if v > 0.1
        )
        return Strongest(
            peak=round(peak, 4),
            ends_soon=round(max(0.0, 1 - tail / TAIL_WORDS), 4),
            lead=sum(sizes[:at]),
            ritual=round(ritual_words / total, 4),
            line=lines[at].text,
            why=why,
        )
