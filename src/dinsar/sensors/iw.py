"""A Sentinel-1 IW SLC as the chain uses it: the sub-swaths and bursts over a site, one merged grid.

    scene = open_iw(safe, "VV", orbit=eofs, box=(lon_min, lat_min, lon_max, lat_max), swaths=("IW1", "IW2"))
    scene.swaths[k].product / .bursts / .plan     # nearest sub-swath first
    scene.grid                                    # dinsar.geometry.deburst.MergeGrid of the selection

The selection is the bursts whose footprint meets the box (all without one), per sub-swath; each
sub-swath keeps the consecutive run of them (a burst selection with a hole would leave a deburst
without a neighbour's overlap). Two dates select the same ground, so their bursts are matched by ID
(dinsar.sensors.bursts.match) after each date has chosen its own; the pair's deburst plans are the
master's (`pair_plans`).

With a box the merged grid is also cropped in range (`box_columns`, MergeGrid.crop_columns) to the
columns where the box can be seen, plus a margin: the sub-swaths keep only the part of their ~21 000
samples over the site, and a sub-swath the box does not reach is dropped. Each date crops on its own
geometry; the slave's pixels are resampled onto the master's cropped grid (dinsar.steps.tops.coregister).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from dinsar.errors import DinsarError, ProductError
from dinsar.geometry.deburst import DeburstPlan, MergeGrid, deburst_plan, merge_grid, pair_plan
from dinsar.sensors import bursts as burst_ids
from dinsar.sensors.bursts import BurstRef
from dinsar.sensors.sentinel1 import Sentinel1Product, open_product

log = logging.getLogger(__name__)

IW_SWATHS = ("IW1", "IW2", "IW3")
# Columns kept on each side of the box's columns. Not for the resampling: every merged pixel reads its own
# stencil from the SAFE, in or out of the window. For what works on the merged grid near the box's edge:
# a multilook cell, the Goldstein filter's window (32..64 px), geocoding's interpolation all take
# neighbours; and for the outline's sampling between points (< 1 sample for edges of a few 10 km).
RANGE_MARGIN_SAMPLES = 64
OUTLINE_POINTS = 33  # per edge of the box, corners included
# Heights at which the box's outline is projected. Slant range falls monotonically with a point's height
# (raising it moves it along the up vector, which has a positive component toward the sensor), so a
# bracket [lo, hi] holding every terrain height of the box gives columns holding every pixel of it. The
# merge runs before any DEM, so the bracket is the annotation's geolocation grid heights (the terrain
# heights of its ~210 nodes, ~4 km x ~20 km apart over the whole sub-swath, not only the box: Rome IW1
# 0..492 m) widened by 1000 m below and 3000 m above for the terrain between the nodes (the assumption:
# nothing in the box rises 3 km above the sub-swath's highest node), and kept within Earth's land
# heights (the Dead Sea's -430 m and Everest's 8849 m with their geoid heights: -500 .. 9000 m
# ellipsoidal). That bracket alone would be safe without any model but costs ~1900 samples more on Rome
# IW1's heights: each 1000 m widens the window by ~350 samples (cos θ·1000 m / 2.33 m). A summit past the
# bracket would lose the box's near-range edge behind it, not move any pixel.
HEIGHT_BELOW_M, HEIGHT_ABOVE_M = 1000.0, 3000.0
EARTH_HEIGHTS_M = (-500.0, 9000.0)


@dataclass(frozen=True)
class SubSwath:
    product: Sentinel1Product
    bursts: tuple[BurstRef, ...]  # the selected bursts, consecutive, in time order
    plan: DeburstPlan


@dataclass(frozen=True)
class IwScene:
    path: str
    name: str
    polarisation: str
    swaths: tuple[SubSwath, ...]  # in the merge grid's order (nearest range first)
    grid: MergeGrid

    @property
    def swath_names(self) -> str:
        """The merged sub-swaths as one swath name, e.g. IW1+IW2."""
        return "+".join(s.product.swath for s in self.swaths)

    def swath(self, name: str) -> SubSwath:
        for s in self.swaths:
            if s.product.swath == name:
                return s
        raise KeyError(name)

    def pair_plans(self, slave: IwScene) -> tuple[tuple[DeburstPlan, ...], MergeGrid, dict]:
        """The pair's deburst plans on this (master) scene's grid, that grid with them, and the matched
        bursts per sub-swath {swath: [(master BurstRef, slave BurstRef), ...]}.

        A sub-swath of the master that the slave lacks, or with no common burst, is refused in one line:
        a merged interferogram with a missing sub-swath would look complete but be a hole."""
        plans, matched = [], {}
        for sub in self.swaths:
            try:
                other = slave.swath(sub.product.swath)
            except KeyError:
                raise DinsarError(f"{slave.path}: no {sub.product.swath} bursts over the site, which the master "
                                  f"{self.name} has") from None
            pairs = burst_ids.match(list(sub.bursts), list(other.bursts))
            matched[sub.product.swath] = pairs
            plans.append(pair_plan(sub.plan, pairs))
        # the master's placements and cuts (a pair plan's valid columns may be narrower: same seams on
        # both dates, and the merged SLC of the master already uses them)
        return tuple(plans), replace(self.grid, plans=tuple(plans)), matched


def _outline(box: Sequence[float], n: int = OUTLINE_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """lon, lat of n points along each edge of (lon_min, lat_min, lon_max, lat_max)."""
    w, s, e, north = (float(v) for v in box)
    t = np.linspace(0.0, 1.0, n)
    lon = np.concatenate([w + (e - w) * t, np.full(n, e), e - (e - w) * t, np.full(n, w)])
    lat = np.concatenate([np.full(n, s), s + (north - s) * t, np.full(n, north), north - (north - s) * t])
    return lon, lat


def height_bracket(subs: Sequence[SubSwath]) -> tuple[float, float]:
    """The ellipsoidal heights (m) between which every terrain height of the site is taken to lie."""
    h = np.concatenate([s.product.footprint.height for s in subs])
    lo, hi = EARTH_HEIGHTS_M
    return max(lo, float(h.min()) - HEIGHT_BELOW_M), min(hi, float(h.max()) + HEIGHT_ABOVE_M)


def box_columns(subs: Sequence[SubSwath], grid: MergeGrid, box: Sequence[float], heights: tuple[float, float],
                margin: int | None = None) -> tuple[int, int] | None:
    """Merged columns [c0, c1) of `grid` where the box is seen, `margin` more on each side: geo2rdr of its
    outline at both `heights` (the site's lowest and highest ellipsoidal terrain heights, m: from a DEM, or
    `height_bracket`) on every sub-swath (its column + its placement's offset); margin None:
    RANGE_MARGIN_SAMPLES.

    A slant-range extreme over the box lies on its outline (range is monotonic across track at each
    azimuth time), and points of the box beyond the grid's lines count too (a wider window, never a
    narrower one). None where the orbit does not see some outline point (a box reaching past the orbit's
    span): its range extent is unknown there, so nothing is cropped."""
    lon, lat = _outline(box)
    h = np.concatenate([np.full(lon.shape, float(heights[0])), np.full(lon.shape, float(heights[1]))])
    lon, lat = np.tile(lon, 2), np.tile(lat, 2)
    cols = []
    for sub in subs:
        k = [p.swath for p in grid.placements].index(sub.product.swath)
        _, col = sub.product.geo2rdr(lon, lat, h)
        if not np.all(np.isfinite(col)):
            return None
        cols.append(col + grid.placements[k].col_offset)
    cols = np.concatenate(cols)
    margin = RANGE_MARGIN_SAMPLES if margin is None else margin
    return math.floor(cols.min()) - margin, math.ceil(cols.max()) + 1 + margin


def _crop(path, subs: list[SubSwath], grid: MergeGrid, box, heights) -> tuple[list[SubSwath], MergeGrid]:
    heights = height_bracket(subs) if heights is None else heights
    window = box_columns(subs, grid, box, heights)
    if window is None:
        log.warning("%s: the orbit does not see all of the site box %s; the merged grid keeps every column",
                    path, box)
        return subs, grid
    c0, c1 = window
    if c1 <= 0 or c0 >= grid.samples or not any(p.first_col < c1 and p.stop_col > c0 for p in grid.placements):
        raise ProductError(f"{path}: the site box {tuple(box)} is seen at merged columns {c0}..{c1}, outside the "
                           f"{'+'.join(p.swath for p in grid.placements)} columns 0..{grid.samples} of its bursts")
    cropped = grid.crop_columns(c0, c1)
    kept = {p.swath for p in cropped.placements}
    dropped = [s.product.swath for s in subs if s.product.swath not in kept]
    log.info("%s: site box in merged columns [%d, %d) of %d (heights %.0f .. %.0f m)%s", path, max(c0, 0),
             min(c1, grid.samples), grid.samples, *heights,
             f"; {', '.join(dropped)} dropped (no column over the box)" if dropped else "")
    # the plans with their valid samples clamped to the window: the ones ESD and the pair plans start from
    plans = dict(zip((p.swath for p in cropped.placements), cropped.plans, strict=True))
    return [replace(s, plan=plans[s.product.swath]) for s in subs if s.product.swath in kept], cropped


def _consecutive(selected: list[BurstRef], source: str) -> list[BurstRef]:
    ids = [b.burst_id for b in selected]
    if any(b - a != 1 for a, b in zip(ids, ids[1:], strict=False)):
        raise ProductError(f"{source}: the bursts over the site ({ids}) are not consecutive (a missing burst in "
                           "the product); process the runs apart or pick a smaller box")
    return selected


def open_iw(path, polarisation: str = "VV", orbit=None, box: Sequence[float] | None = None,
            swaths: Sequence[str] = IW_SWATHS, crop: bool = True,
            heights: tuple[float, float] | None = None) -> IwScene:
    """The IW product's sub-swaths `swaths` (those it has) and their bursts over `box`, debursted and merged,
    the merged grid cropped in range to the box (crop False: every column of the selected sub-swaths), for
    terrain between `heights` (ellipsoidal, m; None: the annotation's, height_bracket).

    Refused in one line: no IW product, none of `swaths` in it, no burst over the box, the box outside
    the sub-swaths' columns."""
    products = []
    for sw in swaths:
        try:
            products.append(open_product(path, polarisation=polarisation, swath=sw, orbit=orbit, modes=("IW",)))
        except ProductError as e:
            if f"no {sw}/" not in str(e):  # anything but "this sub-swath is not in the product"
                raise
    if not products:
        raise ProductError(f"{path}: none of the sub-swaths {', '.join(swaths)} in {polarisation}")
    subs = []
    for p in products:
        chosen = burst_ids.select(burst_ids.bursts_of(p), tuple(box) if box is not None else None)
        if not chosen:
            continue
        chosen = _consecutive(chosen, f"{path} {p.swath}")
        plan = deburst_plan(chosen, p.radar_grid.line_interval_s, p.shape[1])
        subs.append(SubSwath(p, tuple(chosen), plan))
    if not subs:
        raise ProductError(f"{path}: no burst of {', '.join(p.swath for p in products)} over the site box {box}")
    grid = merge_grid([s.plan for s in subs], [s.product.radar_grid for s in subs])
    if box is not None and crop:
        subs, grid = _crop(path, subs, grid, box, heights)
    order = {p.swath: k for k, p in enumerate(grid.placements)}
    subs.sort(key=lambda s: order[s.product.swath])
    return IwScene(str(path), products[0].name, products[0].polarisation, tuple(subs), grid)
