"""Extract SAFE zips without trusting them: no absolute paths, no `..`, no links.

Members are written under a temporary folder beside the destination, checked,
and only then renamed into place, so a failed extraction leaves nothing a
later step could take for a product.
"""

from __future__ import annotations

import shutil
import stat
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from dinsar.errors import ProductError


def check_members(zf: zipfile.ZipFile, source: Path) -> str:
    """Refuse unsafe members; return the single top-level *.SAFE folder name."""
    tops = set()
    for info in zf.infolist():
        name = info.filename
        parts = PurePosixPath(name).parts
        if name.startswith(("/", "\\")) or (parts and ":" in parts[0]) or "\\" in name:
            raise ProductError(f"{source}: member {name!r} has an absolute path; refused")
        if ".." in parts:
            raise ProductError(f"{source}: member {name!r} leaves the destination (..); refused")
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise ProductError(f"{source}: member {name!r} is a symbolic link; refused")
        if parts:
            tops.add(parts[0])
    safes = sorted(t for t in tops if t.endswith(".SAFE"))
    if len(safes) != 1 or len(tops) != 1:
        raise ProductError(f"{source}: expected one top-level *.SAFE folder, found {sorted(tops)}")
    return safes[0]


def extract_safe(
    zip_path: Path, tmp_dir: Path, keep: Callable[[str], bool]
) -> Path:
    """Extract the members of a SAFE zip for which keep(relative path) is true into tmp_dir.

    Returns the extracted <name>.SAFE folder inside tmp_dir. CRC errors and
    truncated members raise ProductError.
    """
    try:
        zf = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as e:
        raise ProductError(f"{zip_path}: not a readable zip ({e})") from None
    with zf:
        top = check_members(zf, zip_path)
        root = (tmp_dir / top).resolve()
        for info in zf.infolist():
            rel = info.filename[len(top) + 1:]
            if info.is_dir() or not rel or not keep(rel):
                continue
            target = (root / rel).resolve()
            if root not in target.parents:
                raise ProductError(f"{zip_path}: member {info.filename!r} leaves the destination")
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(info) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 22)
            except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as e:
                raise ProductError(f"{zip_path}: member {info.filename!r} is corrupt ({e})") from None
    return root


def copy_safe(src_dir: Path, tmp_dir: Path, keep: Callable[[str], bool]) -> Path:
    """Mirror a SAFE folder: hard links where the filesystem allows, copies otherwise."""
    root = tmp_dir / src_dir.name
    for path in sorted(src_dir.rglob("*")):
        if path.is_symlink():
            raise ProductError(f"{src_dir}: {path.relative_to(src_dir)} is a symbolic link; refused")
        rel = str(path.relative_to(src_dir))
        if path.is_dir() or not keep(rel):
            continue
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            target.hardlink_to(path)
        except OSError:
            shutil.copy2(path, target)
    return root
