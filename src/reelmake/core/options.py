"""The settings of a step: built from its config section, carried to its job as
Snakemake params (so that a changed value re-runs exactly the steps that use it), and
built again there.

Each stage's options type is a frozen dataclass that extends :class:`Options` and
names its ``section`` of the config; its defaults come from the config schema
(:func:`reelmake.core.config.defaults`), and a test holds its fields against the
schema's keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, fields
from typing import Any, ClassVar, Self


class Options:
    """A stage's settings. ``section``: its config section (``"transcript"``, or
    ``"transcript.chunk"`` for a nested one). ``runtime``: fields that do not change
    what a job makes (its threads, where answers are kept), so they are not params:
    the job takes them from its own threads and config. ``derived``: see below."""

    section: ClassVar[str]
    runtime: ClassVar[tuple[str, ...]] = ()
    # Keys of the section that are not fields: folded into others when the options
    # are built (a preset into its lengths).
    derived: ClassVar[tuple[str, ...]] = ()
    # Fields that are no key of the section: built from other keys.
    computed: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def settings(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        """The section's values (the whole config already has its defaults)."""
        values: Any = config
        for key in cls.section.split("."):
            values = values.get(key, {})
        return dict(values)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        values = cls.settings(config)
        names = [f.name for f in fields(cls) if f.name not in cls.runtime]  # type: ignore[arg-type]
        return cls(**{n: values[n] for n in names if n in values})

    def params(self) -> dict[str, Any]:
        """What the rule's params hold: the settings that shape the results."""
        return {"options": self.tracked()}

    def tracked(self) -> dict[str, Any]:
        data: dict[str, Any] = asdict(self)  # type: ignore[call-overload]
        return {k: v for k, v in data.items() if k not in self.runtime}

    @classmethod
    def from_job(
        cls, params: Mapping[str, Any], config: Mapping[str, Any], threads: int
    ) -> Self:
        """The options again, in the job: from its params, and its runtime fields
        from its threads and its config."""
        return cls(**params["options"], **cls.runtime_values(config, threads))

    @classmethod
    def runtime_values(cls, config: Mapping[str, Any], threads: int) -> dict[str, Any]:
        settings = cls.settings(config)
        return {
            name: threads if name == "threads" else settings[name]
            for name in cls.runtime
            if name == "threads" or name in settings
        }
