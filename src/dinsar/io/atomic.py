"""Write outputs under temporary names and rename them only when all succeeded."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp{os.getpid()}")


@contextlib.contextmanager
def outputs(*paths: str | Path) -> Iterator[list[Path]]:
    """Yield temporary paths for `paths`; rename them into place on success, remove on error."""
    finals = [Path(p) for p in paths]
    tmps = [_tmp(p) for p in finals]
    for p in finals:
        p.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield tmps
    except BaseException:
        for t in tmps:
            _remove(t)
        raise
    for t, f in zip(tmps, finals, strict=True):
        if f.is_dir() and not f.is_symlink():
            shutil.rmtree(f)
        os.replace(t, f)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
