"""TerraSAR-X / TanDEM-X SSC StripMap and Spotlight products: a product folder's level1Product XML and its
COSAR image.

    p = open_product(folder, polarisation=None, orbit=None)
    p.shape, p.radar_grid, p.orbit, p.read(window), ...   # dinsar.sensors.product.SarProduct

A product is the folder T[SD]X1_SAR__SSC______SM_..._<start>_<stop>/ with <same name>.xml and
IMAGEDATA/IMAGE_<POL>_SRA_<beam>.cos. Supported: productType SSC (zero-Doppler slant-range complex),
imagingMode SM (StripMap) and SL, HS, ST (SpotLight, High-resolution SpotLight, Staring SpotLight); the
ScanSAR modes (SC, WS) and the detected products (MGD, GEC, EEC) are refused in one line. A Spotlight
image is one burst like StripMap, its Doppler centroid sweeping along azimuth: `spotlight_doppler` models
it from the dopplerEstimate records (dinsar.sensors.terrasar_metadata.spotlight_doppler) and the chain
resamples a Spotlight slave between a deramp and a reramp with `azimuth_carrier`
(dinsar.geometry.spotlight). Element names and places: dinsar.sensors.terrasar_metadata.

COSAR (DLR TX-GS-DD-3307, as isce2's src/cosar and GDAL's COSAR driver read it): big-endian; range lines
of RTNB = (RS + 2) · 4 bytes; a StripMap file is one burst: 4 annotation lines (the header: BIB, RSRI,
RS, AS, BI, RTNB, TNL int32, 'CSAR', ...; then the azimuth sample relative index, first valid and last
valid lines: 8 filler bytes and RS int32 each, 1-based), then AS data lines, each its range sample first
and last valid (int32, 1-based, inclusive as GDAL reads them; 0 = no valid sample, which GDAL refuses)
and RS complex int16 (I, Q). Samples outside the valid ranges are returned as 0. A window reads only its
own lines and columns, through a memory map of the file as big-endian int16 ('>i2').
"""

from __future__ import annotations

import contextlib
import functools
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rasterio.windows import Window

from dinsar.errors import ProductError
from dinsar.geometry.ellipsoid import ecef_to_geodetic
from dinsar.geometry.orbit import Orbit
from dinsar.geometry.radar import RadarGrid
from dinsar.geometry.spotlight import SpotlightCarrier
from dinsar.io.annotation import GeolocationGrid
from dinsar.io.statevectors import StateVectors
from dinsar.sensors import TERRASAR_PREFIXES
from dinsar.sensors.product import (
    Burst,
    RangePolynomials,
    incidence_deg,
    lonlat_to_pixel,
    pixel_to_ground,
    pixel_to_lonlat,
)
from dinsar.sensors.terrasar_metadata import (
    MODES,
    SPOTLIGHT_MODES,
    SpotlightDoppler,
    TerrasarMetadata,
    read_metadata,
    spotlight_doppler,
)

ANNOTATION_LINES = 4
HEADER = struct.Struct(">7i4s")  # BIB, RSRI, RS, AS, BI, RTNB, TNL, 'CSAR'
FOOTPRINT_NODES = 5


@dataclass(frozen=True)
class CosarAnnotation:
    """The burst annotation of a COSAR file (StripMap: one burst), and its valid-sample limits (0-based,
    inclusive; -1 / last < first where none)."""

    bytes_in_burst: int
    range_sample_relative_index: int
    range_samples: int
    azimuth_samples: int
    burst_index: int
    rangeline_bytes: int
    total_lines: int
    first_valid_line: np.ndarray  # per column
    last_valid_line: np.ndarray


def read_annotation(path: Path, shape: tuple[int, int]) -> CosarAnnotation:
    """The annotation of the COSAR `path`, checked against the XML's (lines, samples) and the file's size:
    a truncated file names the burst and the first incomplete line."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(HEADER.size)
            if len(head) < HEADER.size:
                raise ProductError(f"{path}: {size} bytes, too short for a COSAR burst annotation "
                                   f"({HEADER.size} bytes)")
            bib, rsri, rs, az, bi, rtnb, tnl, magic = HEADER.unpack(head)
            if magic != b"CSAR":
                raise ProductError(f"{path}: not a COSAR file (bytes 28-31 are {magic!r}, expected b'CSAR')")
            lines, samples = shape
            if (az, rs) != (lines, samples):
                raise ProductError(f"{path}: burst 1 annotation gives {az} x {rs} samples (AS x RS), the XML "
                                   f"{lines} x {samples}")
            if rtnb != (rs + 2) * 4:
                raise ProductError(f"{path}: rangeline total number of bytes {rtnb}, expected (RS + 2) * 4 = "
                                   f"{(rs + 2) * 4}")
            if tnl != az + ANNOTATION_LINES or bib != tnl * rtnb:
                raise ProductError(f"{path}: {tnl} lines of {bib // max(rtnb, 1)} per burst: not one StripMap "
                                   f"burst of {az} + {ANNOTATION_LINES} lines (ScanSAR is not supported)")
            f.seek(2 * rtnb)
            limits = f.read(2 * rtnb)
    except OSError as e:
        raise ProductError(f"{path}: cannot read ({e.strerror or e})") from None
    need = tnl * rtnb
    if size < need:
        complete = max(0, size // rtnb - ANNOTATION_LINES)
        where = f"data line {complete + 1} of {az}" if size >= ANNOTATION_LINES * rtnb else \
            f"annotation line {size // rtnb + 1} of {ANNOTATION_LINES}"
        raise ProductError(f"{path}: truncated in burst {bi} of 1 at {where} ({size} of {need} bytes)")
    if size > need:
        raise ProductError(f"{path}: {size} bytes, more than the one burst its annotation describes ({need})")
    ints = np.frombuffer(limits, ">i4").reshape(2, rs + 2)[:, 2:]  # ASFV, ASLV lines past their 8 filler bytes
    return CosarAnnotation(bib, rsri, rs, az, bi, rtnb, tnl, ints[0].astype(np.int64) - 1,
                           ints[1].astype(np.int64) - 1)


class _Reader:
    """The COSAR held open as a memory map of big-endian int16 (TNL lines x RTNB / 2): a window touches
    only its lines' validity words and its own columns, not whole range lines (a real StripMap line is
    ~80 kB; a correlation window needs a few hundred bytes of it)."""

    def __init__(self, mm: np.ndarray, ann: CosarAnnotation, path: Path):
        self._mm, self._ann, self._path = mm, ann, path

    def read(self, window: Window | None = None) -> np.ndarray:
        a = self._ann
        lines, samples = a.azimuth_samples, a.range_samples
        if window is None:
            r0, c0, h, w = 0, 0, lines, samples
        else:
            r0, c0 = int(round(window.row_off)), int(round(window.col_off))
            h, w = int(round(window.height)), int(round(window.width))
        if r0 < 0 or c0 < 0 or h < 0 or w < 0 or r0 + h > lines or c0 + w > samples:
            raise ValueError(f"{self._path}: window {window} is not inside the {lines}x{samples} image")
        rows = self._mm[ANNOTATION_LINES + r0:ANNOTATION_LINES + r0 + h]
        iq = rows[:, 4 + 2 * c0:4 + 2 * (c0 + w)]  # past RSFV, RSLV: 2 int32 = 4 int16
        out = np.empty((h, w), np.complex64)
        out.real, out.imag = iq[:, 0::2], iq[:, 1::2]
        # the valid samples: per line (RSFV..RSLV, 1-based) and per column (ASFV..ASLV)
        rs_valid = np.ascontiguousarray(rows[:, :4]).view(">i4").astype(np.int64)
        cols = np.arange(c0, c0 + w)[None, :] + 1
        line_ok = (rs_valid[:, :1] >= 1) & (cols >= rs_valid[:, :1]) & (cols <= rs_valid[:, 1:2])
        ll = np.arange(r0, r0 + h)[:, None]
        col_ok = (ll >= a.first_valid_line[None, c0:c0 + w]) & (ll <= a.last_valid_line[None, c0:c0 + w])
        out[~(line_ok & col_ok)] = 0
        return out


@dataclass
class TerrasarProduct:
    """One polarisation of a TerraSAR-X / TanDEM-X SSC StripMap or Spotlight product: a
    dinsar.sensors.product.SarProduct."""

    path: Path
    name: str
    meta: TerrasarMetadata
    state_vectors: StateVectors
    annotation: CosarAnnotation

    # -- identity
    @property
    def shape(self) -> tuple[int, int]:
        return self.meta.shape

    @property
    def mission(self) -> str:
        return self.meta.mission  # TSX-1, TDX-1

    @property
    def mode(self) -> str:
        return self.meta.imaging_mode  # SM, SL, HS, ST

    @property
    def imaging_mode(self) -> str:
        """The mode's name: StripMap, SpotLight, High-resolution SpotLight, Staring SpotLight."""
        return MODES[self.meta.imaging_mode]

    @property
    def is_spotlight(self) -> bool:
        return self.meta.imaging_mode in SPOTLIGHT_MODES

    @property
    def swath(self) -> str:
        return self.meta.beam  # elevationBeamConfiguration, e.g. strip_007

    @property
    def polarisation(self) -> str:
        return self.meta.polarisation

    @property
    def product_type(self) -> str:
        return self.meta.product_type

    @property
    def start_time(self) -> np.datetime64:
        return self.meta.first_line_utc

    @property
    def stop_time(self) -> np.datetime64:
        return self.meta.last_line_utc

    @property
    def look_side(self) -> str:
        return self.meta.look_side

    @property
    def cos_path(self) -> Path:
        return self.meta.cos_path

    # -- geometry
    @functools.cached_property
    def orbit(self) -> Orbit:
        return Orbit(self.state_vectors)

    @functools.cached_property
    def radar_grid(self) -> RadarGrid:
        """Zero-Doppler grid of the image (SSC is focused to zero Doppler): the line interval is
        imageRaster/columnSpacing, the range sampling 1 / rowSpacing."""
        m = self.meta
        return RadarGrid(first_line_s=float(self.orbit.seconds(self.start_time)), line_interval_s=m.line_interval_s,
                         near_range_time_s=m.near_range_time_s, range_sampling_rate_hz=m.range_sampling_rate_hz,
                         wavelength_m=m.wavelength_m)

    @property
    def azimuth_pixel_spacing_m(self) -> float:
        return self.meta.line_spacing_m

    @property
    def range_pixel_spacing_m(self) -> float:
        return 299_792_458.0 / (2 * self.meta.range_sampling_rate_hz)

    @property
    def azimuth_bandwidth_fraction(self) -> float:
        return min(1.0, self.meta.azimuth_bandwidth_hz * self.meta.line_interval_s)

    @property
    def range_bandwidth_fraction(self) -> float:
        return min(1.0, self.meta.range_bandwidth_hz / self.meta.range_sampling_rate_hz)

    @property
    def bursts(self) -> tuple[Burst, ...]:
        return ()  # StripMap and Spotlight: one block

    @property
    def azimuth_steering_rate_deg_s(self) -> float | None:
        return None  # not TOPS

    @functools.cached_property
    def azimuth_carrier(self) -> SpotlightCarrier | None:
        """Spotlight: the carrier of `spotlight_doppler` (dinsar.geometry.spotlight), its sweep taken at the
        middle line; None for StripMap, whose centroid is near constant."""
        model = self.spotlight_doppler
        if model is None:
            return None
        g = self.radar_grid
        lines, samples = self.shape
        return SpotlightCarrier.from_doppler(lines, samples, g.line_interval_s, model,
                                             (lines - 1) // 2 * g.line_interval_s,
                                             lambda cols: g.near_range_time_s + cols / g.range_sampling_rate_hz)

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
        """Tie points on a 5 x 5 grid over the image at sceneInfo/sceneAverageHeight (0 m without it)."""
        lines, samples = self.shape
        ll, cc = np.meshgrid(np.linspace(0, lines - 1, FOOTPRINT_NODES), np.linspace(0, samples - 1, FOOTPRINT_NODES),
                             indexing="ij")
        ll, cc = ll.ravel(), cc.ravel()
        xyz = self._ground(ll, cc, np.full(ll.shape, self.meta.centre_height_m or 0.0))
        lon, lat, hh = ecef_to_geodetic(xyz)
        g = self.radar_grid
        offsets = np.round(ll * g.line_interval_s * 1e9).astype("m8[ns]")
        return GeolocationGrid(azimuth_time=self.start_time + offsets,
                               slant_range_time=g.near_range_time_s + cc / g.range_sampling_rate_hz,
                               line=ll, pixel=cc, latitude=lat, longitude=lon, height=hh,
                               incidence_angle=incidence_deg(self.orbit, self.radar_grid, ll, xyz))

    @functools.cached_property
    def incidence_angle_mid_deg(self) -> float:
        lines, samples = self.shape
        line, col = np.array([(lines - 1) / 2]), np.array([(samples - 1) / 2])
        xyz = self._ground(line, col, np.array([self.meta.centre_height_m or 0.0]))
        return float(incidence_deg(self.orbit, self.radar_grid, line, xyz)[0])

    # -- Doppler
    @property
    def doppler_centroid(self) -> RangePolynomials:
        """The dopplerEstimate records (combinedDoppler about its referencePoint), in azimuth-time order."""
        return self.meta.doppler_centroid

    @property
    def fm_rate(self) -> RangePolynomials:
        """processing/geometry/dopplerRate records (Hz/s); empty when the XML has none."""
        return self.meta.fm_rate

    @functools.cached_property
    def spotlight_doppler(self) -> SpotlightDoppler | None:
        """Spotlight: the centroid over zero-Doppler azimuth time (s since the first line) and slant-range
        time, fitted to the dopplerEstimate records; None for StripMap."""
        return spotlight_doppler(self.meta) if self.is_spotlight else None

    def doppler_centroid_at(self, slant_range_time, azimuth_time) -> np.ndarray:
        """Doppler centroid (Hz) at two-way slant-range times and UTC zero-Doppler azimuth times (datetime64):
        the Spotlight model, or the nearest record's for StripMap."""
        model = self.spotlight_doppler
        if model is None:
            return np.asarray(self.doppler_centroid(slant_range_time, np.datetime64(azimuth_time, "ns")))
        return model(slant_range_time, model.seconds(azimuth_time))

    @property
    def doppler_centroid_rate_hz_s(self) -> float:
        """d f_dc / dt along zero-Doppler azimuth time at mid swath (Hz/s): 0 for StripMap, the azimuth sweep
        of a Spotlight image."""
        model = self.spotlight_doppler
        if model is None:
            return 0.0
        return float(model.rate(0.5 * (self.meta.near_range_time_s + self.meta.far_range_time_s)))

    # -- samples
    @contextlib.contextmanager
    def open(self) -> Iterator[_Reader]:
        """The COSAR held open while reading many windows (`with p.open() as r: r.read(w)`). Its annotation
        and size are checked again: a file cut since the product was opened names its burst and line."""
        a = read_annotation(self.cos_path, self.shape)
        try:
            mm = np.memmap(self.cos_path, dtype=">i2", mode="r", shape=(a.total_lines, a.rangeline_bytes // 2))
        except (OSError, ValueError) as e:
            raise ProductError(f"{self.cos_path}: cannot map the COSAR ({e})") from None
        reader = _Reader(mm, a, self.cos_path)
        try:
            yield reader
        finally:  # unmapped once nothing holds it, even if the caller keeps `reader`
            reader._mm = None
            del mm

    def read(self, window: Window | None = None) -> np.ndarray:
        """Complex64 samples of `window` (line 0 earliest, column 0 nearest); only its lines are read."""
        with self.open() as r:
            return r.read(window)

    def check(self) -> tuple[int, int]:
        """The COSAR is complete (its size is what its annotation says) and its first and last lines read."""
        lines, samples = self.shape
        with self.open() as r:
            for row in (0, lines - 1):
                r.read(Window(0, row, samples, 1))
        return self.shape


def product_xml(path: str | Path) -> Path:
    """The level1Product XML of a product folder (<folder>/<folder name>.xml), or one line saying what the
    folder holds instead."""
    folder = Path(str(path).rstrip("/"))
    if folder.suffix.lower() == ".xml" and folder.is_file():
        raise ProductError(f"{folder}: a TerraSAR-X product is its folder; name {folder.parent} instead")
    if not folder.is_dir():
        raise ProductError(f"{folder}: no such TerraSAR-X product folder")
    xml = folder / f"{folder.name}.xml"
    if xml.is_file():
        return xml
    held = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir())
    named = "" if folder.name.startswith(TERRASAR_PREFIXES) else \
        f"its name does not start with {' or '.join(TERRASAR_PREFIXES)}; "
    raise ProductError(f"{folder}: not a TerraSAR-X SSC product folder ({named}no {xml.name}; it holds: "
                       f"{', '.join(held[:8]) or 'nothing'}{' ...' if len(held) > 8 else ''})")


def open_product(path: str | Path, polarisation: str | None = None,
                 orbit: StateVectors | None = None) -> TerrasarProduct:
    """Open one polarisation of a TerraSAR-X / TanDEM-X SSC StripMap or Spotlight product folder.

    polarisation: HH, VV, HV or VH; None for the product's only one. orbit: StateVectors to use instead
    of the XML's stateVec (they must cover the acquisition); None for the XML's. ScanSAR (SC, WS), or
    another product type than SSC, is refused in one line (UnsupportedProductError); a Spotlight product
    whose dopplerEstimate records cannot fix its centroid's sweep too (ProductError)."""
    folder = Path(str(path).rstrip("/"))
    meta = read_metadata(product_xml(folder), polarisation)
    if not meta.cos_path.is_file():
        raise ProductError(f"{meta.source}: its {meta.polarisation} image {meta.cos_path} is missing")
    annotation = read_annotation(meta.cos_path, meta.shape)
    sv = meta.state_vectors if orbit is None else orbit
    if not sv.covers(meta.first_line_utc, meta.last_line_utc):
        raise ProductError(f"{sv.source}: orbit {sv.start} .. {sv.stop} does not cover the acquisition "
                           f"{meta.first_line_utc} .. {meta.last_line_utc}")
    product = TerrasarProduct(path=folder, name=folder.name, meta=meta, state_vectors=sv, annotation=annotation)
    product.spotlight_doppler  # noqa: B018 -- a Spotlight product whose centroid cannot be modelled fails here
    return product
