"""`dinsar run`'s Snakemake process: stopped with it, and its failures told in one line each.

Snakemake runs as a child in its own process group, so a Ctrl-C reaches it once (forwarded here)
rather than twice. SIGINT, SIGTERM and SIGHUP sent to `dinsar run` reach Snakemake as SIGINT, its
"terminate now": it cancels the running jobs (local processes, or cluster jobs through the
executor) and removes their incomplete outputs (SIGTERM alone would let a 20-minute job finish).
`dinsar run` waits for it, so nothing keeps writing after `dinsar run` has gone, and Snakemake
releases its own lock (an immediate rerun needs no --unlock). On Linux the child also gets SIGINT
if `dinsar run` itself is killed (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

_FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _child_setup() -> None:
    # a job started in the background of a non-interactive shell inherits SIGINT ignored, and
    # Python then installs no KeyboardInterrupt handler: Snakemake would ignore the forwarded signal
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGINT)  # PR_SET_PDEATHSIG


def run_snakemake(cmd: list[str], env: dict, cwd: Path | None = None) -> int:
    """Run `cmd` to completion; return its exit status (after a failure, print each failed step's
    one-line error from its log)."""
    start = time.time()
    child = subprocess.Popen(cmd, env=env, cwd=cwd, process_group=0, preexec_fn=_child_setup)
    # a signal ignored on purpose stays ignored (`nohup dinsar run ...`: the hang-up must not stop it)
    forwarded = [s for s in _FORWARDED if signal.getsignal(s) is not signal.SIG_IGN or s == signal.SIGINT]
    previous = {s: signal.signal(s, lambda _sig, _frame: child.send_signal(signal.SIGINT)) for s in forwarded}
    try:
        rc = child.wait()  # retried by Python after each handled signal (PEP 475)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if rc != 0:
        for line in failed_steps(Path(cwd or ".") / "logs", start):
            print(line, file=sys.stderr)
    return rc


def failed_steps(logs: Path, since: float) -> list[str]:
    """`dinsar: <log>: <error>` for each rule log written since `since` that ends in an error."""
    lines = []
    for path in sorted(logs.rglob("*.log")) if logs.is_dir() else []:
        if path.stat().st_mtime < since:
            continue
        errors = [ln for ln in path.read_text(errors="replace").splitlines() if " ERROR dinsar: " in ln]
        if errors:
            lines.append(f"dinsar: {path}: {errors[-1].split(' ERROR dinsar: ', 1)[1]}")
    return lines
