"""Stack steps (SAR_MultiSlc): baselines of every product against the master, small-baseline pairs."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from pathlib import Path

import numpy as np

from dinsar.errors import DinsarError
from dinsar.geometry.baseline import perpendicular_baseline, temporal_baseline_days
from dinsar.io import atomic, plots
from dinsar.layout import acquisition_start
from dinsar.sensors import SENSORS, sensor_of
from dinsar.steps.common import open_chain_product

log = logging.getLogger(__name__)

_NAME = re.compile(r"^S1[A-D]_[A-Z0-9]{2}_SLC__1S[SD][VH]_(\d{8})T\d{6}_")


def _product_of(path: Path) -> tuple[str, str] | None:
    """(sensor, YYYY-MM-DD) of an SLC product in a stack folder, None for anything else: a Sentinel-1 SLC
    SAFE dir or zip, a COSMO-SkyMed HDF5 file, a TerraSAR-X / TanDEM-X SSC product folder."""
    sensor = sensor_of(path)
    if sensor == "sentinel1":
        m = _NAME.match(path.name) if path.suffix in (".SAFE", ".zip") else None
        return (sensor, dt.datetime.strptime(m.group(1), "%Y%m%d").date().isoformat()) if m else None
    if sensor == "terrasar" and not path.is_dir():
        return None
    try:
        day, _ = acquisition_start(path.stem if sensor == "cosmo" else path.name)
    except ValueError:
        return None
    return sensor, f"{day[:4]}-{day[4:6]}-{day[6:]}"


def select_stack(folders, start: str | None = None, end: str | None = None, master: str | None = None,
                 ) -> tuple[Path, list[Path]]:
    """SAR_MultiSlc's choice: the SLC products (Sentinel-1 SAFE dirs or zips, COSMO-SkyMed HDF5 files,
    TerraSAR-X product folders; one sensor) in `folders` acquired from `start` to `end` (YYYY-MM-DD,
    inclusive), the one of date `master` (default: the first) as master, the others as slaves in date
    order."""
    found: dict[str, list[Path]] = {}
    sensors: dict[str, Path] = {}
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            raise DinsarError(f"{folder}: not a folder of SLC products")
        for path in sorted(folder.iterdir()):
            got = _product_of(path)
            if got:
                sensors.setdefault(got[0], path)
                found.setdefault(got[1], []).append(path)
    if len(sensors) > 1:
        a, b = sorted(sensors.items())[:2]
        raise DinsarError(f"{b[1]}: a {SENSORS[b[0]]} product among {SENSORS[a[0]]} ones ({a[1].name}); a stack is "
                          "one sensor's")
    days = [d for d in sorted(found) if (not start or d >= start) and (not end or d <= end)]
    if len(days) < 2:
        raise DinsarError(f"{', '.join(map(str, folders))}: {len(days)} acquisition date(s) between "
                          f"{start or 'the first'} and {end or 'the last'}; a stack needs two")
    for day in days:
        if len(found[day]) > 1:
            raise DinsarError(f"{found[day][1]}: a second product on {day} ({found[day][0].name}); keep one per date")
    master = master or days[0]
    if master not in days:
        raise DinsarError(f"-m {master}: no product on that date between {days[0]} and {days[-1]} "
                          f"(dates: {', '.join(days)})")
    return found[master][0], [found[d][0] for d in days if d != master]


def small_baseline_pairs(products: list[dict], max_days: float, max_perp_m: float) -> list[list[str]]:
    """Slave-slave pairs (earlier first) within both limits; the master's pairs are always made."""
    slaves = sorted((p for p in products if not p["master"]), key=lambda p: p["time"])
    pairs = []
    for i, a in enumerate(slaves):
        for b in slaves[i + 1:]:
            days = abs(b["days"] - a["days"])
            if days <= max_days and abs(b["b_perp_m"] - a["b_perp_m"]) <= max_perp_m:
                pairs.append([a["name"], b["name"]])
    return pairs


def baselines(master_safe, slave_safes, dst_json, dst_png=None, polarisation: str | None = None, orbits=None,
              small_baseline: dict | None = None) -> Path:
    """Temporal and perpendicular baselines of each slave against the master at the scene centre
    (B⊥ also at near and far range), the small-baseline pairs, and a baseline plot (PNG)."""
    m = open_chain_product(master_safe, polarisation, orbits)
    lines, cols = m.shape
    line = np.full(3, (lines - 1) / 2)
    col = np.array([0.0, (cols - 1) / 2, cols - 1.0])
    lon, lat, h = m.rdr2geo(line, col, np.zeros(3))
    records = [{"name": m.name, "time": str(m.start_time), "days": 0.0, "b_perp_m": 0.0, "b_par_m": 0.0,
                "b_perp_near_far_m": [0.0, 0.0], "master": True}]
    for path in slave_safes:
        s = open_chain_product(path, polarisation, orbits)
        if s.name == m.name:
            raise DinsarError(f"{path}: a slave of the stack is the master ({m.name})")
        b_perp, b_par = perpendicular_baseline(m, s, lon, lat, h)
        if not np.all(np.isfinite(b_perp)):
            raise DinsarError(f"{path}: its orbit does not see the master's scene centre")
        days = temporal_baseline_days(m, s)
        records.append({"name": s.name, "time": str(s.start_time), "days": days,
                        "b_perp_m": float(b_perp[1]), "b_par_m": float(b_par[1]),
                        "b_perp_near_far_m": [float(b_perp[0]), float(b_perp[2])], "master": False})
    pairs = []
    if small_baseline:
        pairs = small_baseline_pairs(records, float(small_baseline["max_days"]),
                                     float(small_baseline["max_perp_m"]))
    result = {"master": m.name, "products": records, "small_baseline": small_baseline,
              "small_baseline_pairs": pairs,
              "conventions": "B_perp > 0: slave above the master's line of sight; days from the master"}
    outs = [dst_json] + ([dst_png] if dst_png else [])
    with atomic.outputs(*outs) as tmps:
        tmps[0].write_text(json.dumps(result, indent=1))
        if dst_png:
            plots.baselines_png(records, pairs, tmps[1])
    log.info("baselines of %d products against %s; %d small-baseline pairs", len(records) - 1, m.name, len(pairs))
    return Path(dst_json)
