"""A single-node SLURM cluster on 127.0.0.1, started by hand (no systemd).

Needs Debian's ``slurmctld slurmd slurm-client munge`` and root. Everything the
daemons write lives in one folder. The configuration goes to /etc/slurm/slurm.conf,
where every SLURM command looks (job steps inside a job do not see ``SLURM_CONF``);
an existing configuration that is not ours is never overwritten.

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


CONF = Path("/etc/slurm/slurm.conf")
MARK = "# reelmake test cluster"


def write_config(root: Path) -> Path:
    """slurm.conf for one node that owns every CPU of this machine."""
    if CONF.exists() and not CONF.read_text().startswith(MARK):
        raise RuntimeError(f"{CONF} belongs to a real cluster; not touching it")
    host = socket.gethostname().split(".")[0]
    for name in ("state", "spool", "log"):
        (root / name).mkdir(parents=True, exist_ok=True)
    conf = CONF
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text(
        "\n".join(
            [
                MARK,
                "ClusterName=reelmake-test",
                f"SlurmctldHost={host}(127.0.0.1)",
                "SlurmUser=root",
                "SlurmdUser=root",
                "AuthType=auth/munge",
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


def _start_munge() -> None:
    socket_dir = Path("/run/munge")
    alive = (socket_dir / "munge.socket.2").exists() and (
        subprocess.run(["munge", "-n"], capture_output=True).returncode == 0
    )
    if alive:
        return
    socket_dir.mkdir(parents=True, exist_ok=True)
    shutil.chown(socket_dir, "munge", "munge")
    key = Path("/etc/munge/munge.key")
    if not key.exists():
        subprocess.run(["mungekey", "--create"], check=True)
        shutil.chown(key, "munge", "munge")
    subprocess.run(["runuser", "-u", "munge", "--", "munged", "--force"], check=True)


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
    env = {**os.environ, "SLURM_CONF": str(conf)}
    _start_munge()
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
        for proc in reversed(daemons):
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        remove_config()


def remove_config() -> None:
    """Remove our configuration. Left behind, it sends every SLURM command (and the
    SLURM executor plugin, which runs ``scontrol`` whenever Snakemake starts) into
    seconds of retries against a controller that is gone."""
    if CONF.exists() and CONF.read_text().startswith(MARK):
        CONF.unlink()


if __name__ == "__main__":
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/reelmake-slurm")
    with cluster(folder) as environment:
        print(f"export SLURM_CONF={environment['SLURM_CONF']}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
