"""Fake PBS Pro commands (qsub, qstat, qdel) for testing the PBS profile without a cluster.

qsub records its arguments, runs the job script in the background from another
directory (as PBS does: jobs start in $HOME, not where qsub ran) and prints a
job id; qstat -fx answers in PBS Pro's format (job_state R, then F with
Exit_status); qdel kills the job. State lives in $FAKE_PBS_DIR.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

QSUB = r'''
import json, os, re, subprocess, sys
state = os.environ["FAKE_PBS_DIR"]
args = sys.argv[1:]
jobscript = args[-1]
props = {}
with open(jobscript) as f:
    for line in f:
        m = re.match(r"# properties = (.*)", line)
        if m:
            props = json.loads(m.group(1))
counter = os.path.join(state, "counter")
n = int(open(counter).read()) + 1 if os.path.exists(counter) else 1
open(counter, "w").write(str(n))
jobid = f"{n}.fakepbs"
with open(os.path.join(state, "submissions.jsonl"), "a") as f:
    f.write(json.dumps({"jobid": jobid, "args": args, "properties": props}) + "\n")
home = os.path.join(state, "home")
os.makedirs(home, exist_ok=True)
out = os.path.join(state, f"{jobid}.out")
done = os.path.join(state, f"{jobid}.exit")
script = f'/bin/sh "$0" > "{out}" 2>&1; echo $? > "{done}.tmp"; mv "{done}.tmp" "{done}"'
p = subprocess.Popen(["/bin/sh", "-c", script, jobscript], cwd=home, start_new_session=True)
open(os.path.join(state, f"{jobid}.pid"), "w").write(str(p.pid))
print(jobid)
'''

QSTAT = r'''
import os, sys
state = os.environ["FAKE_PBS_DIR"]
jobid = sys.argv[-1]
if sys.argv[1:2] != ["-fx"] or not os.path.exists(os.path.join(state, f"{jobid}.pid")):
    sys.stderr.write(f"qstat: Unknown Job Id {jobid}\n")
    sys.exit(153)
done = os.path.join(state, f"{jobid}.exit")
with open(os.path.join(state, "qstat_calls"), "a") as f:
    f.write(jobid + "\n")
lines = [f"Job Id: {jobid}", "    Job_Name = smk", "    Job_Owner = user@fakepbs"]
if os.path.exists(done):
    lines += ["    job_state = F", f"    Exit_status = {int(open(done).read())}"]
else:
    lines += ["    job_state = R"]
lines += ["    queue = workq", "    server = fakepbs"]
print("\n".join(lines))
'''

QDEL = r'''
import os, signal, sys
state = os.environ["FAKE_PBS_DIR"]
for jobid in sys.argv[1:]:
    pid = int(open(os.path.join(state, f"{jobid}.pid")).read())
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    open(os.path.join(state, f"{jobid}.exit"), "w").write("271")
'''


def install(bin_dir: Path, python: str = sys.executable) -> None:
    """Write executable qsub/qstat/qdel into bin_dir."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name, body in (("qsub", QSUB), ("qstat", QSTAT), ("qdel", QDEL)):
        path = bin_dir / name
        path.write_text(f"#!{python}\n{body}")
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def submissions(state: Path) -> list[dict]:
    path = state / "submissions.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def env(bin_dir: Path, state: Path) -> dict:
    return dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", FAKE_PBS_DIR=str(state))
