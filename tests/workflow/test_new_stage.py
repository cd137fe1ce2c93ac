"""A new stage costs its module and its registry entry: in a copy of the workflow, a
pass-through stage between the selection and the metadata runs end to end, with no
rule file, adapter, schema or other module touched (only the steps that read the
selection now read the relay's copy)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reelmake.core import fileio
from tests.conftest import REPO, only_hash, results_of, rules_run

pytestmark = pytest.mark.workflow

MODULE = '''"""Relay: the selection, passed on as it is."""

import os
import shutil


def relay_highlights(
    highlights: str | os.PathLike[str], relayed: str | os.PathLike[str]
) -> None:
    shutil.copyfile(highlights, relayed)
'''

ENTRY = """    Stage(
        "relay",
        (
            Step(
                "relay_highlights",
                "relay:relay_highlights",
                "relaying the selection",
                inputs={"highlights": Ref("highlights", "highlights")},
                outputs={"relayed": Out("relay/highlights.json", part=True)},
                local=True,
            ),
        ),
    ),
"""


def _copy_with_a_new_stage(target: Path) -> None:
    for name in ("Snakefile", "rules", "scripts", "config", "profiles", "report",
                 "environment.yml", "src"):  # fmt: skip
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name,
                            ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
        else:
            shutil.copy2(source, target / name)
    stages = target / "src" / "reelmake" / "stages"
    (stages / "relay.py").write_text(MODULE)
    registry = target / "src" / "reelmake" / "pipeline" / "registry.py"
    text = registry.read_text()
    # Every later step that read the selection reads the relay's copy of it; the
    # entry goes after the selection.
    framing = '    Stage(\n        "framing",'
    head, tail = text.split(framing)
    readers = tail.count('Ref("highlights", "highlights")')
    assert readers >= 3
    tail = tail.replace('Ref("highlights", "highlights")', 'Ref("relay", "relayed")')
    text = head + ENTRY + framing + tail
    registry.write_text(text)


def test_a_pass_through_stage_needs_only_its_module_and_entry(
    tmp_path: Path, speech_video: Path
) -> None:
    copy = tmp_path / "copy"
    work = tmp_path / "work"
    copy.mkdir()
    work.mkdir()
    _copy_with_a_new_stage(copy)
    env = {**os.environ, "PYTHONPATH": str(copy / "src"), "HF_HUB_OFFLINE": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "reelmake.cli", "run", "--verbose", str(speech_video)],
        cwd=work, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-3000:]
    # The copy ran (the workflow itself has no relay), its new rule in its place.
    ran = rules_run(log)
    assert ran.index("select_highlights") < ran.index("relay_highlights")
    for reader in ("write_metadata", "export_timeline", "report_video"):
        assert ran.index("relay_highlights") < ran.index(reader), reader
    folder = results_of(work) / only_hash(work)
    relayed = fileio.read_json(folder / "relay" / "highlights.json")
    assert relayed == fileio.read_json(folder / "highlights" / "highlights.json")
