"""Sentinel-1 IW bursts as the unit: ESA burst IDs, selection by area, matching between dates.

    refs = bursts_of(product)                      # or bursts_of(annotation, relative_orbit=...)
    refs = select(refs, (lon_min, lat_min, lon_max, lat_max))
    pairs = match(master_refs, slave_refs)         # [(master BurstRef, slave BurstRef), ...]

A burst is named by ESA's burst ID (Sentinel-1 Level 1 Detailed Algorithm Definition, S1-TN-MDA-52-7445,
eq. 9-89 and 9-91), the same ID for every date and both satellites of a track:

    Δt_b = t_b − t_ANX + (r − 1)·T_orb                    (time since the ANX of relative orbit 1)
    id   = 1 + floor((Δt_b − T_pre) / T_beam)

t_b is the mid-burst sensing time of the IW2 burst of the burst's beam cycle, t_ANX the ascending node
crossing before the product's start (annotation imageInformation/ascendingNodeTime), r the relative
orbit of that orbit, T_orb = 12 d / 175, T_beam = 2.758273 s and T_pre = 2.299849 s (the DAD's table
9-7). IW1 and IW3 bursts take the ID of their cycle's IW2 burst: their sensing start is moved to that
burst's mid time by the nominal IW1 → IW2 → IW3 burst spacings (0.832 s, 1.078 s; s1-reader measured
them). Since IPF 3.40 the annotation carries the ID (swathTiming/burstList/burst/burstId); where it
does, it must agree with the computation, else the product is refused. Bursts are matched between
dates by (swath, ID), checked by time, never by their index in the product (DESIGN.md, TOPS).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dinsar.errors import DinsarError, ProductError
from dinsar.io.annotation import Annotation

ORBITS_PER_CYCLE = 175
T_ORBIT_S = 12 * 86400.0 / ORBITS_PER_CYCLE  # nominal orbit period of the 12-day repeat
CYCLE_S = ORBITS_PER_CYCLE * T_ORBIT_S
T_BEAM_S = 2.758273  # IW beam cycle: one burst of each sub-swath
T_PRE_S = 2.299849  # IW preamble: where burst 1 starts after the ANX of relative orbit 1
MAX_BURST_ID = 1 + int(np.floor((CYCLE_S - T_PRE_S) / T_BEAM_S))  # 375887: the last burst of orbit 175
# sensing start of a sub-swath's burst -> mid-burst sensing time of the IW2 burst of the same cycle
# (IW1 → IW2 takes 0.832 s, IW2 → IW3 1.078 s); on real products this lands within a few ms of the
# middle of a T_beam bin, so an error of up to ~1 s in these offsets could not change an ID
TO_IW2_MID_S = {"IW1": 0.832 + 1.078 / 2, "IW2": 1.078 / 2, "IW3": -1.078 / 2}
TO_IW1_START_S = {"IW1": 0.0, "IW2": -0.832, "IW3": -0.832 - 1.078}
# The same burst on two dates sits at the same time in the repeat cycle: S1 flies an orbital tube and
# its bursts are synchronised to the ANX, so their cycle times agree to a few ms; 0.5 s (T_beam / 5.5)
# catches a wrong ANX or relative orbit long before an ID could be shared by a wrong burst.
MATCH_TOLERANCE_S = 0.5
# relative orbit = (absolute − offset) mod 175 + 1, per satellite (ESA's orbit numbering); others
# (S1C, S1D) need the manifest's relativeOrbitNumber
_ORBIT_OFFSET = {"S1A": 73, "S1B": 27}


@dataclass(frozen=True, eq=False)  # eq=False: the footprint array has no truth value
class BurstRef:
    """One burst of an IW product: its ESA identity, where it lies in the image and on the ground."""

    product: str  # the product's name, for messages
    swath: str  # IW1, IW2, IW3
    burst_id: int  # ESA (relative) burst ID, 1 .. 375887, the same on every date of the track
    relative_orbit: int  # the track the burst's cycle starts in (changes across the ANX)
    index: int  # in this product; differs between dates, so never used for matching
    azimuth_time: np.datetime64  # zero-Doppler time of the burst's first line
    sensing_time: np.datetime64  # raw sensing start (the burst ID's time)
    cycle_time_s: float  # Δt_b: mid-IW2 sensing time since the ANX of relative orbit 1
    first_line: int  # in the burst-stacked image
    lines: int
    valid_lines: tuple[int, int]  # [first, stop) within the burst: lines with any valid sample
    valid_samples: tuple[int, int]  # [first, stop): the columns valid on every valid line
    footprint: np.ndarray = field(repr=False)  # (n, 2) lon/lat ring of the valid lines, degrees

    @property
    def key(self) -> tuple[str, int]:
        return self.swath, self.burst_id

    @property
    def name(self) -> str:
        """The track/ID/swath name OPERA and s1-reader use, e.g. t009_018023_iw3."""
        return f"t{self.relative_orbit:03d}_{self.burst_id:06d}_{self.swath.lower()}"


def relative_orbit_of(mission: str, absolute_orbit: int, source: str = "") -> int:
    """The relative orbit (track, 1..175) of an absolute orbit number of S1A or S1B."""
    if mission not in _ORBIT_OFFSET:
        raise ProductError(f"{source}: no relative orbit rule for {mission}; pass the manifest's "
                           "relativeOrbitNumber (bursts_of(product) reads it)")
    return (absolute_orbit - _ORBIT_OFFSET[mission]) % ORBITS_PER_CYCLE + 1


def burst_id(swath: str, sensing_time: np.datetime64, anx_time: np.datetime64,
             relative_orbit: int) -> tuple[int, int, float]:
    """(ESA burst ID, relative orbit, Δt_b in s) of a burst from its sensing start (DAD eq. 9-89, 9-91).

    anx_time: the ANX starting relative orbit `relative_orbit`; a burst more than one orbit after it
    (a product crossing the equator northward) simply runs on in Δt_b, and past orbit 175 the cycle
    wraps to orbit 1. The first T_pre of orbit 1 belongs to the last burst of orbit 175 (ID 375887).
    """
    since_anx = (sensing_time - anx_time) / np.timedelta64(1, "s")
    offset = (relative_orbit - 1) * T_ORBIT_S
    dt_b = (since_anx + TO_IW2_MID_S[swath] + offset) % CYCLE_S
    # the cycle is 375886.6 bins long: the last bin (375887) runs 1.26 s into orbit 1, and the
    # 1.04 s left before bin 1 starts at T_pre belong to no bin; they go to the last one
    bid = min(1 + int(np.floor(((dt_b - T_PRE_S) % CYCLE_S) / T_BEAM_S)), MAX_BURST_ID)
    track = 1 + int(((since_anx + TO_IW1_START_S[swath] + offset) % CYCLE_S) // T_ORBIT_S)
    return bid, track, float(dt_b)


def bursts_of(source, relative_orbit: int | None = None) -> list[BurstRef]:
    """The bursts of an IW product (a Sentinel1Product) or of its annotation, in image order.

    relative_orbit: taken from the product's manifest; for a bare annotation from this argument or,
    for S1A/S1B, from the absolute orbit.
    """
    if isinstance(source, Annotation):
        ann, name = source, source.source
        track = relative_orbit or relative_orbit_of(ann.mission, ann.absolute_orbit, ann.source)
    else:
        ann, name = source.annotation, source.name
        track = relative_orbit or source.manifest.relative_orbit
    if ann.swath not in TO_IW2_MID_S or not ann.bursts or ann.lines_per_burst <= 0:
        raise ProductError(f"{ann.source}: {ann.mode} {ann.swath} image without IW bursts; burst IDs "
                           "are defined for IW TOPS only")
    if ann.ascending_node_time is None:
        raise ProductError(f"{ann.source}: no imageInformation/ascendingNodeTime, the origin of burst IDs")

    lpb = ann.lines_per_burst
    line_s = np.timedelta64(int(round(ann.azimuth_time_interval_s * 1e9)), "ns")
    refs = []
    for k, b in enumerate(ann.bursts):
        bid, burst_track, dt_b = burst_id(ann.swath, b.sensing_time, ann.ascending_node_time, track)
        if b.burst_id is not None and b.burst_id != bid:
            # a wrong relative orbit or ANX would misname every burst: refuse rather than mismatch dates
            raise ProductError(f"{ann.source}: burst {k} is annotated burstId {b.burst_id}, but its time "
                               f"since the ANX on relative orbit {track} gives {bid}")
        lines, samples = _valid_window(b.first_valid_sample, b.last_valid_sample, lpb, ann.source, k)
        times = b.azimuth_time + np.array([lines[0], lines[1] - 1]) * line_s  # first and last valid line
        refs.append(BurstRef(
            product=name, swath=ann.swath, burst_id=bid, relative_orbit=burst_track, index=k,
            azimuth_time=b.azimuth_time, sensing_time=b.sensing_time, cycle_time_s=dt_b,
            first_line=k * lpb, lines=lpb, valid_lines=lines, valid_samples=samples,
            footprint=_footprint(ann, times),
        ))
    return refs


def _valid_window(first: np.ndarray, last: np.ndarray, lines: int, source: str,
                  k: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """[first, stop) lines with valid samples, and [first, stop) columns valid on all of them.

    firstValidSample is −1 on the lines the focusing left empty (the burst's ramp-up and ramp-down);
    the common column range is the one a mosaic can use without per-line masks.
    """
    good = np.flatnonzero(first >= 0)
    if len(first) != lines or good.size == 0:
        raise ProductError(f"{source}: burst {k} has {len(first)} firstValidSample values for {lines} "
                           f"lines, {good.size} of them valid")
    return ((int(good[0]), int(good[-1]) + 1),
            (int(first[good].max()), int(last[good].min()) + 1))


def _footprint(ann: Annotation, times: np.ndarray) -> np.ndarray:
    """lon/lat ring of the swath between two azimuth times, from the geolocation grid.

    In IW the grid's rows sit at each burst's first line (and the last image line), so a burst's last
    lines lie past the next burst's row: interpolate each grid column linearly in azimuth time rather
    than take the rows by line number. Longitudes are unwrapped, so a ring may run past ±180°.
    """
    g = ann.geolocation_grid
    t0 = ann.first_line_time
    sec = (g.azimuth_time - t0) / np.timedelta64(1, "s")
    at = (times - t0) / np.timedelta64(1, "s")
    edge = []
    for p in np.unique(g.pixel):
        m = np.flatnonzero(g.pixel == p)
        m = m[np.argsort(sec[m])]
        lon = np.rad2deg(np.unwrap(np.deg2rad(g.longitude[m])))
        edge.append([(np.interp(at[i], sec[m], lon), np.interp(at[i], sec[m], g.latitude[m])) for i in (0, 1)])
    edge = np.array(edge)  # (columns, [first, last], [lon, lat]), near to far range
    return np.concatenate([edge[:, 0], edge[::-1, 1]])


def select(bursts: list[BurstRef], lonlat_box: tuple[float, float, float, float] | None = None
           ) -> list[BurstRef]:
    """The bursts whose footprint overlaps (lon_min, lat_min, lon_max, lat_max), degrees; all for None.

    The result may be empty: the caller knows what the box stands for and says so.
    """
    if lonlat_box is None:
        return list(bursts)
    w, s, e, n = (float(v) for v in lonlat_box)
    if not (w < e and s < n):
        raise DinsarError(f"burst selection box {lonlat_box}: needs lon_min < lon_max and lat_min < lat_max")
    return [b for b in bursts if _overlaps(b.footprint, (w, s, e, n))]


def _overlaps(ring: np.ndarray, box: tuple[float, float, float, float]) -> bool:
    """Whether a polygon and a box share some area: clip the polygon to the box (Sutherland–Hodgman)."""
    w, s, e, n = box
    pts = ring.copy()
    pts[:, 0] += 360.0 * np.round(((w + e) / 2 - pts[:, 0].mean()) / 360.0)  # the box's side of ±180°
    for axis, bound, keep_above in ((0, w, True), (0, e, False), (1, s, True), (1, n, False)):
        if len(pts) == 0:
            return False
        inside = pts[:, axis] >= bound if keep_above else pts[:, axis] <= bound
        out = []
        for i in range(len(pts)):
            a, b = pts[i - 1], pts[i]
            if inside[i] != inside[i - 1]:  # the edge crosses the bound: keep the crossing point
                f = (bound - a[axis]) / (b[axis] - a[axis])
                out.append(a + f * (b - a))
            if inside[i]:
                out.append(b)
        pts = np.array(out).reshape(-1, 2)
    if len(pts) < 3:
        return False
    x, y = pts[:, 0], pts[:, 1]
    return abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) > 0.0


def match(master: list[BurstRef], slave: list[BurstRef]) -> list[tuple[BurstRef, BurstRef]]:
    """(master, slave) pairs of the same burst, in master order: same (swath, burst ID), checked by time.

    Each pair's cycle times Δt_b must agree within MATCH_TOLERANCE_S; a pair with no common burst is
    refused, naming both products.
    """
    names = f"{_product(master)} and {_product(slave)}"
    _by_key(master)  # only for its check: a product naming two bursts alike cannot be matched
    slaves = _by_key(slave)
    pairs = []
    for m in master:
        s = slaves.get(m.key)
        if s is None:
            continue
        if abs(m.cycle_time_s - s.cycle_time_s) > MATCH_TOLERANCE_S:
            raise DinsarError(f"{names}: burst {m.name} is {m.cycle_time_s - s.cycle_time_s:+.3f} s apart in "
                              f"the repeat cycle (tolerance {MATCH_TOLERANCE_S} s): wrong ANX or relative orbit")
        pairs.append((m, s))
    if not pairs:
        raise DinsarError(f"{names} share no burst: {_span(master)} vs {_span(slave)}")
    return pairs


def _by_key(bursts: list[BurstRef]) -> dict[tuple[str, int], BurstRef]:
    seen: dict[tuple[str, int], BurstRef] = {}
    for b in bursts:
        if b.key in seen:
            raise DinsarError(f"{b.product}: bursts {seen[b.key].index} and {b.index} share the ID {b.name}")
        seen[b.key] = b
    return seen


def _product(bursts: list[BurstRef]) -> str:
    return bursts[0].product if bursts else "(no bursts)"


def _span(bursts: list[BurstRef]) -> str:
    if not bursts:
        return "none"
    keys = sorted({b.swath for b in bursts})
    ids = [b.burst_id for b in bursts]
    return f"{'/'.join(keys)} t{bursts[0].relative_orbit:03d} IDs {min(ids)}..{max(ids)}"
