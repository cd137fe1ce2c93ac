"""What a passage of speech says, measured: the text features the offline scorer and
the offline clip copy are built on.

Every feature is about the class of thing that makes a clip worth posting or not,
never about particular phrases: how specific the words are (against word frequencies
of the language, from ``wordfreq``), how dense the information is, whether the
passage leans on something said before it, whether it hangs together and ends on a
point, and how much of it is filler or empty hype.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

# Closed-class words: articles, pronouns, prepositions, conjunctions, auxiliaries and
# the commonest adverbs. They carry grammar, not content.
FUNCTION_WORDS = frozenset(
    """a about above after again against all almost along already also although always
    am among an and another any anybody anyone anything anyway are around as at away
    be because been before being below between both but by can can't cannot could
    couldn't did didn't do does doesn't doing don't done down during each either else
    enough even ever every everybody everyone everything for from get gets getting got
    gotten had hadn't has hasn't have haven't having he he's her here here's hers
    herself him himself his how however i i'd i'll i'm i've if in instead into is
    isn't it it's its itself just least less let let's lot lots may maybe me might
    mine more most much must my myself neither never no nobody none nor not nothing
    now of off often on once one ones only onto or other others our ours ourselves
    out over own per perhaps quite rather really same several shall she she's should
    shouldn't since so some somebody someone something sometimes somewhere still such
    than that that's the their theirs them themselves then there there's these they
    they'd they'll they're they've thing things this those though through thus till
    to too toward towards under unless until up upon us very via was wasn't we we'd
    we'll we're we've were weren't what what's whatever when whenever where whereas
    wherever whether which while who who's whoever whole whom whose why will with
    within without won't would wouldn't yet you you'd you'll you're you've your
    yours yourself yourselves
    say says said tell told know knew think thought go goes went going come came make
    made take took see saw look want like well way yes yeah okay ok oh right sure
    """.split()
)
# Hesitations and discourse fillers: a clip full of them is slow to watch.
FILLER_WORDS = frozenset("um uh erm er ah hmm mm mhm huh uh-huh".split())
FILLER_PHRASES = ("you know", "i mean", "sort of", "kind of", "i guess",
                  "and stuff", "and things", "or whatever", "where was i")  # fmt: skip
# Empty intensity: superlatives, intensifiers and exclamations that promise without
# saying anything. Stuffed into a passage they make it worse, not better.
HYPE_WORDS = frozenset(
    """amazing awesome incredible incredibly insane insanely crazy craziest wild
    unbelievable unbelievably literally honestly seriously totally absolutely
    completely utterly super mega epic legendary genius hilarious funniest wow whoa
    omg gosh mind-blowing blew blown best greatest worst biggest ever huge massive
    ridiculous epic fantastic fabulous perfect perfectly definitely swear promise
    trust""".split()
)
# Number words: a figure tells something only when it measures something; alone they
# are as often idioms ("a hundred percent", "a million times").
NUMBER_WORDS = frozenset(
    """zero one two three four five six seven eight nine ten eleven twelve thirteen
    fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty
    sixty seventy eighty ninety hundred hundreds thousand thousands million millions
    billion billions percent half twice first second third times""".split()
)
# Words that tie a passage to what was said before it when they open it: pronouns
# and demonstratives that point back, and connectives that carry on a thought.
ANAPHORS = frozenset(
    "it its he she they him her them his their this that these those which".split()
)
CONNECTIVES = frozenset(
    """and but so because then also or anyway plus yeah right exactly still anyhow
    otherwise besides therefore thus hence""".split()
)
# Connectives that carry the same thought on into the next sentence ("anyway" and
# "okay" turn to a new one).
CONTINUERS = frozenset("and but so because then also or plus which yet".split())
THIRD_PERSON = frozenset("he she they him her them his hers their theirs".split())
# Words that introduce a new referent, so a later pronoun can point at it.
INTRODUCERS = frozenset("a an my our your one some this".split())
# Phrases that point at something outside the passage: an earlier remark, another
# item of a list the listener never heard.
_BACK_REFERENCE = re.compile(
    r"\b(?:(?:as|like) (?:i|you|we|he|she|they) (?:said|mentioned|were saying)"
    r"|(?:you|he|she|they) (?:said|gave|mentioned|brought up|asked about|told us)"
    r"|(?:mentioned|said|discussed|talked about) (?:earlier|before)"
    r"|the (?:same|other|second|former|latter) (?:one|ones|time|thing|issue"
    r"|problem|reason|reasons|way|point|question)"
    r"|after that|before that|afterwards|that is why|that's why)\b"
)
_FIRST_PERSON = frozenset("i my me we our us".split())
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['’-][A-Za-z]+)*")
_SENTENCE = re.compile(r"(?<=[.?!…])\s+")


@lru_cache(maxsize=131072)
def rarity(word: str) -> float:
    """0 for everyday words, up to 1 for rare ones (Zipf frequency 5.3 down to 3)."""
    from wordfreq import zipf_frequency

    if any(ch.isdigit() for ch in word):
        return 0.5  # a figure: concrete, but not a name
    return min(1.0, max(0.0, (5.3 - zipf_frequency(word, "en")) / 2.3))


@lru_cache(maxsize=131072)
def stem(word: str) -> str:
    """A crude English stem: enough to see that "salted" and "salt" are one topic."""
    w = word.lower().replace("’", "'")
    w = w[:-2] if w.endswith("'s") else w
    for suffix, repl in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            return w[: -len(suffix)] + repl
    return w


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


@lru_cache(maxsize=131072)
def is_content(word: str) -> bool:
    w = word.lower()
    return (
        len(w) > 2
        and w not in FUNCTION_WORDS
        and w not in FILLER_WORDS
        and w not in HYPE_WORDS
        and w not in NUMBER_WORDS
    ) or any(ch.isdigit() for ch in w)


def leans(text: str) -> float:
    """How much ``text`` leans on something said before it: 1 when it opens on a word
    that points back ("that is why", "he kept it"), after any connectives; 0.5 when
    it only opens on a connective ("so", "and"); else 0."""
    words = [w.lower() for w in tokens(text)[:6]]
    i = 0
    while i < len(words) and (words[i] in CONNECTIVES or words[i] in FILLER_WORDS):
        i += 1
    if i < len(words) and words[i] in ANAPHORS:
        return 1.0
    return 0.5 if i > 0 else 0.0


@lru_cache(maxsize=16384)
def content_stems(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in tokens(text) if is_content(w))


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


def filler_count(words: Sequence[str]) -> int:
    """Filler words and phrases among lower-case ``words``."""
    joined = f" {' '.join(words)} "
    phrases = sum(joined.count(f" {p} ") * len(p.split()) for p in FILLER_PHRASES)
    return phrases + sum(w in FILLER_WORDS for w in words)


def names(sentence_list: Sequence[str]) -> set[str]:
    """Capitalised words inside sentences (not their first word, not "I"): names of
    people, places and things, as a transcriber writes them."""
    found = set()
    for s in sentence_list:
        for w in tokens(s)[1:]:
            if w[0].isupper() and w.lower() not in FUNCTION_WORDS and w != "I":
                found.add(w.lower())
    return found


def unresolved_pronouns(sentence_list: Sequence[str]) -> int:
    """Third-person pronouns in the first two sentences that come before anything
    they could refer to (a name or a newly introduced thing)."""
    count = 0
    introduced = False
    for s in sentence_list[:2]:
        words = tokens(s)
        for i, w in enumerate(words):
            low = w.lower()
            if (i > 0 and w[0].isupper() and w != "I") or (
                i > 0 and words[i - 1].lower() in INTRODUCERS and is_content(w)
            ):
                introduced = True
            elif low in THIRD_PERSON and not introduced:
                count += 1
    return count


@dataclass(frozen=True)
class Around:
    """Where a passage sits: the sentence just before it and the one just after it,
    and how clear a break the silence at each edge is (0 for a pause no longer than
    the speaker's usual one between sentences, 1 for twice that or the start or end
    of the speech)."""

    before: str = ""
    after: str = ""
    break_before: float = 1.0
    break_after: float = 1.0


def break_strength(pause: float | None, usual: float) -> float:
    """How clear a break a pause is, against the ``usual`` pause between sentences."""
    if pause is None or usual <= 0:
        return 1.0
    return round(_clamp((pause - usual) / usual), 4)


@dataclass(frozen=True)
class Features:
    """Measured properties of one passage; shares are of all its words."""

    words: int
    sentences: int
    specificity: float  # mean rarity of its words (content words only count)
    names: int  # distinct named things
    content_share: float
    variety: float  # distinct content stems / content words
    repetition: float  # share of word pairs said before in the passage
    words_per_sentence: float
    fragment_share: float  # sentences of fewer than five words
    hype_share: float
    filler_share: float
    leaning_open: float  # see leans()
    unresolved: int  # pronouns with nothing before them to refer to
    back_references: int  # pointers to things said elsewhere, in its first half
    continues_before: float  # its opening shares the topic of the sentence before
    continues_after: float  # the next sentence carries on from it
    break_before: float  # see Around
    break_after: float
    cohesion: float  # share of sentences sharing a content word with an earlier one
    ends_complete: float
    opening_specificity: float
    opening_question: float  # a real question (five words or more) opens it
    first_person: float  # share of I/my/we: the speaker's own experience


def _specificity(words: Sequence[str]) -> float:
    return sum(rarity(w.lower()) for w in words if is_content(w)) / max(len(words), 1)


def specificity(text: str) -> float:
    """The ``specificity`` of :func:`measure`, alone."""
    return round(_specificity(tokens(text)), 4)


def measure(text: str, around: Around = Around()) -> Features:
    sents = sentences(text)
    original = tokens(text)
    words = [w.lower() for w in original]
    n = max(len(words), 1)
    content = [w for w in words if is_content(w)]
    stems_list = [stem(w) for w in content]
    pairs = list(zip(words, words[1:], strict=False))
    seen: set[tuple[str, str]] = set()
    repeated = 0
    for pair in pairs:
        repeated += pair in seen
        seen.add(pair)
    sentence_stems = [content_stems(s) for s in sents]
    linked = sum(
        bool(stems & set().union(*sentence_stems[:i]))
        for i, stems in enumerate(sentence_stems)
        if i > 0
    )
    half = " ".join(words[: max(len(words) // 2, 12)])
    first = sents[0] if sents else text
    first_words = tokens(first)
    opening = " ".join(words[:4])
    before_overlap = len(content_stems(first) & content_stems(around.before))
    after_words = tokens(around.after.lower())
    return Features(
        words=len(words),
        sentences=len(sents),
        specificity=round(_specificity(original), 4),
        names=len(names(sents)),
        content_share=round(len(content) / n, 4),
        variety=round(len(set(stems_list)) / max(len(stems_list), 1), 4),
        repetition=round(repeated / max(len(pairs), 1), 4),
        words_per_sentence=round(len(words) / max(len(sents), 1), 2),
        fragment_share=round(
            sum(len(tokens(s)) < 5 for s in sents) / max(len(sents), 1), 4
        ),
        hype_share=round(sum(w in HYPE_WORDS for w in words) / n, 4),
        filler_share=round(filler_count(words) / n, 4),
        leaning_open=leans(text),
        unresolved=unresolved_pronouns(sents),
        back_references=len(_BACK_REFERENCE.findall(half))
        + int(bool(_BACK_REFERENCE.search(opening))),
        continues_before=float(before_overlap >= 2),
        continues_after=float(bool(after_words) and after_words[0] in CONTINUERS),
        break_before=around.break_before,
        break_after=around.break_after,
        cohesion=round(linked / max(len(sents) - 1, 1), 4),
        ends_complete=float(text.rstrip().endswith((".", "?", "!"))),
        opening_specificity=round(_specificity(first_words), 4),
        opening_question=float(first.endswith("?") and len(first_words) >= 5),
        first_person=round(sum(w in _FIRST_PERSON for w in words) / n, 4),
    )


# A hashtag must be rarer than this (0: everyday words such as "thing" or "person").
HASHTAG_MIN_RARITY = 0.15


def keywords(text: str, limit: int = 5) -> list[str]:
    """The passage's most specific terms, best first: names (runs of capitalised words
    inside sentences, joined) and rare content words, ranked by rarity and how often
    they come up. Never a function word, filler, hype word, number or everyday word."""
    scored: dict[str, tuple[float, int, str]] = {}
    position = 0

    def add(term: str, key: str, weight: float) -> None:
        nonlocal position
        position += 1
        old = scored.get(key)
        if old is None:
            scored[key] = (weight, position, term)
        else:
            scored[key] = (old[0] + 0.5 * weight, old[1], old[2])

    for sentence in sentences(text):
        words = tokens(sentence)
        i = 0
        while i < len(words):
            w = words[i]
            if i > 0 and w[0].isupper() and w != "I" and is_content(w):
                j = i
                while j + 1 < len(words) and words[j + 1][0].isupper():
                    j += 1
                name = [x for x in words[i : j + 1] if x.lower() not in FUNCTION_WORDS]
                if name:
                    add("".join(x[:1].upper() + x[1:] for x in name),
                        "".join(stem(x) for x in name), 1.2)  # fmt: skip
                i = j + 1
                continue
            low = w.lower()
            if is_content(low) and low.isalpha() and rarity(low) >= HASHTAG_MIN_RARITY:
                # Topics are things: adverbs and verb forms make weak hashtags.
                weight = 0.3 if low.endswith(("ly", "ed", "ing")) else 1.0
                add(low.replace("'", ""), stem(low), weight * rarity(low))
            i += 1
    ranked = sorted(scored.values(), key=lambda v: (-v[0], v[1]))
    return [term for _, _, term in ranked[:limit]]


@dataclass(frozen=True)
class Judgement:
    """The 0-1 components of a passage's worth, from :class:`Features`."""

    specificity: float
    density: float
    self_contained: float
    shape: float
    hook: float
    empty_talk: float  # hype and filler: subtracted


def judge(f: Features) -> Judgement:
    specificity = _clamp(f.specificity / 0.16) * 0.85 + _clamp(f.names / 3) * 0.15
    density = (
        0.35 * _clamp((f.content_share - 0.2) / 0.25)
        + 0.25 * f.variety
        + 0.2 * (1 - _clamp(f.repetition / 0.15))
        + 0.2 * _clamp((f.words_per_sentence - 4) / 10) * (1 - f.fragment_share)
    )
    self_contained = _clamp(
        1
        - 0.35 * f.leaning_open
        - 0.2 * min(f.unresolved, 2)
        - 0.2 * min(f.back_references, 2)
        - 0.15 * f.continues_before
        - 0.4 * (1 - f.break_before)
    )
    shape = (
        0.3 * f.cohesion
        + 0.1 * f.ends_complete
        + 0.15 * (1 - f.continues_after)
        + 0.25 * f.break_after
        + 0.2 * _clamp((f.sentences - 1) / 3)
    )
    hook = _clamp(
        0.7 * _clamp(f.opening_specificity / 0.16)
        + 0.3 * f.opening_question
        - 0.4 * f.leaning_open
    )
    empty_talk = _clamp(3 * f.hype_share + 3 * f.filler_share)
    return Judgement(
        specificity=round(specificity, 4),
        density=round(density, 4),
        self_contained=round(self_contained, 4),
        shape=round(shape, 4),
        hook=round(hook, 4),
        empty_talk=round(empty_talk, 4),
    )
