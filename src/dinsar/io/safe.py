"""A Sentinel-1 SAFE product as a directory or a zip, with uniform file access.

GDAL reads measurement TIFFs inside a zip through /vsizip/, so nothing is
extracted just to be read.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from dinsar.errors import ProductError

# s1a-s3-slc-vv-20210401t152855-20210401t152914-037258-04638e-001
_FILE_RE = re.compile(
    r"^(?P<mission>s1[abcd])-(?P<swath>[a-z]+\d?)-(?P<type>slc|grd|ocn)-(?P<pol>vv|vh|hh|hv)-"
    r"(?P<start>\d{8}t\d{6})-(?P<stop>\d{8}t\d{6})-(?P<orbit>\d{6})-(?P<take>[0-9a-f]{6})-"
    r"(?P<image>\d{3})$"
)


@dataclass(frozen=True)
class Measurement:
    """One swath/polarisation image of the product: its annotation and TIFF."""

    swath: str  # upper case: S3, IW1
    polarisation: str  # upper case: VV
    annotation: str  # path relative to the SAFE root
    tiff: str


class SafeContainer:
    """Files of a SAFE product, whether unzipped or still zipped."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if self.path.is_dir():
            self._zip = None
            self._root = ""
            self._names = sorted(
                str(p.relative_to(self.path)) for p in self.path.rglob("*") if p.is_file()
            )
        elif self.path.is_file():
            try:
                self._zip = zipfile.ZipFile(self.path)
            except (zipfile.BadZipFile, OSError) as e:
                raise ProductError(f"{self.path}: not a readable zip ({e})") from None
            tops = {n.split("/", 1)[0] for n in self._zip.namelist() if n.strip("/")}
            safes = [t for t in tops if t.endswith(".SAFE")]
            if len(safes) != 1:
                raise ProductError(f"{self.path}: expected one top-level *.SAFE folder, found {sorted(tops)}")
            self._root = safes[0] + "/"
            self._names = sorted(
                n[len(self._root):] for n in self._zip.namelist()
                if n.startswith(self._root) and not n.endswith("/")
            )
        else:
            raise ProductError(f"{self.path}: no such SAFE directory or zip")
        if "manifest.safe" not in self._names:
            raise ProductError(f"{self.path}: manifest.safe missing")

    @property
    def name(self) -> str:
        """Product name without .SAFE / .zip."""
        base = self._root.rstrip("/") if self._zip else self.path.name
        return base.removesuffix(".zip").removesuffix(".SAFE")

    def names(self) -> list[str]:
        return list(self._names)

    def read_bytes(self, rel: str) -> bytes:
        if rel not in self._names:
            raise ProductError(f"{self.path}: {rel} missing")
        if self._zip is not None:
            try:
                return self._zip.read(self._root + rel)
            except (zipfile.BadZipFile, OSError, EOFError) as e:
                raise ProductError(f"{self.path}: cannot read {rel} ({e})") from None
        return (self.path / rel).read_bytes()

    def gdal_path(self, rel: str) -> str:
        """A path GDAL/rasterio opens directly (through /vsizip/ for a zip)."""
        if self._zip is not None:
            return f"/vsizip/{self.path.resolve()}/{self._root}{rel}"
        return str(self.path / rel)

    def measurements(self) -> list[Measurement]:
        """Swath/polarisation pairs with both an annotation and a measurement TIFF."""
        tiffs = {
            Path(n).stem: n for n in self._names
            if n.startswith("measurement/") and n.endswith((".tiff", ".tif"))
        }
        found = []
        for n in self._names:
            if not (n.startswith("annotation/") and n.count("/") == 1 and n.endswith(".xml")):
                continue
            m = _FILE_RE.match(Path(n).stem)
            if m and Path(n).stem in tiffs:
                found.append(
                    Measurement(m["swath"].upper(), m["pol"].upper(), n, tiffs[Path(n).stem])
                )
        return found

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
