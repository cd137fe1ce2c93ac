"""The contract of a stage: what it reads, what it writes, how it runs.

A :class:`Stage` is a folder of results under ``results/<video_hash>/`` made by one or
more :class:`Step` s, each a Snakemake rule that calls one package function. Every
rule is generated from its step (``Snakefile``), and one adapter
(``scripts/run_step.py``) calls every step's function with the rule's named inputs,
outputs and options, so a new stage costs its module and its entry in
:mod:`reelmake.pipeline.registry`, nothing else.

Nothing here imports a stage module: functions, options types and summaries are named
``"module:attribute"`` (a module under ``reelmake.stages``) and imported only when
used, so reading the registry (every parse of the Snakefile) stays cheap.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Config = Mapping[str, Any]


def resolve(ref: str) -> Any:
    """The object a ``"module:attribute"`` reference names: ``"clips:cut_clip"`` is
    ``reelmake.stages.clips.cut_clip``; a module named in full (``reelmake.pipeline.
    state``) is taken as it is."""
    module, _, name = ref.partition(":")
    if not module.startswith("reelmake."):
        module = f"reelmake.stages.{module}"
    return getattr(importlib.import_module(module), name)


# -- inputs -------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """The stable link to the original video (``results/<hash>/source.<ext>``); its
    renames and touches do not count as changes."""


@dataclass(frozen=True)
class Ref:
    """A file another step writes: ``Ref("transcript", "transcript")``. In a step that
    runs once per clip (or chunk), a per-clip file is that clip's."""

    stage: str
    key: str


@dataclass(frozen=True)
class Each:
    """The per-item file ``key`` of every item (every clip of the selection, every
    chunk of the plan): known only once the step that lists them has run."""

    stage: str
    key: str


@dataclass(frozen=True)
class When:
    """An input only some settings need: ``test(config)`` says whether."""

    test: str  # "module:function" taking the config
    of: Ref

    def needed(self, config: Config) -> bool:
        return bool(resolve(self.test)(config))


@dataclass(frozen=True)
class UserFile:
    """A file a person keeps in the video's folder (``decisions.yaml``), read when
    it is there: its appearing, changing or going re-runs the step."""

    name: str


@dataclass(frozen=True)
class Pattern:
    """Where another step's per-clip file lies, ``{clip}`` left open: a path to name
    or to read when it is there, not something to wait for (passed as a param)."""

    stage: str
    key: str


@dataclass(frozen=True)
class Timings:
    """Where every step's timing files lie (by rule, ``*`` for an item), for a
    step that reports them: a param, like a :class:`Pattern`."""


@dataclass(frozen=True)
class Results:
    """Every result of every stage the stage state lists (the state's input)."""


Input = Source | Ref | Each | When | UserFile | Results


# -- outputs ------------------------------------------------------------------------


@dataclass(frozen=True)
class Out:
    """A file a step writes, relative to the video's folder (``{clip}`` or
    ``{chunk}`` for a per-item file). A ``part`` is not a result of the stage: a
    helper's output that later steps ask for when they need it. ``report``: the
    category it is listed under in Snakemake's own report. ``kept``: a per-clip
    file that stays when its clip leaves the selection, since it depends on the
    clip's span alone (a clip that comes back reuses it)."""

    path: str
    part: bool = False
    kept: bool = False
    report: str | None = None
    caption: str = "summary"


# -- steps and stages -----------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One rule.

    ``function``: the package function it runs, called with every input, output,
    side path and pattern by name, ``options`` (an instance of ``options``, built
    from the config), and ``threads``, the named ``wildcards`` and the named ``run``
    settings when it lists them. ``per``: ``clip`` or ``chunk`` for a rule that runs
    once per item; ``lists``: the item a checkpoint lists (its output names them,
    read by ``names``). ``versions``: params naming the version of code whose
    results change when it does (a new offline scorer re-scores), by reference.
    ``threads`` and resource values may be a number or a config key
    (``"transcript.threads"``). ``shared``: its outputs may come from Snakemake's
    between-workflow cache (``--cache``). ``doing``: what the video is doing while
    it runs, in words. ``priority``: Snakemake's, among the jobs ready to run (the
    higher first).
    """

    rule: str
    function: str
    doing: str
    inputs: Mapping[str, Input] = field(default_factory=dict)
    outputs: Mapping[str, Out] = field(default_factory=dict)
    options: str | None = None
    per: str | None = None
    lists: str | None = None
    names: str | None = None
    wildcards: tuple[str, ...] = ()
    run: tuple[str, ...] = ()
    patterns: Mapping[str, Pattern | Timings] = field(default_factory=dict)
    side: Mapping[str, str] = field(default_factory=dict)
    versions: Mapping[str, str] = field(default_factory=dict)
    threads: int | str = 1
    fill_cores: bool = False
    resources: Mapping[str, int | str] = field(default_factory=dict)
    local: bool = False
    shared: bool = False
    priority: int = 0

    def log(self, results: str = "results") -> str:
        """Its log file's pattern."""
        item = f"/{{{self.per}}}" if self.per else ""
        return f"{results}/{{video_hash}}/logs/{self.rule}{item}.log"

    def timing(self, results: str = "results") -> str:
        """Its timing file's pattern, in the format of Snakemake's benchmark files:
        every job times itself (a job whose results may come from the
        between-workflow cache may not have a benchmark file)."""
        item = f"/{{{self.per}}}" if self.per else ""
        return f"{results}/{{video_hash}}/benchmarks/{self.rule}{item}.tsv"


Summary = Callable[[Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Stage:
    """One stage: its name is its folder under ``results/<hash>/``, its module under
    ``reelmake.stages`` and its config section (``config``, when it has settings).

    ``summary``: ``"module:function"`` summarising its results for the stage state,
    None for a stage the state does not list. ``state_key``: its key in
    ``stage_state.json`` when the design notes name it otherwise (``ai_scoring``).
    ``former``: the stage labels older results of it carry (still read as its own).
    ``side``: files it writes that no rule declares, by key (read by path).
    """

    name: str
    steps: tuple[Step, ...]
    summary: str | None = None
    state_key: str | None = None
    former: tuple[str, ...] = ()
    config: str | None = None

    @property
    def key(self) -> str:
        """Its key in the stage state."""
        return self.state_key or self.name

    @property
    def outputs(self) -> dict[str, Out]:
        return {k: o for step in self.steps for k, o in step.outputs.items()}

    @property
    def files(self) -> dict[str, str]:
        """Its results by key (not its parts)."""
        return {k: o.path for k, o in self.outputs.items() if not o.part}

    @property
    def side(self) -> dict[str, str]:
        return {k: p for step in self.steps for k, p in step.side.items()}

    @property
    def fixed(self) -> dict[str, str]:
        return {k: v for k, v in self.files.items() if "{" not in v}

    @property
    def per_clip(self) -> dict[str, str]:
        return {k: v for k, v in self.files.items() if "{clip}" in v}

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(step.rule for step in self.steps)

    @property
    def rule(self) -> str:
        """Its first rule: forcing it runs the whole stage again."""
        return self.steps[0].rule

    def path_of(self, key: str) -> str:
        """A file of the stage relative to the video's folder: a result, a part or a
        side file."""
        found = {k: o.path for k, o in self.outputs.items()} | self.side
        return found[key]
