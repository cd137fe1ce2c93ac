"""Configuration: validated against the JSON schema, defaults filled in from it."""

from __future__ import annotations

import copy
import functools
import math
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reelmake.core.errors import ReelmakeError

# libyaml's loader when PyYAML has it: ten times faster on the schema, which every
# job reads.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _with_defaults(validator_class: Any) -> Any:
    import jsonschema

    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(
        validator: Any, properties: Mapping[str, Any], instance: Any, schema: Any
    ) -> Iterator[Any]:
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub:
                    instance.setdefault(name, _copy(sub["default"]))
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


def _copy(value: Any) -> Any:
    return copy.deepcopy(value)


@functools.cache
def _validator() -> Any:
    """The schema's validator that fills defaults in (jsonschema is imported only
    when a config is validated: every job reads defaults, few validate)."""
    import jsonschema

    return _with_defaults(jsonschema.Draft202012Validator)


def workflow_dir() -> Path:
    """The workflow's files: the repository's root in a clone; an installed package
    carries a copy under ``reelmake/workflow/``."""
    here = Path(__file__).resolve().parents[1]  # the package: reelmake/
    for candidate in (here.parents[1], here / "workflow"):
        if (candidate / "Snakefile").is_file() and (candidate / "rules").is_dir():
            return candidate
    raise ReelmakeError(
        f"{here}: the workflow files (Snakefile, rules/) are not installed"
    )


def schema_path() -> Path:
    return workflow_dir() / "config" / "schemas" / "config.schema.yaml"


@functools.cache
def _defaults() -> dict[str, Any]:
    filled: dict[str, Any] = {}
    _fill(load_schema(schema_path()), filled)
    return filled


def _fill(schema: Mapping[str, Any], instance: dict[str, Any]) -> None:
    """Every default of ``schema`` set in ``instance`` where it has no value, nested
    objects' too (what validating with the defaults-filling validator does to a
    config, without it)."""
    for name, sub in schema.get("properties", {}).items():
        if "default" in sub:
            instance.setdefault(name, _copy(sub["default"]))
        if isinstance(instance.get(name), dict):
            _fill(sub, instance[name])


def defaults(*section: str) -> dict[str, Any]:
    """The schema's defaults of one section (``defaults("score", "openai")``): the
    one place a default is written; the option classes take theirs from here."""
    out: Any = _defaults()
    for key in section:
        out = out[key]
    return dict(_copy(out))


def load_schema(path: str | os.PathLike[str]) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        schema: dict[str, Any] = yaml.load(fh, Loader=_LOADER)  # noqa: S506
    return schema


# Config sections that took their stage's name: the old name still works, once
# renamed here (and a line says so).
FORMER_SECTIONS = {
    "transcribe": "transcript",
    "segment": "segments",
    "score": "scores",
    "select": "highlights",
}


def migrate(config: dict[str, Any], source: str = "config") -> list[str]:
    """Rename the sections of an older config in place (its values win over what
    the new section holds); one line per renamed section."""
    lines = []
    for old, new in FORMER_SECTIONS.items():
        if old not in config:
            continue
        value = config.pop(old)
        current = config.get(new)
        if isinstance(value, dict) and isinstance(current, dict):
            value = deep_update(current, value)
        config[new] = value
        lines.append(f"{source}: section {old!r} is now called {new!r}; rename it")
    return lines


def deep_update(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``extra`` merged in, nested mappings key by key."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_update(out[key], value)
        else:
            out[key] = value
    return out


def validate(
    config: dict[str, Any], schema: dict[str, Any], source: str = "config"
) -> dict[str, Any]:
    """Fill defaults into ``config`` in place; raise one line for the first error."""
    # A NaN passes every bound of the schema (all comparisons with it are false).
    for where, value in _not_finite(config):
        raise ReelmakeError(
            f"{source}: {where}: {value} is not a number; "
            f"give {_allowed(schema, where)}"
        )
    found = _validator()(schema).iter_errors(config)
    errors = sorted(found, key=lambda e: list(e.path))
    if errors:
        error = errors[0]
        where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        raise ReelmakeError(f"{source}: {where}: {error.message}")
    _check_order(config, source)
    return config


# Settings whose first value may not exceed the second when both are given: the
# other way round no clip can satisfy both, and a run would end with none.
ORDERED = (
    ("segments", "min_seconds", "max_seconds"),
    ("highlights", "min_seconds", "max_seconds"),
)


def _not_finite(value: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """Every NaN or infinite number in a config, by its dotted key."""
    if isinstance(value, float) and not math.isfinite(value):
        yield where or "(top level)", yaml.safe_dump(value).split("\n")[0]
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _not_finite(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _not_finite(item, f"{where}.{i}")


def _allowed(schema: Mapping[str, Any], where: str) -> str:
    """What a key takes, from its schema: "a number from 0 to 10"."""
    node: Any = schema
    for key in where.split("."):
        node = (
            (node.get("properties") or {}).get(key) if isinstance(node, dict) else None
        )
    if not isinstance(node, dict):
        return "a finite number"
    low = node.get("minimum", node.get("exclusiveMinimum"))
    high = node.get("maximum", node.get("exclusiveMaximum"))
    if low is not None and high is not None:
        return f"a number from {low} to {high}"
    if low is not None:
        return (
            f"a number above {low}"
            if "exclusiveMinimum" in node
            else (f"a number of at least {low}")
        )
    return "a finite number" + (" or null" if "null" in node.get("type", ()) else "")


def _check_order(config: Mapping[str, Any], source: str) -> None:
    for section, low, high in ORDERED:
        values = config.get(section)
        if not isinstance(values, Mapping):
            continue
        a, b = values.get(low), values.get(high)
        if isinstance(a, int | float) and isinstance(b, int | float) and a > b:
            raise ReelmakeError(
                f"{source}: {section}.{low} ({a:g}) is above {section}.{high} "
                f"({b:g}): no clip can be both; lower {low} or raise {high}"
            )


def load(path: Path) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
    except yaml.YAMLError as exc:
        raise ReelmakeError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ReelmakeError(f"{path}: must be a mapping of keys to values")
    return data


@dataclass(frozen=True)
class RunSettings:
    """The ``run`` section: how one run gets its results, never what they are."""

    rescore: bool
    shared_cache: str | None
    model_cache: str | None
    summary: bool

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> RunSettings:
        return cls(**{**defaults("run"), **config.get("run", {})})


@dataclass(frozen=True)
class UserConfig:
    """The configuration of a run: the user's files (in the order they apply), the
    merged settings (checked, defaults filled in) and a line per renamed section."""

    files: list[Path]
    settings: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def load_user(workdir: Path, explicit: str | os.PathLike[str] | None) -> UserConfig:
    """The workflow's defaults with the user's config on top, checked before any
    work: an explicit file, else ``./config.yaml`` in ``workdir`` if there is one."""
    if explicit:
        paths = [Path(explicit).resolve()]
    else:
        own = workdir / "config.yaml"
        paths = [own] if own.is_file() else []
    schema = load_schema(schema_path())
    merged = load(workflow_dir() / "config" / "config.yaml")
    used, notes = [], []
    for path in paths:
        if not path.is_file():
            raise ReelmakeError(f"{path}: config file not found")
        user = load(path)
        if not user:  # an empty file (or only comments) changes nothing
            continue
        notes += migrate(user, str(path))
        validate(copy.deepcopy(user), schema, source=str(path))
        merged = deep_update(merged, user)
        used.append(path)
    validate(merged, schema, source="configuration")
    return UserConfig(used, merged, notes)
