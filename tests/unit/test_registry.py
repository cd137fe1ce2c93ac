"""The registry holds each stage's whole contract, and the contract is whole: every
input names an output another step writes, every output is read by a later step or
is a result, every step's function takes exactly what its rule hands it, and one name
per stage is its folder, its module, its config section and its stage-state block."""

from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path

import pytest

from reelmake.core import config
from reelmake.pipeline import registry
from reelmake.pipeline.contract import (
    Each,
    Pattern,
    Ref,
    Results,
    Source,
    Step,
    When,
    resolve,
)

pytestmark = pytest.mark.unit

WORKFLOW = config.workflow_dir()
CLIPS = ["00001000-00020000-0a1b2c3d", "00030000-00045000-0f0e0d0c"]
CHUNKS = ["000", "001"]


def _refs(step: Step) -> list[Ref | Each | Pattern]:
    found: list[Ref | Each | Pattern] = []
    for kind in [*step.inputs.values(), *step.patterns.values()]:
        if isinstance(kind, When):
            found.append(kind.of)
        elif isinstance(kind, Ref | Each | Pattern):
            found.append(kind)
    return found


def _all_paths(folder: Path) -> dict[str, list[Path]]:
    """Each stage's every file for two clips and two chunks, from the registry."""
    out = {}
    for s in registry.REGISTRY:
        paths = []
        for rel in [o.path for o in s.outputs.values()] + list(s.side.values()):
            for clip in CLIPS if "{clip}" in rel else [None]:
                for chunk in CHUNKS if "{chunk}" in rel else [None]:
                    paths.append(folder / rel.format(clip=clip, chunk=chunk))
        out[s.name] = paths
    return out


def test_every_input_names_an_output_of_an_earlier_step() -> None:
    seen: set[tuple[str, str]] = set()
    for step in registry.steps():
        for ref in _refs(step):
            stage = registry.stage(ref.stage)
            assert ref.key in {*stage.outputs, *stage.side}, (step.rule, ref)
            path = stage.path_of(ref.key)
            if isinstance(ref, Each):
                # Each item's file, listed by a checkpoint.
                item = "clip" if "{clip}" in path else "chunk"
                assert f"{{{item}}}" in path, (step.rule, ref)
                assert any(s.lists == item for s in registry.steps())
            elif isinstance(ref, Ref) and ("{clip}" in path or "{chunk}" in path):
                # A per-item file is read by a step that runs once per item.
                assert step.per and f"{{{step.per}}}" in path, (step.rule, ref)
            if not isinstance(ref, Pattern):
                # Written before it is read: the pipeline runs in registry order.
                assert (ref.stage, ref.key) in seen or ref.key in stage.side, (
                    step.rule,
                    ref,
                )
        seen |= {(registry.stage_of_rule(step.rule).name, k) for k in step.outputs}  # type: ignore[union-attr]


def test_every_output_is_read_or_is_a_result() -> None:
    read = {(r.stage, r.key) for step in registry.steps() for r in _refs(step)}
    for s in registry.REGISTRY:
        for key, out in s.outputs.items():
            assert not out.part or (s.name, key) in read, f"{s.name}.{key}"


def test_every_step_function_takes_exactly_what_its_rule_hands_it() -> None:
    for step in registry.steps():
        function = resolve(step.function)
        given = {*step.inputs, *step.outputs, *step.patterns, *step.side}
        given |= {*step.wildcards, *step.run}
        if step.options:
            given.add("options")
        params = inspect.signature(function).parameters
        required = {
            n for n, p in params.items() if p.default is inspect.Parameter.empty
        }
        assert given <= set(params), (step.rule, given - set(params))
        assert required <= given, (step.rule, required - given)


def test_every_reference_resolves() -> None:
    sections = {s.config for s in registry.REGISTRY if s.config}
    for s in registry.REGISTRY:
        if s.summary:
            assert callable(resolve(s.summary))
        for step in s.steps:
            if step.options:
                # A stage's own section (the metadata's copy reads the scorer's).
                section = resolve(step.options).section.split(".")[0]
                assert section == s.config or (not s.config and section in sections)
            if step.names:
                assert callable(resolve(step.names))
            for kind in step.inputs.values():
                if isinstance(kind, When):
                    assert callable(resolve(kind.test))


def test_one_name_per_stage() -> None:
    schema = config.load_schema(config.schema_path())["properties"]
    for s in registry.REGISTRY:
        # Its module (or, for the state, the pipeline's own).
        module = (
            "reelmake.pipeline.state"
            if s.name == "state"
            else f"reelmake.stages.{s.name}"
        )
        assert importlib.util.find_spec(module), module
        # Its config section, when it has settings.
        assert s.config in (None, s.name), s.name
        if s.config:
            assert s.config in schema
        # Its results lie in its own folder.
        for rel in [o.path for o in s.outputs.values()] + list(s.side.values()):
            top = Path(rel).parts[0]
            assert top == s.name or len(Path(rel).parts) == 1 or (
                s.name == "metadata" and top == "ranked"
            ), f"{s.name}: {rel}"  # fmt: skip
        # Its logs and timings are named by its rules.
        for step in s.steps:
            assert f"/logs/{step.rule}" in step.log()
            assert f"/benchmarks/{step.rule}" in step.timing()
    # Every rule comes from the registry: no rule file besides the shared set-up.
    assert {p.name for p in (WORKFLOW / "rules").iterdir()} == {"common.smk"}
    rules = [step.rule for step in registry.steps()]
    assert len(rules) == len(set(rules))


def test_no_file_belongs_to_two_stages(tmp_path: Path) -> None:
    folder = tmp_path / "0123456789abcdef"
    seen: dict[Path, str] = {}
    for name, paths in _all_paths(folder).items():
        for path in paths:
            assert path.is_relative_to(folder)
            assert path not in seen, f"{path} of {name} and {seen.get(path)}"
            seen[path] = name
    clips = [p for p in _all_paths(folder)["clips"] if p.suffix == ".mp4"]
    assert sorted(p.stem for p in clips) == CLIPS


def test_rule_all_asks_for_every_result_and_no_part(tmp_path: Path) -> None:
    folder = tmp_path / "0123456789abcdef"
    final = set(registry.final_outputs(folder, CLIPS))
    for s in registry.REGISTRY:
        assert set(registry.results_of(s, folder, CLIPS).values()) <= final
    assert folder / f"framing/spans/{CLIPS[0]}.json" not in final
    assert folder / "transcript/chunks/plan.json" not in final
    assert folder / registry.STATE_FILE in final
    assert folder / "report.html" in final


def test_the_state_takes_every_listed_result() -> None:
    state = registry.stage("state").steps[0]
    assert any(isinstance(k, Results) for k in state.inputs.values())
    assert [s.name for s in registry.LISTED] == [
        "ingest", "audio", "transcript", "segments", "scores", "highlights",
        "clips", "metadata",
    ]  # fmt: skip
    # The design notes' keys for the stages they name.
    assert {s.key for s in registry.LISTED} >= {
        "audio_extraction", "transcription", "segmentation", "ai_scoring",
    }  # fmt: skip
    # The source is read through its stable link, never as a pattern.
    sources = [
        step.rule
        for step in registry.steps()
        if any(isinstance(k, Source) for k in step.inputs.values())
    ]
    assert "ingest_video" in sources


def _upstream_per_clip(rule: str) -> set[str]:
    """The per-clip steps a per-clip step waits for, however far back."""
    found: set[str] = set()
    todo = [registry.step(rule)]
    while todo:
        for ref in _refs(todo.pop()):
            producer = next(st for st in registry.stage(ref.stage).steps
                            if ref.key in {*st.outputs, *st.side})  # fmt: skip
            if producer.per == "clip" and producer.rule not in found:
                found.add(producer.rule)
                todo.append(producer)
    return found


def _default_threads(step: Step) -> int:
    if isinstance(step.threads, int):
        return step.threads
    section, key = step.threads.split(".")
    return int(config.defaults(section)[key])


def test_what_a_render_waits_for_runs_before_any_render() -> None:
    """A clip's tracking and plan go before every render and claim no more cores
    than a render frees, so no clip's short jobs wait behind the renders."""
    render = registry.step("render_clip")
    before = _upstream_per_clip("render_clip")
    assert before == {"track_subjects", "plan_clip"}
    for rule in before:
        step = registry.step(rule)
        assert step.priority > render.priority, rule
        assert _default_threads(step) <= _default_threads(render), rule
