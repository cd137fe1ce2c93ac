"""The kill soak in a reduced form: one kill point per signal, in different stages."""

from pathlib import Path

import pytest

from tests import soak
from tests.conftest import FAST_CLIPS, fast_clips, reelmake

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def reference(long_speech_video: Path, tmp_path_factory: pytest.TempPathFactory):
    work = fast_clips(tmp_path_factory.mktemp("soak-ref"))
    run = reelmake("run", long_speech_video, cwd=work)
    assert run.returncode == 0, run.stderr
    return soak.snapshot(work / "results")


@pytest.mark.parametrize(
    ("rule", "sig"),
    [
        ("transcribe_audio", "kill -9"),
        ("render_clip", "SIGTERM"),
        ("score_segments", "Ctrl-C"),
    ],
)
def test_killed_run_resumes_to_the_same_results(
    long_speech_video: Path, reference, rule: str, sig: str
) -> None:
    point = soak.run_point(long_speech_video, rule, sig, reference, FAST_CLIPS)
    assert point.killed
    assert point.repeated == ()
    assert point.equal
