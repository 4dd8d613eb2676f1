"""The results lock (dinsar.runlock): held by one process for its lifetime, refused to any other with
one line naming the holder, free again when the holder ends however it ends."""

import subprocess
import sys

import pytest

from dinsar import runlock

HOLD = "import sys, time; from dinsar import runlock; runlock.acquire(sys.argv[1]); print('held', flush=True); " \
       "time.sleep(60)"


def test_one_holder_at_a_time(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path / "site")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(runlock.LockedError, match=rf"site: another run is writing this site's results "
                                                      rf"\(pid {holder.pid} on .*, in .*, since .*\); wait"):
            runlock.acquire(tmp_path / "site")
    finally:
        holder.kill()  # SIGKILL: the kernel drops the flock with the process
        holder.wait()
    assert runlock.acquire(tmp_path / "site") == (tmp_path / "site").resolve()
    assert runlock.acquire(tmp_path / "site") == (tmp_path / "site").resolve()  # again from the same process
