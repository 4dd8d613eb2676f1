"""A Sentinel-1 IW SLC as the chain uses it: the sub-swaths and bursts over a site, one merged grid.

    scene = open_iw(safe, "VV", orbit=eofs, box=(lon_min, lat_min, lon_max, lat_max), swaths=("IW1", "IW2"))
    scene.swaths[k].product / .bursts / .plan     # nearest sub-swath first
    scene.grid                                    # dinsar.geometry.deburst.MergeGrid of the selection

The selection is the bursts whose footprint meets the box (all without one), per sub-swath; each
sub-swath keeps the consecutive run of them (a burst selection with a hole would leave a deburst
without a neighbour's overlap). Two dates select the same ground, so their bursts are matched by ID
(dinsar.sensors.bursts.match) after each date has chosen its own; the pair's deburst plans are the
master's (`pair_plans`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from dinsar.errors import DinsarError, ProductError
from dinsar.geometry.deburst import DeburstPlan, MergeGrid, deburst_plan, merge_grid, pair_plan
from dinsar.sensors import bursts as burst_ids
from dinsar.sensors.bursts import BurstRef
from dinsar.sensors.sentinel1 import Sentinel1Product, open_product

IW_SWATHS = ("IW1", "IW2", "IW3")


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


def _consecutive(selected: list[BurstRef], source: str) -> list[BurstRef]:
    ids = [b.burst_id for b in selected]
    if any(b - a != 1 for a, b in zip(ids, ids[1:], strict=False)):
        raise ProductError(f"{source}: the bursts over the site ({ids}) are not consecutive (a missing burst in "
                           "the product); process the runs apart or pick a smaller box")
    return selected


def open_iw(path, polarisation: str = "VV", orbit=None, box: Sequence[float] | None = None,
            swaths: Sequence[str] = IW_SWATHS) -> IwScene:
    """The IW product's sub-swaths `swaths` (those it has) and their bursts over `box`, debursted and merged.

    Refused in one line: no IW product, none of `swaths` in it, no burst over the box."""
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
    order = {p.swath: k for k, p in enumerate(grid.placements)}
    subs.sort(key=lambda s: order[s.product.swath])
    return IwScene(str(path), products[0].name, products[0].polarisation, tuple(subs), grid)
