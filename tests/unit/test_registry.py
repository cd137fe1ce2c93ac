"""Every path of every stage comes from the stage registry alone: one name per stage
for its rule file, its folder, its module and its stage-state key."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from reelmake.core import config
from reelmake.pipeline import registry as stages

pytestmark = pytest.mark.unit

WORKFLOW = config.workflow_dir()
CLIPS = ["00001000-00020000-0a1b2c3d", "00030000-00045000-0f0e0d0c"]
CHUNKS = ["000", "001"]


def _all_paths(folder: Path) -> dict[str, list[Path]]:
    """Each stage's every file for two clips and two chunks, from the registry."""
    out = {}
    for s in stages.REGISTRY:
        files = s.paths(folder, CLIPS)
        for key, rel in {**s.parts, **s.side}.items():
            if "*" in rel:
                continue
            for clip in CLIPS if "{clip}" in rel else [None]:
                for chunk in CHUNKS if "{chunk}" in rel else [None]:
                    name = rel.replace("{clip}", clip or "").replace(
                        "{chunk}", chunk or ""
                    )
                    files[f"{key}:{clip or chunk or ''}"] = folder / name
        out[s.name] = list(files.values())
    return out


def test_every_stage_has_one_name_everywhere() -> None:
    rules_text = {p.stem: p.read_text() for p in (WORKFLOW / "rules").glob("*.smk")}
    for s in stages.REGISTRY:
        # Its rule file defines its rules.
        assert s.name in rules_text, f"rules/{s.name}.smk"
        for rule in s.rules:
            assert re.search(rf"^(rule|checkpoint) {rule}:", rules_text[s.name], re.M)
        # Its package module (a module or a subpackage); the stage state is the
        # registry's own.
        module = "pipeline.registry" if s.name == "state" else f"stages.{s.name}"
        assert importlib.util.find_spec(f"reelmake.{module}"), module
        # Its results lie in its own folder.
        for rel in [*s.files.values(), *s.parts.values(), *s.side.values()]:
            top = Path(rel).parts[0]
            assert top == s.name or len(Path(rel).parts) == 1 or (
                s.name == "metadata" and top == "ranked"
            ), f"{s.name}: {rel}"  # fmt: skip
    # The Snakefile includes a rule file per stage: none may lie outside the registry.
    assert set(rules_text) - {"common"} == {s.name for s in stages.REGISTRY}


def test_no_file_belongs_to_two_stages(tmp_path: Path) -> None:
    folder = tmp_path / "0123456789abcdef"
    seen: dict[Path, str] = {}
    for name, paths in _all_paths(folder).items():
        for path in paths:
            assert path.is_relative_to(folder)
            assert path not in seen, f"{path} of {name} and {seen.get(path)}"
            seen[path] = name
    # Per-clip and per-chunk files really are one per clip and chunk.
    clips = [p for p in _all_paths(folder)["clips"] if p.suffix == ".mp4"]
    assert sorted(p.stem for p in clips) == CLIPS
    chunks = [p for p in _all_paths(folder)["transcript"] if "chunks" in p.parts]
    assert {p.name for p in chunks} == {"000.json", "001.json", "plan.json"}


def test_rule_all_asks_for_every_result_and_no_part(tmp_path: Path) -> None:
    folder = tmp_path / "0123456789abcdef"
    final = set(stages.final_outputs(folder, CLIPS))
    for s in stages.REGISTRY:
        assert set(s.paths(folder, CLIPS).values()) <= final
    assert folder / "framing/subjects.json" not in final
    assert folder / "transcript/chunks/plan.json" not in final
    assert folder / stages.STATE_FILE in final
    assert folder / "report.html" in final


def test_rules_name_no_path_the_registry_does_not_give() -> None:
    """Outputs come from the registry (stage_path) and inputs from the rules that
    make them; only logs and benchmarks are spelled out in the rule files."""
    for path in (WORKFLOW / "rules").glob("*.smk"):
        code = path.read_text().split('"""', 2)[-1]  # past the docstring
        for literal in re.findall(r'"(results/[^"\s:;]*)"', code):
            assert re.match(r"results/(\{video_hash\}|\.reelmake)/(logs|benchmarks)/",
                            literal), f"{path.name}: {literal}"  # fmt: skip
