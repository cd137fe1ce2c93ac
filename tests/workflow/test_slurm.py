"""profiles/slurm on a real single-node SLURM cluster started by the test.

Needs root and Debian's slurmctld, slurmd, slurm-client and munge (``bash tasks.sh
test`` installs them). In CI a missing program is a failure, elsewhere a skip.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelmake.cli.demo import make_video
from tests.conftest import REPO, Run, fast_clips, reelmake, results_of
from tests.slurm_cluster import cluster, missing_programs
from tests.soak import snapshot

pytestmark = pytest.mark.workflow

SECOND_SCRIPT = (
    "Bread needs flour, water, salt and a little patience.",
    "Let the dough rest overnight, then bake it in a very hot oven.",
)


@pytest.fixture(scope="module")
def slurm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    missing = missing_programs()
    if missing or os.geteuid() != 0:
        reason = f"a SLURM test cluster needs root and {', '.join(missing) or 'SLURM'}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    before = _etc_slurm()
    with cluster(tmp_path_factory.mktemp("slurm")) as env:
        yield env
    assert _etc_slurm() == before, "the test cluster touched /etc/slurm"


def _etc_slurm() -> dict[str, tuple[int, int]]:
    """What /etc/slurm holds: each file's size and modification time."""
    folder = Path("/etc/slurm")
    if not folder.is_dir():
        return {}
    return {
        str(p): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_the_cluster_ignores_a_foreign_configuration(
    slurm: dict[str, str], tmp_path: Path
) -> None:
    """Clients that see another cluster's /etc/slurm/slurm.conf (bound over it in a
    mount namespace of their own, so the real /etc is not touched) still reach the
    test cluster through SLURM_CONF, and a job runs on it."""
    if not Path("/etc/slurm").is_dir() or shutil.which("unshare") is None:
        pytest.skip("needs /etc/slurm (from Debian's slurm-client) and unshare")
    foreign = tmp_path / "etc-slurm"
    foreign.mkdir()
    # Another cluster whose controller would be on a loopback address nothing
    # listens on: a client that read this file would fail, not reach ours.
    (foreign / "slurm.conf").write_text(
        "ClusterName=someone-else\nSlurmctldHost=elsewhere(127.0.0.2)\n"
        "SlurmctldPort=1\nNodeName=elsewhere NodeAddr=127.0.0.2 CPUs=1\n"
        "PartitionName=other Nodes=elsewhere Default=YES\n"
    )
    script = (
        f"mount --bind {foreign} /etc/slurm && grep -q someone-else "
        "/etc/slurm/slurm.conf && sinfo -h -o '%P %T' && "
        "sbatch --wait --quiet --output=/dev/null --wrap true && echo job-done"
    )
    run = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
        env=slurm, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.split()[:2] == ["main*", "idle"], run.stdout
    assert "job-done" in run.stdout


def _run(*args: str | Path, cwd: Path, env: dict[str, str]) -> Run:
    return reelmake("run", *args, "--cores", "2", cwd=cwd, env=env)


def _queue(env: dict[str, str]) -> list[str]:
    out = subprocess.run(
        ["squeue", "--noheader", "--format=%i %j %T"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout.splitlines()


def test_two_videos_through_slurm_equal_a_local_run(
    slurm: dict[str, str], tmp_path: Path, speech_video: Path, media_dir: Path
) -> None:
    bread = media_dir / "bread.mp4"
    if not bread.exists():
        make_video(bread, SECOND_SCRIPT)
    local, cluster_dir = tmp_path / "local", tmp_path / "cluster"
    for folder in (local, cluster_dir):
        fast_clips(folder)
        shutil.copy(speech_video, folder / "garden.mp4")
        shutil.copy(bread, folder / "bread.mp4")

    here = _run("garden.mp4", "bread.mp4", cwd=local, env=dict(os.environ))
    assert here.returncode == 0, here.stderr
    there = _run("garden.mp4", "bread.mp4", "--profile", "slurm", cwd=cluster_dir,
                 env=slurm)  # fmt: skip
    assert there.returncode == 0, there.stderr

    # Heavy work went through the queue: one analysis group job per video...
    submitted = re.findall(r"has been submitted with SLURM jobid (\d+)", there.stderr)
    assert len(submitted) >= 2, there.stderr
    assert "SLURM run ID:" in there.stderr
    # ...and the results are the same files with the same content.
    mine, theirs = snapshot(results_of(local)), snapshot(results_of(cluster_dir))
    assert set(mine) == set(theirs)
    assert mine == theirs
    assert any(key.endswith("transcript/transcript.json") for key in mine)
    summary = (results_of(cluster_dir) / "summary.tsv").read_text().splitlines()
    assert [line.split("\t")[2] for line in summary[1:]] == ["done", "done"]


def test_orphaned_jobs_are_cancelled_before_a_rerun(
    slurm: dict[str, str], tmp_path: Path, long_speech_video: Path
) -> None:
    fast_clips(tmp_path)
    shutil.copy(long_speech_video, tmp_path / "talk.mp4")
    command = [sys.executable, "-m", "reelmake.cli", "run", "talk.mp4", "--profile",
               "slurm", "--cores", "2"]  # fmt: skip
    controller = subprocess.Popen(
        command, cwd=tmp_path, env={**slurm, "HF_HUB_OFFLINE": "1"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not _queue(slurm):
        assert controller.poll() is None, "the run ended before submitting a job"
        time.sleep(0.5)
    orphans = _queue(slurm)
    assert orphans, "no job reached the queue"
    # The controlling run dies without a chance to clean up (a lost login session).
    os.killpg(controller.pid, signal.SIGKILL)
    controller.wait()
    assert _queue(slurm), "the job should outlive the run that submitted it"

    rerun = _run("talk.mp4", "--profile", "slurm", cwd=tmp_path, env=slurm)
    assert rerun.returncode == 0, rerun.stderr
    orphan_ids = [line.split()[0] for line in orphans]
    said = rerun.stdout + rerun.stderr
    cancelled = re.search(
        r"cancelled (\d+) SLURM job\(s\) left by an interrupted run "
        r"\(run ID [\w-]+: ([\d ]+)\)",
        said,
    )
    assert cancelled, said
    assert cancelled.group(2).split() == orphan_ids
    assert _queue(slurm) == []
    state = results_of(tmp_path).glob("*/stage_state.json")
    assert ['"last_stage": "metadata"' in p.read_text() for p in state] == [True]


def test_plain_snakemake_with_the_workflow_profile(
    slurm: dict[str, str], tmp_path: Path, speech_video: Path
) -> None:
    shutil.copy(speech_video, tmp_path / "garden.mp4")
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
         "--workflow-profile", str(REPO / "profiles" / "slurm"), "--cores", "2",
         # This test cluster keeps no accounting (see profiles/slurm/README.md).
         "--slurm-status-command", "squeue",
         "--config", "videos=[garden.mp4]"],
        cwd=tmp_path, env={**slurm, "HF_HUB_OFFLINE": "1"}, capture_output=True,
        text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "has been submitted with SLURM jobid" in run.stderr
    summary = (results_of(tmp_path) / "summary.tsv").read_text().splitlines()
    assert [line.split("\t")[2] for line in summary[1:]] == ["done"]
