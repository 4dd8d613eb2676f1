"""Sentinel-1 precise / restituted orbit files (Earth Explorer *.EOF)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dinsar.errors import ProductError
from dinsar.io import xml
from dinsar.io.statevectors import StateVectors

# S1A_OPER_AUX_POEORB_OPOD_20210421T121827_V20210331T225942_20210402T005942.EOF
_NAME_RE = re.compile(
    r"^(?P<mission>S1[ABCD])_OPER_AUX_(?P<kind>POEORB|RESORB)_OPOD_(?P<created>\d{8}T\d{6})_"
    r"V(?P<start>\d{8}T\d{6})_(?P<stop>\d{8}T\d{6})\.EOF$"
)


@dataclass(frozen=True)
class OrbitFile:
    path: Path
    mission: str
    kind: str  # POEORB (precise) or RESORB (restituted)
    validity_start: np.datetime64
    validity_stop: np.datetime64
    created: np.datetime64


def stamp(s: str) -> np.datetime64:
    """A compact UTC stamp YYYYMMDDTHHMMSS (orbit and product names) as datetime64[ns]."""
    return np.datetime64(f"{s[:4]}-{s[4:6]}-{s[6:8]}T{s[9:11]}:{s[11:13]}:{s[13:15]}", "ns")


def describe(path: str | Path) -> OrbitFile | None:
    """Facts from an EOF file name, or None if the name is not an S1 orbit file."""
    path = Path(path)
    m = _NAME_RE.match(path.name)
    if not m:
        return None
    return OrbitFile(
        path, m["mission"], m["kind"], stamp(m["start"]), stamp(m["stop"]), stamp(m["created"])
    )


def read_eof(path: str | Path) -> StateVectors:
    """All state vectors of an EOF file (UTC times, ECEF metres and m/s)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ProductError(f"{path}: cannot read orbit file ({e.strerror})") from None
    root = xml.parse(data, str(path))
    frame = root.findtext(".//Variable_Header/Ref_Frame")
    if frame is not None and frame.strip() != "EARTH_FIXED":
        raise ProductError(f"{path}: orbit frame is {frame.strip()}, expected EARTH_FIXED")
    osvs = root.findall("Data_Block/List_of_OSVs/OSV")
    if len(osvs) < 2:
        raise ProductError(f"{path}: fewer than 2 orbit state vectors")
    src = str(path)
    return StateVectors(
        time=np.array([xml.time(o, "UTC", src) for o in osvs], dtype="M8[ns]"),
        position=np.array([[xml.number(o, a, src) for a in ("X", "Y", "Z")] for o in osvs]),
        velocity=np.array([[xml.number(o, a, src) for a in ("VX", "VY", "VZ")] for o in osvs]),
        source=src,
    )


def select_orbit(
    candidates: list[str | Path], mission: str, start: np.datetime64, stop: np.datetime64
) -> Path:
    """The orbit file covering [start, stop] for `mission`: precise before restituted, newest first."""
    usable = [
        o for o in (describe(p) for p in candidates)
        if o and o.mission == mission and o.validity_start <= start and stop <= o.validity_stop
    ]
    if not usable:
        raise ProductError(
            f"no {mission} orbit file among {len(candidates)} candidates covers {start} .. {stop}"
        )
    usable.sort(key=lambda o: (o.kind == "POEORB", o.created), reverse=True)
    return usable[0].path
