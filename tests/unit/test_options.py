"""Every options type is held against the config schema: each key of a stage's
section is a field of one of its options types (or folded into one), each field is a
key (or built from keys), and each default is the schema's."""

from __future__ import annotations

from dataclasses import MISSING, fields

import pytest

from reelmake.core import config
from reelmake.core.options import Options
from reelmake.pipeline import registry
from reelmake.pipeline.contract import resolve

pytestmark = pytest.mark.unit


def _options_types() -> list[type[Options]]:
    found = {resolve(step.options) for step in registry.steps() if step.options}
    return sorted(found, key=lambda t: t.__name__)


def _section(name: str) -> dict:
    schema = config.load_schema(config.schema_path())
    node = schema
    for key in name.split("."):
        node = node["properties"][key]
    return node["properties"]


def test_every_field_is_a_key_with_the_schemas_default() -> None:
    types = _options_types()
    assert len(types) >= 8
    for kind in types:
        keys = _section(kind.section)
        defaults = config.defaults(*kind.section.split("."))
        for f in fields(kind):  # type: ignore[arg-type]
            if f.name in kind.computed:
                assert f.name not in keys, (kind.__name__, f.name)
                continue
            assert f.name in keys, (kind.__name__, f.name)
            if f.default is not MISSING and defaults.get(f.name) is not None:
                assert f.default == defaults[f.name], (kind.__name__, f.name)
        for name in kind.derived:
            assert name in keys, (kind.__name__, name)


def test_every_key_of_a_section_reaches_an_options_type() -> None:
    covered: dict[str, set[str]] = {}
    for kind in _options_types():
        names = {f.name for f in fields(kind)} | set(kind.derived)  # type: ignore[arg-type]
        covered.setdefault(kind.section, set()).update(names)
    for section, names in covered.items():
        assert set(_section(section)) <= names, (
            section,
            set(_section(section)) - names,
        )


def test_options_make_the_round_trip_through_params() -> None:
    settings = config.load_user(config.workflow_dir(), None).settings
    for kind in _options_types():
        made = kind.from_config(settings)
        again = kind.from_job(made.params(), settings, threads=3)
        for f in fields(kind):  # type: ignore[arg-type]
            if f.name == "threads":
                assert getattr(again, f.name) == 3
            else:
                assert getattr(again, f.name) == getattr(made, f.name), f.name
