"""A debursted, merged IW image as a product of the chain: a SarProduct on the merged grid.

dinsar.steps.tops.merge writes, per IW date, `<name>.json` (this product's metadata: the merged zero-Doppler
grid, the orbit's state vectors, the footprint, what was merged) and `<name>.tif` beside it (the merged
complex64 SLC, carrier kept: TOPS samples are never resampled without their deramp, DESIGN.md TOPS).
From there on the StripMap chain's steps (DEM projection, interferogram, unwrapping, geocoding) see a
regular zero-Doppler image, line j at t0 + j·Δt and column c at τ0 + c/f_s, and nothing of the bursts:
isData is 0 where the merged SLC is 0 (invalid burst lines and samples, gaps).
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from rasterio.windows import Window

from dinsar.errors import ProductError
from dinsar.geometry.ellipsoid import ecef_to_geodetic, geodetic_to_ecef
from dinsar.geometry.orbit import Orbit
from dinsar.geometry.radar import RadarGrid, rdr2geo
from dinsar.io.annotation import GeolocationGrid
from dinsar.io.measurement import check_tiff
from dinsar.io.statevectors import StateVectors
from dinsar.sensors.product import RangePolynomials, lonlat_to_pixel, pixel_to_lonlat

FORMAT = "dinsar merged IW SLC 1"
SUFFIX = ".merged.json"


def sidecar_of(path) -> bool:
    """Whether `path` names a merged product's sidecar (what open_chain_product opens as one)."""
    return str(path).endswith(SUFFIX)


class _Reader:
    def __init__(self, src, path):
        self._src, self._path = src, path

    def read(self, window: Window | None = None) -> np.ndarray:
        try:
            return self._src.read(1, window=window).astype(np.complex64, copy=False)
        except rasterio.errors.RasterioError as e:
            raise ProductError(f"{self._path}: cannot read {window} ({e})") from None


@dataclass(frozen=True, eq=False)
class MergedProduct:
    """The merged image of one IW date (a dinsar.sensors.product.SarProduct)."""

    path: Path  # the sidecar
    meta: dict

    @property
    def name(self) -> str:
        return self.meta["name"]

    @functools.cached_property
    def state_vectors(self) -> StateVectors:
        sv = self.meta["state_vectors"]
        return StateVectors(np.array(sv["time"], dtype="datetime64[ns]"), np.array(sv["position"], np.float64),
                            np.array(sv["velocity"], np.float64), sv["source"])

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.meta["shape"])

    @property
    def mission(self) -> str:
        return self.meta["mission"]

    @property
    def mode(self) -> str:
        return "IW"

    @property
    def swath(self) -> str:
        return self.meta["swath"]

    @property
    def polarisation(self) -> str:
        return self.meta["polarisation"]

    @property
    def start_time(self) -> np.datetime64:
        return np.datetime64(self.meta["first_line_time"], "ns")

    @functools.cached_property
    def orbit(self) -> Orbit:
        return Orbit(self.state_vectors)

    @functools.cached_property
    def radar_grid(self) -> RadarGrid:
        m = self.meta
        return RadarGrid(first_line_s=float(self.orbit.seconds(self.start_time)), line_interval_s=m["line_interval_s"],
                         near_range_time_s=m["near_range_time_s"], range_sampling_rate_hz=m["range_sampling_rate_hz"],
                         wavelength_m=m["wavelength_m"])

    @property
    def look_side(self) -> str:
        return self.meta["look_side"]

    @property
    def doppler_centroid(self) -> RangePolynomials:
        return RangePolynomials()  # zero-Doppler grid; the bursts' carriers are the merge's business

    @property
    def fm_rate(self) -> RangePolynomials:
        return RangePolynomials()

    @functools.cached_property
    def footprint(self) -> GeolocationGrid:
        f = self.meta["footprint"]
        return GeolocationGrid(np.array(f["azimuth_time"], dtype="datetime64[ns]"),
                               *(np.array(f[k], np.float64) for k in ("slant_range_time", "line", "pixel", "latitude",
                                                                       "longitude", "height", "incidence_angle")))

    @property
    def azimuth_pixel_spacing_m(self) -> float:
        return self.meta["azimuth_pixel_spacing_m"]

    @property
    def range_pixel_spacing_m(self) -> float:
        return self.meta["range_pixel_spacing_m"]

    @property
    def incidence_angle_mid_deg(self) -> float:
        return self.meta["incidence_angle_mid_deg"]

    @property
    def bursts(self) -> tuple:
        return ()  # debursted

    @property
    def azimuth_steering_rate_deg_s(self) -> float | None:
        return None  # nothing here is resampled along azimuth again (the merge did it with the carriers)

    @property
    def azimuth_carrier(self) -> None:
        return None  # the merge resampled the bursts with their carriers already

    @property
    def azimuth_bandwidth_fraction(self) -> float:
        return self.meta["azimuth_bandwidth_fraction"]

    @property
    def range_bandwidth_fraction(self) -> float:
        return self.meta["range_bandwidth_fraction"]

    @property
    def slc_path(self) -> Path:
        return self.path.parent / self.meta["slc"]

    @contextlib.contextmanager
    def open(self) -> Iterator[_Reader]:
        try:
            src = rasterio.open(self.slc_path)
        except rasterio.errors.RasterioError as e:
            raise ProductError(f"{self.slc_path}: cannot read the merged SLC of {self.name} ({e})") from None
        with src:
            if (src.height, src.width) != self.shape:
                raise ProductError(f"{self.slc_path}: {src.height}x{src.width} pixels, its sidecar {self.path} says "
                                   f"{self.shape[0]}x{self.shape[1]}")
            yield _Reader(src, self.slc_path)

    def read(self, window: Window | None = None) -> np.ndarray:
        with self.open() as r:
            return r.read(window)

    def check(self) -> tuple[int, int]:
        return check_tiff(str(self.slc_path))

    def geo2rdr(self, lon, lat, h) -> tuple[np.ndarray, np.ndarray]:
        return lonlat_to_pixel(self.orbit, self.radar_grid, lon, lat, h)

    def rdr2geo(self, line, col, h) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return pixel_to_lonlat(self.orbit, self.radar_grid, line, col, h)


def open_merged(path, polarisation: str | None = None) -> MergedProduct:
    """The merged product of sidecar `path`; refused in one line if it is not one, or of another polarisation."""
    path = Path(path)
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise ProductError(f"{path}: not a readable merged-product sidecar ({e})") from None
    found = meta.get("format") if isinstance(meta, dict) else None
    if found != FORMAT:
        raise ProductError(f"{path}: not a merged IW product sidecar (format {found!r}, expected {FORMAT!r})")
    if polarisation and meta["polarisation"] != polarisation.upper():
        raise ProductError(f"{path}: merged {meta['polarisation']}, not {polarisation.upper()}")
    return MergedProduct(path, meta)


def footprint_of(scene, grid: RadarGrid, orbit: Orbit, nodes: int = 11) -> dict:
    """Tie points of the merged grid (nodes × nodes, edges included) at the annotated terrain height, with
    their incidence angles: the footprint and the GCPs of the merged rasters."""
    g = scene.grid
    lines = np.linspace(0, g.lines - 1, nodes)
    cols = np.linspace(0, g.samples - 1, nodes)
    ll, cc = np.meshgrid(lines, cols, indexing="ij")
    heights = np.concatenate([s.product.footprint.height for s in scene.swaths])
    h = np.full(ll.shape, float(np.mean(heights)))
    xyz = rdr2geo(orbit, grid, grid.azimuth_time(ll), grid.slant_range(cc), h)
    lon, lat, hh = ecef_to_geodetic(xyz)
    sat, _, _ = orbit.interpolate(grid.azimuth_time(ll.ravel()))
    look = sat - xyz
    up = geodetic_to_ecef(lon, lat, hh + 1.0) - xyz
    cos_inc = np.sum(look * up, axis=1) / np.linalg.norm(look, axis=1) / np.linalg.norm(up, axis=1)
    t0 = np.datetime64(g.first_line_time, "ns")
    times = t0 + np.round(ll.ravel() * g.line_interval_s * 1e9).astype("timedelta64[ns]")
    return {"azimuth_time": [str(t) for t in times], "slant_range_time": g.slant_range_time(cc.ravel()).tolist(),
            "line": ll.ravel().tolist(), "pixel": cc.ravel().tolist(), "latitude": lat.tolist(),
            "longitude": lon.tolist(), "height": hh.tolist(),
            "incidence_angle": np.degrees(np.arccos(np.clip(cos_inc, -1, 1))).tolist()}
