"""Write a simulated Sentinel-1 IW SLC SAFE product: the StripMap writer's annotation with the TOPS parts.

One annotation and one burst-stacked measurement per sub-swath (IW1, IW2 ... as a real IW SLC holds
them), the manifest listing them all.

The StripMap annotation (dinsar.simulate.safe_writer.annotation_xml) already holds the header, orbit,
image information and geolocation grid; an IW annotation adds, where real ones have them:
productInformation/azimuthSteeringRate, imageInformation/ascendingNodeTime, one azimuthFmRate and one
dcEstimate per burst (at its mid time), and swathTiming with its burstList (azimuthTime,
azimuthAnxTime, sensingTime, byteOffset, per-line firstValidSample/lastValidSample, and burstId as
IPF >= 3.40 writes it). The measurement is the burst-stacked CInt16 TIFF; byteOffset is read from it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio

from dinsar.simulate.safe_writer import (
    SwathImage,
    _iso,
    _poly,
    _seconds,
    _sub,
    annotation_xml,
    file_stem,
    manifest_xml,
    place,
    staged_safe,
)
from dinsar.simulate.safe_writer import write_measurement as _write_measurement
from dinsar.simulate.tops_timing import IW1_TO_IW2_SENSING_S

# ESA burst IDs (Sentinel-1 Level 1 Detailed Algorithm Definition, S1-TN-MDA-52-7445, eq. 9-89 / 9-91, table
# 9-7): id = 1 + floor((Δt_b - T_pre) / T_beam), Δt_b = mid-burst IW2 sensing time since the ANX of
# relative orbit 1
T_ORBIT_S = 12 * 86400.0 / 175
T_BEAM_S = 2.758273
T_PRE_S = 2.299849
# mid-burst of an IW2 burst after its sensing start: half its raw duration (~1.078 s, the IW2 → IW3
# spacing of the sensing starts); the simulator puts its bursts mid-bin, so ±1 s here changes no ID
IW2_HALF_BURST_S = 1.078 / 2
# sensing start of a sub-swath's burst -> mid-burst sensing time of the IW2 burst of the same cycle: IW1
# bursts start the nominal 0.832 s before IW2's (dinsar.simulate.tops_timing.IW1_TO_IW2_SENSING_S)
TO_IW2_MID_S = {"IW1": IW1_TO_IW2_SENSING_S + IW2_HALF_BURST_S, "IW2": IW2_HALF_BURST_S}


def burst_id(sensing_time_s_since_anx: float, relative_orbit: int, swath: str = "IW2") -> int:
    """ESA's burst ID of a burst of `swath` from its sensing start: that of its cycle's IW2 burst."""
    dt_b = sensing_time_s_since_anx + TO_IW2_MID_S[swath] + (relative_orbit - 1) * T_ORBIT_S
    return 1 + int(np.floor((dt_b - T_PRE_S) / T_BEAM_S))


def mid_bin_anx(first_sensing_s: float, relative_orbit: int, nominal_anx_s: float) -> float:
    """The ANX (s, same clock as the sensing time) nearest `nominal_anx_s` that puts the first burst's
    Δt_b in the middle of its T_beam bin: real bursts are synchronised to the ANX (their Δt_b sits
    within ms of mid-bin), so a burst ID never hangs on a bin edge."""
    dt_b = first_sensing_s - nominal_anx_s + IW2_HALF_BURST_S + (relative_orbit - 1) * T_ORBIT_S
    phase = (dt_b - T_PRE_S) % T_BEAM_S
    return nominal_anx_s + (phase - T_BEAM_S / 2)


@dataclass
class IwSwathImage(SwathImage):
    """One IW sub-swath image: `lines` are those of the burst-stacked image, `span_lines` the azimuth
    time intervals from the first burst's first line to the last burst's last line."""

    span_lines: int = 0
    steering_rate_deg_s: float = 0.0
    ascending_node_time: np.datetime64 | None = None
    lines_per_burst: int = 0
    # one dict per burst: azimuth_time, anx_s, sensing_time, first_valid (per line), last_valid, burst_id,
    # mid_time, fm_t0, fm_poly, dc_t0, dc_poly, geometry_dc_poly, dc_rms_hz
    bursts: tuple[dict, ...] = ()

    @property
    def last_line_time(self) -> np.datetime64:
        return self.first_line_time + _seconds((self.span_lines - 1) * self.azimuth_time_interval_s)


def _replace_list(parent: ET.Element, tag: str, count: int) -> ET.Element:
    """An empty <tag count=..> at the place of parent's existing <tag>."""
    old = parent.find(tag)
    index = list(parent).index(old)
    parent.remove(old)
    new = ET.Element(tag, count=str(count))
    parent.insert(index, new)
    return new


def iw_annotation_xml(img: IwSwathImage, byte_offsets: list[int]) -> bytes:
    root = ET.fromstring(annotation_xml(img).split(b"\n", 1)[1])
    gen = root.find("generalAnnotation")
    _sub(gen.find("productInformation"), "azimuthSteeringRate", float(img.steering_rate_deg_s))
    fms = _replace_list(gen, "azimuthFmRateList", len(img.bursts))
    for b in img.bursts:
        e = _sub(fms, "azimuthFmRate")
        _sub(e, "azimuthTime", _iso(b["mid_time"]))
        _sub(e, "t0", float(b["fm_t0"]))
        _sub(e, "azimuthFmRatePolynomial", _poly(b["fm_poly"]), count=len(b["fm_poly"]))
    info = root.find("imageAnnotation/imageInformation")
    last = list(info).index(info.find("productLastLineUtcTime"))
    anx = ET.Element("ascendingNodeTime")
    anx.text = _iso(img.ascending_node_time)
    info.insert(last + 1, anx)
    dcs = _replace_list(root.find("dopplerCentroid"), "dcEstimateList", len(img.bursts))
    for b in img.bursts:
        e = _sub(dcs, "dcEstimate")
        _sub(e, "azimuthTime", _iso(b["mid_time"]))
        _sub(e, "t0", float(b["dc_t0"]))
        _sub(e, "geometryDcPolynomial", _poly(b["geometry_dc_poly"]), count=len(b["geometry_dc_poly"]))
        _sub(e, "dataDcPolynomial", _poly(b["dc_poly"]), count=len(b["dc_poly"]))
        _sub(e, "dataDcRmsError", float(b["dc_rms_hz"]))
    timing = root.find("swathTiming")
    timing.find("linesPerBurst").text = str(img.lines_per_burst)
    timing.find("samplesPerBurst").text = str(img.samples)
    blist = _replace_list(timing, "burstList", len(img.bursts))
    for b, offset in zip(img.bursts, byte_offsets, strict=True):
        e = _sub(blist, "burst")
        _sub(e, "azimuthTime", _iso(b["azimuth_time"]))
        _sub(e, "azimuthAnxTime", float(b["anx_s"]))
        _sub(e, "sensingTime", _iso(b["sensing_time"]))
        _sub(e, "byteOffset", int(offset))
        _sub(e, "firstValidSample", " ".join(str(int(v)) for v in b["first_valid"]), count=len(b["first_valid"]))
        _sub(e, "lastValidSample", " ".join(str(int(v)) for v in b["last_valid"]), count=len(b["last_valid"]))
        _sub(e, "burstId", int(b["burst_id"]), absolute=int(b["burst_id_absolute"]))
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root)


def _line_offsets(path: Path, lines: list[int]) -> list[int]:
    """Byte offsets of image lines in a striped TIFF of one line per strip (GDAL's TIFF metadata)."""
    with rasterio.open(path) as src:
        return [int(src.get_tag_item(f"BLOCK_OFFSET_0_{line}", "TIFF", bidx=1)) for line in lines]


def _period_to(manifest: bytes, stop: np.datetime64) -> bytes:
    """The manifest with its acquisition period's stop time set: manifest_xml takes the period from its
    first image, while a product's runs to the last line of any sub-swath."""
    root = ET.fromstring(manifest.split(b"\n", 1)[1])
    safe = "{http://www.esa.int/safe/sentinel-1.0}"
    node = root.find(f".//metadataObject[@ID='acquisitionPeriod']//{safe}acquisitionPeriod/{safe}stopTime")
    node.text = _iso(stop)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root)


def write_iw_safe(out: Path, name: str, imgs: list[IwSwathImage], relative_orbit: int, take_id: int,
                  images: list[np.ndarray], image_numbers: list[int]) -> Path:
    """<out>/<name>.SAFE with one annotation and one burst-stacked measurement (complex, CInt16 range) per
    sub-swath image, in the order given (the first starts first); image_numbers name the files (real 1SDV
    IW products number VH IW1-3 001-003, VV IW1-3 004-006)."""
    with staged_safe(out, name) as safe:
        files = []
        for img, image, number in zip(imgs, images, image_numbers, strict=True):
            stem = file_stem(img, take_id, number)
            tiff = safe / "measurement" / f"{stem}.tiff"
            _write_measurement(tiff, img, [(0, image)])
            offsets = _line_offsets(tiff, [k * img.lines_per_burst for k in range(len(img.bursts))])
            (safe / "annotation" / f"{stem}.xml").write_bytes(iw_annotation_xml(img, offsets))
            files += [f"annotation/{stem}.xml", f"measurement/{stem}.tiff"]
        manifest = manifest_xml(imgs, relative_orbit, files)
        (safe / "manifest.safe").write_bytes(_period_to(manifest, max(i.last_line_time for i in imgs)))
        return place(safe, out / f"{name}.SAFE")
