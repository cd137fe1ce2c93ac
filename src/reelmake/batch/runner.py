"""The runner: plans a batch, runs it through Snakemake, and says how it went.

It is the one module that starts Snakemake. Snakemake runs as a child process (its
command line, ``python -m snakemake``) so that profiles, ``--forcerun`` and every
other command-line feature apply unchanged; the package itself never imports it. The
CLI turns its options into a :class:`RunRequest`, prints what :func:`run_batch`
tells it, and prints the :class:`RunResult`.
"""

from __future__ import annotations

import copy
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

import yaml

from reelmake import cache
from reelmake.batch import display as console
from reelmake.batch import summary
from reelmake.core import config
from reelmake.core.errors import ReelmakeError
from reelmake.core.hashing import FileKey
from reelmake.pipeline import discovery
from reelmake.pipeline import registry as stages

if TYPE_CHECKING:
    from reelmake.stages.scores.common import LLMOptions
    from reelmake.stages.segments import SegmentOptions

# Snakemake's own variable for its between-workflow cache folder.
SHARED_CACHE_ENV = "SNAKEMAKE_OUTPUT_CACHE"


def snakemake_command(workdir: Path, args: Sequence[str]) -> list[str]:
    wf = config.workflow_dir()
    return [
        sys.executable, "-m", "snakemake",
        "--snakefile", str(wf / "Snakefile"),
        "--directory", str(workdir),
        *args,
    ]  # fmt: skip


def profile_args(profile: str | None) -> list[str]:
    """A profile given by name is looked up among the workflow's own profiles first."""
    if profile is None:
        return []
    own = config.workflow_dir() / "profiles" / profile
    if own.is_dir():
        return ["--workflow-profile", str(own), *executor_args(own)]
    path = Path(profile)
    return ["--profile", profile, *executor_args(path if path.is_dir() else None)]


def slurm_accounting_disabled() -> bool:
    """Whether the SLURM cluster here keeps no job accounting (no slurmdbd).

    The SLURM plugin asks ``sacct`` about jobs whenever the command exists, and
    ``sacct`` answers nothing on such a cluster: its jobs would never be seen to end.
    """
    if shutil.which("scontrol") is None:
        return False
    out = subprocess.run(
        ["scontrol", "show", "config"], capture_output=True, text=True, check=False
    )
    return bool(
        re.search(
            r"^AccountingStorageType\s*=\s*accounting_storage/none", out.stdout, re.M
        )
    )


def executor_args(profile_dir: Path | None) -> list[str]:
    """Settings a profile cannot know in advance: on a SLURM cluster without
    accounting, job states come from ``squeue``."""
    if profile_dir is None:
        return []
    text = (profile_dir / "config.yaml").read_text(encoding="utf-8")
    if re.search(r"^executor:\s*slurm\b", text, re.M) is None:
        return []
    if "slurm-status-command" in text or not slurm_accounting_disabled():
        return []
    return ["--slurm-status-command", "squeue"]


def _has_children(pid: int) -> bool:
    """Whether any process has ``pid`` as its parent (Linux /proc)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields and int(fields[1]) == pid:
            return True
    return False


# After a forwarded stop signal, Snakemake finishes its running jobs and exits. Its
# signal handler can deadlock on its own scheduler lock (seen with 9.27.1 when the
# signal lands while a finished job is post-processed); once it has no job running
# for this long, it is stuck and is killed. The next run resumes as after any crash.
STUCK_AFTER_SIGNAL_S = 15.0


def run_snakemake(
    workdir: Path,
    args: Sequence[str],
    tick: Callable[[], None] | None = None,
    log: Path | None = None,
    env: dict[str, str] | None = None,
) -> int:
    """Run Snakemake and pass SIGTERM and Ctrl-C on to it, then wait for it to stop.

    ``tick`` is called about twice a second while it runs (progress reports); with
    ``log``, everything Snakemake prints goes to that file instead of the console;
    ``env``: its environment (default: this process's).
    """
    out = None
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        out = open(log, "ab")  # noqa: SIM115 - closed below, after the process ends
    try:
        return _supervise(
            subprocess.Popen(
                snakemake_command(workdir, args),
                stdout=out,
                stderr=subprocess.STDOUT if out is not None else None,
                env=env,
            ),
            tick,
        )
    finally:
        if out is not None:
            out.close()


def _supervise(proc: subprocess.Popen[bytes], tick: Callable[[], None] | None) -> int:
    signalled: list[float] = []

    def forward(signum: int, _frame: object) -> None:
        signalled.append(time.monotonic())
        proc.send_signal(signum)

    old = signal.signal(signal.SIGTERM, forward)
    try:
        while True:
            try:
                return proc.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                if tick is not None:
                    tick()
            except KeyboardInterrupt:
                # The terminal sent SIGINT to Snakemake too; let it clean up.
                signalled.append(time.monotonic())
                continue
            if signalled and _has_children(proc.pid):
                signalled[-1] = time.monotonic()
            elif signalled and time.monotonic() - signalled[-1] > STUCK_AFTER_SIGNAL_S:
                print(
                    "reelmake: Snakemake did not stop after the signal; stopping it "
                    "(the next run resumes)",
                    file=sys.stderr,
                )
                proc.kill()
    finally:
        signal.signal(signal.SIGTERM, old)


def forget_records(workdir: Path, files: Sequence[Path]) -> None:
    """Drop Snakemake's records of removed files, so nothing stale remains."""
    names = [os.path.relpath(p, workdir) for p in files if not p.name.startswith(".")]
    if names:
        subprocess.run(
            snakemake_command(
                workdir, ["--config", "videos=[]", "--cleanup-metadata", *names]
            ),
            capture_output=True,
            check=False,
        )


def release_stale_snakemake_lock(workdir: Path) -> bool:
    """Unlock a working folder whose Snakemake lock outlived its run.

    Only called while holding :class:`RunLock`, which proves that no other reelmake run
    is alive in this folder, so any lock found here was left by a killed run.
    """
    locks = workdir / ".snakemake" / "locks"
    if not locks.is_dir() or not any(locks.iterdir()):
        return False
    subprocess.run(
        snakemake_command(workdir, ["--unlock", "--quiet", "all"]),
        check=False,
        capture_output=True,
    )
    return True


_SLURM_RUN_ID = re.compile(r"SLURM run ID: ([A-Za-z0-9_-]+)")
# Runs older than this many Snakemake logs are not looked at for orphaned jobs.
_RECENT_LOGS = 20


def slurm_run_ids(workdir: Path) -> list[str]:
    """The SLURM run IDs (the job name of every job a run submits) of the recent
    Snakemake runs in this folder, newest first."""
    logs = sorted(
        (workdir / ".snakemake" / "log").glob("*.snakemake.log"),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    found: list[str] = []
    for log_file in logs[:_RECENT_LOGS]:
        try:
            with open(log_file, encoding="utf-8", errors="replace") as fh:
                head = fh.read(64 * 1024)
        except OSError:
            continue
        found += [m for m in _SLURM_RUN_ID.findall(head) if m not in found]
    return found


@dataclass(frozen=True)
class SlurmJob:
    job_id: str
    run_id: str


def orphaned_slurm_jobs(workdir: Path) -> list[SlurmJob]:
    """Jobs still queued or running for earlier runs in this folder.

    Only meaningful while holding :class:`RunLock`: then no run of this folder is
    alive, and every job of theirs left in the queue is an orphan.
    """
    run_ids = slurm_run_ids(workdir)
    if not run_ids or shutil.which("squeue") is None:
        return []
    out = subprocess.run(
        ["squeue", "--noheader", "--format=%i %j", f"--name={','.join(run_ids)}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        return []
    jobs = [line.split(maxsplit=1) for line in out.stdout.splitlines()]
    return [SlurmJob(j[0], j[1].strip()) for j in jobs if len(j) == 2]


def cancel_orphaned_slurm_jobs(workdir: Path) -> list[str]:
    """Cancel the jobs that interrupted runs left in the queue, so that a rerun does
    not compute the same outputs twice at once. Returns one line per run."""
    jobs = orphaned_slurm_jobs(workdir)
    lines = []
    for run_id in dict.fromkeys(j.run_id for j in jobs):
        ids = [j.job_id for j in jobs if j.run_id == run_id]
        command = ["scancel", f"--name={run_id}"]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode == 0:
            lines.append(
                f"cancelled {len(ids)} SLURM job(s) left by an interrupted run "
                f"(run ID {run_id}: {' '.join(ids)})"
            )
        else:
            lines.append(
                f"warning: {len(ids)} SLURM job(s) of an interrupted run are still "
                f"queued; cancel them with: {' '.join(command)} "
                f"({done.stderr.strip() or 'scancel failed'})"
            )
    return lines


class RunLock:
    """An exclusive lock on a results folder, held for the whole of a run.

    The kernel drops it when the process dies, however it dies, so a lock that can be
    taken is never stale.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: object | None = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+")  # noqa: SIM115 - held open for the lock's life
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            fh.close()
            raise ReelmakeError(
                f"{self.path.parent.parent}: another reelmake run is working here "
                f"(pid {holder}); wait for it to finish, or stop it first"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fh is not None:
            self._fh.close()  # type: ignore[attr-defined]
            self._fh = None


# ---------------------------------------------------------------------------
# A batch: what the CLI asks for, what it is told, and what it gets back.


@dataclass(frozen=True)
class RunRequest:
    """One ``reelmake run``."""

    workdir: Path
    videos: Sequence[str]
    cores: int
    configfile: str | None = None
    profile: str | None = None
    until: str | None = None
    # None: use what is cached; empty: run every stage again; else these stages
    # (names, design-notes names or rules) and the ones after them.
    no_cache: Sequence[str] | None = None
    rescore: bool = False
    shared_cache: str | None = None
    dry_run: bool = False
    verbose: bool = False
    # Options for Snakemake itself, passed on as they are.
    snakemake: Sequence[str] = ()


@dataclass
class BatchPlan:
    """What a run will do, per video, before it starts."""

    videos: list[discovery.Video]
    states: dict[str, dict[str, Any]]
    # The rules forced to run again: None when the cache is used, [] for all.
    forced: list[str] | None
    # Per video, each stage's plan (see :func:`stage_status`).
    plans: dict[str, dict[str, dict[str, str]]]


@dataclass
class RunResult:
    """How a run went; ``code`` is the command's exit status."""

    code: int
    videos: list[discovery.Video] = field(default_factory=list)
    problems: list[discovery.Problem] = field(default_factory=list)
    rows: list[summary.Row] = field(default_factory=list)
    summary_file: Path | None = None
    # Videos not done (with ``until``: not done up to that stage).
    not_done: int = 0
    # Snakemake had nothing to do: every result was up to date.
    up_to_date: bool = False


class Listener(Protocol):
    """Who hears about a run as it goes (the CLI prints it)."""

    def error(self, text: str) -> None: ...

    def warning(self, text: str) -> None: ...

    def note(self, text: str) -> None: ...

    def gave_up(self, text: str) -> None:
        """Why nothing was run at all."""

    def planned(self, plan: BatchPlan) -> None: ...


def results_of(workdir: Path) -> Path:
    return workdir / "results"


def lock(results: Path) -> RunLock:
    return RunLock(results / discovery.STATE_DIR / "run.lock")


def user_configs(workdir: Path, explicit: str | None) -> list[Path]:
    return load_config(workdir, explicit)[0]


def load_config(
    workdir: Path, explicit: str | None
) -> tuple[list[Path], dict[str, Any]]:
    """The user's config files and the merged configuration, checked before any work
    (an explicit file, else ./config.yaml if there is one)."""
    if explicit:
        paths = [Path(explicit).resolve()]
    else:
        own = workdir / "config.yaml"
        paths = [own] if own.is_file() else []
    wf = config.workflow_dir() / "config"
    schema = config.load_schema(config.schema_path())
    merged = config.load(wf / "config.yaml")
    used = []
    for path in paths:
        if not path.is_file():
            raise ReelmakeError(f"{path}: config file not found")
        user = config.load(path)
        if not user:  # an empty file (or only comments) changes nothing
            continue
        config.validate(copy.deepcopy(user), schema, source=str(path))
        merged = _deep_update(merged, user)
        used.append(path)
    config.validate(merged, schema, source="configuration")
    return used, merged


def _deep_update(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_update(out[key], value)
        else:
            out[key] = value
    return out


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
    return list(dict.fromkeys(stages.stage(name).rule for name in no_cache))


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
    configs: Sequence[Path] | None = None,
) -> dict[str, str]:
    """Why Snakemake would re-run each output file ('' when it would not);
    ``configs``: the user's config files (default: ./config.yaml if any)."""
    links = [discovery.source_link(results, h) for h in hashes]
    videos = [Path(os.path.realpath(link)) for link in links if link and link.exists()]
    if not videos:
        return {}
    extra = overlay(results, videos)
    try:
        args = ["--summary", "--quiet", "all", "--configfile"]
        if configs is None:
            configs = user_configs(workdir, None)
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
    clips = stages.clip_names(folder) or []
    out: dict[str, dict[str, str]] = {}
    upstream_stale = False
    for s in stages.STAGES:
        block = state[s.name]
        reasons = {
            plan.get(os.path.relpath(p, results.parent), "")
            for p in s.paths(folder, clips).values()
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


def _asks_model(settings: dict[str, Any], until: str | None) -> bool:
    """Whether the run reaches a scoring that asks the language model."""
    if settings["score"]["backend"] != "openai":
        return False
    if until is None:
        return True
    order = [s.name for s in stages.STAGES]
    return order.index(stages.stage(until, listed=True).name) >= order.index("scores")


def run_batch(request: RunRequest, listener: Listener) -> RunResult:
    """Register the videos, repair what is damaged, plan, run Snakemake and collect
    the outcome. Holds the folder's run lock while it works."""
    workdir = request.workdir.resolve()
    results = results_of(workdir)
    configs, settings = load_config(workdir, request.configfile)
    if request.until:
        stages.stage(request.until, listed=True)  # an unknown name stops here
    if _asks_model(settings, request.until) and not request.dry_run:
        from reelmake.stages.scores.common import LLMOptions
        from reelmake.stages.scores.llm import preflight

        preflight(LLMOptions(**settings["score"]["openai"]))
    if request.rescore and settings["score"]["backend"] != "openai":
        raise ReelmakeError(
            "--rescore asks the language model again; set score.backend: openai"
        )
    forced = forced_rules(request.no_cache, request.rescore)
    paths, problems = discovery.discover(request.videos)
    if not paths:
        # Nothing to process: no lock and no results folder either.
        for problem in problems:
            listener.error(str(problem))
        if problems:
            listener.gave_up("no video left to process")
        else:
            listener.error("no videos to process; name video files, folders or "
                           "glob patterns: reelmake run VIDEO...")  # fmt: skip
        return RunResult(1, problems=problems)
    threshold = float(settings["select"]["threshold"])
    with lock(results):
        videos, unreadable = discovery.register(paths, results)
        problems += unreadable
        for problem in problems:
            listener.error(str(problem))
        if not videos:
            if problems:
                listener.gave_up("no video left to process")
            else:
                listener.error("no videos to process")
            return RunResult(1, problems=problems)
        states = {v.hash: _repaired(results, v, threshold, listener) for v in videos}
        plans = {}
        if any(state["last_stage"] for state in states.values()):
            # What Snakemake itself would re-run, and why: the header then agrees
            # with `reelmake status` and with what runs.
            plan = snakemake_plan(workdir, results, [v.hash for v in videos], configs)
            plans = {h: stage_status(st, plan, results) for h, st in states.items()}
        listener.planned(BatchPlan(videos, states, forced, plans))
        _clear_leftovers(workdir, request.dry_run, listener)
        keys = {v.hash: _file_key(v.path) for v in videos}
        code, up_to_date = _run(
            request, workdir, results, videos, configs, forced, listener
        )
    if request.dry_run:
        return RunResult(code, videos, problems, up_to_date=up_to_date)
    return _outcome(request, results, videos, problems, keys, code, up_to_date,
                    listener)  # fmt: skip


def _repaired(
    results: Path, video: discovery.Video, threshold: float, listener: Listener
) -> dict[str, Any]:
    """A video's stage state, once its damaged files are removed (each named in a
    warning) so that their stages run again; marks it as used now."""
    state = stages.compute_state(results, video.hash, threshold)
    warnings = cache.repair(results, video.hash, state, threshold)
    for warning in warnings:
        listener.warning(warning)
    if warnings:
        state = stages.compute_state(results, video.hash, threshold)
    cache.touch_used(results, video.hash)
    return state


def _clear_leftovers(workdir: Path, dry_run: bool, listener: Listener) -> None:
    """What an interrupted run left behind: Snakemake's lock, cluster jobs."""
    if release_stale_snakemake_lock(workdir):
        listener.note("released the lock left behind by an interrupted run")
    if dry_run:
        return
    for line in cancel_orphaned_slurm_jobs(workdir):
        if line.startswith("warning: "):
            listener.warning(line.removeprefix("warning: "))
        else:
            listener.note(line)


def _outcome(
    request: RunRequest,
    results: Path,
    videos: list[discovery.Video],
    problems: list[discovery.Problem],
    keys: dict[str, FileKey | None],
    code: int,
    up_to_date: bool,
    listener: Listener,
) -> RunResult:
    """After Snakemake: videos that changed meanwhile, failures, the batch table."""
    changed = changed_during_run(videos, keys)
    for problem in changed:
        listener.error(str(problem))
    problems += changed
    # Not done, whatever its files say: the summary lists it with its problem.
    gone = {p.path for p in changed}
    videos = [v for v in videos if str(v.path) not in gone]
    rows = summary.rows(results, videos)
    for row in rows:
        if row.status == "failed":
            named = row.error if row.video in row.error else f"{row.video}: {row.error}"
            listener.error(named)
    target = summary.write_summary(results, videos, problems)
    not_done = _not_done(rows, request.until)
    if problems or not_done:
        code = 1
    return RunResult(code, videos, problems, rows, target, not_done, up_to_date)


def _not_done(rows: Sequence[summary.Row], until: str | None) -> int:
    """Videos not done (with ``until``: not done up to that stage)."""
    if until is None:
        return sum(r.status != "done" for r in rows)
    order = [s.name for s in stages.STAGES]
    wanted = order.index(stages.stage(until, listed=True).name)
    return sum(
        r.status == "failed"
        or r.last_stage not in order
        or order.index(r.last_stage) < wanted
        for r in rows
    )


def _run(
    request: RunRequest,
    workdir: Path,
    results: Path,
    videos: Sequence[discovery.Video],
    configs: Sequence[Path],
    forced: list[str] | None,
    listener: Listener,
) -> tuple[int, bool]:
    """Run Snakemake for the batch; its exit status, and whether it had nothing to
    do."""
    run: dict[str, Any] = {"rescore": request.rescore}
    smk_args = ["--cores", str(request.cores), *request.snakemake]
    shared = request.shared_cache or os.environ.get(SHARED_CACHE_ENV)
    env = None
    if shared:
        # Snakemake's between-workflow cache; the model's answers go there too.
        folder = Path(shared).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, SHARED_CACHE_ENV: str(folder)}
        run["shared_cache"] = str(folder)
        smk_args.append("--cache")
    extra = overlay(results, [v.path for v in videos], [v.hash for v in videos], run)
    try:
        smk_args += ["--configfile", *map(str, configs), str(extra)]
        smk_args += profile_args(request.profile)
        if request.dry_run:
            smk_args.append("--dry-run")
        if forced == []:
            smk_args.append("--forceall")
        elif forced:
            smk_args += ["--forcerun", *forced]
        live = _LiveOutput(request, results, videos, env, listener)
        if not request.until:
            code = live.run(workdir, smk_args)
        else:
            code = _run_until(workdir, results, videos, request.until, smk_args, live)
        live.finish()
    finally:
        extra.unlink(missing_ok=True)
    return code, live.up_to_date


def _run_until(
    workdir: Path,
    results: Path,
    videos: Sequence[discovery.Video],
    until: str,
    smk_args: list[str],
    live: _LiveOutput,
) -> int:
    """Run up to a stage by asking for its files (Snakemake's ``--until`` loses its
    targets when a checkpoint updates the graph). The clips are known only after the
    selection, so that stage takes two runs."""
    stage = stages.stage(until, listed=True)
    if stage.per_clip and not stage.fixed:
        # Targets go before --configfile, which takes every word after it.
        before = [
            str(p) for v in videos for p in _stage_paths(results, v, "highlights")
        ]
        code = live.run(workdir, before + smk_args)
        targets = [
            str(p)
            for v in videos
            if stages.clip_names(results / v.hash) is not None
            for p in _stage_paths(results, v, stage.name)
        ]
        if not targets:
            return code
        return max(code, live.run(workdir, targets + smk_args))
    targets = [str(p) for v in videos for p in _stage_paths(results, v, stage.name)]
    return live.run(workdir, targets + smk_args)


def _stage_paths(results: Path, video: discovery.Video, name: str) -> list[Path]:
    """A stage's files of one video, relative to the working folder as the rules
    name them."""
    folder = results / video.hash
    paths = stages.stage(name).paths(folder, stages.clip_names(folder) or ())
    return [p.relative_to(results.parent) for p in paths.values()]


class _LiveOutput:
    """Where Snakemake's output goes during a run: live on the console (``verbose``
    and dry runs), or to a log file while :class:`console.Display` shows a few lines
    per video."""

    def __init__(
        self,
        request: RunRequest,
        results: Path,
        videos: Sequence[discovery.Video],
        env: dict[str, str] | None,
        listener: Listener,
    ) -> None:
        self.display: console.Display | None = None
        self.log: Path | None = None
        self.logger_args: list[str] = []
        self.env = env
        self.up_to_date = False
        if request.verbose or request.dry_run:
            return
        logs = results / discovery.STATE_DIR / "logs"
        stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"
        self.log = logs / f"run-{stamp}.log"
        events = logs / f"run-{stamp}.events.jsonl"
        logs.mkdir(parents=True, exist_ok=True)
        # Snakemake's structured events, for the display (our logger plugin).
        self.logger_args = ["--logger", "reelmake", "--logger-reelmake-events",
                            str(events)]  # fmt: skip
        listener.note(f"full log: {shown(self.log, Path.cwd())} (--verbose shows it "
                      "here)")  # fmt: skip
        self.display = console.Display(
            [(v.path.name, v.hash) for v in videos],
            results,
            events,
            sys.stdout,
            terminal=sys.stdout.isatty(),
        )

    def run(self, workdir: Path, smk_args: list[str]) -> int:
        if self.display is None:
            return run_snakemake(workdir, smk_args, env=self.env)
        return run_snakemake(
            workdir,
            smk_args + self.logger_args,
            tick=self.display.tick,
            log=self.log,
            env=self.env,
        )

    def finish(self) -> None:
        if self.display is None:
            return
        self.display.finish()
        self.up_to_date = not self.display.jobs


def shown(path: Path, here: Path) -> str:
    """``path`` as a person would type it from ``here``."""
    try:
        return str(path.relative_to(here))
    except ValueError:
        return str(path)


def _file_key(path: Path) -> FileKey | None:
    try:
        return FileKey.of(path)
    except OSError:
        return None


def changed_during_run(
    videos: Sequence[discovery.Video], keys: dict[str, FileKey | None]
) -> list[discovery.Problem]:
    """Videos whose file is not what it was when the run began."""
    return [
        discovery.Problem(
            str(v.path),
            "changed while it was processed: its results may mix two versions; "
            "run again to process it as it is now",
        )
        for v in videos
        if _file_key(v.path) != keys[v.hash]
    ]


# ---------------------------------------------------------------------------
# An estimate: what language-model scoring would send, from what exists.


@dataclass
class VideoEstimate:
    path: Path
    # What the counts were made from: candidates, a transcript, or the duration.
    basis: str
    transcript_tokens: int
    # Per scoring mode: units, cached, requests, ~prompt tokens, ~output tokens.
    modes: dict[str, list[int]]


@dataclass
class EstimateResult:
    options: LLMOptions
    asks_model: bool
    videos: list[VideoEstimate]
    problems: list[discovery.Problem]


def _planning_input(
    folder: Path, path: Path, video_hash: str, options: SegmentOptions
) -> tuple[dict[str, Any], str]:
    """What scoring would read for one video, from the furthest stage that exists:
    its candidates, its transcript segmented here, or a model of its speech from its
    duration. Nothing is run or written."""
    from reelmake.core import media
    from reelmake.stages import segments
    from reelmake.stages.transcript import load_transcript

    try:
        candidates = stages.path("segments", "candidates_path", folder)
        return json.loads(candidates.read_text()), "its candidates"
    except (OSError, ValueError):
        pass
    try:
        transcript = stages.path("transcript", "transcript_path", folder)
        words = load_transcript(transcript).words
        return segments.candidates_data(words, video_hash, options), "its transcript"
    except (OSError, ValueError, KeyError, TypeError):
        pass
    words = segments.modelled_words(media.probe(path).duration)
    return (
        segments.candidates_data(words, video_hash, options),
        "its duration (not transcribed yet: a model of 150 words a minute)",
    )


def estimate_batch(
    workdir: Path, videos: Sequence[str], configfile: str | None = None
) -> EstimateResult:
    """Requests and tokens language-model scoring would send for these videos, in
    both modes, counting the answers already stored. Runs nothing, writes nothing."""
    from reelmake.core.hashing import INDEX_NAME, HashIndex, hash_file, short
    from reelmake.stages.scores.common import LLMOptions, contexts_before
    from reelmake.stages.scores.llm import estimate
    from reelmake.stages.scores.picks import estimate as picks_estimate
    from reelmake.stages.scores.picks import sentences_of
    from reelmake.stages.scores.store import Answers
    from reelmake.stages.segments import Candidate, options_for

    results = results_of(workdir.resolve())
    settings = load_config(workdir.resolve(), configfile)[1]
    options = LLMOptions(**settings["score"]["openai"])
    answers = Answers.locate(options.answer_cache, os.environ.get(SHARED_CACHE_ENV))
    seg_options = options_for(**settings["segment"])
    paths, problems = discovery.discover(videos)
    index_file = results / discovery.STATE_DIR / INDEX_NAME
    index = HashIndex(index_file) if index_file.is_file() else None
    out = []
    for path in paths:
        video_hash = short(index.hash(path) if index else hash_file(path))
        data, basis = _planning_input(
            results / video_hash, path, video_hash, seg_options
        )
        t = picks_estimate(options, sentences_of(data), answers)
        found = [Candidate(**c) for c in data["candidates"]]
        e = estimate(options, found, contexts_before(data), answers)
        modes = {
            "transcript": [t.chunks, t.cached, t.requests, t.prompt_tokens,
                           t.completion_tokens],
            "passages": [e.candidates, e.cached, e.requests, e.prompt_tokens,
                         e.completion_tokens],
        }  # fmt: skip
        out.append(VideoEstimate(path, basis, t.transcript_tokens, modes))
    asks = settings["score"]["backend"] == "openai"
    return EstimateResult(options, asks, out, problems)
