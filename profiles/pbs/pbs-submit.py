#!/usr/bin/env python3
"""Submit a Snakemake job script to PBS Pro; print the job id.

Resources come from the job script's `# properties = {...}` line, written by
Snakemake from the rule: threads -> ncpus, resources.mem_mb -> mem=<N>mb,
resources.runtime (minutes) -> walltime=HH:MM:SS.
"""

import json
import os
import re
import subprocess
import sys


def read_properties(jobscript: str) -> dict:
    with open(jobscript) as f:
        for line in f:
            m = re.match(r"# properties = (.*)", line)
            if m:
                return json.loads(m.group(1))
    raise SystemExit(f"pbs-submit: {jobscript}: no '# properties' line")


def walltime(minutes) -> str:
    total = int(round(float(minutes) * 60))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def qsub_args(props: dict, jobscript: str) -> list[str]:
    res = props.get("resources", {})
    ncpus = int(props.get("threads", 1))
    mem_mb = int(res.get("mem_mb", 1000))
    runtime = res.get("runtime", 60)
    name = f"smk.{props.get('rule', 'job')}"
    logdir = os.path.join("logs", "pbs")
    os.makedirs(logdir, exist_ok=True)
    args = ["qsub", "-V", "-N", name[:230], "-j", "oe",
            "-o", os.path.join(logdir, f"{name}.{props.get('jobid', 0)}.log"),
            "-l", f"select=1:ncpus={ncpus}:mem={mem_mb}mb",
            "-l", f"walltime={walltime(runtime)}"]
    if os.environ.get("DINSAR_PBS_QUEUE"):
        args += ["-q", os.environ["DINSAR_PBS_QUEUE"]]
    if os.environ.get("DINSAR_PBS_PROJECT"):
        args += ["-P", os.environ["DINSAR_PBS_PROJECT"]]
    return args + [jobscript]


def main() -> int:
    jobscript = sys.argv[-1]
    out = subprocess.run(qsub_args(read_properties(jobscript), jobscript),
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        return out.returncode
    print(out.stdout.strip().splitlines()[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
