#!/usr/bin/env python3
"""Print running / success / failed for a PBS Pro job id, from `qstat -fx`.

job_state F (finished) or X (finished subjob): success if Exit_status is 0,
failed otherwise. Any other state (Q, R, H, W, E, B, S, T, M, U) is still
running. A job PBS no longer knows is failed; a qstat that cannot reach the
server is reported as running so that Snakemake asks again.
"""

import re
import subprocess
import sys


def status(qstat_output: str) -> str:
    state = re.search(r"^\s*job_state\s*=\s*(\S+)", qstat_output, re.M)
    if not state:
        return "running"
    if state.group(1) not in ("F", "X"):
        return "running"
    code = re.search(r"^\s*Exit_status\s*=\s*(-?\d+)", qstat_output, re.M)
    return "success" if code and int(code.group(1)) == 0 else "failed"


def main() -> int:
    jobid = sys.argv[1]
    out = subprocess.run(["qstat", "-fx", jobid], capture_output=True, text=True)
    if out.returncode != 0:
        unknown = "Unknown Job Id" in out.stderr or "Job has finished" in out.stderr
        print("failed" if unknown else "running")
        if not unknown:
            sys.stderr.write(out.stderr)
        return 0
    print(status(out.stdout))
    return 0


if __name__ == "__main__":
    sys.exit(main())
