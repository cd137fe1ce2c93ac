"""Config sections carry their stage's names; configs written with the former names
still work, each renamed section in one line."""

from pathlib import Path

import pytest

from reelmake.core import config

pytestmark = pytest.mark.unit


def test_former_section_names_are_read_under_the_new_ones(tmp_path: Path) -> None:
    own = tmp_path / "config.yaml"
    own.write_text(
        "select:\n  threshold: 4.5\nscore:\n  backend: heuristic\n"
        "transcribe:\n  beam_size: 3\nsegment:\n  preset: medium\n"
    )
    user = config.load_user(tmp_path, None)
    s = user.settings
    assert (s["highlights"]["threshold"], s["transcript"]["beam_size"]) == (4.5, 3)
    assert s["segments"]["preset"] == "medium" and s["scores"]["backend"] == "heuristic"
    # Untouched keys keep their defaults.
    assert s["transcript"]["model"] == "tiny.en"
    assert not {"select", "score", "transcribe", "segment"} & set(s)
    assert user.notes == [
        f"{own}: section {old!r} is now called {new!r}; rename it"
        for old, new in (("transcribe", "transcript"), ("segment", "segments"),
                         ("score", "scores"), ("select", "highlights"))
    ]  # fmt: skip


def test_a_config_with_the_new_names_says_nothing(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("highlights:\n  threshold: 4.5\n")
    user = config.load_user(tmp_path, None)
    assert user.notes == [] and user.settings["highlights"]["threshold"] == 4.5
    assert user.files == [tmp_path / "config.yaml"]
