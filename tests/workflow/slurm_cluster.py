"""A real single-node Slurm on this machine for the Slurm profile's test: munged, slurmctld and
slurmd from Debian's packages (slurmctld slurmd slurm-client munge; `tests/install_slurm.sh`
installs them where it can), no accounting database (squeue answers the status queries).

The configuration goes to /etc/slurm/slurm.conf because the executor plugin strips every
SLURM_* variable (SLURM_CONF included) inside jobs, so srun there finds only the default path.
An existing slurm.conf that this module did not write is never touched.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

CONF = Path("/etc/slurm/slurm.conf")
MARK = "# dinsar test cluster"
DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "scontrol", "sinfo", "srun", "munge")


class Unavailable(RuntimeError):
    pass


def _conf(state: Path, cpus: int, mem_mb: int) -> str:
    host = socket.gethostname().split(".")[0]
    return f"""{MARK}: written by tests/workflow/slurm_cluster.py
ClusterName=dinsar
SlurmctldHost={host}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation={state}/ctld
SlurmdSpoolDir={state}/spool
SlurmctldPidFile={state}/slurmctld.pid
SlurmdPidFile={state}/slurmd.pid
SlurmctldLogFile={state}/slurmctld.log
SlurmdLogFile={state}/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MinJobAge=3600
ReturnToService=2
NodeName={host} CPUs={cpus} RealMemory={mem_mb} State=UNKNOWN
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


def _ok(cmd: list[str]) -> bool:
    try:
        return subprocess.run(cmd, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _node_idle() -> bool:
    try:
        out = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.strip() in ("idle", "mixed", "allocated")


def start(state: Path) -> list[subprocess.Popen]:
    """Start what is not running; returns the daemons started here (stop() ends them)."""
    missing = [p for p in DAEMONS + CLIENTS if shutil.which(p) is None
               and not Path("/usr/sbin", p).exists()]
    if missing:
        raise Unavailable(f"Slurm/munge programs missing: {', '.join(missing)} "
                          "(apt-get install slurmctld slurmd slurm-client munge)")
    if os.geteuid() != 0:
        raise Unavailable("the test cluster's daemons run as root (SlurmUser=root)")
    if CONF.exists() and MARK not in CONF.read_text():
        raise Unavailable(f"{CONF} exists and was not written by this test: not touching a real cluster")
    started = []
    if not _ok(["sh", "-c", "munge -n | unmunge"]):
        for d in ("/run/munge", "/var/log/munge", "/var/lib/munge"):
            Path(d).mkdir(parents=True, exist_ok=True)
        subprocess.run(["/usr/sbin/munged", "--force"], check=True, capture_output=True)
        for _ in range(50):
            if _ok(["sh", "-c", "munge -n | unmunge"]):
                break
            time.sleep(0.1)
    if not _node_idle():
        for sub in ("ctld", "spool"):
            (state / sub).mkdir(parents=True, exist_ok=True)
        CONF.parent.mkdir(parents=True, exist_ok=True)
        CONF.write_text(_conf(state, os.cpu_count() or 2, 8000))
        started.append(subprocess.Popen(["/usr/sbin/slurmctld", "-D", "-i", "-f", str(CONF)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        started.append(subprocess.Popen(["/usr/sbin/slurmd", "-D", "-f", str(CONF)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for _ in range(120):
            if _node_idle():
                break
            time.sleep(0.5)
        else:
            stop(started)
            raise Unavailable(f"the Slurm node never became idle (logs in {state})")
    return started


def stop(started: list[subprocess.Popen]) -> None:
    """End the daemons start() started and remove the configuration it wrote for them: left behind,
    it makes every later Snakemake start on this machine wait ~9 s (the Slurm executor plugin runs
    `scontrol show config` when it is imported, and scontrol waits for the stopped controller)."""
    for p in reversed(started):
        p.terminate()
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
    if started and CONF.exists() and MARK in CONF.read_text():
        CONF.unlink()


def jobs() -> list[dict[str, str]]:
    """Every job the controller remembers (MinJobAge keeps finished ones), as scontrol's key=value."""
    out = subprocess.run(["scontrol", "show", "job", "-o"], capture_output=True, text=True, check=True).stdout
    result = []
    for line in out.splitlines():
        if not line.startswith("JobId="):
            continue
        fields = {}
        for token in line.split():
            if "=" in token:
                k, v = token.split("=", 1)
                fields[k] = v
        result.append(fields)
    return result
