"""What `dinsar simulate` simulates: the scene's settings (PairConfig) and the fixed instrument.

Light (numpy at most; no numba, rasterio, pyproj): the workflow planner builds a PairConfig on
every parse of the Snakefile.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dinsar.simulate.dem import SUMMIT_LON_LAT

RADAR_FREQUENCY_HZ = 5.405000454334350e09
# StripMap S4-like timing (approximate: near incidence ~36°, 64.3 MHz sampling, 1.67 kHz PRF)
S4_TIMING = dict(azimuth_time_interval_s=6.0e-4, range_sampling_rate_hz=6.434523812571428e07,
                 slant_range_time_s=5.80e-3)
BANDWIDTH_AZ, BANDWIDTH_RG = 0.8, 0.85  # processed bandwidths / sampling rates
DN_SCALE = 60.0  # CInt16 amplitude of unit reflectivity on flat ground


@dataclass
class PairConfig:
    size: tuple[int, int] = (1024, 1024)
    seed: int = 1
    start_time: str = "2016-08-18T14:22:05"
    days: int = 12
    baseline_m: float = 100.0
    coherence: float = 0.9
    snr_db: float | None = 20.0
    mogi: dict = field(default_factory=lambda: {"lon": SUMMIT_LON_LAT[0] + 0.01, "lat": SUMMIT_LON_LAT[1],
                                               "depth_m": 2500.0, "dvolume_m3": 2.0e6})
    atmosphere_rms_rad: float = 0.0
    # slave misregistration (lines, columns): constant, per master line, per master column
    misregistration: dict = field(default_factory=lambda: {"line": [0.31, 2e-5, -1e-5],
                                                          "col": [-0.22, 1e-5, 3e-5]})
    orbit_file: str | None = None
    # the slave starts later (lines) and its near range is farther (samples): annotated offsets
    slave_shift: tuple[float, float] = (3.4, 5.7)
    target: tuple[float, float] | None = None  # lon/lat of the scene centre (default: near the summit)
    as_zip: bool = False
    # a stack instead of a pair: one slave per entry {days, baseline_m} after the master; the Mogi
    # source then inflates linearly in time, dvolume_m3 every `days`
    stack: list[dict] | None = None
    # spatially varying coherence: a disc {lon, lat, radius_m, coherence} (a fresh lava flow, a
    # forest) where the pair decorrelates to `coherence`, with a smooth 20 % edge
    decorrelation: dict | None = None

    def slaves(self) -> list[tuple[int, float, float]]:
        """(days after the master, perpendicular baseline m, Mogi volume change m³) of each slave."""
        if not self.stack:
            return [(int(self.days), float(self.baseline_m), float(self.mogi["dvolume_m3"]))]
        return [(int(e["days"]), float(e["baseline_m"]), float(self.mogi["dvolume_m3"]) * int(e["days"]) / self.days)
                for e in self.stack]

    @classmethod
    def from_dict(cls, d: dict) -> PairConfig:
        """From a config's `simulate:` section (unknown keys such as the schema's defaults are ignored)."""
        d = dict(d)
        if "zip" in d:
            d["as_zip"] = d.pop("zip")
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__ and v is not None}
        if "size" in known:
            known["size"] = tuple(int(v) for v in known["size"])
        if "slave_shift" in known:
            known["slave_shift"] = tuple(float(v) for v in known["slave_shift"])
        if "stack" in known:
            known["stack"] = [dict(e) for e in known["stack"]]
        if "target" in known and known["target"] is not None:
            known["target"] = tuple(float(v) for v in known["target"])
        return cls(**known)
