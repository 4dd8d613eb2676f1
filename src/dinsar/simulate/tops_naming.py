"""Names of the simulated IW pair's products, known from the config alone: Snakemake needs them before any job.

numpy only (no numba, rasterio, pyproj): the workflow's planner imports this on every parse. write_iw_pair
names its products with the same function, so the planner's names are the simulator's by construction.
A product runs from its first IW1 line to its last IW2 line (tops_config: IW1 starts each cycle).
"""

from __future__ import annotations

import numpy as np

from dinsar.simulate.config import PairConfig
from dinsar.simulate.naming import product_name
from dinsar.simulate.tops_config import IwPairConfig, layout
from dinsar.simulate.tops_timing import IW_TIMING


def _ns(seconds: float) -> np.timedelta64:
    return np.timedelta64(int(round(seconds * 1e9)), "ns")


def product_names(cfg: IwPairConfig) -> tuple[str, str]:
    """(master, slave) product names of the IW pair `cfg`."""
    ati, cycle = IW_TIMING["azimuth_time_interval_s"], IW_TIMING["burst_cycle_lines"]
    swaths = layout(cfg)
    first_s = min(sw.line_offset for sw in swaths) * ati  # from the scene's line 0, each pass's own
    last_s = max(sw.line_offset + sw.span_lines - 1 for sw in swaths) * ati
    master = np.datetime64(cfg.start_time, "ns")
    # the slave's line 0: `days` later and its burst synchronisation shift on a whole µs (tops_scene)
    slave = master + np.timedelta64(cfg.days, "D") + _ns(round(cfg.slave_shift[0] * ati, 6))
    skip_s = cfg.slave_skip_first_bursts * cycle * ati
    key = f"{cfg.start_time}{cfg.samples}"
    return (product_name("IW", master + _ns(first_s), master + _ns(last_s), key + "master"),
            product_name("IW", slave + _ns(first_s + skip_s), slave + _ns(last_s), key + "slave"))


def iw_product_names(simulate: dict) -> tuple[str, str]:
    """(master, slave) product names of a `simulate:` section with `mode: IW` (dinsar.steps.preprocess
    simulate_iw_pair simulates that pair)."""
    return product_names(IwPairConfig.from_pair(PairConfig.from_dict(simulate)))
