"""Sentinel-1 L1 product annotation (annotation/s1?-*-slc-*.xml) -> typed values.

xarray-sentinel was evaluated as the parser: it validates every file against
ESA's XSD (xmlschema, fsspec), returns xarray datasets per group and has no EOF
reader. We need a handful of scalars and arrays, from products we also write
ourselves (the simulator), so a direct ElementTree reader of the same fields
is smaller and fails with our one-line errors; the tests check it against the
real annotation files in ../shared/data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dinsar.errors import ProductError
from dinsar.io import xml
from dinsar.io.statevectors import StateVectors

SPEED_OF_LIGHT = 299_792_458.0


@dataclass(frozen=True)
class DcEstimate:
    """One Doppler centroid estimate: f(τ) = Σ c_i (τ - t0)^i, τ slant-range time (s)."""

    azimuth_time: np.datetime64
    t0: float
    geometry_poly: np.ndarray
    data_poly: np.ndarray
    data_rms_error_hz: float

    def data_doppler_hz(self, slant_range_time: np.ndarray | float) -> np.ndarray:
        dt = np.asarray(slant_range_time, dtype=np.float64) - self.t0
        return np.polynomial.polynomial.polyval(dt, self.data_poly)


@dataclass(frozen=True)
class FmRate:
    azimuth_time: np.datetime64
    t0: float
    poly: np.ndarray  # Hz/s, in (τ - t0)


@dataclass(frozen=True)
class Burst:
    azimuth_time: np.datetime64
    sensing_time: np.datetime64
    byte_offset: int
    first_valid_sample: np.ndarray  # int, -1 where the line is invalid
    last_valid_sample: np.ndarray
    burst_id: int | None


@dataclass(frozen=True)
class GeolocationGrid:
    azimuth_time: np.ndarray  # datetime64[ns]
    slant_range_time: np.ndarray  # s, two-way
    line: np.ndarray
    pixel: np.ndarray
    latitude: np.ndarray
    longitude: np.ndarray
    height: np.ndarray  # ellipsoidal, m
    incidence_angle: np.ndarray  # deg

    def __len__(self) -> int:
        return len(self.line)


@dataclass(frozen=True)
class Annotation:
    source: str
    mission: str
    product_type: str
    polarisation: str
    mode: str
    swath: str
    start_time: np.datetime64
    stop_time: np.datetime64
    absolute_orbit: int
    pass_direction: str
    platform_heading_deg: float
    range_sampling_rate_hz: float
    radar_frequency_hz: float
    first_line_time: np.datetime64
    last_line_time: np.datetime64
    azimuth_time_interval_s: float
    slant_range_time_s: float
    range_pixel_spacing_m: float
    azimuth_pixel_spacing_m: float
    azimuth_frequency_hz: float
    number_of_lines: int
    number_of_samples: int
    incidence_angle_mid_deg: float
    state_vectors: StateVectors
    geolocation_grid: GeolocationGrid
    dc_estimates: list[DcEstimate] = field(default_factory=list)
    fm_rates: list[FmRate] = field(default_factory=list)
    lines_per_burst: int = 0
    samples_per_burst: int = 0
    bursts: list[Burst] = field(default_factory=list)
    # processed (not sampled) bandwidths, swathProcParams/{range,azimuth}Processing/processingBandwidth;
    # None where the annotation has none (products simulated before they were written)
    range_processing_bandwidth_hz: float | None = None
    azimuth_processing_bandwidth_hz: float | None = None
    # imageInformation/ascendingNodeTime: the ascending node crossing before the first line, the origin of
    # ESA's burst IDs; None where the annotation has none
    ascending_node_time: np.datetime64 | None = None
    # TOPS antenna steering rate k_ψ, generalAnnotation/productInformation/azimuthSteeringRate (deg/s): the
    # burst's Doppler sweep comes from it (dinsar.geometry.tops); 0 in StripMap, None where not annotated
    azimuth_steering_rate_deg_s: float | None = None

    @property
    def range_bandwidth_fraction(self) -> float:
        """Processed range bandwidth / range sampling rate: how correlated neighbouring samples are."""
        return self._processed("range", self.range_processing_bandwidth_hz) / self.range_sampling_rate_hz

    @property
    def azimuth_bandwidth_fraction(self) -> float:
        """Processed azimuth bandwidth / line rate 1/azimuthTimeInterval (in StripMap the PRF, equal to
        azimuthFrequency; in TOPS the focused image's line rate, the bandwidth a target's burst spans)."""
        return self._processed("azimuth", self.azimuth_processing_bandwidth_hz) * self.azimuth_time_interval_s

    def _processed(self, axis: str, value: float | None) -> float:
        if value is None:
            raise ProductError(f"{self.source}: no {axis} processingBandwidth in the annotation "
                               "(imageAnnotation/processingInformation/swathProcParamsList)")
        return value

    @property
    def wavelength_m(self) -> float:
        return SPEED_OF_LIGHT / self.radar_frequency_hz

    @property
    def near_range_m(self) -> float:
        return self.slant_range_time_s * SPEED_OF_LIGHT / 2.0

    @property
    def range_spacing_m(self) -> float:
        """Slant-range sample spacing c / (2 fs)."""
        return SPEED_OF_LIGHT / (2.0 * self.range_sampling_rate_hz)

    @property
    def shape(self) -> tuple[int, int]:
        return self.number_of_lines, self.number_of_samples


def _poly(node, name: str, source: str) -> np.ndarray:
    """Polynomial coefficients: <name> list (newer IPF) or <c0><c1><c2> (IPF < 2.8x)."""
    if node.find(name) is not None:
        return xml.numbers(node, name, source)
    coeffs = [node.find(c) for c in ("c0", "c1", "c2")]
    if all(c is not None for c in coeffs):
        return np.array([float(c.text) for c in coeffs])
    raise ProductError(f"{source}: missing <{name}>")


def parse_annotation(data: bytes, source: str) -> Annotation:
    root = xml.parse(data, source)
    if root.tag != "product":
        raise ProductError(f"{source}: not a Sentinel-1 product annotation (<{root.tag}>)")
    hdr, gen = "adsHeader", "generalAnnotation"
    info = "imageAnnotation/imageInformation"

    orbits = root.findall(f"{gen}/orbitList/orbit")
    if len(orbits) < 2:
        raise ProductError(f"{source}: fewer than 2 orbit state vectors")
    sv = StateVectors(
        time=np.array([xml.time(o, "time", source) for o in orbits]),
        position=np.array([[xml.number(o, f"position/{a}", source) for a in "xyz"] for o in orbits]),
        velocity=np.array([[xml.number(o, f"velocity/{a}", source) for a in "xyz"] for o in orbits]),
        source=source,
    )

    points = root.findall("geolocationGrid/geolocationGridPointList/geolocationGridPoint")

    def col(name, conv=float):
        return np.array([conv(xml.text(p, name, source)) for p in points])

    grid = GeolocationGrid(
        azimuth_time=np.array([xml.time(p, "azimuthTime", source) for p in points], dtype="M8[ns]"),
        slant_range_time=col("slantRangeTime"),
        line=col("line", int),
        pixel=col("pixel", int),
        latitude=col("latitude"),
        longitude=col("longitude"),
        height=col("height"),
        incidence_angle=col("incidenceAngle"),
    )

    dcs = [
        DcEstimate(
            azimuth_time=xml.time(e, "azimuthTime", source),
            t0=xml.number(e, "t0", source),
            geometry_poly=_poly(e, "geometryDcPolynomial", source),
            data_poly=_poly(e, "dataDcPolynomial", source),
            data_rms_error_hz=float(xml.text(e, "dataDcRmsError", source, default="nan")),
        )
        for e in root.findall("dopplerCentroid/dcEstimateList/dcEstimate")
    ]
    fms = [
        FmRate(
            azimuth_time=xml.time(e, "azimuthTime", source),
            t0=xml.number(e, "t0", source),
            poly=_poly(e, "azimuthFmRatePolynomial", source),
        )
        for e in root.findall(f"{gen}/azimuthFmRateList/azimuthFmRate")
    ]
    bursts = []
    for b in root.findall("swathTiming/burstList/burst"):
        bid = b.find("burstId")
        bursts.append(
            Burst(
                azimuth_time=xml.time(b, "azimuthTime", source),
                sensing_time=xml.time(b, "sensingTime", source),
                byte_offset=xml.integer(b, "byteOffset", source),
                first_valid_sample=xml.numbers(b, "firstValidSample", source).astype(np.int32),
                last_valid_sample=xml.numbers(b, "lastValidSample", source).astype(np.int32),
                burst_id=int(bid.text) if bid is not None and bid.text else None,
            )
        )

    # one swathProcParams per swath the processor handled: this image's (an SM or single-swath IW file has one)
    procs = root.findall("imageAnnotation/processingInformation/swathProcParamsList/swathProcParams")
    swath = root.findtext(f"{hdr}/swath", "").strip()  # a missing one is reported below, in header order
    proc = next((q for q in procs if q.findtext("swath", "").strip() == swath), procs[0] if procs else None)

    def bandwidth(axis: str) -> float | None:
        return None if proc is None else xml.number(proc, f"{axis}Processing/processingBandwidth", source)

    anx = xml.text(root, f"{info}/ascendingNodeTime", source, default="")
    return Annotation(
        source=source,
        mission=xml.text(root, f"{hdr}/missionId", source),
        product_type=xml.text(root, f"{hdr}/productType", source),
        polarisation=xml.text(root, f"{hdr}/polarisation", source),
        mode=xml.text(root, f"{hdr}/mode", source),
        swath=xml.text(root, f"{hdr}/swath", source),
        start_time=xml.time(root, f"{hdr}/startTime", source),
        stop_time=xml.time(root, f"{hdr}/stopTime", source),
        absolute_orbit=xml.integer(root, f"{hdr}/absoluteOrbitNumber", source),
        pass_direction=xml.text(root, f"{gen}/productInformation/pass", source),
        platform_heading_deg=xml.number(root, f"{gen}/productInformation/platformHeading", source),
        range_sampling_rate_hz=xml.number(root, f"{gen}/productInformation/rangeSamplingRate", source),
        radar_frequency_hz=xml.number(root, f"{gen}/productInformation/radarFrequency", source),
        first_line_time=xml.time(root, f"{info}/productFirstLineUtcTime", source),
        last_line_time=xml.time(root, f"{info}/productLastLineUtcTime", source),
        azimuth_time_interval_s=xml.number(root, f"{info}/azimuthTimeInterval", source),
        slant_range_time_s=xml.number(root, f"{info}/slantRangeTime", source),
        range_pixel_spacing_m=xml.number(root, f"{info}/rangePixelSpacing", source),
        azimuth_pixel_spacing_m=xml.number(root, f"{info}/azimuthPixelSpacing", source),
        azimuth_frequency_hz=xml.number(root, f"{info}/azimuthFrequency", source),
        number_of_lines=xml.integer(root, f"{info}/numberOfLines", source),
        number_of_samples=xml.integer(root, f"{info}/numberOfSamples", source),
        incidence_angle_mid_deg=xml.number(root, f"{info}/incidenceAngleMidSwath", source),
        state_vectors=sv,
        geolocation_grid=grid,
        dc_estimates=dcs,
        fm_rates=fms,
        lines_per_burst=int(xml.text(root, "swathTiming/linesPerBurst", source, default="0")),
        samples_per_burst=int(xml.text(root, "swathTiming/samplesPerBurst", source, default="0")),
        bursts=bursts,
        range_processing_bandwidth_hz=bandwidth("range"),
        azimuth_processing_bandwidth_hz=bandwidth("azimuth"),
        azimuth_steering_rate_deg_s=(xml.number(root, f"{gen}/productInformation/azimuthSteeringRate", source)
                                     if root.find(f"{gen}/productInformation/azimuthSteeringRate") is not None
                                     else None),
        ascending_node_time=xml.utc(anx, source) if anx else None,
    )
