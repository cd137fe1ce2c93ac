"""A single-node SLURM cluster on 127.0.0.1, started by hand (no systemd).

Needs Debian's ``slurmctld slurmd slurm-client munge`` and root. Everything lives in
one folder: the configuration (clients find it through ``SLURM_CONF``, which jobs
inherit), the daemons' state and logs, and a private munge daemon with its own key
and socket. Nothing under /etc or /run is read or written, so a real cluster's
configuration on the same machine is neither used nor touched.

Snakemake's SLURM job-step plugin (0.6.1) removes every ``SLURM_*`` variable but a few
before it calls ``srun`` inside a job, ``SLURM_CONF`` among them; a real cluster keeps
its configuration where ``srun`` looks by default, ours does not. So the cluster puts a
small ``srun`` first on ``PATH`` that sets ``SLURM_CONF`` again.

    python -m tests.slurm_cluster /tmp/cluster     # start, print the export, wait
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DAEMONS = ("slurmctld", "slurmd", "munged", "sbatch", "squeue", "scancel")


def missing_programs() -> list[str]:
    return [name for name in DAEMONS if shutil.which(name) is None and
            not Path("/usr/sbin", name).exists()]  # fmt: skip


def _memory_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024 * 9 // 10
    raise RuntimeError("no MemTotal in /proc/meminfo")


def write_config(root: Path) -> Path:
    """slurm.conf for one node that owns every CPU of this machine."""
    host = socket.gethostname().split(".")[0]
    for name in ("state", "spool", "log"):
        (root / name).mkdir(parents=True, exist_ok=True)
    conf = root / "slurm.conf"
    conf.write_text(
        "\n".join(
            [
                "# reelmake test cluster",
                "ClusterName=reelmake-test",
                f"SlurmctldHost={host}(127.0.0.1)",
                "SlurmUser=root",
                "SlurmdUser=root",
                "AuthType=auth/munge",
                f"AuthInfo=socket={_munge_socket(root)}",
                "ProctrackType=proctrack/linuxproc",
                "TaskPlugin=task/none",
                "SelectType=select/cons_tres",
                "SelectTypeParameters=CR_Core",
                "AccountingStorageType=accounting_storage/none",
                "JobAcctGatherType=jobacct_gather/none",
                "MpiDefault=none",
                "ReturnToService=2",
                "SchedulerType=sched/backfill",
                "SchedulerParameters=sched_interval=1",
                f"StateSaveLocation={root / 'state'}",
                f"SlurmdSpoolDir={root / 'spool'}",
                f"SlurmctldPidFile={root / 'slurmctld.pid'}",
                f"SlurmdPidFile={root / 'slurmd.pid'}",
                f"SlurmctldLogFile={root / 'log' / 'slurmctld.log'}",
                f"SlurmdLogFile={root / 'log' / 'slurmd.log'}",
                "SlurmctldPort=6817",
                "SlurmdPort=6818",
                f"NodeName={host} NodeAddr=127.0.0.1 CPUs={os.cpu_count()} "
                f"RealMemory={_memory_mb()} State=UNKNOWN",
                f"PartitionName=main Nodes={host} Default=YES MaxTime=INFINITE "
                "State=UP",
                "",
            ]
        )
    )
    return conf


def _srun_with_conf(root: Path, conf: Path) -> Path:
    """A folder holding an ``srun`` that runs the real one with ``SLURM_CONF`` set."""
    real = shutil.which("srun")
    if real is None:
        raise RuntimeError("srun is not installed (Debian's slurm-client)")
    folder = root / "bin"
    folder.mkdir(parents=True, exist_ok=True)
    wrapper = folder / "srun"
    wrapper.write_text(f'#!/bin/sh\nSLURM_CONF="{conf}" exec "{real}" "$@"\n')
    wrapper.chmod(0o755)
    return folder


def _munge_socket(root: Path) -> Path:
    return root / "munge" / "munge.sock"


def _start_munge(root: Path) -> None:
    """A munge daemon of our own: its key, socket and files in ``root/munge``."""
    folder = root / "munge"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = folder / "munge.key"
    if not key.exists():
        subprocess.run(["mungekey", "--create", f"--keyfile={key}"], check=True)
    subprocess.run(
        ["munged", "--force", f"--socket={_munge_socket(root)}", f"--key-file={key}",
         f"--pid-file={folder / 'munged.pid'}", f"--log-file={folder / 'munged.log'}",
         f"--seed-file={folder / 'munged.seed'}"],
        check=True,
    )  # fmt: skip


def _stop_munge(root: Path) -> None:
    subprocess.run(
        ["munged", "--stop", f"--socket={_munge_socket(root)}"], capture_output=True
    )


def _wait_empty_queue(env: dict[str, str], timeout: float = 30) -> None:
    """Cancelled jobs leave the queue once their processes are gone."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run(
            ["squeue", "--noheader"], env=env, capture_output=True, text=True
        )
        if out.returncode != 0 or not out.stdout.strip():
            return
        time.sleep(0.5)


def _wait_idle(env: dict[str, str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        out = subprocess.run(
            ["sinfo", "-h", "-o", "%T"], env=env, capture_output=True, text=True
        )
        state = out.stdout.strip()
        if state.startswith("idle") or state.startswith("mixed"):
            return
        time.sleep(0.5)
    raise RuntimeError(f"the SLURM node did not come up (state {state!r})")


@contextmanager
def cluster(root: Path) -> Iterator[dict[str, str]]:
    """Start munge, slurmctld and slurmd; yield the environment for clients; stop."""
    conf = write_config(root)
    env = {
        **os.environ,
        "SLURM_CONF": str(conf),
        "PATH": f"{_srun_with_conf(root, conf)}{os.pathsep}{os.environ['PATH']}",
    }
    _start_munge(root)
    daemons = [
        subprocess.Popen(
            [f"/usr/sbin/{name}", "-D", "-f", str(conf), *extra],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, extra in (("slurmctld", ["-c", "-i"]), ("slurmd", []))
    ]
    try:
        _wait_idle(env)
        yield env
    finally:
        subprocess.run(["scancel", "--user", "root"], env=env, capture_output=True)
        _wait_empty_queue(env)
        for proc in reversed(daemons):
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        _stop_munge(root)


if __name__ == "__main__":
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/reelmake-slurm")
    with cluster(folder) as environment:
        print(f"export SLURM_CONF={environment['SLURM_CONF']}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
