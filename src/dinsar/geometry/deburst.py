"""TOPS deburst and sub-swath merge plans: which source line and column feeds each output pixel.

Geometry only: the plans say where every debursted (merged) pixel comes from and whether it is valid;
reading, resampling and writing the pixels is the business of the steps that use them.

Deburst of one sub-swath (DESIGN.md, TOPS: consecutive bursts cut at the overlap's midpoint time, the
same cut for both dates). All its bursts lie on one azimuth grid of interval Δt (the IPF places them
so; checked to LINE_TOLERANCE), so the debursted grid is that grid:

    first line    t_0 = first valid line time of the first burst
    line j        t_0 + j·Δt, j = 0 .. lines - 1, up to the last valid line of the last burst
    burst k       burst line i is debursted line i + start_k, start_k = (t_k - t_0)/Δt (an integer)
    overlap k|k+1 debursted lines [a, b]: a = burst k+1's first valid line, b = burst k's last valid line
    cut k|k+1     at the overlap's mid time t_0 + (a + b)/2·Δt; burst k supplies the lines before it,
                  burst k+1 the lines from `line` = ceil((a + b)/2) on: the two halves get the same
                  count when the overlap has an even number of lines, the middle line goes to the later
                  burst when odd
    valid         a debursted pixel is valid where its burst's line is in valid_lines and its column in
                  valid_samples (annotation firstValidSample / lastValidSample)

Bursts that do not overlap (none in IW) leave a gap: each supplies only its own valid lines, the lines
between belong to no burst and are invalid.

A pair (`pair_plan`): the slave's bursts are matched to the master's by burst ID and coregistered onto
the master burst grids, so slave burst line i is master burst line i. The pair takes the master's
grid and the master's cut times between the bursts both dates have; an interferogram line then comes
from the same burst on both dates (never master burst k against slave burst k+1, whose Doppler
centroids differ by ~k_t·T_burst). Where a master burst has no slave, its lines are gaps, and the
neighbouring common burst supplies its own valid lines up to there rather than stopping at a cut
with a burst the pair does not have.

Merge of sub-swaths (DESIGN.md, TOPS: merged on one grid before unwrapping): the grid of the nearest
sub-swath in range, the union of the sub-swaths' azimuth extents:

    first line    the earliest first line time; Δt common (IW sub-swaths share azimuthTimeInterval)
    column 0      the near range time of the nearest sub-swath; Δr = c/(2 f_s), f_s common (IW shares
                  rangeSamplingRate; other rates are refused rather than resampled here)
    sub-swath s   its debursted line l is merged line l + line_offset_s, its column c merged column
                  c + col_offset_s; both offsets are fractional in general (the sub-swaths' first line
                  times and near range times are not whole intervals apart: near range times step by
                  1/(7 f_s), e.g. Azores IW3 and Rome IW1 are 43883 3/7 samples apart), so a merged pixel's source
                  position is fractional: the pixel step interpolates there (or takes the nearest sample,
                  as SNAP and isce2 do, with up to ±0.5 px of error)
    cut s|s+1     at the mid slant range of the columns where both have valid samples in every burst:
                  a = s+1's first valid column, b = s's last valid column (merged, fractional),
                  sub-swath s+1 supplies the merged columns from ceil((a + b)/2) on
    valid         the merged pixel's sub-swath has, at the nearest debursted line, a burst whose valid
                  lines hold the fractional source line and whose valid samples hold the source column
    crop          over a site (MergeGrid.crop_columns) the grid keeps merged columns [c0, c1): column 0 at
                  τ0 + c0/f_s, offsets less c0, the supplied columns and the bursts' valid samples clamped
                  to the window; a sub-swath left with none goes, and so do the whole lines only it covered.
                  Every kept pixel keeps its line time, slant range and source position
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

from dinsar.errors import DinsarError
from dinsar.geometry.radar import RadarGrid
from dinsar.sensors.bursts import BurstRef

# S1 annotates burst times to the µs (5e-4 of a 2.06 ms line); bursts further off their sub-swath's line
# grid than this cannot be debursted by copying lines and are refused rather than shifted silently
LINE_TOLERANCE = 0.01
# two sub-swaths' Δt or f_s that differ by more than this (relative) are on different grids; IW
# annotations carry identical values, so any difference means another mode or a wrong input
RATE_TOLERANCE = 1e-9
_NS = np.timedelta64(1, "ns")


def _seconds(dt: np.timedelta64) -> float:
    return float(dt / _NS) * 1e-9


def _ns(seconds: float) -> np.timedelta64:
    return np.timedelta64(int(round(seconds * 1e9)), "ns")



def _clamp(window: tuple[int, int], lo: int, hi: int) -> tuple[int, int]:
    """[first, stop) within [lo, hi); empty (first == stop) where they do not meet."""
    first = min(max(window[0], lo), hi)
    return first, max(first, min(window[1], hi))


def _interval(values, firsts, stops) -> tuple[np.ndarray, np.ndarray]:
    """For each value, the index k of the sorted half-open interval [firsts[k], stops[k]) at or before it
    (clipped to the intervals) and whether it lies inside that interval."""
    firsts, stops = np.asarray(firsts), np.asarray(stops)
    k = np.clip(np.searchsorted(firsts, values, side="right") - 1, 0, len(firsts) - 1)
    return k, (values >= firsts[k]) & (values < stops[k])

@dataclass(frozen=True)
class Cut:
    """Where burst `before` hands over to burst `after` (burst IDs), in master time."""

    before: int
    after: int
    overlap: tuple[int, int]  # [first, stop) debursted lines where both bursts are valid (empty if none)
    time: np.datetime64  # mid time of the overlap: the cut itself
    line: int  # first debursted line of `after`: ceil of the mid time, in lines

    @property
    def overlap_lines(self) -> int:
        return max(0, self.overlap[1] - self.overlap[0])


@dataclass(frozen=True)
class Span:
    """One burst's part of the debursted image."""

    burst_id: int
    index: int  # the burst's index in the master product
    slave_index: int | None  # the matched slave burst's index in its product (pair plans only)
    start: int  # debursted line of the burst's line 0 (negative for the first burst: its invalid lines)
    lines: int  # lines of the burst
    valid_lines: tuple[int, int]  # [first, stop) within the burst
    valid_samples: tuple[int, int]  # [first, stop) columns
    first_line: int  # [first_line, stop_line): the debursted lines this burst supplies
    stop_line: int


class BurstSource(NamedTuple):
    """Per debursted (line, column): the span (-1: none), the line within that burst, and validity."""

    span: np.ndarray
    burst_line: np.ndarray
    valid: np.ndarray


@dataclass(frozen=True)
class DeburstPlan:
    """The debursted azimuth grid of one sub-swath and the part of it each burst supplies."""

    swath: str
    first_line_time: np.datetime64
    line_interval_s: float
    lines: int
    samples: int
    spans: tuple[Span, ...]
    cuts: tuple[Cut, ...]  # between consecutive spans that are consecutive bursts

    def line_time(self, line) -> np.ndarray:
        """UTC time of (integer) debursted lines."""
        ns = np.round(np.asarray(line, dtype=np.float64) * self.line_interval_s * 1e9).astype(np.int64)
        return self.first_line_time + ns.astype("timedelta64[ns]")

    def line_of(self, time: np.datetime64) -> float:
        """Fractional debursted line of a UTC time."""
        return _seconds(time - self.first_line_time) / self.line_interval_s

    @property
    def last_line_time(self) -> np.datetime64:
        return self.first_line_time + _ns((self.lines - 1) * self.line_interval_s)

    def span_of(self, burst_id: int) -> Span:
        for s in self.spans:
            if s.burst_id == burst_id:
                return s
        raise KeyError(f"{self.swath}: burst {burst_id} is not in this plan")

    def locate(self, lines, cols=None) -> BurstSource:
        """Which burst supplies debursted lines `lines` (fractional: the nearest line decides the burst),
        the line within that burst, and whether (line, column) is valid there (cols None: any column)."""
        lines = np.asarray(lines, dtype=np.float64)
        nearest = np.floor(lines + 0.5)
        k, inside = _interval(nearest, [s.first_line for s in self.spans], [s.stop_line for s in self.spans])
        span = np.where(inside, k, -1)
        burst_line = lines - np.array([s.start for s in self.spans])[k]
        v0 = np.array([s.valid_lines[0] for s in self.spans])[k]
        v1 = np.array([s.valid_lines[1] for s in self.spans])[k]
        # closed [first, last] valid line: a fractional line between two valid lines is valid
        valid = inside & (burst_line >= v0) & (burst_line <= v1 - 1)
        if cols is not None:
            cols = np.asarray(cols, dtype=np.float64)
            s0 = np.array([s.valid_samples[0] for s in self.spans])[k]
            s1 = np.array([s.valid_samples[1] for s in self.spans])[k]
            valid = valid & (cols >= s0) & (cols <= s1 - 1)
        return BurstSource(span, np.where(inside, burst_line, np.nan), valid)

    def valid(self, lines, cols) -> np.ndarray:
        """isData of debursted pixels: their burst's line and sample are valid."""
        return self.locate(lines, cols).valid

    @property
    def valid_columns(self) -> tuple[int, int]:
        """[first, stop) columns valid in every burst: what the sub-swath merge cuts within."""
        return (max(s.valid_samples[0] for s in self.spans), min(s.valid_samples[1] for s in self.spans))

    @property
    def any_valid_columns(self) -> tuple[int, int]:
        """[first, stop) columns valid in some burst: the sub-swath's outer edges in a merge."""
        return (min(s.valid_samples[0] for s in self.spans), max(s.valid_samples[1] for s in self.spans))


def deburst_plan(bursts: Sequence[BurstRef], line_interval_s: float, samples: int) -> DeburstPlan:
    """The master's deburst plan of one sub-swath from its consecutive bursts (bursts_of, in order).

    line_interval_s: the sub-swath's azimuthTimeInterval (RadarGrid.line_interval_s); samples: its
    samples per burst (the image width).
    """
    bursts = list(bursts)
    if not bursts:
        raise DinsarError("deburst: no bursts given")
    name = f"{bursts[0].product} {bursts[0].swath}"
    if len({b.swath for b in bursts}) != 1:
        raise DinsarError(f"{name}: bursts of several sub-swaths {sorted({b.swath for b in bursts})} in one "
                          "deburst; plan each sub-swath alone and merge them")
    ids = [b.burst_id for b in bursts]
    if any(b - a != 1 for a, b in zip(ids, ids[1:], strict=False)):
        raise DinsarError(f"{name}: burst IDs {ids} are not consecutive; a deburst needs neighbours")
    if line_interval_s <= 0 or samples <= 0:
        raise DinsarError(f"{name}: line interval {line_interval_s} s and {samples} samples: both must be > 0")
    b0 = bursts[0]
    first_time = b0.azimuth_time + _ns(b0.valid_lines[0] * line_interval_s)
    starts = []
    for b in bursts:
        start = _seconds(b.azimuth_time - first_time) / line_interval_s
        if abs(start - round(start)) > LINE_TOLERANCE:
            raise DinsarError(f"{name}: burst {b.name} starts {start:.4f} lines after the first valid line, "
                              f"{abs(start - round(start)):.4f} off the sub-swath's line grid (tolerance "
                              f"{LINE_TOLERANCE}); its lines cannot be copied into a deburst")
        starts.append(int(round(start)))
    lines = starts[-1] + bursts[-1].valid_lines[1]
    spans = [_span(b, start, None) for b, start in zip(bursts, starts, strict=True)]
    return _assemble(b0.swath, first_time, line_interval_s, lines, samples, spans,
                     lambda s, t: _cut(s, t, first_time, line_interval_s))


def pair_plan(master_plan: DeburstPlan, pairs: Sequence[tuple[BurstRef, BurstRef]]) -> DeburstPlan:
    """The deburst plan of a pair on the master's grid: the bursts of `pairs` (bursts.match) only, each
    span naming its slave burst, the master's cut (the same Cut) between neighbouring common bursts.

    The slave's bursts are taken as coregistered onto the master burst grids (slave burst line i =
    master burst line i), so the master's cut times are the slave's too; nothing of the slave's own
    timing enters. Master bursts without a slave become gaps.
    """
    slave_of = {}
    for m, s in pairs:
        if m.swath != master_plan.swath or s.swath != m.swath:
            raise DinsarError(f"{m.product}: pair {m.name} / {s.name} is not of the plan's {master_plan.swath}")
        slave_of[m.burst_id] = s.index
    spans = [replace(sp, slave_index=slave_of[sp.burst_id]) for sp in master_plan.spans if sp.burst_id in slave_of]
    missing = set(slave_of) - {sp.burst_id for sp in spans}
    if missing:
        raise DinsarError(f"{master_plan.swath}: paired master bursts {sorted(missing)} are not in the master's "
                          "deburst plan (another product or another burst selection)")
    if not spans:
        raise DinsarError(f"{master_plan.swath}: no pair of bursts given for the deburst")
    cuts = {(c.before, c.after): c for c in master_plan.cuts}
    return _assemble(master_plan.swath, master_plan.first_line_time, master_plan.line_interval_s,
                     master_plan.lines, master_plan.samples, spans, lambda s, t: cuts[(s.burst_id, t.burst_id)])


def _span(b: BurstRef, start: int, slave_index: int | None) -> Span:
    return Span(burst_id=b.burst_id, index=b.index, slave_index=slave_index, start=start, lines=b.lines,
                valid_lines=b.valid_lines, valid_samples=b.valid_samples, first_line=0, stop_line=0)


def _cut(before: Span, after: Span, first_time: np.datetime64, dt: float) -> Cut:
    a = after.start + after.valid_lines[0]  # first line where `after` is valid
    b = before.start + before.valid_lines[1] - 1  # last line where `before` is valid
    return Cut(before=before.burst_id, after=after.burst_id, overlap=(a, max(a, b + 1)),
               time=first_time + _ns((a + b) / 2 * dt), line=(a + b + 1) // 2)


def _assemble(swath, first_time, dt, lines, samples, spans, cut_of) -> DeburstPlan:
    """Each span's supplied lines: from the cut with its predecessor (or its own first valid line) to
    the cut with its successor (or its last valid line + 1), never past its own valid lines."""
    cuts = []
    bounds = [[s.start + s.valid_lines[0], s.start + s.valid_lines[1]] for s in spans]
    for k in range(len(spans) - 1):
        if spans[k + 1].burst_id != spans[k].burst_id + 1:
            continue  # a missing burst between: each keeps its own valid lines, the lines between are a gap
        c = cut_of(spans[k], spans[k + 1])
        cuts.append(c)
        bounds[k][1] = min(bounds[k][1], c.line)
        bounds[k + 1][0] = max(bounds[k + 1][0], c.line)
    spans = tuple(replace(s, first_line=max(0, f), stop_line=min(lines, e))
                  for s, (f, e) in zip(spans, bounds, strict=True))
    return DeburstPlan(swath=swath, first_line_time=first_time, line_interval_s=dt, lines=lines, samples=samples,
                       spans=spans, cuts=tuple(cuts))


# --- sub-swath merge -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """One sub-swath in the merged grid: merged = its own + offset (fractional), and its columns."""

    swath: str
    line_offset: float  # merged line of its debursted line 0
    col_offset: float  # merged column of its column 0
    first_col: int  # [first_col, stop_col): the merged columns it supplies
    stop_col: int


class MergedSource(NamedTuple):
    """Per merged (line, column): the sub-swath (-1: none), its debursted line and column (fractional),
    the span in its plan (-1: none), the line within that burst, and isData."""

    swath: np.ndarray
    line: np.ndarray
    col: np.ndarray
    span: np.ndarray
    burst_line: np.ndarray
    valid: np.ndarray


class Rectangle(NamedTuple):
    """Merged lines [row0, row1) × columns [col0, col1), all valid and supplied by span `span` of
    sub-swath `swath` (indices into MergeGrid.placements / .plans and that plan's spans)."""

    swath: int
    span: int
    row0: int
    row1: int
    col0: int
    col1: int


@dataclass(frozen=True)
class MergeGrid:
    """One grid for IW1..IW3 (or any of them), nearest sub-swath first."""

    first_line_time: np.datetime64
    line_interval_s: float
    near_range_time_s: float
    range_sampling_rate_hz: float
    lines: int
    samples: int
    placements: tuple[Placement, ...]
    plans: tuple[DeburstPlan, ...]  # in the order of `placements`

    @property
    def cut_columns(self) -> tuple[int, ...]:
        """The first merged column of each sub-swath after the first: where the previous one is cut."""
        return tuple(p.first_col for p in self.placements[1:])

    def slant_range_time(self, col) -> np.ndarray:
        return self.near_range_time_s + np.asarray(col, dtype=np.float64) / self.range_sampling_rate_hz

    def locate(self, lines, cols) -> MergedSource:
        lines, cols = (np.asarray(x, dtype=np.float64) for x in np.broadcast_arrays(lines, cols))
        k, inside = _interval(cols, [p.first_col for p in self.placements], [p.stop_col for p in self.placements])
        swath = np.where(inside, k, -1)
        line = lines - np.array([p.line_offset for p in self.placements])[k]
        col = cols - np.array([p.col_offset for p in self.placements])[k]
        span = np.full(lines.shape, -1)
        burst_line = np.full(lines.shape, np.nan)
        valid = np.zeros(lines.shape, dtype=bool)
        for s, plan in enumerate(self.plans):
            m = swath == s
            if m.any():
                src = plan.locate(line[m], col[m])
                span[m], burst_line[m], valid[m] = src
        return MergedSource(swath, np.where(inside, line, np.nan), np.where(inside, col, np.nan), span,
                            burst_line, valid)

    def valid(self, lines, cols) -> np.ndarray:
        """isData of merged pixels: the source burst's line and sample are valid; gaps are not."""
        return self.locate(lines, cols).valid

    def rectangles(self, first: int, n: int) -> list[Rectangle]:
        """The valid pixels of merged lines first .. first + n - 1 as rectangles, one per (sub-swath, span):
        exactly `locate(...).valid` and its span (each condition is an interval in the line or in the
        column alone), found on the block's lines and the grid's columns instead of on every pixel."""
        out = []
        lines = np.arange(first, first + n, dtype=np.float64)
        for k, (p, plan) in enumerate(zip(self.placements, self.plans, strict=True)):
            if p.stop_col <= p.first_col:
                continue
            src = plan.locate(lines - p.line_offset)
            cols = np.arange(p.first_col, p.stop_col, dtype=np.float64) - p.col_offset
            for j in np.unique(src.span[src.valid]):
                rows = np.flatnonzero(src.valid & (src.span == j))
                s0, s1 = plan.spans[j].valid_samples
                good = np.flatnonzero((cols >= s0) & (cols <= s1 - 1))
                if rows.size and good.size:
                    out.append(Rectangle(k, int(j), first + int(rows[0]), first + int(rows[-1]) + 1,
                                         p.first_col + int(good[0]), p.first_col + int(good[-1]) + 1))
        return out

    def crop_columns(self, c0: int, c1: int) -> MergeGrid:
        """This grid's merged columns [c0, c1) (clipped to the grid) as a grid of its own, column 0 at c0:
        placements shifted by -c0 and clamped, each burst's valid samples clamped to the sub-swath columns
        that land in the window (ESD takes its overlap pixels from them), the sub-swaths left with no column
        dropped with the leading and trailing lines only they covered (whole lines: every kept pixel is the
        same line and column time as here). Refused in one line when no sub-swath keeps a column."""
        c0, c1 = max(0, int(c0)), min(self.samples, int(c1))
        eps = 1e-6  # as in merge_grid: float noise in an offset must not add or drop a column
        kept = []
        for p, plan in zip(self.placements, self.plans, strict=True):
            first, stop = max(p.first_col, c0), min(p.stop_col, c1)
            if stop <= first:
                continue
            off = p.col_offset - c0
            # the sub-swath's columns that the window's merged columns [0, c1 - c0 - 1] fall on or between: a
            # merged pixel between two sub-swath samples is valid where both are (locate's closed interval)
            lo, hi = math.floor(-off + eps), math.ceil(c1 - c0 - 1 - off - eps) + 1
            spans = tuple(replace(s, valid_samples=_clamp(s.valid_samples, lo, hi)) for s in plan.spans)
            kept.append((replace(p, col_offset=off, first_col=first - c0, stop_col=stop - c0),
                         replace(plan, spans=spans)))
        if not kept:
            raise DinsarError(f"merge: no sub-swath of {'+'.join(p.swath for p in self.placements)} supplies a column "
                              f"in [{c0}, {c1}) of the {self.samples}-column merged grid")
        l0 = max(0, min(math.ceil(p.line_offset - eps) for p, _ in kept))
        l1 = min(self.lines, max(math.floor(p.line_offset + pl.lines - 1 + eps) + 1 for p, pl in kept))
        return MergeGrid(first_line_time=self.first_line_time + _ns(l0 * self.line_interval_s),
                         line_interval_s=self.line_interval_s,
                         near_range_time_s=self.near_range_time_s + c0 / self.range_sampling_rate_hz,
                         range_sampling_rate_hz=self.range_sampling_rate_hz, lines=l1 - l0, samples=c1 - c0,
                         placements=tuple(replace(p, line_offset=p.line_offset - l0) for p, _ in kept),
                         plans=tuple(pl for _, pl in kept))

    def to_merged(self, swath: int, line, col) -> tuple[np.ndarray, np.ndarray]:
        """Merged (line, column) of sub-swath `swath`'s debursted (line, column): the inverse of locate."""
        p = self.placements[swath]
        return np.asarray(line, dtype=np.float64) + p.line_offset, np.asarray(col, dtype=np.float64) + p.col_offset


def merge_grid(plans: Sequence[DeburstPlan], grids: Sequence[RadarGrid]) -> MergeGrid:
    """The common grid of sub-swaths from their deburst plans and radar grids (same order, any order
    of sub-swaths; only near_range_time_s, range_sampling_rate_hz and line_interval_s are used)."""
    if not plans or len(plans) != len(grids):
        raise DinsarError(f"merge: {len(plans)} deburst plans for {len(grids)} radar grids")
    names = [p.swath for p in plans]
    if len(set(names)) != len(names):
        raise DinsarError(f"merge: sub-swaths {names} given more than once")
    fs = grids[0].range_sampling_rate_hz
    dt = plans[0].line_interval_s
    for p, g in zip(plans, grids, strict=True):
        if abs(g.range_sampling_rate_hz - fs) > RATE_TOLERANCE * fs:
            raise DinsarError(f"merge: {p.swath} samples range at {g.range_sampling_rate_hz} Hz, {names[0]} at "
                              f"{fs} Hz; sub-swaths on different range grids are not merged by this plan")
        if abs(p.line_interval_s - dt) > RATE_TOLERANCE * dt or abs(g.line_interval_s - dt) > RATE_TOLERANCE * dt:
            raise DinsarError(f"merge: {p.swath} line interval {p.line_interval_s} s (grid {g.line_interval_s} s), "
                              f"{names[0]} {dt} s; sub-swaths on different azimuth grids are not merged")
    order = sorted(range(len(plans)), key=lambda i: grids[i].near_range_time_s)
    plans = [plans[i] for i in order]
    grids = [grids[i] for i in order]
    tau0 = grids[0].near_range_time_s
    t0 = min(p.first_line_time for p in plans)
    line_off = [_seconds(p.first_line_time - t0) / dt for p in plans]
    # relative to τ0 first: (τ_s - τ0)·f_s keeps the sub-sample fraction that τ_s·f_s would round away
    col_off = [(g.near_range_time_s - tau0) * fs for g in grids]
    eps = 1e-6  # float noise in the offsets must not add or drop a last line or column
    lines = max(math.floor(o + p.lines - 1 + eps) for o, p in zip(line_off, plans, strict=True)) + 1
    samples = max(math.floor(o + p.samples - 1 + eps) for o, p in zip(col_off, plans, strict=True)) + 1

    # outer edges: a sub-swath's columns valid in any burst (the bursts' own windows decide isData)
    first = [math.ceil(o + p.any_valid_columns[0] - eps) for o, p in zip(col_off, plans, strict=True)]
    stop = [math.floor(o + p.any_valid_columns[1] - 1 + eps) + 1 for o, p in zip(col_off, plans, strict=True)]
    for s in range(len(plans) - 1):
        # cut within the columns valid in every burst of both, so no burst leaves a hole at the seam
        a = col_off[s + 1] + plans[s + 1].valid_columns[0]
        b = col_off[s] + plans[s].valid_columns[1] - 1
        if a > b:  # no common valid column (IW1 with IW3): each keeps its own, the columns between are a gap
            continue
        cut = math.ceil((a + b) / 2 - eps)
        stop[s], first[s + 1] = min(stop[s], cut), max(first[s + 1], cut)
    first = [max(0, f) for f in first]
    stop = [min(samples, e) for e in stop]
    placements = tuple(Placement(p.swath, lo, co, f, e)
                       for p, lo, co, f, e in zip(plans, line_off, col_off, first, stop, strict=True))
    return MergeGrid(first_line_time=t0, line_interval_s=dt, near_range_time_s=tau0, range_sampling_rate_hz=fs,
                     lines=lines, samples=samples, placements=placements, plans=tuple(plans))
