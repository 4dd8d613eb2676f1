"""Names of simulated products, known from the config alone: Snakemake needs them before any job.

numpy only (no numba, rasterio, pyproj): the Snakefile's planner imports this on every parse.
"""

from __future__ import annotations

import zlib

import numpy as np

from dinsar.simulate.config import S4_TIMING, PairConfig

# Sentinel-1A's first orbit, near enough to give plausible orbit numbers to simulated dates
S1A_ORBIT_1 = np.datetime64("2014-04-03T00:00:00")


def absolute_orbit(t: np.datetime64) -> int:
    """Absolute orbit number of S1A at time t (175 orbits in the 12-day repeat cycle)."""
    return int((t - S1A_ORBIT_1) / np.timedelta64(1, "s") / (12 * 86400 / 175)) + 1


def relative_orbit(absolute: int) -> int:
    return (absolute - 73) % 175 + 1


def product_name(swath: str, first: np.datetime64, last: np.datetime64, key: str) -> str:
    """S1A_<swath>_SLC__1SDV_<start>_<stop>_<orbit>_<take>_<crc of key>: ESA's naming."""
    fmt = "%Y%m%dT%H%M%S"
    orbit = absolute_orbit(first)
    crc = zlib.crc32(key.encode()) & 0xFFFF
    return (f"S1A_{swath}_SLC__1SDV_{np.datetime64(first, 's').item().strftime(fmt)}_"
            f"{np.datetime64(last, 's').item().strftime(fmt)}_{orbit:06d}_{orbit % 0xFFFFFF:06X}_{crc:04X}")


def _name(first: np.datetime64, lines: int, key: str) -> str:
    last = first + np.timedelta64(int(lines * S4_TIMING["azimuth_time_interval_s"] * 1e9), "ns")
    return product_name("S4", first, last, key)


def product_names(cfg: PairConfig) -> tuple[str, list[str]]:
    """Names of the master and of each slave, known from the config alone (Snakemake needs them up front)."""
    key = f"{cfg.start_time}{tuple(cfg.size)}{cfg.days}"
    first_m = np.datetime64(cfg.start_time, "ns")
    shift = np.timedelta64(int(cfg.slave_shift[0] * S4_TIMING["azimuth_time_interval_s"] * 1e9), "ns")
    slaves = [_name(first_m + np.timedelta64(days, "D") + shift, cfg.size[0],
                    key + ("s" if not cfg.stack else f"s{days}")) for days, _, _ in cfg.slaves()]
    return _name(first_m, cfg.size[0], key + "m"), slaves


def pair_names(cfg: PairConfig) -> tuple[str, str]:
    """Product names of a simulated pair (master, slave)."""
    master, slaves = product_names(cfg)
    if len(slaves) != 1:
        raise ValueError("pair_names: the config simulates a stack")
    return master, slaves[0]
