"""Write a synthetic TerraSAR-X / TanDEM-X SSC product: the level1Product XML and its COSAR image.

    folder = write_product(parent, header, blocks)   # header: dinsar.simulate.terrasar_scene.TsxHeader

gives parent/T[SD]X1_SAR__SSC______<mode>_S_SRA_<start>_<stop>/ with <same name>.xml and
IMAGEDATA/IMAGE_<POL>_SRA_<beam>.cos, the layout of a delivered product. Element names, places and
units are those of DLR's Level 1b Product Format Specification (TX-GS-DD-3307) as the public readers
read them (isce2 components/isceobj/Sensor/TerraSARX.py, sarpy's TSX reader, GDAL's COSAR driver): times
'YYYY-MM-DDTHH:MM:SS.ffffffZ' (microseconds), rowSpacing = two-way range time between samples (s),
columnSpacing = zero-Doppler azimuth time between lines (s), polynomials as <coefficient exponent="k">.

COSAR (big-endian): one burst for StripMap and SpotLight; each range line is RTNB = (RS + 2) * 4 bytes. The burst
opens with 4 annotation lines: the header (BIB, RSRI, RS, AS, BI, RTNB, TNL as int32, 'CSAR', version,
oversampling factor int32, inverse SPECAN scaling rate float64, then 0x7F filler) and the azimuth
sample relative index / first valid / last valid lines (8 filler bytes, then RS int32, 1-based). Each
data line is its range sample first / last valid (int32, 1-based; 0 = none) and RS I/Q int16 pairs.

The geometry is dinsar.simulate.terrasar_scene's own; this module imports nothing of the chain.
"""

from __future__ import annotations

import os
import struct
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from dinsar.simulate.terrasar_scene import DOPPLER_ESTIMATES, RX_BANDWIDTH_HZ, SV_STEP_S, C, TsxHeader

FILLER = b"\x7f"
ANNOTATION_LINES = 4
COSAR_VERSION = 1


def utc(t: np.datetime64, z: bool = True) -> str:
    """'YYYY-MM-DDTHH:MM:SS.ffffff' (+ 'Z' for scene times; state vectors carry none, as isce2 parses them)."""
    return str(np.datetime64(t, "us")) + ("Z" if z else "")


def product_name(h: TsxHeader) -> str:
    def stamp(t):
        return np.datetime64(t, "s").item().strftime("%Y%m%dT%H%M%S")

    sat = h.mission.replace("-", "")  # TSX-1 -> TSX1
    return f"{sat}_SAR__SSC______{h.imaging_mode}_S_SRA_{stamp(h.first_line_utc)}_{stamp(h.last_line_utc)}"


def cos_name(h: TsxHeader) -> str:
    return f"IMAGE_{h.polarisation}_SRA_{h.beam}.cos"


def _sub(parent: ET.Element, tag: str, text=None, **attrib) -> ET.Element:
    e = ET.SubElement(parent, tag, {k: str(v) for k, v in attrib.items()})
    if text is not None:
        e.text = repr(float(text)) if isinstance(text, float | np.floating) else str(text)
    return e


def _poly(parent: ET.Element, tag: str, ref: float, coefficients, lo: float, hi: float) -> None:
    p = _sub(parent, tag)
    _sub(p, "validityRangeMin", lo, units="s")
    _sub(p, "validityRangeMax", hi, units="s")
    _sub(p, "referencePoint", ref, units="s")
    _sub(p, "polynomialDegree", len(coefficients) - 1)
    for k, c in enumerate(coefficients):
        _sub(p, "coefficient", float(c), exponent=k)


def _product_info(root: ET.Element, h: TsxHeader, name: str) -> None:
    info = _sub(root, "productInfo")
    gen = _sub(info, "generationInfo")
    _sub(gen, "logicalProductID", "6666")
    _sub(gen, "level1ProcessingFacility", "dinsar simulator")
    mission = _sub(info, "missionInfo")
    _sub(mission, "mission", h.mission)
    _sub(mission, "orbitPhase", 1)
    _sub(mission, "orbitCycle", h.abs_orbit // 167)
    _sub(mission, "absOrbit", h.abs_orbit)
    _sub(mission, "relOrbit", h.abs_orbit % 167)
    _sub(mission, "numOrbitsInCycle", 167)
    _sub(mission, "orbitDirection", h.orbit_direction)
    acq = _sub(info, "acquisitionInfo")
    _sub(acq, "sensor", "SAR")
    _sub(acq, "imagingMode", h.imaging_mode)
    _sub(acq, "antennaReceiveConfiguration", "SRA")
    _sub(acq, "polarisationMode", "SINGLE")
    _sub(_sub(acq, "polarisationList"), "polLayer", h.polarisation)
    _sub(acq, "lookDirection", h.look_direction)
    _sub(acq, "elevationBeamConfiguration", h.beam)
    specific = _sub(acq, "imagingModeSpecificInfo")
    if h.imaging_mode == "SM":  # isce2 reads stripMap/azimuthBeamID; the spotlight block is not read by anyone
        _sub(_sub(specific, "stripMap"), "azimuthBeamID", "boresight")
    variant = _sub(info, "productVariantInfo")
    _sub(variant, "productType", "SSC")
    _sub(variant, "productVariant", "SSC")
    _sub(variant, "projection", "SLANTRANGE")
    _sub(variant, "radiometricCorrection", "NOTCALIBRATED")
    data = _sub(info, "imageDataInfo")
    _sub(data, "pixelValueID", "COMPLEX")
    raster = _sub(data, "imageRaster")
    _sub(raster, "numberOfRows", h.lines)
    _sub(raster, "numberOfColumns", h.samples)
    _sub(raster, "rowSpacing", 1.0 / h.range_sampling_rate_hz, units="s")
    _sub(raster, "columnSpacing", h.line_interval_s, units="s")
    _sub(raster, "azimuthLooks", 1.0)
    _sub(raster, "rangeLooks", 1.0)
    _sub(data, "imageDataFormat", "COSAR")
    _sub(data, "imageDataType", "COMPLEX")
    _sub(data, "imageDataDepth", 16)
    scene = _sub(info, "sceneInfo")
    _sub(scene, "sceneID", name)
    _sub(_sub(scene, "start"), "timeUTC", utc(h.first_line_utc))
    _sub(_sub(scene, "stop"), "timeUTC", utc(h.last_line_utc))
    rt = _sub(scene, "rangeTime")
    _sub(rt, "firstPixel", h.near_range_time_s, units="s")
    _sub(rt, "lastPixel", h.far_range_time_s, units="s")
    for line, col, lat, lon, inc in h.corners:
        c = _sub(scene, "sceneCornerCoord")
        _sub(c, "refRow", line + 1)  # 1-based
        _sub(c, "refColumn", col + 1)
        _sub(c, "lat", lat, units="degrees")
        _sub(c, "lon", lon, units="degrees")
        _sub(c, "azimuthTimeUTC", utc(h.time(line)))
        _sub(c, "rangeTime", h.near_range_time_s + col / h.range_sampling_rate_hz, units="s")
        _sub(c, "incidenceAngle", inc, units="degrees")
    centre = _sub(scene, "sceneCenterCoord")
    _sub(centre, "refRow", (h.lines + 1) // 2)
    _sub(centre, "refColumn", (h.samples + 1) // 2)
    _sub(centre, "lat", float(h.centre[1]), units="degrees")
    _sub(centre, "lon", float(h.centre[0]), units="degrees")
    _sub(centre, "azimuthTimeUTC", utc(h.time((h.lines - 1) / 2)))
    _sub(centre, "rangeTime", h.doppler_ref_s, units="s")
    _sub(centre, "incidenceAngle", h.mid_incidence_deg, units="degrees")
    _sub(scene, "sceneAverageHeight", float(h.centre[2]), units="m")


def _orbit(root: ET.Element, h: TsxHeader) -> None:
    orbit = _sub(_sub(root, "platform"), "orbit")
    head = _sub(orbit, "orbitHeader")
    _sub(head, "generationSystem", "dinsar simulator", version="1.0")
    _sub(head, "sensor", "single GPS")
    _sub(head, "accuracy", "SCIE")
    _sub(head, "stateVectorRefFrame", "WGS84")
    _sub(head, "stateVectorRefTime", "UTC")
    _sub(head, "stateVecFormat", "POSITION_VELOCITY")
    _sub(head, "numStateVectors", len(h.sv_utc))
    _sub(_sub(head, "firstStateTime"), "firstStateTimeUTC", utc(h.sv_utc[0], z=False))
    _sub(_sub(head, "lastStateTime"), "lastStateTimeUTC", utc(h.sv_utc[-1], z=False))
    _sub(head, "stateVectorTimeSpacing", SV_STEP_S, units="s")
    for k, (t, p, v) in enumerate(zip(h.sv_utc, h.sv_pos, h.sv_vel, strict=True)):
        sv = _sub(orbit, "stateVec", maneuver="NO", num=k + 1, qualInd=1)
        _sub(sv, "timeUTC", utc(t, z=False))
        for axis, value in zip("XYZ", p, strict=True):
            _sub(sv, f"pos{axis}", float(value), units="m")
        for axis, value in zip("XYZ", v, strict=True):
            _sub(sv, f"vel{axis}", float(value), units="m/s")


def _processing(root: ET.Element, h: TsxHeader) -> None:
    proc = _sub(root, "processing")
    lo, hi = h.near_range_time_s, h.far_range_time_s
    geometry = _sub(proc, "geometry")
    _sub(geometry, "geometryCoordinateType", "RAW")
    rate = _sub(geometry, "dopplerRate")
    _sub(rate, "timeUTC", utc(h.time((h.lines - 1) / 2)))
    _poly(rate, "dopplerRatePolynomial", h.doppler_ref_s, h.fm_rate_coefficients, lo, hi)
    doppler = _sub(proc, "doppler")
    _sub(doppler, "dopplerCentroidCoordinateType", "RAW")
    dc = _sub(doppler, "dopplerCentroid", layerIndex=1)
    _sub(dc, "polLayer", h.polarisation)
    records = h.doppler_estimates or tuple((h.time(float(line)), h.doppler_coefficients)
                                           for line in np.linspace(0, h.lines - 1, DOPPLER_ESTIMATES))
    _sub(dc, "numberOfDopplerRecords", len(records))
    mid = 0.5 * (lo + hi) - h.doppler_ref_s
    for t, coefficients in records:
        est = _sub(dc, "dopplerEstimate")
        _sub(est, "timeUTC", utc(t))
        _sub(est, "dopplerAtMidRange", float(np.polynomial.polynomial.polyval(mid, coefficients)))
        _sub(est, "dopplerAmbiguity", 0)
        _poly(est, "combinedDoppler", h.doppler_ref_s, coefficients, lo, hi)
    par = _sub(proc, "processingParameter")
    _sub(par, "rangeCompressionMethod", "MATCHED FILTER")
    _sub(par, "totalProcessedAzimuthBandwidth", h.azimuth_bandwidth_hz, units="Hz")
    _sub(par, "totalProcessedRangeBandwidth", h.range_bandwidth_hz, units="Hz")


def level1_product(h: TsxHeader, name: str, cos_size: int) -> ET.ElementTree:
    """The level1Product annotation of `h`; cos_size the COSAR file's bytes (productComponents' file/size)."""
    root = ET.Element("level1Product")
    head = _sub(root, "generalHeader", fileName=f"{name}.xml")
    _sub(head, "itemName", "TSX-1.SAR.L1B")
    _sub(head, "mission", h.mission)
    _sub(head, "generationSystem", "TMSP", version="dinsar-sim")
    _sub(head, "generationTime", utc(h.first_line_utc + np.timedelta64(1, "D")))
    comps = _sub(root, "productComponents")
    image = _sub(comps, "imageData", layerIndex=1)
    _sub(image, "polLayer", h.polarisation)
    file = _sub(image, "file")
    loc = _sub(file, "location")
    _sub(loc, "host", ".")
    _sub(loc, "path", "IMAGEDATA")
    _sub(loc, "filename", cos_name(h))
    _sub(file, "size", cos_size)
    _product_info(root, h, name)
    spec = _sub(_sub(root, "productSpecific"), "complexImageInfo")
    _sub(spec, "commonPRF", 1.0 / h.line_interval_s, units="Hz")
    _sub(spec, "commonRSF", h.range_sampling_rate_hz, units="Hz")
    _sub(spec, "slantRangeResolution", C / (2 * h.range_bandwidth_hz), units="m")
    _sub(spec, "projectedSpacingAzimuth", h.line_spacing_m, units="m")
    spacing = _sub(spec, "projectedSpacingRange")
    _sub(spacing, "slantRange", C / (2 * h.range_sampling_rate_hz), units="m")
    _sub(spec, "imageCoordinateType", "ZERODOPPLER")
    _sub(spec, "imageDataStartWith", "EARLYAZNEARRG")
    _orbit(root, h)
    instrument = _sub(root, "instrument")
    _sub(_sub(instrument, "radarParameters"), "centerFrequency", h.frequency_hz, units="Hz")
    settings = _sub(instrument, "settings")
    _sub(settings, "polLayer", h.polarisation)
    _sub(settings, "beamID", h.beam)
    _sub(settings, "rxBandwidth", RX_BANDWIDTH_HZ, units="Hz")
    _sub(settings, "RSF", h.range_sampling_rate_hz, units="Hz")
    _sub(_sub(settings, "settingRecord"), "PRF", 1.0 / h.line_interval_s, units="Hz")
    _processing(root, h)
    ET.indent(root)
    return ET.ElementTree(root)


def cosar_size(lines: int, samples: int) -> int:
    return (lines + ANNOTATION_LINES) * (samples + 2) * 4


def _annotation(lines: int, samples: int) -> bytes:
    rtnb = (samples + 2) * 4
    header = struct.pack(">7i4s2id", cosar_size(lines, samples), 1, samples, lines, 1, rtnb,
                         lines + ANNOTATION_LINES, b"CSAR", COSAR_VERSION, 1, 0.0)
    out = [header + FILLER * (rtnb - len(header))]
    first_valid, last_valid = np.ones(samples, ">i4"), np.full(samples, lines, ">i4")
    for values in (np.ones(samples, ">i4"), first_valid, last_valid):  # ASRI, ASFV, ASLV (1-based)
        out.append(FILLER * 8 + values.tobytes())
    return b"".join(out)


def write_cosar(path: Path, lines: int, samples: int, blocks: Iterable[np.ndarray]) -> None:
    """The COSAR of one StripMap burst from complex blocks of lines (line 0 the earliest, column 0 the
    nearest), every sample valid."""
    written = 0
    with open(path, "wb") as f:
        f.write(_annotation(lines, samples))
        for block in blocks:
            n = block.shape[0]
            rec = np.empty((n, samples + 2, 2), ">i2")
            valid = np.array([1, samples], ">i4").view(">i2")  # RSFV, RSLV as int32 = two int16 each
            rec[:, 0, :], rec[:, 1, :] = valid[:2], valid[2:]
            rec[:, 2:, 0] = np.clip(np.round(block.real), -32768, 32767)
            rec[:, 2:, 1] = np.clip(np.round(block.imag), -32768, 32767)
            f.write(rec.tobytes())
            written += n
    if written != lines:
        raise ValueError(f"{path}: {written} lines written, expected {lines}")


def write_product(parent: str | Path, h: TsxHeader, blocks: Iterable[np.ndarray]) -> Path:
    """The product folder of header `h` with the complex image given by blocks of lines, in `parent`."""
    name = product_name(h)
    folder = Path(parent) / name
    (folder / "IMAGEDATA").mkdir(parents=True, exist_ok=True)
    cos = folder / "IMAGEDATA" / cos_name(h)
    write_cosar(cos, h.lines, h.samples, blocks)
    level1_product(h, name, os.path.getsize(cos)).write(folder / f"{name}.xml", encoding="UTF-8",
                                                        xml_declaration=True)
    return folder
