"""TerraSAR-X / TanDEM-X SSC metadata: the level1Product XML of a product folder, read once.

Element names and places are DLR's Level 1b Product Format Specification (TX-GS-DD-3307) as the public
readers read them: isce2 `components/isceobj/Sensor/TerraSARX.py` (missionInfo, sceneInfo start/stop
and rangeTime, stateVec, centerFrequency, dopplerEstimate/combinedDoppler with its referencePoint),
sarpy's TSX reader (imageRaster/columnSpacing = zero-Doppler azimuth time between lines, lookDirection,
projectedSpacingAzimuth, geometry/dopplerRate), GMTSAR make_slc_tsx. imageRaster/rowSpacing is the
two-way range time between samples (isce2: pixel size c·rowSpacing/2). Times are UTC,
'YYYY-MM-DDTHH:MM:SS.ffffff' with or without 'Z'; polynomials are <coefficient exponent="k">.

Spotlight (SL, HS, ST): the image is one block like StripMap, but its Doppler centroid sweeps along
azimuth, and the only record of that sweep is processing/doppler/dopplerCentroid/dopplerEstimate: each
estimate's timeUTC and its combinedDoppler range polynomial (referencePoint, polynomialDegree,
coefficient exponent=k). isce2's TerraSARX.py keeps them as `dopplerArray` but uses only the one
nearest mid scene (extractDoppler: "2x2 polynomial in azimuth and range suffices"); sarpy's tsx.py
(`_calculate_dop_polys`, for SL and HS) samples every estimate at 49 ranges over its validityRange,
moves each sample from its RAW (beam-centre) time to zero-Doppler time, t_zd = t - f_dc / f_rate
(dopplerRatePolynomial coefficient 0), and fits a 2-D polynomial of order 3; for ST it does not use
them and builds the centroid from the geometry (a staring beam); GMTSAR's make_slc_tsx.c reads no
Doppler record at all (fdd1 = fddd1 = 0) and takes commonPRF as the line rate. `spotlight_doppler` here
does what sarpy does for SL and HS, with the rate at each range, over the image's swath, and fits a line
in azimuth time (see there why), for ST too: where an ST product's records, moved to zero Doppler, do not
spread over the image (a staring beam's beam-centre times may all coincide), it is refused in one line
rather than given sarpy's geometric model untested. No public repository holds a delivered spotlight
XML to check the values against; the records of a real scene are expected to span a few kHz over its
1-2 s (the product names' start/stop: HS ~1 s, e.g. sarpy's test product
TSX1_SAR__SSC______HS_S_SRA_20090212T204239_20090212T204240; SL ~2 s), a sweep of a few kHz/s.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dinsar.errors import ProductError
from dinsar.io.statevectors import StateVectors
from dinsar.sensors.product import RangePolynomial, RangePolynomials
from dinsar.sensors.sentinel1 import UnsupportedProductError

C = 299_792_458.0
MISSIONS = ("TSX-1", "TDX-1")
MODES = {"SM": "StripMap", "HS": "High-resolution SpotLight", "SL": "SpotLight", "ST": "Staring SpotLight",
         "SC": "ScanSAR", "WS": "Wide ScanSAR"}
SPOTLIGHT_MODES = ("SL", "HS", "ST")  # one block, the centroid sweeping along azimuth: deramped by the chain
CHAIN_MODES = ("SM", *SPOTLIGHT_MODES)  # what this reader opens; ScanSAR's bursts are not processed
SPOTLIGHT_RANGES = 9  # range times per estimate sampled for the centroid's 2-D fit (sarpy samples 49 over
# a whole-swath validity range; 9 hold a degree-3 polynomial over an image's swath many times over)
MAX_RANGE_DEGREE = 3  # sarpy's order; combinedDoppler is delivered with 1-3
MIN_ESTIMATE_SPAN = 0.25  # of the image's duration: less cannot fix the sweep for the whole image
RESIDUAL_WARN = 0.01  # of the line rate: the fitted line leaves more than the resampler's passband absorbs
log = logging.getLogger(__name__)
_UTC = re.compile(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)Z?")


class Xml:
    """Elements of the level1Product read as numbers, text or times, with one-line errors naming the file
    and the element's path."""

    def __init__(self, node: ET.Element, where: str, source: str):
        self.node, self.where, self.source = node, where, source

    def _path(self, path: str) -> str:
        return f"{self.where}/{path}"

    def find(self, path: str) -> Xml:
        e = self.node.find(path)
        if e is None:
            raise ProductError(f"{self.source}: element {self._path(path)} missing (a TerraSAR-X level1Product "
                               "has it)")
        return Xml(e, self._path(path), self.source)

    def findall(self, path: str) -> list[Xml]:
        return [Xml(e, self._path(path), self.source) for e in self.node.findall(path)]

    def text(self, path: str = ".") -> str:
        e = self.find(path) if path != "." else self
        value = (e.node.text or "").strip()
        if not value:
            raise ProductError(f"{self.source}: element {e.where} is empty")
        return value

    def number(self, path: str = ".") -> float:
        value = self.text(path)
        try:
            x = float(value)
        except ValueError:
            x = float("nan")
        if not np.isfinite(x):
            raise ProductError(f"{self.source}: element {self._path(path) if path != '.' else self.where} is "
                               f"'{value[:40]}', expected a finite number")
        return x

    def integer(self, path: str) -> int:
        x = self.number(path)
        if x != int(x):
            raise ProductError(f"{self.source}: element {self._path(path)} is {x!r}, expected an integer")
        return int(x)

    def utc(self, path: str) -> np.datetime64:
        value = self.text(path)
        m = _UTC.fullmatch(value)
        if m is None:
            raise ProductError(f"{self.source}: element {self._path(path)} is '{value[:40]}', expected a UTC "
                               "time 'YYYY-MM-DDTHH:MM:SS.ffffff'")
        return np.datetime64(f"{m.group(1)}T{m.group(2)}", "ns")

    def polynomial(self, path: str) -> tuple[float, np.ndarray]:
        """(referencePoint, coefficients by exponent) of a polynomial element."""
        p = self.find(path)
        coefficients = p.findall("coefficient")
        if not coefficients:
            raise ProductError(f"{self.source}: element {p.where}/coefficient missing")
        out = np.zeros(1 + max(int(c.node.get("exponent", -1)) for c in coefficients))
        for c in coefficients:
            k = int(c.node.get("exponent", -1))
            if k < 0:
                raise ProductError(f"{self.source}: element {c.where} has no exponent attribute")
            out[k] = c.number()
        return p.number("referencePoint"), out


@dataclass(frozen=True)
class TerrasarMetadata:
    """What the reader takes from a TerraSAR-X / TanDEM-X SSC product (one polarisation)."""

    source: str  # the XML file
    mission: str  # TSX-1, TDX-1
    product_type: str  # SSC
    imaging_mode: str  # SM, SL, HS, ST
    beam: str  # elevationBeamConfiguration, e.g. strip_007
    polarisation: str
    polarisations: tuple[str, ...]  # every layer of the product
    look_side: str  # "right" / "left"
    orbit_direction: str
    abs_orbit: int
    shape: tuple[int, int]
    first_line_utc: np.datetime64
    last_line_utc: np.datetime64
    line_interval_s: float  # imageRaster/columnSpacing
    near_range_time_s: float  # sceneInfo/rangeTime/firstPixel
    far_range_time_s: float
    range_sampling_rate_hz: float  # 1 / imageRaster/rowSpacing
    prf_hz: float  # complexImageInfo/commonPRF
    wavelength_m: float
    line_spacing_m: float  # projectedSpacingAzimuth
    azimuth_bandwidth_hz: float
    range_bandwidth_hz: float
    state_vectors: StateVectors
    doppler_centroid: RangePolynomials
    fm_rate: RangePolynomials
    doppler_estimates: RangePolynomials  # the dopplerEstimate records as written (timeUTC as in the XML)
    doppler_times_raw: bool  # dopplerCentroidCoordinateType RAW: the records' times are beam-centre times
    centre_height_m: float | None  # sceneInfo/sceneAverageHeight
    cos_path: Path  # the COSAR of the chosen polarisation


def _parse(xml: Path) -> Xml:
    try:
        root = ET.parse(xml).getroot()
    except FileNotFoundError:
        raise ProductError(f"{xml}: no such file") from None
    except ET.ParseError as e:
        raise ProductError(f"{xml}: not readable XML ({e})") from None
    if root.tag != "level1Product":
        raise ProductError(f"{xml}: root element <{root.tag}>, expected <level1Product> (a TerraSAR-X L1B product)")
    return Xml(root, "level1Product", str(xml))


def _layers(x: Xml, polarisation: str | None) -> tuple[str, tuple[str, ...], Path]:
    """(chosen polarisation, all of them, COSAR path relative to the product folder)."""
    layers = {}
    for image in x.findall("productComponents/imageData"):
        loc = image.find("file/location")
        layers[image.text("polLayer").upper()] = Path(loc.text("path")) / loc.text("filename")
    if not layers:
        x.find("productComponents/imageData")  # raises: names the element
    pols = tuple(layers)
    if polarisation is None:
        if len(pols) > 1:
            raise ProductError(f"{x.source}: several polarisations ({', '.join(pols)}); name one with polarisation=")
        return pols[0], pols, layers[pols[0]]
    if polarisation.upper() not in layers:
        raise ProductError(f"{x.source}: no {polarisation.upper()} image (offered: {', '.join(pols)})")
    return polarisation.upper(), pols, layers[polarisation.upper()]


def _estimates(items: list[tuple[np.datetime64, float, np.ndarray]]) -> RangePolynomials:
    items = sorted(items, key=lambda e: e[0])
    return RangePolynomials(tuple(RangePolynomial(t, ref, c) for t, ref, c in items))


def _doppler(x: Xml, polarisation: str, fm: RangePolynomials) -> tuple[RangePolynomials, RangePolynomials, bool]:
    """(the dopplerEstimate records of the polarisation's dopplerCentroid (else the first one), each at its
    zero-Doppler time; the same records at their written times; whether those are RAW). With
    dopplerCentroidCoordinateType RAW the records' timeUTC are beam-centre times, t_zd = t_raw - f_dc / f_rate
    at mid range (sarkit-convert's TerraSAR-X reader), a few ms for StripMap."""
    centroids = x.findall("processing/doppler/dopplerCentroid")
    if not centroids:
        x.find("processing/doppler/dopplerCentroid")
    chosen = next((c for c in centroids if c.node.findtext("polLayer", "").strip().upper() == polarisation),
                  centroids[0])
    estimates = chosen.findall("dopplerEstimate")
    if not estimates:
        chosen.find("dopplerEstimate")
    items = [(e.utc("timeUTC"), *e.polynomial("combinedDoppler")) for e in estimates]
    written = _estimates(items)
    raw = (x.node.findtext("processing/doppler/dopplerCentroidCoordinateType") or "").strip().upper() == "RAW"
    if raw and fm:
        mid = 0.5 * (x.number("productInfo/sceneInfo/rangeTime/firstPixel")
                     + x.number("productInfo/sceneInfo/rangeTime/lastPixel"))
        shifted = []
        for t, ref, c in items:
            dt = -float(np.polynomial.polynomial.polyval(mid - ref, c)) / float(fm(mid, t))
            shifted.append((t + np.timedelta64(int(round(dt * 1e9)), "ns"), ref, c))
        return _estimates(shifted), written, True
    return written, written, raw


@dataclass(frozen=True)
class SpotlightDoppler:
    """The Doppler centroid of a Spotlight image over its zero-Doppler azimuth time t (s since `epoch`) and
    two-way slant-range time τ: f_dc = Σ c[p, q] x^p y^q, x = (τ - tau_mid) / tau_half, y = (t - t_mid) /
    t_half (scaled so the fit is well conditioned), q ≤ 1."""

    epoch: np.datetime64  # the image's first line
    t_mid_s: float
    t_half_s: float
    tau_mid_s: float
    tau_half_s: float
    coefficients: np.ndarray  # (range degree + 1, 2)
    residual_hz: float  # rms of the estimates' samples about the fit

    def __call__(self, slant_range_time, t_s) -> np.ndarray:
        x = (np.asarray(slant_range_time, dtype=np.float64) - self.tau_mid_s) / self.tau_half_s
        y = (np.asarray(t_s, dtype=np.float64) - self.t_mid_s) / self.t_half_s
        return np.polynomial.polynomial.polyval2d(*np.broadcast_arrays(x, y), self.coefficients)

    def rate(self, slant_range_time) -> np.ndarray:
        """d f_dc / dt (Hz/s) at two-way slant-range times: the sweep (constant along azimuth)."""
        x = (np.asarray(slant_range_time, dtype=np.float64) - self.tau_mid_s) / self.tau_half_s
        return np.polynomial.polynomial.polyval(x, self.coefficients[:, 1]) / self.t_half_s

    def seconds(self, azimuth_time) -> np.ndarray:
        return (np.asarray(azimuth_time, dtype="M8[ns]") - self.epoch) / np.timedelta64(1, "ns") * 1e-9


def spotlight_doppler(m: TerrasarMetadata) -> SpotlightDoppler:
    """The 2-D centroid of a Spotlight image from its dopplerEstimate records.

    Each record is sampled at SPOTLIGHT_RANGES range times over the image's swath; with RAW times each
    sample is moved to its zero-Doppler time t - f_dc(τ) / f_rate(τ) at its own range (sarpy moves them
    with the rate's constant term; in a spotlight image f_dc / f_rate is ~0.5 s, so the rate's range
    variation moves the far range's samples by ms against the near range's). The samples are fitted
    with a polynomial of the records' range degree (at most 3, sarpy's order) in τ and a line in t:
    TerraSAR-X's spotlight steers the beam at a constant rate, so the zero-Doppler image's centroid is
    linear in azimuth time (k_t = k_a k_s / (k_a - k_s) with the steering's and the FM rate's k_s, k_a
    constant over the scene); the chain's carrier (dinsar.geometry.spotlight) is first order about the
    middle line anyway; and a least-squares line over every record averages their estimation noise
    where a higher order would follow it, and swing at the image's ends that the records, once moved
    to zero Doppler, need not reach."""
    lines, samples = m.shape
    est = m.doppler_estimates
    where = "processing/doppler/dopplerCentroid/dopplerEstimate"
    tau = np.linspace(m.near_range_time_s, m.far_range_time_s, SPOTLIGHT_RANGES)
    f = np.array([e(tau) for e in est])  # (records, ranges)
    t = np.array([(e.azimuth_time - m.first_line_utc) / np.timedelta64(1, "ns") * 1e-9 for e in est])
    t = np.repeat(t[:, None], tau.size, axis=1)
    if m.doppler_times_raw:
        if not m.fm_rate:
            raise ProductError(f"{m.source}: processing/geometry/dopplerRate missing: the RAW times of {where} "
                               "cannot be moved to zero Doppler without it")
        t = t - f / np.array([m.fm_rate(tau, e.azimuth_time) for e in est])
    duration = (lines - 1) * m.line_interval_s
    span = float(np.ptp(t[:, tau.size // 2])) if len(est) else 0.0
    if len(est) < 2 or span < MIN_ESTIMATE_SPAN * duration:
        raise ProductError(f"{m.source}: {where}: {len(est)} records over {span:.3g} s of zero-Doppler time; the "
                           f"{m.imaging_mode} image's centroid sweep over its {duration:.3g} s needs them over at "
                           f"least {MIN_ESTIMATE_SPAN:.0%} of it")
    degree = min(MAX_RANGE_DEGREE, max(len(e.coefficients) for e in est) - 1)
    t_mid, t_half = 0.5 * duration, max(0.5 * duration, m.line_interval_s)
    tau_mid, tau_half = 0.5 * (tau[0] + tau[-1]), max(0.5 * (tau[-1] - tau[0]), 1e-12)
    x, y = ((tau[None, :] + 0 * t) - tau_mid) / tau_half, (t - t_mid) / t_half
    basis = np.stack([x.ravel() ** p * y.ravel() ** q for p in range(degree + 1) for q in (0, 1)], axis=1)
    c, *_ = np.linalg.lstsq(basis, f.ravel(), rcond=None)
    residual = float(np.sqrt(np.mean((basis @ c - f.ravel()) ** 2)))
    if residual > RESIDUAL_WARN / m.line_interval_s:
        log.warning("%s: the Spotlight centroid's line in azimuth time leaves %.1f Hz rms of its %d records",
                    m.source, residual, len(est))
    return SpotlightDoppler(epoch=m.first_line_utc, t_mid_s=t_mid, t_half_s=t_half, tau_mid_s=tau_mid,
                            tau_half_s=tau_half, coefficients=c.reshape(degree + 1, 2), residual_hz=residual)


def read_metadata(xml: Path, polarisation: str | None = None) -> TerrasarMetadata:
    """The metadata of the level1Product XML `xml`, for one polarisation (None: the only one)."""
    x = _parse(xml)
    source = str(xml)
    mission = x.text("productInfo/missionInfo/mission").upper()
    if mission not in MISSIONS:
        raise ProductError(f"{source}: productInfo/missionInfo/mission is {mission}, expected "
                           f"{' or '.join(MISSIONS)}")
    product_type = x.text("productInfo/productVariantInfo/productType").upper()
    if product_type != "SSC":
        raise UnsupportedProductError(f"{source}: productType {product_type} is not a single-look slant-range "
                                      "complex product; the reader takes SSC")
    mode = x.text("productInfo/acquisitionInfo/imagingMode").upper()
    if mode not in CHAIN_MODES:
        raise UnsupportedProductError(
            f"{source}: imagingMode {mode} ({MODES.get(mode, 'unknown')}); this chain processes TerraSAR-X "
            "StripMap (SM) and Spotlight (SL, HS, ST) only, and refuses it rather than make a wrong interferogram")
    start_with = x.text("productSpecific/complexImageInfo/imageDataStartWith").upper()
    if start_with != "EARLYAZNEARRG":
        raise ProductError(f"{source}: imageDataStartWith {start_with}, expected EARLYAZNEARRG (an SSC's order)")
    pol, pols, cos_rel = _layers(x, polarisation)

    raster = x.find("productInfo/imageDataInfo/imageRaster")
    lines, samples = raster.integer("numberOfRows"), raster.integer("numberOfColumns")
    dt, dtau = raster.number("columnSpacing"), raster.number("rowSpacing")
    scene = x.find("productInfo/sceneInfo")
    first, last = scene.utc("start/timeUTC"), scene.utc("stop/timeUTC")
    near, far = scene.number("rangeTime/firstPixel"), scene.number("rangeTime/lastPixel")
    span_s = float((last - first) / np.timedelta64(1, "ns")) * 1e-9
    for what, span, step, count in (("start/stop timeUTC", span_s, dt, lines),
                                    ("rangeTime firstPixel/lastPixel", far - near, dtau, samples)):
        if step <= 0 or abs(span - (count - 1) * step) > 1.5 * step:
            raise ProductError(f"{source}: sceneInfo {what} span {span!r} s, not {count} samples of {step!r} s")

    orbit = x.find("platform/orbit")
    vectors = orbit.findall("stateVec")
    if len(vectors) < 2:
        raise ProductError(f"{source}: {orbit.where}/stateVec: {len(vectors)} state vectors, need at least 2")
    times = np.array([v.utc("timeUTC") for v in vectors], dtype="M8[ns]")
    pos = np.array([[v.number(f"pos{a}") for a in "XYZ"] for v in vectors])
    vel = np.array([[v.number(f"vel{a}") for a in "XYZ"] for v in vectors])

    rate = x.findall("processing/geometry/dopplerRate")
    fm = _estimates([(r.utc("timeUTC"), *r.polynomial("dopplerRatePolynomial")) for r in rate])
    if fm and not np.all(fm.all(np.array([near, far])) < 0):
        raise ProductError(f"{source}: processing/geometry/dopplerRate gives a rate >= 0 Hz/s over the swath; the "
                           "azimuth FM rate of a zero-Doppler SSC is negative")
    look = x.text("productInfo/acquisitionInfo/lookDirection").upper()
    if look not in ("RIGHT", "LEFT"):
        raise ProductError(f"{source}: productInfo/acquisitionInfo/lookDirection is {look}, expected RIGHT or LEFT")
    par = x.find("processing/processingParameter")
    height = scene.node.find("sceneAverageHeight")
    doppler, estimates, raw = _doppler(x, pol, fm)
    return TerrasarMetadata(
        source=source, mission=mission, product_type=product_type, imaging_mode=mode,
        beam=x.text("productInfo/acquisitionInfo/elevationBeamConfiguration"), polarisation=pol,
        polarisations=pols, look_side=look.lower(), orbit_direction=x.text("productInfo/missionInfo/orbitDirection"),
        abs_orbit=x.integer("productInfo/missionInfo/absOrbit"), shape=(lines, samples), first_line_utc=first,
        last_line_utc=last, line_interval_s=dt, near_range_time_s=near, far_range_time_s=far,
        range_sampling_rate_hz=1.0 / dtau, prf_hz=x.number("productSpecific/complexImageInfo/commonPRF"),
        wavelength_m=C / x.number("instrument/radarParameters/centerFrequency"),
        line_spacing_m=x.number("productSpecific/complexImageInfo/projectedSpacingAzimuth"),
        azimuth_bandwidth_hz=par.number("totalProcessedAzimuthBandwidth"),
        range_bandwidth_hz=par.number("totalProcessedRangeBandwidth"),
        state_vectors=StateVectors(times, pos, vel, f"{source} (stateVec)"), doppler_centroid=doppler,
        fm_rate=fm, doppler_estimates=estimates, doppler_times_raw=raw,
        centre_height_m=None if height is None else scene.number("sceneAverageHeight"),
        cos_path=Path(xml).parent / cos_rel)
