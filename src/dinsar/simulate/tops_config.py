"""What the simulated IW pair is (IwPairConfig) and where its sub-swaths sit on the scene's grid.

The scene is one zero-Doppler grid (lines every azimuthTimeInterval, columns every 1/rangeSamplingRate)
whose line 0 is the master's first IW1 line and whose column 0 is IW1's near range. Each sub-swath
of each pass is a window of it (SwathLayout): its first burst starts `line_offset` lines after line 0
and its column 0 is `col_offset` columns from column 0, the same in both passes (each pass counts
from its own first IW1 line and near range). IW1: (0, 0). IW2: its bursts start 0.832 s of sensing
time after IW1's of the same cycle (IW1_TO_IW2_SENSING_S, less the two sub-swaths' differing sensing
- azimuth delays), on a whole µs as annotations write times; its near range overlaps IW1's far range
by SUBSWATH_OVERLAP_FRACTION, NEAR_RANGE_FRACTION of a sample off IW1's sample grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

from dinsar.simulate.config import PairConfig
from dinsar.simulate.tops_timing import (
    IW1_TO_IW2_SENSING_S,
    IW_TIMING,
    NEAR_RANGE_FRACTION,
    SUBSWATH_OVERLAP_FRACTION,
    SUBSWATHS,
    SubSwathTiming,
)

_SCENE = PairConfig()  # the scene settings' defaults are the StripMap pair's: one owner


@dataclass
class IwPairConfig:
    samples: int = 1024  # per sub-swath
    bursts: int = 3  # per sub-swath
    seed: int = _SCENE.seed
    start_time: str = _SCENE.start_time
    days: int = _SCENE.days
    baseline_m: float = _SCENE.baseline_m
    coherence: float = _SCENE.coherence
    snr_db: float | None = _SCENE.snr_db
    mogi: dict = field(default_factory=lambda: dict(PairConfig().mogi))
    orbit_file: str | None = _SCENE.orbit_file
    target: tuple[float, float] | None = _SCENE.target
    # the slave's along-track misregistration (lines, both sub-swaths) that its annotation does not show
    azimuth_error_lines: float = 0.025
    # the slave's bursts start this many lines later (the two dates' burst synchronisation, a few ms)
    # and its near ranges are this many samples farther
    slave_shift: tuple[float, float] = (1.7, 5.7)
    # the slave's product leaves out this many of the first bursts (of every sub-swath): the two
    # dates then hold different burst lists, which must be matched by ID
    slave_skip_first_bursts: int = 0

    def __post_init__(self):
        if self.bursts < 1 or self.samples < 64:
            raise ValueError(f"IW pair: needs bursts >= 1 and samples >= 64, got {self.bursts}, {self.samples}")
        if not 0 <= self.slave_skip_first_bursts < self.bursts:
            raise ValueError(f"IW pair: slave_skip_first_bursts {self.slave_skip_first_bursts} leaves the slave "
                             f"none of {self.bursts} bursts")

    @classmethod
    def from_pair(cls, cfg: PairConfig, **overrides) -> IwPairConfig:
        """The IW pair of a StripMap `simulate:` section: its scene settings, cfg.size[1] samples per
        sub-swath."""
        common = {f.name: getattr(cfg, f.name) for f in fields(cls) if hasattr(cfg, f.name)
                  and f.name not in ("slave_shift",)}
        return cls(samples=int(cfg.size[1]), **{**common, **overrides})


@dataclass(frozen=True)
class SwathLayout:
    """One sub-swath on the scene grid (both passes alike)."""

    timing: SubSwathTiming
    line_offset: float  # scene lines from line 0 to the first burst's first line
    col_offset: float  # scene columns from column 0 to the sub-swath's column 0
    samples: int
    bursts: int

    @property
    def name(self) -> str:
        return self.timing.name

    @property
    def lines_per_burst(self) -> int:
        return self.timing.lines_per_burst

    @property
    def span_lines(self) -> int:
        """Azimuth lines from the first burst's first line to the last burst's last line."""
        return (self.bursts - 1) * IW_TIMING["burst_cycle_lines"] + self.lines_per_burst

    @property
    def near_range_offset_s(self) -> float:
        return self.col_offset / IW_TIMING["range_sampling_rate_hz"]

    @property
    def first_line_offset_s(self) -> float:
        return self.line_offset * IW_TIMING["azimuth_time_interval_s"]

    def burst_first_line(self, k: int) -> float:
        """Scene line of burst k's first line."""
        return self.line_offset + k * IW_TIMING["burst_cycle_lines"]

    def valid(self) -> tuple[int, int, int, int]:
        """(first valid line, stop line, first valid sample, last valid sample) of every burst."""
        near, far = self.timing.invalid_samples_fraction
        first_line, stop_line = self.timing.valid_lines
        n = self.samples
        return first_line, stop_line, int(round(n * near)), n - 1 - int(round(n * far))


def layout(cfg: IwPairConfig) -> tuple[SwathLayout, ...]:
    """IW1 and IW2 on the scene grid, nearest range first."""
    ati = IW_TIMING["azimuth_time_interval_s"]
    iw1, iw2 = SUBSWATHS["IW1"], SUBSWATHS["IW2"]
    # IW2's first line: the sensing spacing less the difference of the sensing - azimuth delays, in
    # whole lines of IW1's grid, then on a whole µs (the annotation's precision: nothing left unsaid)
    lines = round((IW1_TO_IW2_SENSING_S - (iw2.sensing_after_azimuth_s - iw1.sensing_after_azimuth_s)) / ati)
    line_offset = round(lines * ati, 6) / ati
    col_offset = cfg.samples - round(SUBSWATH_OVERLAP_FRACTION * cfg.samples) + NEAR_RANGE_FRACTION
    return (SwathLayout(iw1, 0.0, 0.0, cfg.samples, cfg.bursts),
            SwathLayout(iw2, line_offset, col_offset, cfg.samples, cfg.bursts))


def scene_size(swaths: tuple[SwathLayout, ...]) -> tuple[int, int]:
    """(lines, columns) of the scene grid that holds every sub-swath's every line and column, with both
    grid neighbours of a fractional one (the truth is interpolated there)."""
    eps = 1e-6  # float noise in the offsets must not add a line or column
    lines = max(math.ceil(s.line_offset + s.span_lines - 1 - eps) for s in swaths) + 1
    cols = max(math.ceil(s.col_offset + s.samples - 1 - eps) for s in swaths) + 1
    return lines, cols
