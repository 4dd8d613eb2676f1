"""Sentinel-1 SLC products: one swath and polarisation of a SAFE dir or zip.

    p = open_product(path, polarisation="VV", swath=None, orbit=None)
    p.shape, p.radar_grid, p.orbit, p.read(window), ...   # dinsar.sensors.product.SarProduct

`annotation` and `manifest` stay for readers that show a product's own metadata (`dinsar info`);
the chain uses the SarProduct members only.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning
from rasterio.windows import Window

from dinsar.errors import ProductError
from dinsar.geometry.orbit import Orbit
from dinsar.geometry.radar import RadarGrid
from dinsar.io.annotation import Annotation, GeolocationGrid, parse_annotation
from dinsar.io.eof import read_eof, select_orbit
from dinsar.io.manifest import Manifest, parse_manifest
from dinsar.io.measurement import check_tiff
from dinsar.io.safe import Measurement, SafeContainer
from dinsar.io.statevectors import StateVectors
from dinsar.sensors.product import Burst, RangePolynomial, RangePolynomials, lonlat_to_pixel, pixel_to_lonlat

# State vectors are kept this far beyond the acquisition (interpolation support).
ORBIT_MARGIN_S = 60.0

_MODE_NOTE = {"IW": " (TOPS bursts: merge its bursts first, dinsar.steps.tops.merge; dinsar run does)",
              "EW": " (TOPS bursts: EW is not supported)",
              "WV": " (wave mode vignettes)"}


class UnsupportedProductError(ProductError):
    """A product of a mode or sensor the chain cannot process correctly."""


# SAFE measurement TIFFs carry GCPs only in some products; that is expected.
warnings.filterwarnings("ignore", category=NotGeoreferencedWarning)


def doppler_centroid_of(annotation: Annotation) -> RangePolynomials:
    """The annotation's data Doppler centroid estimates (dopplerCentroid/dcEstimateList)."""
    return RangePolynomials(tuple(RangePolynomial(e.azimuth_time, e.t0, e.data_poly)
                                  for e in annotation.dc_estimates))


def fm_rate_of(annotation: Annotation) -> RangePolynomials:
    """The annotation's azimuth FM rates (generalAnnotation/azimuthFmRateList)."""
    return RangePolynomials(tuple(RangePolynomial(e.azimuth_time, e.t0, e.poly) for e in annotation.fm_rates))


def bursts_of(annotation: Annotation) -> tuple[Burst, ...]:
    """The bursts of a TOPS annotation (none for StripMap), each linesPerBurst lines of the image."""
    n = annotation.lines_per_burst
    return tuple(Burst(b.azimuth_time, k * n, n, b.first_valid_sample, b.last_valid_sample, b.burst_id)
                 for k, b in enumerate(annotation.bursts))


class _Reader:
    """The measurement TIFF held open: windows without reopening it (a /vsizip/ open costs ~ms)."""

    def __init__(self, src, path: str):
        self._src, self._path = src, path

    def read(self, window: Window | None = None) -> np.ndarray:
        try:
            raw = self._src.read(1, window=window)
        except rasterio.errors.RasterioError as e:
            raise ProductError(f"{self._path}: cannot read measurement ({e})") from None
        return raw.astype(np.complex64, copy=False)


@dataclass
class Sentinel1Product:
    """One swath/polarisation of a Sentinel-1 SLC: a dinsar.sensors.product.SarProduct."""

    path: Path
    name: str
    manifest: Manifest
    annotation: Annotation
    state_vectors: StateVectors
    measurement: Measurement
    measurement_path: str  # for rasterio (may be /vsizip/...)
    available: list[Measurement]

    @property
    def shape(self) -> tuple[int, int]:
        return self.annotation.shape

    @property
    def polarisations(self) -> list[str]:
        return sorted({m.polarisation for m in self.available})

    # -- the SarProduct members, from the annotation
    @property
    def mission(self) -> str:
        return self.annotation.mission

    @property
    def mode(self) -> str:
        return self.annotation.mode  # ESA names the StripMap beam (S1..S6) as the image's mode

    @property
    def swath(self) -> str:
        return self.annotation.swath

    @property
    def polarisation(self) -> str:
        return self.annotation.polarisation

    @property
    def start_time(self) -> np.datetime64:
        return self.annotation.first_line_time

    @property
    def look_side(self) -> str:
        return "right"  # every Sentinel-1 mode looks right

    @functools.cached_property
    def doppler_centroid(self) -> RangePolynomials:
        return doppler_centroid_of(self.annotation)

    @functools.cached_property
    def fm_rate(self) -> RangePolynomials:
        return fm_rate_of(self.annotation)

    @property
    def footprint(self) -> GeolocationGrid:
        return self.annotation.geolocation_grid

    @property
    def azimuth_pixel_spacing_m(self) -> float:
        return self.annotation.azimuth_pixel_spacing_m

    @property
    def range_pixel_spacing_m(self) -> float:
        return self.annotation.range_pixel_spacing_m

    @property
    def incidence_angle_mid_deg(self) -> float:
        return self.annotation.incidence_angle_mid_deg

    @functools.cached_property
    def bursts(self) -> tuple[Burst, ...]:
        return bursts_of(self.annotation)

    @property
    def azimuth_steering_rate_deg_s(self) -> float | None:
        return self.annotation.azimuth_steering_rate_deg_s

    @property
    def azimuth_carrier(self) -> None:
        return None  # StripMap is at a near-constant Doppler; a TOPS burst's carrier is BurstCarrier's

    @property
    def azimuth_bandwidth_fraction(self) -> float:
        return self.annotation.azimuth_bandwidth_fraction

    @property
    def range_bandwidth_fraction(self) -> float:
        return self.annotation.range_bandwidth_fraction

    @functools.cached_property
    def orbit(self) -> Orbit:
        return Orbit(self.state_vectors)

    @functools.cached_property
    def radar_grid(self) -> RadarGrid:
        """Zero-Doppler grid of the image: Sentinel-1 SLCs are focused to zero Doppler."""
        a = self.annotation
        return RadarGrid(
            first_line_s=float(self.orbit.seconds(a.first_line_time)),
            line_interval_s=a.azimuth_time_interval_s,
            near_range_time_s=a.slant_range_time_s,
            range_sampling_rate_hz=a.range_sampling_rate_hz,
            wavelength_m=a.wavelength_m,
        )

    def geo2rdr(self, lon, lat, h) -> tuple[np.ndarray, np.ndarray]:
        """(line, column) of points given in lon/lat degrees and ellipsoidal heights (m).

        For IW products the line counts azimuth time intervals from the first line
        of the swath, not lines of the burst-stacked image. NaN where the point is
        not seen during the orbit span.
        """
        return lonlat_to_pixel(self.orbit, self.radar_grid, lon, lat, h)

    def rdr2geo(self, line, col, h) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """lon, lat (degrees) and ellipsoidal height of (line, column) at height(s) h."""
        return pixel_to_lonlat(self.orbit, self.radar_grid, line, col, h)

    @contextlib.contextmanager
    def open(self) -> Iterator[_Reader]:
        """The measurement TIFF held open while reading many windows (`with p.open() as r: r.read(w)`)."""
        try:
            src = rasterio.open(self.measurement_path)
        except rasterio.errors.RasterioError as e:
            raise ProductError(f"{self.measurement_path}: cannot read measurement ({e})") from None
        with src:
            yield _Reader(src, self.measurement_path)

    def read(self, window: Window | None = None) -> np.ndarray:
        """Complex64 samples of `window` (lines, samples) of the measurement TIFF."""
        with self.open() as r:
            return r.read(window)

    def check(self) -> tuple[int, int]:
        """The measurement TIFF is complete (its last block inside the file) and readable; its shape."""
        return check_tiff(self.measurement_path)


def _choose(available: list[Measurement], polarisation: str, swath: str | None, path) -> Measurement:
    pol = polarisation.upper()
    matches = [m for m in available if m.polarisation == pol]
    if swath is not None:
        matches = [m for m in matches if m.swath == swath.upper()]
    if not matches:
        offered = ", ".join(sorted(f"{m.swath}/{m.polarisation}" for m in available)) or "none"
        want = f"{swath.upper()}/{pol}" if swath else pol
        raise ProductError(f"{path}: no {want} measurement with annotation (offered: {offered})")
    if len(matches) > 1:
        swaths = ", ".join(sorted(m.swath for m in matches))
        raise ProductError(f"{path}: several swaths for {pol} ({swaths}); name one with --swath "
                           "(dinsar info, dinsar quicklook) or swath= (open_product)")
    return matches[0]


def open_product(
    path: str | Path,
    polarisation: str = "VV",
    swath: str | None = None,
    orbit: str | Path | None = None,
    modes: tuple[str, ...] | None = None,
) -> Sentinel1Product:
    """Open one swath/polarisation of a Sentinel-1 SLC SAFE product (dir or zip).

    modes: the acquisition modes the caller can process (e.g. ("SM",)); another is refused in one
    line before anything else is read, so an IW product is never taken for a StripMap one.

    orbit: an EOF file, a folder of EOF files (searched recursively; the one covering the acquisition is used:
    precise before restituted, newest first), or None for the annotation's state vectors.
    """
    with SafeContainer(path) as safe:
        manifest = parse_manifest(safe.read_bytes("manifest.safe"), f"{path}/manifest.safe")
        if modes is not None and manifest.mode not in modes:
            raise UnsupportedProductError(
                f"{path}: {manifest.mode} product{_MODE_NOTE.get(manifest.mode, '')}; this chain processes "
                f"{', '.join(modes)} only, and refuses it rather than make a wrong interferogram")
        available = safe.measurements()
        chosen = _choose(available, polarisation, swath, path)
        annotation = parse_annotation(safe.read_bytes(chosen.annotation), f"{path}/{chosen.annotation}")
        measurement_path = safe.gdal_path(chosen.tiff)
        name = safe.name

    if orbit is not None and Path(orbit).is_dir():  # a folder of EOF files: the one covering the product
        candidates = sorted(Path(orbit).rglob("*.EOF"))  # also per-product subfolders (fetched orbits)
        start, stop = annotation.first_line_time, annotation.last_line_time
        try:
            orbit = select_orbit(candidates, manifest.mission, start, stop)
        except ProductError:  # select_orbit knows neither the folder (the config's key) nor the product
            raise ProductError(
                f"orbits: {orbit} has no EOF file covering {name} ({start.astype('M8[ms]')}.."
                f"{stop.astype('M8[ms]')}; {len(candidates)} *.EOF searched for {manifest.mission})"
            ) from None
    if orbit is None:
        sv = annotation.state_vectors
    else:
        sv = read_eof(orbit)
        if not sv.covers(annotation.first_line_time, annotation.last_line_time):
            raise ProductError(
                f"{orbit}: orbit {sv.start} .. {sv.stop} does not cover the acquisition "
                f"{annotation.first_line_time} .. {annotation.last_line_time}"
            )
        sv = sv.subset(annotation.first_line_time, annotation.last_line_time, ORBIT_MARGIN_S)

    try:
        with rasterio.open(measurement_path) as src:
            size = (src.height, src.width)
    except rasterio.errors.RasterioError as e:
        raise ProductError(f"{measurement_path}: cannot open measurement TIFF ({e})") from None
    if size != annotation.shape:
        raise ProductError(
            f"{measurement_path}: image is {size[0]}x{size[1]}, annotation says "
            f"{annotation.number_of_lines}x{annotation.number_of_samples}"
        )
    return Sentinel1Product(
        path=Path(path),
        name=name,
        manifest=manifest,
        annotation=annotation,
        state_vectors=sv,
        measurement=chosen,
        measurement_path=measurement_path,
        available=available,
    )
