"""One run at a time writes a site's results folder.

Snakemake's own lock lives in the working directory's .snakemake/, so two runs from different
directories sharing one `results:` folder would both write it, and one run's failure would delete
the other's completed outputs. The lock is an flock on results/<site>/.dinsar.lock, held by the
Snakemake main process for the whole run (taken in the Snakefile's `onstart`, so dry runs and
"nothing to be done" take none) and released by the kernel however that process ends. Light:
imported while the Snakefile is parsed.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import socket
from pathlib import Path

from dinsar.errors import DinsarError

_held: dict[Path, int] = {}


class LockedError(DinsarError):
    """Another run holds the site's results folder."""


def acquire(folder: str | Path) -> Path:
    """Hold the lock of `folder` until this process ends; refuse in one line if another run holds it."""
    folder = Path(folder).resolve()
    if folder in _held:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ".dinsar.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 4096).decode(errors="replace").strip() or "unknown process"
        os.close(fd)
        raise LockedError(f"{folder}: another run is writing this site's results ({holder}); "
                          "wait for it to end, or stop it, then run again") from None
    os.ftruncate(fd, 0)
    now = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}, in {Path.cwd()}, since {now}\n".encode())
    _held[folder] = fd
    return folder
