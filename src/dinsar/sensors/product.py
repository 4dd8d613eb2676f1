"""What the chain asks of an SLC product, whatever the sensor: one protocol, one implementation per sensor.

The steps and the geometry see a product only through `SarProduct` (the shape of sarsen's
`datamodel.SarProduct`, without xarray): its radar grid and orbit, its Doppler centroid and FM-rate
models, its footprint, its samples (`read`, or many windows through `open`), geo2rdr / rdr2geo.
Each sensor module (dinsar.sensors.sentinel1, ...) reads its own metadata into these; only readers
that show a product's own metadata (`dinsar info`) look further.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
from rasterio.windows import Window

from dinsar.geometry.orbit import Orbit
from dinsar.geometry.radar import RadarGrid
from dinsar.geometry.spotlight import SpotlightCarrier
from dinsar.io.annotation import GeolocationGrid
from dinsar.io.statevectors import StateVectors


@dataclass(frozen=True)
class RangePolynomial:
    """One annotated estimate: f(τ) = Σ c_i (τ - t0)^i of two-way slant-range time τ (s), valid
    around `azimuth_time`; a Doppler centroid (Hz) or an azimuth FM rate (Hz/s)."""

    azimuth_time: np.datetime64
    t0: float
    coefficients: np.ndarray

    def __call__(self, slant_range_time) -> np.ndarray:
        dt = np.asarray(slant_range_time, dtype=np.float64) - self.t0
        return np.polynomial.polynomial.polyval(dt, self.coefficients)


@dataclass(frozen=True)
class RangePolynomials:
    """A model of slant-range time sampled along azimuth: the estimates, in azimuth-time order.

    model(τ) evaluates the middle estimate (the scene's centre; a StripMap scene's Doppler barely
    changes along it), model(τ, t) the one nearest azimuth time t. Empty (falsy) when the product
    annotates none; calling it then is an error, so a caller decides what a missing model means.
    """

    estimates: tuple[RangePolynomial, ...] = ()

    def __len__(self) -> int:
        return len(self.estimates)

    def __iter__(self):
        return iter(self.estimates)

    def __getitem__(self, k: int) -> RangePolynomial:
        return self.estimates[k]

    def nearest(self, azimuth_time: np.datetime64) -> int:
        """Index of the estimate nearest `azimuth_time`."""
        return int(np.argmin(np.abs([(e.azimuth_time - azimuth_time) / np.timedelta64(1, "ns")
                                     for e in self.estimates])))

    def __call__(self, slant_range_time, azimuth_time: np.datetime64 | None = None) -> np.ndarray:
        if not self.estimates:
            raise ValueError("no estimates in this model")
        k = len(self.estimates) // 2 if azimuth_time is None else self.nearest(azimuth_time)
        return self.estimates[k](slant_range_time)

    def all(self, slant_range_time) -> np.ndarray:
        """(estimates, *shape of τ): every estimate at the given slant-range times."""
        return np.array([e(slant_range_time) for e in self.estimates])


@dataclass(frozen=True)
class Burst:
    """One burst of a TOPS image: lines first_line .. first_line + lines - 1 of the burst-stacked image."""

    azimuth_time: np.datetime64  # of the burst's first line
    first_line: int
    lines: int
    first_valid_sample: np.ndarray  # per line, -1 where the line is invalid
    last_valid_sample: np.ndarray
    burst_id: int | None


class SampleReader(Protocol):
    """An open image: windows read without reopening the file (one per correlation window)."""

    def read(self, window: Window | None = None) -> np.ndarray: ...


@runtime_checkable
class SarProduct(Protocol):
    """One image (swath, polarisation) of an SLC product, in the chain's conventions (DESIGN.md)."""

    path: Path
    name: str
    state_vectors: StateVectors  # the orbit's source (annotation or EOF), for sidecars

    @property
    def shape(self) -> tuple[int, int]:
        """(lines, samples) of the image."""

    @property
    def mission(self) -> str:
        """The platform, e.g. S1A."""

    @property
    def mode(self) -> str:
        """The acquisition mode as the product names it per image (Sentinel-1: the beam S1..S6 for
        StripMap, IW / EW / WV otherwise); two images of a pair share it."""

    @property
    def swath(self) -> str:
        """The swath or beam of this image (S3, IW1, ...)."""

    @property
    def polarisation(self) -> str:
        """VV, VH, HH or HV."""

    @property
    def start_time(self) -> np.datetime64:
        """UTC azimuth time of the image's first line (datetime64[ns])."""

    @property
    def orbit(self) -> Orbit: ...

    @property
    def radar_grid(self) -> RadarGrid:
        """Timing (first line, line interval), range (near range time, sampling rate) and wavelength."""

    @property
    def look_side(self) -> str:
        """'right' or 'left', seen along the flight direction."""

    @property
    def doppler_centroid(self) -> RangePolynomials:
        """Doppler centroid (Hz) of slant-range time, along azimuth."""

    @property
    def fm_rate(self) -> RangePolynomials:
        """Azimuth FM rate (Hz/s) of slant-range time, along azimuth."""

    @property
    def footprint(self) -> GeolocationGrid:
        """Tie points (line, pixel, lon, lat, ellipsoidal height) over the image: its ground footprint,
        and the GCPs of every radar-geometry raster made from it."""

    @property
    def azimuth_pixel_spacing_m(self) -> float: ...

    @property
    def range_pixel_spacing_m(self) -> float:
        """Slant-range sample spacing (m)."""

    @property
    def incidence_angle_mid_deg(self) -> float:
        """Incidence angle at mid swath (degrees)."""

    @property
    def bursts(self) -> Sequence[Burst]:
        """The bursts of a TOPS image; empty for StripMap."""

    @property
    def azimuth_steering_rate_deg_s(self) -> float | None:
        """TOPS antenna steering rate (deg/s): the azimuth carrier's ks; 0 or None for StripMap."""

    @property
    def azimuth_carrier(self) -> SpotlightCarrier | None:
        """The azimuth carrier of a Spotlight image (its Doppler centroid sweeps along azimuth), which the
        slave's resampling removes and restores (dinsar.geometry.spotlight); None for StripMap, and for TOPS,
        whose bursts each have their own (dinsar.geometry.tops.BurstCarrier)."""

    @property
    def azimuth_bandwidth_fraction(self) -> float:
        """Processed azimuth bandwidth / line rate: how correlated neighbouring lines are (multilook ENL)."""

    @property
    def range_bandwidth_fraction(self) -> float:
        """Processed range bandwidth / range sampling rate: how correlated neighbouring samples are."""

    def read(self, window: Window | None = None) -> np.ndarray:
        """Complex64 samples of `window` (all of the image when None)."""

    def open(self) -> AbstractContextManager[SampleReader]:
        """The image held open while reading many windows: `with p.open() as r: r.read(window)`."""

    def check(self) -> tuple[int, int]:
        """Check that the image data is complete and readable (a truncated file fails here); its shape."""

    def geo2rdr(self, lon, lat, h) -> tuple[np.ndarray, np.ndarray]:
        """(line, column) of lon/lat (degrees) at ellipsoidal heights h (m)."""

    def rdr2geo(self, line, col, h) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """lon, lat (degrees), ellipsoidal height of (line, column) at height(s) h."""


def lonlat_to_pixel(orbit: Orbit, grid: RadarGrid, lon, lat, h) -> tuple[np.ndarray, np.ndarray]:
    """(line, column) on a zero-Doppler grid of points in lon/lat degrees at ellipsoidal heights h (m), in
    their broadcast shape; NaN where the orbit does not see the point. What a product's geo2rdr is."""
    from dinsar.geometry.ellipsoid import geodetic_to_ecef
    from dinsar.geometry.radar import geo2rdr

    line, col = grid.pixel(*geo2rdr(orbit, grid, geodetic_to_ecef(lon, lat, h)))
    shape = np.broadcast(lon, lat, h).shape
    return line.reshape(shape), col.reshape(shape)


def pixel_to_ground(orbit: Orbit, grid: RadarGrid, line, col, h, right_looking: bool = True) -> np.ndarray:
    """ECEF points (n, 3) seen at (line, column) of a zero-Doppler grid at height(s) h, in their broadcast
    order; right_looking False for a left-looking acquisition."""
    from dinsar.geometry.radar import rdr2geo

    line, col, h = (np.asarray(x, dtype=float) for x in np.broadcast_arrays(line, col, h))
    return rdr2geo(orbit, grid, grid.azimuth_time(line), grid.slant_range(col), h, right_looking=right_looking)


def pixel_to_lonlat(orbit: Orbit, grid: RadarGrid, line, col, h,
                    right_looking: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """lon, lat (degrees) and ellipsoidal height of (line, column) of a zero-Doppler grid at height(s) h,
    in their broadcast shape. What a product's rdr2geo is."""
    from dinsar.geometry.ellipsoid import ecef_to_geodetic

    shape = np.broadcast(line, col, h).shape
    lon, lat, hh = ecef_to_geodetic(pixel_to_ground(orbit, grid, line, col, h, right_looking))
    return lon.reshape(shape), lat.reshape(shape), hh.reshape(shape)


def incidence_deg(orbit: Orbit, grid: RadarGrid, line, xyz: np.ndarray) -> np.ndarray:
    """Angle (degrees) between the ellipsoid normal at ECEF ground points and the direction to the
    satellite at their lines' zero-Doppler times."""
    from dinsar.geometry.ellipsoid import ecef_to_geodetic

    pos, _, _ = orbit.interpolate(grid.azimuth_time(np.ravel(line)))
    lon, lat, _ = ecef_to_geodetic(xyz)
    lo, la = np.radians(lon), np.radians(lat)
    normal = np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], -1)
    look = pos - xyz
    cos = np.sum(normal * look, -1) / np.linalg.norm(look, axis=-1)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
