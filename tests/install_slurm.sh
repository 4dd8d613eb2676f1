#!/usr/bin/env sh
# Best effort: Debian's Slurm and munge for the real-Slurm test (tests/workflow/slurm_cluster.py).
# Does nothing when they are present, or when this is not root on a Debian-like system; the
# test then says why it cannot run (and fails under DINSAR_REQUIRE_SLURM=1, as in CI).
command -v slurmctld >/dev/null 2>&1 && command -v slurmd >/dev/null 2>&1 \
    && command -v sbatch >/dev/null 2>&1 && command -v munged >/dev/null 2>&1 && exit 0
[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || exit 0
echo "installing slurmctld slurmd slurm-client munge for the Slurm profile's test" >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurmctld slurmd slurm-client munge >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 \
         && DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurmctld slurmd slurm-client munge >/dev/null 2>&1; } \
    || echo "could not install Slurm; its test will be skipped" >&2
exit 0
