"""Write outputs under temporary names and rename them only when all succeeded.

A GeoTIFF is checked for completeness before its rename (dinsar.io.tiffcheck): GDAL can fail to
flush its last blocks on close without rasterio raising, and a truncated raster under its final
name would be taken for good output by the next step.
"""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import shutil
from collections.abc import Iterator
from pathlib import Path

from dinsar.errors import WriteError
from dinsar.io import tiffcheck

_FULL = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)
_LOW_SPACE = 64 << 20  # below this much free space a failed write is the disk being full


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp{os.getpid()}")


def write_cause(path: Path) -> str | None:
    """Why a write to `path` failed, when it is the disk or a file size limit; else None."""
    folder = path.parent if path.parent.exists() else Path(".")
    free = shutil.disk_usage(folder).free
    if free < _LOW_SPACE:
        return f"No space left on device ({free >> 20} MiB free in {folder})"
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    if limit != resource.RLIM_INFINITY and path.is_file() and path.stat().st_size >= limit:
        return f"file size limit reached (ulimit -f: {limit} bytes)"
    return None


@contextlib.contextmanager
def outputs(*paths: str | Path) -> Iterator[list[Path]]:
    """Yield temporary paths for `paths`; rename them into place on success, remove on error."""
    finals = [Path(p) for p in paths]
    tmps = [_tmp(p) for p in finals]
    for p in finals:
        p.parent.mkdir(parents=True, exist_ok=True)
    placed: list[Path] = []
    try:
        yield tmps
        for t, f in zip(tmps, finals, strict=True):
            if not t.exists():  # all of a step's outputs, or none of them
                raise WriteError(f"{f}: the step did not write it; none of its outputs was kept")
            if f.suffix.lower() in (".tif", ".tiff") and t.is_file():
                why = tiffcheck.incomplete(t)
                if why:
                    cause = write_cause(t) or "the write did not complete"
                    raise WriteError(f"{f}: {cause}; the raster was not finished ({why}) and was removed")
        for t, f in zip(tmps, finals, strict=True):
            if f.is_dir() and not f.is_symlink():
                shutil.rmtree(f)
            os.replace(t, f)
            placed.append(f)
    except BaseException as e:
        cause = None if isinstance(e, WriteError) else _full_cause(e, tmps)
        for t in tmps + placed:  # a rename failing half-way: no mixed set of old and new outputs
            _remove(t)
        if cause:
            names = ", ".join(f.name for f in finals)
            raise WriteError(f"{finals[0].parent}: {cause} while writing {names}; nothing was kept") from e
        raise


def _full_cause(e: BaseException, tmps: list[Path]) -> str | None:
    """The cause when `e` is a write that failed for a full disk or a file size limit, else None."""
    from rasterio.errors import RasterioIOError

    if isinstance(e, OSError) and e.errno in _FULL:
        return next(filter(None, (write_cause(t) for t in tmps)), None) or os.strerror(e.errno)
    if isinstance(e, RasterioIOError) and "write" in str(e).lower():  # GDAL's "Write failed"
        return next(filter(None, (write_cause(t) for t in tmps)), None)
    return None


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def replace_dir(src: str | Path, dst: str | Path) -> None:
    """The finished folder `src` takes the place of `dst` (an older `dst` is removed first: a rename
    cannot replace a non-empty folder)."""
    if Path(dst).exists():
        shutil.rmtree(dst)
    os.replace(src, dst)
