"""The offline scorer's features and judgement on small passages written for it."""

import wave
from pathlib import Path

import numpy as np
import pytest

from reelmake.stages.metadata import hashtags
from reelmake.stages.scores import passage
from reelmake.stages.scores.heuristic import (
    ENERGY_BLOCK,
    HeuristicScorer,
    loudness,
    suggest_title,
)
from reelmake.stages.scores.passage import Around, judge, keywords, measure
from reelmake.stages.segments import Candidate

pytestmark = pytest.mark.unit

SPECIFIC = (
    "Glaciers in the Alps lost a tenth of their ice between 2021 and 2023. Scientists "
    "in Zurich measure them every autumn with stakes drilled into the surface."
)
VACUOUS = (
    "It was a really good thing, a really good thing for sure. It was good, it was "
    "really good, and the thing is it was a good thing, a really really good thing."
)
STORY = (
    "My first bicycle came from a scrapyard in Leeds, and my uncle rebuilt it in his "
    "garage over one winter. He replaced the chain, the brakes and both wheels with "
    "parts from three other bikes. I rode it to school for six years. When it was "
    "finally stolen, I realised the repair had taught me more than any lesson had."
)
BANTER = (
    "Honestly? Amazing. The craziest thing ever, literally the best, a hundred "
    "percent. "
    "Wow. Insane, right? Totally incredible, absolutely huge, I swear. Unbelievable. "
    "So good. Right?"
)
DEPENDENT = (
    "So that is why she turned the second offer down, for the reason you gave. After "
    "that he never asked again, and they kept it the same way as before."
)


def test_specific_words_outscore_everyday_ones() -> None:
    assert measure(SPECIFIC).specificity > 2 * measure(VACUOUS).specificity
    assert judge(measure(SPECIFIC)).specificity > judge(measure(VACUOUS)).specificity
    assert measure(SPECIFIC).names >= 2  # Alps, Zurich


def test_a_repeated_vacuous_passage_is_less_dense() -> None:
    vacuous, specific = measure(VACUOUS), measure(SPECIFIC)
    assert vacuous.repetition > specific.repetition
    assert vacuous.variety < specific.variety
    assert judge(vacuous).density < judge(specific).density - 0.2


def test_an_opening_that_points_back_is_not_self_contained() -> None:
    leaning = measure(DEPENDENT)
    assert leaning.leaning_open == 1.0
    assert leaning.unresolved >= 1
    assert leaning.back_references >= 2
    assert judge(leaning).self_contained < judge(measure(STORY)).self_contained - 0.4
    # The same words are fine once the passage itself introduces "her".
    introduced = "My sister Ana had two offers. " + DEPENDENT.removeprefix("So ")
    assert measure(introduced).unresolved == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("That is why she left.", 1.0),
        ("And then they moved to Oslo.", 1.0),
        ("So, I was in Oslo last spring.", 0.5),
        ("Did you know that honey never spoils?", 0.0),
        ("My grandmother baked bread every day.", 0.0),
    ],
)
def test_leaning_openings(text: str, expected: float) -> None:
    assert passage.leans(text) == expected


def test_silence_around_a_passage_tells_where_a_thought_begins() -> None:
    clear = measure(STORY, Around(break_before=1.0, break_after=1.0))
    mid = measure(STORY, Around(break_before=0.0, break_after=0.0))
    assert judge(clear).self_contained > judge(mid).self_contained
    assert judge(clear).shape > judge(mid).shape
    assert passage.break_strength(0.4, 0.4) == 0.0
    assert passage.break_strength(0.8, 0.4) == 1.0
    assert passage.break_strength(None, 0.4) == 1.0


def test_a_story_that_goes_on_after_the_passage_stops_short() -> None:
    ends = measure(STORY, Around(after="Anyway, let us move on."))
    goes_on = measure(STORY, Around(after="But then the frame cracked in two."))
    assert goes_on.continues_after == 1.0 and ends.continues_after == 0.0
    assert judge(goes_on).shape < judge(ends).shape


def _candidate(text: str, start: float = 0.0, seconds: float = 20.0) -> Candidate:
    words = len(text.split())
    return Candidate(
        id=f"c{start:g}", first_word=0, last_word=words - 1, start=start,
        end=start + seconds, text=text, sentence_count=len(passage.sentences(text)),
        word_count=words, pause_before=1.0, pause_after=1.0,
        words_per_second=words / seconds, mean_probability=0.9,
    )  # fmt: skip


@pytest.fixture()
def audio(tmp_path: Path) -> Path:
    """A minute of steady noise: loudness plays no part in these comparisons."""
    path = tmp_path / "audio.wav"
    rng = np.random.default_rng(7)
    samples = (rng.normal(0, 3000, 16000 * 60)).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(samples.tobytes())
    return path


def _scores(audio: Path, *texts: str) -> list[float]:
    candidates = [_candidate(t, start=20.0 * i) for i, t in enumerate(texts)]
    return [s.overall for s in HeuristicScorer().score(candidates, audio)]


def test_a_story_outranks_stuffed_banter_and_dependent_talk(audio: Path) -> None:
    story, banter, dependent, vacuous = _scores(
        audio, STORY, BANTER, DEPENDENT, VACUOUS
    )
    assert story >= 6.0  # above the default threshold
    assert max(banter, dependent, vacuous) < 5.0
    assert story > max(banter, dependent, vacuous) + 2


def test_hype_and_filler_lower_a_score(audio: Path) -> None:
    stuffed = STORY.replace(
        "I rode it", "Honestly, amazing, literally the best, um, you know, I rode it"
    ).replace("When it was", "Wow, insane, uh, crazy, right? When it was")
    plain, worse = _scores(audio, STORY, stuffed)
    assert worse < plain - 1


def test_scores_keep_their_scale_and_name_their_reasons(audio: Path) -> None:
    candidates = [_candidate(t, 20.0 * i) for i, t in enumerate((STORY, BANTER))]
    story, banter = HeuristicScorer().score(candidates, audio)
    for s in (story, banter):
        assert 0 <= s.overall <= 10
        assert all(0 <= v <= 10 for v in s.subscores.values())
        assert {"hook", "emotion", "self_contained", "payoff"} <= set(s.subscores)
    assert "specific" in story.reason or "names" in story.reason
    assert "hype" in banter.reason
    # Deterministic: the same input scores the same.
    assert HeuristicScorer().score(candidates, audio) == [story, banter]


def test_titles_come_from_a_sentence_that_stands_alone() -> None:
    assert suggest_title(STORY).startswith("My first bicycle came from a scrapyard")
    assert len(suggest_title(STORY)) <= 60
    assert suggest_title(DEPENDENT + " Oslo is cold in March.") == (
        "Oslo is cold in March"
    )


@pytest.mark.parametrize("text", [STORY, SPECIFIC, VACUOUS, BANTER, DEPENDENT])
def test_hashtags_are_specific_words_never_vague_ones(text: str) -> None:
    tags = hashtags(text)
    vague = passage.FUNCTION_WORDS | passage.HYPE_WORDS | passage.FILLER_WORDS
    for tag in tags:
        word = tag[1:].lower()
        assert word not in vague, tag
        assert word not in {"something", "last", "person", "thing", "people"}, tag
        assert passage.rarity(word) >= passage.HASHTAG_MIN_RARITY or tag[1].isupper()
    assert len(tags) == len(set(tags)) <= 5


def test_hashtags_name_the_topic() -> None:
    assert {"#Leeds", "#scrapyard"} <= set(hashtags(STORY))
    assert keywords("We hiked the Great Wall near Beijing.")[:2] == [
        "GreatWall",
        "Beijing",
    ]
    assert hashtags(BANTER) == []


GREETING = (
    "Thank you. Thank you very much. Good evening, everyone. I want to thank Governor "
    "Ana Ruiz, Mayor Tom Berg, Senator Li Wei, Chief Omar Haddad and Principal Ines "
    "Costa for joining us tonight. Please be seated."
)


def test_greetings_thanks_and_lists_of_names_are_not_highlights(audio: Path) -> None:
    story, greeting = HeuristicScorer().score(
        [_candidate(STORY), _candidate(GREETING, 20.0)], audio
    )
    assert greeting.overall < 6.0 <= story.overall
    assert "people, places or things" not in greeting.reason
    assert "greetings, thanks or a list of names" in greeting.reason


def test_the_reason_quotes_the_line_that_lifted_the_score(audio: Path) -> None:
    plain = (
        "The survey covered four hundred farms across the valley in two summers. It "
        "recorded soil depth, rainfall and the yield of each field in detail."
    )
    turn = plain + ' The farmer at the last farm told us, "Rain never reads a survey."'
    with_line, without = HeuristicScorer().score(
        [_candidate(turn), _candidate(plain, 20.0)], audio
    )
    assert 'told us, "Rain never' in with_line.reason
    assert "stands out" not in without.reason
    assert with_line.subscores["payoff"] > without.subscores["payoff"]


def test_span_loudness_is_the_direct_mean_of_squares(tmp_path: Path) -> None:
    # Spans inside one block, across many, on block edges, past the end and empty:
    # each level is what the mean of its squared samples gives, to the last bit.
    rng = np.random.default_rng(7)
    rate, seconds = 16000, 3.3
    samples = (rng.normal(0, 6000, int(rate * seconds)) * np.linspace(0.01, 1, int(
        rate * seconds))).clip(-32768, 32767).astype(np.int16)  # fmt: skip
    samples[:100] = 32767  # the loudest squares there are
    path = tmp_path / "noise.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.tobytes())
    block = ENERGY_BLOCK / rate
    spans = [(0.0, 0.001), (0.0, 3.3), (0.1, 0.2), (block, 2 * block),
             (block - 1e-4, 2 * block + 1e-4), (0.5, 3.0), (3.2, 9.0), (9.0, 10.0),
             (1.0, 1.0)]  # fmt: skip
    expected = []
    for start, end in spans:
        a = int(start * rate)
        chunk = samples[a : max(int(end * rate), a + 1)].astype(np.float64)
        rms = float(np.sqrt(np.mean(chunk**2))) if chunk.size else 0.0
        expected.append(20 * np.log10(max(rms, 1.0) / 32768.0))
    assert loudness(path, spans) == expected
    assert expected[-3] > expected[2]  # the noise grows louder along the file
