"""Settings the schema's bounds cannot catch: a NaN (every comparison with it is
false) and lengths that contradict each other, each refused in one line before any
work."""

from pathlib import Path

import pytest

from reelmake.batch.run import check_lengths
from reelmake.core import config
from reelmake.core.errors import ReelmakeError

pytestmark = pytest.mark.unit


def _load(folder: Path, text: str) -> config.UserConfig:
    (folder / "config.yaml").write_text(text)
    return config.load_user(folder, None)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("highlights:\n  threshold: .nan\n",
         "highlights.threshold: .nan is not a number; give a number from 0 to 10"),
        ("segments:\n  max_seconds: .inf\n",
         "segments.max_seconds: .inf is not a number; give a number above 0"),
        ("segments:\n  min_seconds: 50\n  max_seconds: 20\n",
         "segments.min_seconds (50) is above segments.max_seconds (20)"),
        ("highlights:\n  min_seconds: 40\n  max_seconds: 30\n",
         "highlights.min_seconds (40) is above highlights.max_seconds (30)"),
        ("highlights:\n  min_seconds: -1\n", "highlights.min_seconds: -1"),
    ],
)  # fmt: skip
def test_nan_and_contradictory_settings_are_refused(
    tmp_path: Path, text: str, says: str
) -> None:
    with pytest.raises(ReelmakeError) as refused:
        _load(tmp_path, text)
    message = str(refused.value)
    assert message.startswith(f"{tmp_path / 'config.yaml'}: ")
    assert says in message and "\n" not in message


@pytest.mark.parametrize(
    ("text", "says"),
    [
        # The preset's band is 15-60 s: a shortest candidate of 70 s leaves none.
        ("segments:\n  min_seconds: 70\n", "segments.min_seconds (70) is above the "
         "longest candidate (60 s, preset shorts)"),
        ("highlights:\n  min_seconds: 90\n", "highlights.min_seconds (90) is above "
         "the longest candidate (60 s, preset shorts)"),
        ("segments:\n  preset: long\nhighlights:\n  max_seconds: 30\n",
         "highlights.max_seconds (30) is below the shortest candidate (90 s, preset "
         "long)"),
    ],
)  # fmt: skip
def test_lengths_that_leave_no_clip_are_refused_once_the_preset_fills_in(
    tmp_path: Path, text: str, says: str
) -> None:
    settings = _load(tmp_path, text).settings
    with pytest.raises(ReelmakeError, match="^configuration: ") as refused:
        check_lengths(settings)
    assert says in str(refused.value)


def test_sound_lengths_pass(tmp_path: Path) -> None:
    settings = _load(
        tmp_path, "segments:\n  min_seconds: 3\n  max_seconds: 12\n"
        "highlights:\n  threshold: 0\n  min_seconds: 4\n"
    ).settings  # fmt: skip
    check_lengths(settings)
