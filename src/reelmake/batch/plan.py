"""Planning a batch: which stages of each video will run, and why, before anything
runs; what ``--no-cache`` forces; the config file that names a run's videos."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from reelmake.batch.process import snakemake_command
from reelmake.pipeline import discovery, registry


@dataclass
class BatchPlan:
    """What a run will do, per video, before it starts."""

    videos: list[discovery.Video]
    states: dict[str, dict[str, Any]]
    # The rules forced to run again: None when the cache is used, [] for all.
    forced: list[str] | None
    # Per video, each stage's plan (see :func:`stage_status`).
    plans: dict[str, dict[str, dict[str, str]]]
    # False when a cached stage was not checked for changed settings (--brief).
    checked: bool = True


def forced_rules(
    no_cache: Sequence[str] | None, rescore: bool = False
) -> list[str] | None:
    """The rules ``--no-cache`` names (None: the cache is used; []: every rule);
    a re-score adds scoring, which a bare ``--no-cache`` already has."""
    if rescore and no_cache is None:
        no_cache = ["scores"]
    elif rescore and no_cache:
        no_cache = [*no_cache, "scores"]
    if no_cache is None:
        return None
    # Every rule of the stage: its first (a checkpoint, say) may make the same file
    # again, and then what follows it would not run.
    return list(
        dict.fromkeys(rule for name in no_cache for rule in registry.stage(name).rules)
    )


def overlay(
    results: Path,
    paths: Sequence[Path],
    hashes: Sequence[str] | None = None,
    run: dict[str, Any] | None = None,
) -> Path:
    """A config file naming exactly these videos, for one Snakemake call; with
    ``hashes`` (one per path, as registered now), Snakemake does not hash them again;
    ``run``: the run's own settings (the ``run`` section of the config)."""
    target = results / discovery.STATE_DIR / f"run-{os.getpid()}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    pinned = dict(zip(map(str, paths), hashes, strict=True)) if hashes else {}
    data: dict[str, Any] = {"videos": [str(p) for p in paths], "video_hashes": pinned}
    if run:
        data["run"] = run
    target.write_text(yaml.safe_dump(data))
    return target


def snakemake_plan(
    workdir: Path,
    results: Path,
    hashes: Sequence[str],
    configs: Sequence[Path],
) -> dict[str, str]:
    """Why Snakemake would re-run each output file ('' when it would not);
    ``configs``: the user's config files."""
    links = [discovery.source_link(results, h) for h in hashes]
    videos = [Path(os.path.realpath(link)) for link in links if link and link.exists()]
    if not videos:
        return {}
    extra = overlay(results, videos)
    try:
        args = ["--summary", "--quiet", "all", "--configfile"]
        args += [str(p) for p in configs] + [str(extra)]
        out = subprocess.run(
            snakemake_command(workdir, args),
            capture_output=True,
            text=True,
            check=False,
        ).stdout
    finally:
        extra.unlink(missing_ok=True)
    plan = {}
    for line in out.splitlines()[1:]:
        cols = line.split("\t")
        if len(cols) >= 6 and cols[5] == "update pending":
            plan[cols[0]] = cols[4] if cols[4] not in ("ok", "-") else "upstream"
        elif len(cols) >= 6:
            plan[cols[0]] = ""
    return plan


def stage_status(
    state: dict[str, Any], plan: dict[str, str], results: Path
) -> dict[str, dict[str, str]]:
    """done, pending or stale (with the reason) for every stage of one video."""
    folder = results / state["video_hash"]
    clips = registry.clip_names(folder) or []
    out: dict[str, dict[str, str]] = {}
    upstream_stale = False
    for s in registry.LISTED:
        block = state[s.key]
        reasons = {
            plan.get(os.path.relpath(p, results.parent), "")
            for p in registry.results_of(s, folder, clips).values()
        } - {""}
        if not block["completed"]:
            out[s.name] = {
                "status": "pending",
                "reason": block.get("error", "not run yet"),
            }
        elif reasons or upstream_stale:
            named = sorted(r for r in reasons if r != "upstream")
            if named:
                reason = ", ".join(named)
            elif upstream_stale:
                reason = "an earlier stage will run again"
            else:
                reason = "input or code changed"
            out[s.name] = {"status": "stale", "reason": reason}
        else:
            out[s.name] = {"status": "done", "reason": ""}
        upstream_stale = upstream_stale or out[s.name]["status"] != "done"
    return out


def asks_model(settings: dict[str, Any], until: str | None) -> bool:
    """Whether the run reaches a scoring that asks the language model."""
    if settings["scores"]["backend"] != "openai":
        return False
    if until is None:
        return True
    order = registry.LISTED
    return order.index(registry.stage(until, listed=True)) >= order.index(
        registry.stage("scores")
    )
