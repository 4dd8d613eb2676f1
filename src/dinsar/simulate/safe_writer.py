"""Write a Sentinel-1 SLC SAFE product (manifest, annotation, measurement) in ESA's layout.

Only fields with known values are written: no calibration or noise
annotation (the simulated amplitudes are not radiometrically calibrated).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio

from dinsar.io import raster
from dinsar.io.annotation import GeolocationGrid

NS = {
    "xfdu": "urn:ccsds:schema:xfdu:1",
    "safe": "http://www.esa.int/safe/sentinel-1.0",
    "s1": "http://www.esa.int/safe/sentinel-1.0/sentinel-1",
    "s1sarl1": "http://www.esa.int/safe/sentinel-1.0/sentinel-1/sar/level-1",
}


@dataclass
class SwathImage:
    """Everything one annotation file says about one swath/polarisation image."""

    mission: str  # S1A
    mode: str  # SM
    swath: str  # S3
    polarisation: str  # VV
    first_line_time: np.datetime64
    azimuth_time_interval_s: float
    slant_range_time_s: float
    range_sampling_rate_hz: float
    radar_frequency_hz: float
    lines: int
    samples: int
    absolute_orbit: int
    pass_direction: str
    heading_deg: float
    incidence_mid_deg: float
    range_pixel_spacing_m: float
    azimuth_pixel_spacing_m: float
    sv_time: np.ndarray
    sv_position: np.ndarray
    sv_velocity: np.ndarray
    grid: GeolocationGrid
    dc_t0: float = 0.0
    dc_poly: tuple[float, ...] = (0.0, 0.0, 0.0)
    dc_rms_hz: float = 0.0
    fm_poly: tuple[float, ...] = (-2300.0, 0.0, 0.0)
    extra: dict = field(default_factory=dict)
    # processed bandwidth / sampling rate, written as the annotation's processingBandwidth (the chain's
    # equivalent number of looks comes from it); the defaults are the pair simulator's synthesis
    # (simulate/config.py BANDWIDTH_AZ, BANDWIDTH_RG; tests/unit/test_multilook_grid.py holds them equal)
    azimuth_bandwidth_fraction: float = 0.8
    range_bandwidth_fraction: float = 0.85

    @property
    def last_line_time(self) -> np.datetime64:
        return self.first_line_time + _seconds((self.lines - 1) * self.azimuth_time_interval_s)


def _seconds(s: float) -> np.timedelta64:
    return np.timedelta64(int(round(s * 1e9)), "ns")


def _iso(t: np.datetime64) -> str:
    return np.datetime_as_string(np.datetime64(t, "us"))


def _sub(parent: ET.Element, tag: str, text=None, **attrib) -> ET.Element:
    node = ET.SubElement(parent, tag, {k: str(v) for k, v in attrib.items()})
    if text is not None:
        node.text = text if isinstance(text, str) else repr(float(text)) if isinstance(
            text, float | np.floating) else str(text)
    return node


def _poly(values) -> str:
    return " ".join(f"{v:.9e}" for v in values)


def file_stem(img: SwathImage, take_id: int, image_number: int) -> str:
    fmt = "%Y%m%dt%H%M%S"
    start = img.first_line_time.astype("M8[s]").item().strftime(fmt)
    stop = img.last_line_time.astype("M8[s]").item().strftime(fmt)
    return (f"{img.mission.lower()}-{img.swath.lower()}-slc-{img.polarisation.lower()}-{start}-{stop}-"
            f"{img.absolute_orbit:06d}-{take_id:06x}-{image_number:03d}")


def annotation_xml(img: SwathImage) -> bytes:
    root = ET.Element("product")
    hdr = _sub(root, "adsHeader")
    for tag, val in (("missionId", img.mission), ("productType", "SLC"),
                     ("polarisation", img.polarisation),
                     # real StripMap annotations name the beam (S1..S6) as the mode, as the swath
                     ("mode", img.swath if img.mode == "SM" else img.mode), ("swath", img.swath),
                     ("startTime", _iso(img.first_line_time)), ("stopTime", _iso(img.last_line_time)),
                     ("absoluteOrbitNumber", img.absolute_orbit)):
        _sub(hdr, tag, val)
    gen = _sub(root, "generalAnnotation")
    info = _sub(gen, "productInformation")
    _sub(info, "pass", img.pass_direction)
    _sub(info, "platformHeading", img.heading_deg)
    _sub(info, "projection", "Slant Range")
    _sub(info, "rangeSamplingRate", img.range_sampling_rate_hz)
    _sub(info, "radarFrequency", img.radar_frequency_hz)
    orbits = _sub(gen, "orbitList", count=len(img.sv_time))
    for t, p, v in zip(img.sv_time, img.sv_position, img.sv_velocity, strict=True):
        o = _sub(orbits, "orbit")
        _sub(o, "time", _iso(t))
        _sub(o, "frame", "Earth Fixed")
        for name, vec in (("position", p), ("velocity", v)):
            node = _sub(o, name)
            for axis, value in zip("xyz", vec, strict=True):
                _sub(node, axis, float(value))
    mid_time = img.first_line_time + _seconds(img.lines / 2 * img.azimuth_time_interval_s)
    fm = _sub(gen, "azimuthFmRateList", count=1)
    rate = _sub(fm, "azimuthFmRate")
    _sub(rate, "azimuthTime", _iso(mid_time))
    _sub(rate, "t0", img.dc_t0)
    _sub(rate, "azimuthFmRatePolynomial", _poly(img.fm_poly), count=len(img.fm_poly))

    image_annotation = _sub(root, "imageAnnotation")
    image = _sub(image_annotation, "imageInformation")
    for tag, val in (
        ("productFirstLineUtcTime", _iso(img.first_line_time)),
        ("productLastLineUtcTime", _iso(img.last_line_time)),
        ("slantRangeTime", img.slant_range_time_s), ("pixelValue", "Complex"),
        ("outputPixels", "16 bit Signed Integer"), ("rangePixelSpacing", img.range_pixel_spacing_m),
        ("azimuthPixelSpacing", img.azimuth_pixel_spacing_m),
        ("azimuthTimeInterval", img.azimuth_time_interval_s),
        ("azimuthFrequency", 1.0 / img.azimuth_time_interval_s),
        ("numberOfSamples", img.samples), ("numberOfLines", img.lines),
        ("incidenceAngleMidSwath", img.incidence_mid_deg),
    ):
        _sub(image, tag, val)
    procs = _sub(_sub(image_annotation, "processingInformation"), "swathProcParamsList", count=1)
    proc = _sub(procs, "swathProcParams")
    _sub(proc, "swath", img.swath)
    for axis, bandwidth_hz in (("range", img.range_bandwidth_fraction * img.range_sampling_rate_hz),
                               ("azimuth", img.azimuth_bandwidth_fraction / img.azimuth_time_interval_s)):
        _sub(_sub(proc, f"{axis}Processing"), "processingBandwidth", float(bandwidth_hz))
    dcl = _sub(_sub(root, "dopplerCentroid"), "dcEstimateList", count=1)
    dc = _sub(dcl, "dcEstimate")
    _sub(dc, "azimuthTime", _iso(mid_time))
    _sub(dc, "t0", img.dc_t0)
    _sub(dc, "geometryDcPolynomial", _poly(img.dc_poly), count=len(img.dc_poly))
    _sub(dc, "dataDcPolynomial", _poly(img.dc_poly), count=len(img.dc_poly))
    _sub(dc, "dataDcRmsError", img.dc_rms_hz)
    timing = _sub(root, "swathTiming")
    _sub(timing, "linesPerBurst", 0)
    _sub(timing, "samplesPerBurst", 0)
    _sub(timing, "burstList", count=0)
    g = img.grid
    pts = _sub(_sub(root, "geolocationGrid"), "geolocationGridPointList", count=len(g))
    for k in range(len(g)):
        p = _sub(pts, "geolocationGridPoint")
        _sub(p, "azimuthTime", _iso(g.azimuth_time[k]))
        _sub(p, "slantRangeTime", float(g.slant_range_time[k]))
        _sub(p, "line", int(g.line[k]))
        _sub(p, "pixel", int(g.pixel[k]))
        _sub(p, "latitude", float(g.latitude[k]))
        _sub(p, "longitude", float(g.longitude[k]))
        _sub(p, "height", float(g.height[k]))
        _sub(p, "incidenceAngle", float(g.incidence_angle[k]))
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root)


def manifest_xml(imgs: list[SwathImage], relative_orbit: int, files: list[str]) -> bytes:
    for prefix, uri in NS.items():
        ET.register_namespace(prefix, uri)
    q = {k: f"{{{v}}}" for k, v in NS.items()}
    first = imgs[0]
    root = ET.Element(f"{q['xfdu']}XFDU", version="esa/safe/sentinel-1.0/sentinel-1/sar/level-1/slc")
    meta = ET.SubElement(root, "metadataSection")

    def wrap(obj_id: str) -> ET.Element:
        mo = ET.SubElement(meta, "metadataObject", ID=obj_id, classification="DESCRIPTION", category="DMD")
        return ET.SubElement(ET.SubElement(mo, "metadataWrap", mimeType="text/xml"), "xmlData")

    plat = ET.SubElement(wrap("platform"), f"{q['safe']}platform")
    _sub(plat, f"{q['safe']}familyName", "SENTINEL-1")
    _sub(plat, f"{q['safe']}number", first.mission[-1])
    inst = _sub(_sub(plat, f"{q['safe']}instrument"), f"{q['safe']}extension")
    mode = _sub(inst, f"{q['s1sarl1']}instrumentMode")
    _sub(mode, f"{q['s1sarl1']}mode", first.mode)
    for sw in sorted({i.swath for i in imgs}):
        _sub(mode, f"{q['s1sarl1']}swath", sw)
    orbit = _sub(wrap("measurementOrbitReference"), f"{q['safe']}orbitReference")
    _sub(orbit, f"{q['safe']}orbitNumber", first.absolute_orbit, type="start")
    _sub(orbit, f"{q['safe']}orbitNumber", first.absolute_orbit, type="stop")
    _sub(orbit, f"{q['safe']}relativeOrbitNumber", relative_orbit, type="start")
    _sub(orbit, f"{q['safe']}relativeOrbitNumber", relative_orbit, type="stop")
    ext = _sub(_sub(orbit, f"{q['safe']}extension"), f"{q['s1']}orbitProperties")
    _sub(ext, f"{q['s1']}pass", first.pass_direction.upper())
    gpi = _sub(wrap("generalProductInformation"), f"{q['s1sarl1']}standAloneProductInformation")
    for pol in sorted({i.polarisation for i in imgs}, key=["VV", "HH", "VH", "HV"].index):
        _sub(gpi, f"{q['s1sarl1']}transmitterReceiverPolarisation", pol)
    _sub(gpi, f"{q['s1sarl1']}productType", "SLC")
    period = _sub(wrap("acquisitionPeriod"), f"{q['safe']}acquisitionPeriod")
    _sub(period, f"{q['safe']}startTime", _iso(first.first_line_time))
    _sub(period, f"{q['safe']}stopTime", _iso(first.last_line_time))
    objects = ET.SubElement(root, "dataObjectSection")
    for k, rel in enumerate(files):
        obj = ET.SubElement(objects, "dataObject", ID=f"object{k}")
        ET.SubElement(ET.SubElement(obj, "byteStream"), "fileLocation", locatorType="URL", href=f"./{rel}")
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root)


def write_measurement(path: Path, img: SwathImage, blocks) -> None:
    """A CInt16 TIFF written by blocks of lines; `blocks` yields (first line, complex array),
    or is the path of a TIFF already written, which is moved here and given the GCPs."""
    gcps, crs = raster.gcps_from_grid(img.grid)
    if isinstance(blocks, str | Path):
        os.replace(blocks, path)
        with rasterio.open(path, "r+") as dst:
            dst.gcps = (gcps, crs)
        return
    profile = dict(driver="GTiff", height=img.lines, width=img.samples, count=1, dtype="complex_int16",
                   tiled=False, blockysize=1)
    with rasterio.open(path, "w", **profile) as dst:
        dst.gcps = (gcps, crs)
        for first, block in blocks:
            dst.write(block, 1, window=((first, first + block.shape[0]), (0, img.samples)))


@contextlib.contextmanager
def staged_safe(out: Path, name: str):
    """An empty <name>.SAFE (annotation/, measurement/) in a temporary folder of `out`, removed on leaving:
    the caller writes the product there, then `place` (or a zip) puts it under its final name at once."""
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=out))
    try:
        safe = tmp / f"{name}.SAFE"
        (safe / "annotation").mkdir(parents=True)
        (safe / "measurement").mkdir()
        yield safe
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def place(safe: Path, final: Path) -> Path:
    """The staged SAFE folder renamed to `final`, replacing an older one."""
    if final.exists():
        shutil.rmtree(final)
    os.replace(safe, final)
    return final


def write_safe(out: Path, name: str, imgs: list[SwathImage], relative_orbit: int, take_id: int,
               block_source, as_zip: bool = True) -> Path:
    """Write <out>/<name>.SAFE (or .zip); block_source(img) yields (first line, complex64 block)."""
    with staged_safe(out, name) as safe:
        files = []
        for k, img in enumerate(imgs, start=1):
            stem = file_stem(img, take_id, k)
            (safe / "annotation" / f"{stem}.xml").write_bytes(annotation_xml(img))
            write_measurement(safe / "measurement" / f"{stem}.tiff", img, block_source(img))
            files += [f"annotation/{stem}.xml", f"measurement/{stem}.tiff"]
        (safe / "manifest.safe").write_bytes(manifest_xml(imgs, relative_orbit, files))
        if not as_zip:
            return place(safe, out / f"{name}.SAFE")
        final = out / f"{name}.zip"
        part = safe.parent / f"{name}.zip"
        with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for path in sorted(safe.rglob("*")):
                zf.write(path, str(path.relative_to(safe.parent)))
        os.replace(part, final)
        return final
