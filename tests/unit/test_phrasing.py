"""The line features and the line model on small sentences written for them, in
several topics (none taken from the real set)."""

import json
from pathlib import Path

import pytest

from reelmake.stages.scores import phrasing
from reelmake.stages.scores.phrasing import Line, TalkLines, line_features, ritual

pytestmark = pytest.mark.unit


def _f(text: str, before: str = "") -> dict[str, float]:
    return line_features(Line(text, before))


@pytest.mark.parametrize(
    "text",
    [
        "A good sauce is not about the butter but about the patience.",
        "The team ran faster than anyone expected, yet they lost by a point.",
        "We paid for the view instead of the room.",
    ],
)
def test_contrast_is_found_in_any_topic(text: str) -> None:
    assert _f(text)["contrast"] == 1.0


def test_plain_statements_have_no_contrast() -> None:
    assert _f("The bakery opens at six on weekdays.")["contrast"] == 0.0


@pytest.mark.parametrize(
    ("text", "before"),
    [
        ("The more you knead the dough, the more the dough fights back.", ""),
        ("We train in the rain and we train in the snow.", ""),
        ("We will rebuild the old bridge.", "We will reopen every school."),
    ],
)
def test_parallel_structure(text: str, before: str) -> None:
    assert _f(text, before)["parallel"] == 1.0


def test_no_parallel_structure_in_a_plain_line() -> None:
    assert _f("The train to Porto leaves from platform four.")["parallel"] == 0.0


def test_reported_speech_occasion_and_address() -> None:
    told = _f('My coach told me, "Run the last mile first."')
    assert told["reported"] == 1.0
    assert _f("The glacier melted by a tenth.")["reported"] == 0.0
    assert _f("Is it just me, or is it hot in here tonight?")["occasion"] == 1.0
    assert _f("The harvest came late in the valley.")["occasion"] == 0.0
    assert _f("You will burn the rice if you stir it.")["address"] > 0.5
    assert _f("The rice burns when stirred.")["address"] == 0.0


def test_general_statements_and_the_turn_after_a_long_line() -> None:
    assert _f("Nobody ever reads the manual.")["general"] == 1.0
    long_line = (
        "We spent three weeks mapping every trail in the park, measuring each slope "
        "and marking each spring on the map for the rangers."
    )
    turn = _f("Then it snowed.", long_line)
    assert turn["turn"] == 1.0 and turn["short"] == 1.0
    assert _f("Then it snowed.", "It was cold.")["turn"] == 0.0


@pytest.mark.parametrize(
    ("text", "feature"),
    [
        ("I have to admit, I burned the first loaf.", "aside"),
        ("Believe me, the tide comes in faster than it looks.", "aside"),
        ("We're gonna need a bigger tent, folks.", "informal"),
        ("I don't think the bridge was ever painted.", "negation"),
        ("Who plants an orchard for someone else's grandchildren?", "question"),
        ("My first boat leaked from the day I bought it.", "first_person"),
    ],
)
def test_each_line_feature_fires_on_its_own_kind_of_line(
    text: str, feature: str
) -> None:
    assert _f(text)[feature] > 0.0
    # The same content said plainly, in the third person, without the feature.
    assert _f("The bridge was painted green in the spring of 1990.")[feature] == 0.0


def test_specific_lines_measure_higher_than_everyday_ones() -> None:
    specific = _f("Basalt columns line the fjord near Trondheim.")["specific"]
    everyday = _f("It was a good day and we had a nice time.")["specific"]
    assert specific > everyday + 0.3


@pytest.mark.parametrize(
    "text",
    [
        "Thank you all so much for coming tonight.",
        "I want to thank the mayor and the whole city council.",
        "Good evening, ladies and gentlemen.",
        "Please be seated.",
        "We are joined by Anna Berg, Tomas Lind, Maria Sousa and Kenji Ito.",
        "It is an honor and a privilege to stand here.",
    ],
)
def test_greetings_thanks_and_lists_of_names_are_ritual(text: str) -> None:
    assert ritual(text) == 1.0
    assert _f(text)["ritual"] == 1.0


@pytest.mark.parametrize(
    "text",
    [
        "My grandmother ran a bakery in Lisbon for thirty years.",
        "The engine failed over the Atlantic, and the pilot glided to the Azores.",
        "Salt draws water out of the steak before it soaks back in.",
    ],
)
def test_stories_and_facts_are_not_ritual(text: str) -> None:
    assert ritual(text) == 0.0


def test_the_committed_model_matches_its_features_and_is_deterministic() -> None:
    model = phrasing.load_model()
    data = json.loads(Path(phrasing.MODEL_PATH).read_text())
    assert data["features"] == list(phrasing.LINE_FEATURES)
    assert set(model.weights) == set(phrasing.LINE_FEATURES)
    assert "parts dev and train" in model.trained_on
    feats = _f("I told the waiter the soup was cold, and he said so was the chef.")
    assert model.raw(feats) == model.raw(dict(feats))
    assert 0.0 < model.probability(feats) < 1.0
    assert len(model.digest()) == 12


def test_a_window_is_judged_against_the_rest_of_its_talk() -> None:
    plain = "The meeting began at nine. The agenda had four items. Minutes were read."
    aside = (
        "The meeting began at nine. Is there an echo in here, or did I just say that "
        "twice?"
    )
    talk = TalkLines()
    talk.weigh([(plain, ""), (aside, "")])
    assert talk.strongest(aside).peak >= talk.strongest(plain).peak
    # The best line at its end: the window ends soon after it.
    assert talk.strongest(aside).ends_soon == 1.0


def test_ritual_share_of_a_window() -> None:
    talk = TalkLines()
    opening = "Thank you very much. Please be seated. We have a full day ahead of us."
    talk.weigh([(opening, "")])
    assert 0.3 < talk.strongest(opening).ritual < 1.0


def test_the_committed_weights_are_what_the_script_learns_from_the_dev_part() -> None:
    from bench import fit_lines

    assert fit_lines.main(["--check"]) == 0


def test_new_weights_give_a_new_scorer_version() -> None:
    from reelmake.stages.scores.heuristic import HEURISTIC_VERSION

    model = phrasing.load_model()
    assert HEURISTIC_VERSION.endswith(model.digest())
    other = phrasing.LineModel(
        {**model.weights, "contrast": model.weights["contrast"] + 0.1},
        model.bias, model.mean, model.scale,
    )  # fmt: skip
    assert other.digest() != model.digest()
