"""COSMO-SkyMed SLC products (HDF5, first generation CSK and second CSG): one image of an SCS file.

    p = open_product(path, polarisation=None, orbit=None)
    p.shape, p.radar_grid, p.orbit, p.read(window), ...   # dinsar.sensors.product.SarProduct

Supported: Product Type SCS_B and SCS_U (L1A single-look complex slant, focused to zero Doppler;
balanced = weighted and radiometrically equalised, unbalanced = neither), StripMap (CSK HIMAGE,
PINGPONG; CSG STRIPMAP, PINGPONG, QUADPOL) and Spotlight (CSK ENHANCED SPOTLIGHT, SMART; CSG
SPOTLIGHT-*). Refused in one line: other product types (RAW, DGM, GEC, GTC), ScanSAR, KOMPSAT-5 and
any HDF5 that is not COSMO-SkyMed. Spotlight images are read, with the azimuth variation of their
Doppler centroid (`doppler_centroid_rate_hz_s`, `doppler_centroid_at`, `azimuth_steering`), and the
chain resamples them between a deramp and a reramp with `azimuth_carrier` (dinsar.geometry.spotlight).

The image is given with line 0 the earliest azimuth time and column 0 the nearest range, whatever
the file's `Lines Order` / `Columns Order`. Attribute names and places: dinsar.sensors.cosmo_metadata.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
from rasterio.windows import Window

from dinsar.errors import ProductError
from dinsar.geometry.ellipsoid import ecef_to_geodetic
from dinsar.geometry.orbit import Orbit
from dinsar.geometry.radar import RadarGrid
from dinsar.geometry.spotlight import SpotlightCarrier
from dinsar.io.annotation import GeolocationGrid
from dinsar.io.statevectors import StateVectors
from dinsar.sensors.cosmo_metadata import CosmoMetadata, read_metadata
from dinsar.sensors.product import (
    Burst,
    RangePolynomial,
    RangePolynomials,
    incidence_deg,
    lonlat_to_pixel,
    pixel_to_ground,
    pixel_to_lonlat,
)
from dinsar.sensors.sentinel1 import UnsupportedProductError

DOPPLER_ESTIMATES = 11  # the 2-D Doppler models sampled along azimuth for RangePolynomials
FOOTPRINT_NODES = 5  # tie points per axis


def _open_h5(path: Path) -> h5py.File:
    try:
        return h5py.File(path, "r")
    except FileNotFoundError:
        raise ProductError(f"{path}: no such file") from None
    except OSError as e:  # not HDF5, or truncated
        raise ProductError(f"{path}: not a readable HDF5 file ({str(e).splitlines()[0][:120]})") from None


class _Reader:
    """The image dataset held open: windows in the chain's orientation, each read as one hyperslab."""

    def __init__(self, dataset, meta: CosmoMetadata):
        self._ds, self._meta = dataset, meta

    def read(self, window: Window | None = None) -> np.ndarray:
        lines, samples = self._meta.shape
        if window is None:
            r0, c0, h, w = 0, 0, lines, samples
        else:
            r0, c0 = int(round(window.row_off)), int(round(window.col_off))
            h, w = int(round(window.height)), int(round(window.width))
        if r0 < 0 or c0 < 0 or h < 0 or w < 0 or r0 + h > lines or c0 + w > samples:
            raise ValueError(f"{self._meta.source}: window {window} is not inside the {lines}x{samples} image")
        # rows/columns of the file holding the window (reversed where the file is stored late-early / far-near)
        fr = slice(lines - r0 - h, lines - r0) if self._meta.lines_flipped else slice(r0, r0 + h)
        fc = slice(samples - c0 - w, samples - c0) if self._meta.columns_flipped else slice(c0, c0 + w)
        try:
            raw = self._ds[fr, fc, :]
        except OSError as e:
            raise ProductError(f"{self._meta.source}: cannot read {self._meta.dataset_path} ({e})") from None
        if self._meta.lines_flipped:
            raw = raw[::-1]
        if self._meta.columns_flipped:
            raw = raw[:, ::-1]
        out = np.empty(raw.shape[:2], dtype=np.complex64)
        out.real, out.imag = raw[..., 0], raw[..., 1]
        return out


@dataclass
class CosmoProduct:
    """One image (swath group, polarisation) of a COSMO-SkyMed SCS file: a dinsar.sensors.product.SarProduct."""

    path: Path
    name: str
    meta: CosmoMetadata
    state_vectors: StateVectors

    # -- identity
    @property
    def shape(self) -> tuple[int, int]:
        return self.meta.shape

    @property
    def generation(self) -> int:
        """1 (CSK) or 2 (CSG)."""
        return self.meta.generation

    @property
    def mission(self) -> str:
        return self.meta.satellite_id  # CSKS1..CSKS4, CSG1, CSG2

    @property
    def mode(self) -> str:
        """The `Acquisition Mode` as the file names it (HIMAGE, STRIPMAP, ENHANCED SPOTLIGHT, ...)."""
        return self.meta.acquisition_mode

    @property
    def imaging_mode(self) -> str:
        """"StripMap" or "Spotlight"."""
        return self.meta.imaging_mode

    @property
    def supported_by_chain(self) -> bool:
        """Whether the chain processes this image: StripMap and Spotlight (its slave resampled between a
        deramp and a reramp with `azimuth_carrier`) both."""
        return self.meta.imaging_mode in ("StripMap", "Spotlight")

    @property
    def swath(self) -> str:
        """The beam (`Multi-Beam ID`, e.g. H4-03), else the swath group (S01)."""
        return self.meta.beam or self.meta.swath_group

    @property
    def polarisation(self) -> str:
        return self.meta.polarisation

    @property
    def product_type(self) -> str:
        return self.meta.product_type

    @property
    def start_time(self) -> np.datetime64:
        return self.meta.time(self.meta.first_line_s)

    @property
    def stop_time(self) -> np.datetime64:
        return self.meta.time(self.meta.last_line_s)

    @property
    def look_side(self) -> str:
        return self.meta.look_side

    # -- geometry
    @functools.cached_property
    def orbit(self) -> Orbit:
        return Orbit(self.state_vectors)

    @functools.cached_property
    def radar_grid(self) -> RadarGrid:
        """Zero-Doppler grid of the image: SCS products are focused to zero Doppler."""
        m = self.meta
        return RadarGrid(
            first_line_s=float(self.orbit.seconds(self.start_time)),
            line_interval_s=m.line_interval_s,
            near_range_time_s=m.near_range_time_s,
            range_sampling_rate_hz=1.0 / m.column_interval_s,  # the image's sampling (isce2), not the ADC's
            wavelength_m=m.wavelength_m,
        )

    @property
    def azimuth_pixel_spacing_m(self) -> float:
        return self.meta.line_spacing_m

    @property
    def range_pixel_spacing_m(self) -> float:
        return self.meta.column_spacing_m

    @property
    def azimuth_bandwidth_fraction(self) -> float:
        return min(1.0, self.meta.azimuth_bandwidth_hz * self.meta.line_interval_s)

    @property
    def range_bandwidth_fraction(self) -> float:
        return min(1.0, self.meta.range_bandwidth_hz * self.meta.column_interval_s)

    @property
    def bursts(self) -> tuple[Burst, ...]:
        return ()  # StripMap and Spotlight images are one block

    @property
    def azimuth_steering_rate_deg_s(self) -> float | None:
        """None: not a TOPS image. A Spotlight image's azimuth Doppler sweep is `doppler_centroid_rate_hz_s`."""
        return None

    @property
    def rescaling_factor(self) -> float | None:
        """The root's `Rescaling Factor` (the samples are returned as stored, not divided by it)."""
        return self.meta.rescaling_factor

    def geo2rdr(self, lon, lat, h) -> tuple[np.ndarray, np.ndarray]:
        """(line, column) of lon/lat (degrees) at ellipsoidal heights h (m); NaN where not seen."""
        return lonlat_to_pixel(self.orbit, self.radar_grid, lon, lat, h)

    def rdr2geo(self, line, col, h) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """lon, lat (degrees) and ellipsoidal height of (line, column) at height(s) h."""
        return pixel_to_lonlat(self.orbit, self.radar_grid, line, col, h, self.look_side == "right")

    def _ground(self, line, col, h) -> np.ndarray:
        return pixel_to_ground(self.orbit, self.radar_grid, line, col, h, self.look_side == "right")

    @functools.cached_property
    def footprint(self) -> GeolocationGrid:
        """Tie points on a 5 x 5 grid over the image at the scene centre's height (the root's
        `Scene Centre Geodetic Coordinates`; 0 m when absent), by rdr2geo."""
        lines, samples = self.shape
        ll, cc = np.meshgrid(np.linspace(0, lines - 1, FOOTPRINT_NODES), np.linspace(0, samples - 1, FOOTPRINT_NODES),
                             indexing="ij")
        ll, cc = ll.ravel(), cc.ravel()
        h = np.full(ll.shape, self.meta.centre_height_m or 0.0)
        xyz = self._ground(ll, cc, h)
        lon, lat, hh = ecef_to_geodetic(xyz)
        g = self.radar_grid
        return GeolocationGrid(
            azimuth_time=self.meta.time(self.meta.first_line_s + ll * g.line_interval_s),
            slant_range_time=g.near_range_time_s + cc / g.range_sampling_rate_hz,
            line=ll, pixel=cc, latitude=lat, longitude=lon, height=hh,
            incidence_angle=incidence_deg(self.orbit, self.radar_grid, ll, xyz))

    @functools.cached_property
    def incidence_angle_mid_deg(self) -> float:
        """At mid swath, on the scene's middle line, at the footprint's height."""
        lines, samples = self.shape
        line, col = np.array([(lines - 1) / 2]), np.array([(samples - 1) / 2])
        xyz = self._ground(line, col, np.array([self.meta.centre_height_m or 0.0]))
        return float(incidence_deg(self.orbit, self.radar_grid, line, xyz)[0])

    # -- Doppler
    def _model(self, model) -> RangePolynomials:
        m = self.meta
        times = np.linspace(m.first_line_s, m.last_line_s, DOPPLER_ESTIMATES)
        return RangePolynomials(tuple(RangePolynomial(m.time(t), model.range_ref_s, model.range_coefficients_at(t))
                                      for t in times))

    @functools.cached_property
    def doppler_centroid(self) -> RangePolynomials:
        """The file's 2-D Doppler centroid sampled at 11 azimuth times over the image."""
        return self._model(self.meta.doppler_centroid)

    @functools.cached_property
    def fm_rate(self) -> RangePolynomials:
        """The file's Doppler rate (azimuth FM rate, negative) at 11 azimuth times; empty when it has none."""
        return self._model(self.meta.fm_rate) if self.meta.fm_rate is not None else RangePolynomials()

    def _seconds(self, azimuth_time) -> np.ndarray:
        return (np.asarray(azimuth_time, dtype="M8[ns]") - self.meta.reference_utc) / np.timedelta64(1, "ns") * 1e-9

    def doppler_centroid_at(self, slant_range_time, azimuth_time) -> np.ndarray:
        """Doppler centroid (Hz) at two-way slant-range times and UTC azimuth times (datetime64): the
        continuous model a Spotlight deramp needs."""
        return self.meta.doppler_centroid(slant_range_time, self._seconds(azimuth_time))

    def fm_rate_at(self, slant_range_time, azimuth_time) -> np.ndarray:
        if self.meta.fm_rate is None:
            raise ProductError(f"{self.path}: the file has no Doppler Rate polynomials")
        return self.meta.fm_rate(slant_range_time, self._seconds(azimuth_time))

    @property
    def doppler_centroid_rate_hz_s(self) -> float:
        """d f_dc / dt along zero-Doppler azimuth time at the scene's middle line (Hz/s): ~0 for StripMap,
        the azimuth sweep of a Spotlight image."""
        m = self.meta
        return m.doppler_centroid.azimuth_rate(0.5 * (m.first_line_s + m.last_line_s))

    @functools.cached_property
    def azimuth_carrier(self) -> SpotlightCarrier | None:
        """Spotlight: the carrier of the file's Doppler centroid model (dinsar.geometry.spotlight), its
        sweep taken at the middle line; None for StripMap, whose centroid is near constant."""
        if self.meta.imaging_mode != "Spotlight":
            return None
        m, g = self.meta, self.radar_grid
        lines, samples = self.shape
        return SpotlightCarrier.from_doppler(lines, samples, g.line_interval_s, m.doppler_centroid,
                                             m.first_line_s + (lines - 1) // 2 * g.line_interval_s,
                                             lambda cols: g.near_range_time_s + cols / g.range_sampling_rate_hz)

    @property
    def azimuth_steering(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Spotlight: (lines where the azimuth ramp code changes, steering angle deg) of the burst group,
        where the file gives them (sarkit-convert reads them for its antenna model); None otherwise."""
        return self.meta.azimuth_steering

    # -- samples
    @contextlib.contextmanager
    def open(self) -> Iterator[_Reader]:
        """The image held open while reading many windows (`with p.open() as r: r.read(w)`)."""
        with _open_h5(self.path) as f:
            yield _Reader(f[self.meta.dataset_path], self.meta)

    def read(self, window: Window | None = None) -> np.ndarray:
        """Complex64 samples of `window` (line 0 earliest, column 0 nearest); only the window is read."""
        with self.open() as r:
            return r.read(window)

    def check(self) -> tuple[int, int]:
        """The image dataset is complete and readable (its first and last lines); its shape."""
        lines, samples = self.shape
        with self.open() as r:
            for row in (0, lines - 1):
                r.read(Window(0, row, samples, 1))
        return self.shape


def open_product(
    path: str | Path,
    polarisation: str | None = None,
    orbit: StateVectors | None = None,
    modes: tuple[str, ...] | None = None,
) -> CosmoProduct:
    """Open one image of a COSMO-SkyMed SCS HDF5 file (CSK or CSG).

    polarisation: HH, VV, HV or VH; None for the only image of the file (PINGPONG files hold two).
    orbit: StateVectors to use instead of the file's (they must cover the acquisition); None for the
    file's own `ECEF Satellite Position / Velocity` (COSMO-SkyMed has no separate orbit files).
    modes: the imaging modes the caller can process ("StripMap", "Spotlight"); another is refused in one
    line (UnsupportedProductError), so a Spotlight image is never processed as StripMap.
    """
    path = Path(path)
    with _open_h5(path) as f:
        meta = read_metadata(f, str(path), polarisation)
    if modes is not None and meta.imaging_mode not in modes:
        raise UnsupportedProductError(
            f"{path}: {meta.acquisition_mode} is a {meta.imaging_mode} product; this chain processes "
            f"{', '.join(modes)} only, and refuses it rather than make a wrong interferogram")
    sv = meta.state_vectors
    if orbit is not None:
        if not isinstance(orbit, StateVectors):
            raise ProductError(f"{path}: orbit={orbit!r}: COSMO-SkyMed products carry their own orbit; "
                               "give StateVectors or None")
        sv = orbit
    start, stop = meta.time(meta.first_line_s), meta.time(meta.last_line_s)
    if not sv.covers(start, stop):
        raise ProductError(f"{sv.source}: orbit {sv.start} .. {sv.stop} does not cover the acquisition "
                           f"{start} .. {stop}")
    return CosmoProduct(path=path, name=path.stem, meta=meta, state_vectors=sv)
