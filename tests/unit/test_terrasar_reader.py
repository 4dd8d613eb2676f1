"""The TerraSAR-X reader (dinsar.sensors.terrasar) against the TerraSAR-X simulator (dinsar.simulate.terrasar_writer).

Each field the reader returns is checked against the element the simulator wrote, read here with
ElementTree by its path in DLR's Level 1b specification (TX-GS-DD-3307), and the COSAR against its burst
annotation parsed here with struct (the layout isce2's src/cosar/Header.cpp and GDAL's COSAR driver
read: 7 big-endian int32 then 'CSAR'; RTNB = (RS + 2) * 4 bytes a line; 4 annotation lines; each data
line its 1-based first / last valid range sample, then I/Q int16). The geometry is checked against
zero-Doppler times and ranges computed here from the XML's state vectors (cubic Hermite spline and
Brent's root search, not the chain's orbit interpolation and Newton). Where the reader follows a public
reader's interpretation, the assertion says which (isce2 TerraSARX.py, sarpy's TSX reader).
"""

import shutil
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from rasterio.windows import Window
from scipy.interpolate import CubicHermiteSpline
from scipy.optimize import brentq

from dinsar.errors import ProductError
from dinsar.sensors import terrasar
from dinsar.sensors.product import RangePolynomials, SarProduct
from dinsar.sensors.sentinel1 import UnsupportedProductError
from dinsar.simulate.config import BANDWIDTH_AZ, BANDWIDTH_RG, PairConfig
from dinsar.simulate.terrasar_pair import build_terrasar_scene, header_of, write_terrasar_pair
from dinsar.simulate.terrasar_scene import CENTER_FREQUENCY_HZ, PRF_HZ, RSF_HZ
from dinsar.simulate.terrasar_writer import write_product
from tests.unit.test_product_protocol import _members_behave

C = 299_792_458.0
SIZE = (128, 160)
TARGETS = ((40.3, 50.6), (64.0, 100.45), (101.7, 20.2))  # (line, column) of the point targets


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """The simulated pair (folder, config) and a point-target product on the master's header."""
    out = tmp_path_factory.mktemp("tsx_pair")
    cfg = PairConfig(size=SIZE, seed=3)
    write_terrasar_pair(out, cfg)
    return out, cfg


def _folders(out: Path) -> tuple[Path, Path]:
    (m,) = (out / "master").iterdir()
    (s,) = (out / "slave").iterdir()
    return m, s


def _xml(folder: Path) -> ET.Element:
    return ET.parse(folder / f"{folder.name}.xml").getroot()


def _num(root: ET.Element, path: str) -> float:
    return float(root.find(path).text)


def _utc(text: str) -> np.datetime64:
    return np.datetime64(text.rstrip("Z"), "ns")


def _sinc_targets(shape, targets, amplitude=8000.0):
    lines = np.arange(shape[0])[:, None]
    cols = np.arange(shape[1])[None, :]
    img = np.zeros(shape, np.complex128)
    for k, (line, col) in enumerate(targets):
        env = np.sinc(BANDWIDTH_AZ * (lines - line)) * np.sinc(BANDWIDTH_RG * (cols - col))
        img += amplitude * env * np.exp(1j * (0.7 + k))
    return img


@pytest.fixture(scope="module")
def targets(pair, tmp_path_factory):
    """A product on the master's header whose image holds three point targets, with a Doppler centroid
    (35 Hz + 1e6 Hz/s in range time) to read back."""
    out, cfg = pair
    scene = build_terrasar_scene(cfg, out / "dem.tif")
    h = header_of(scene.master, cfg, (55.72, -21.24, 2000.0))
    h.doppler_coefficients = (35.0, 1.0e6, -2.0e9)
    folder = write_product(tmp_path_factory.mktemp("tsx_targets"), h, [_sinc_targets(SIZE, TARGETS)])
    return folder, h


def _peak(img, line, col, half=12, up=32):
    """Sub-pixel peak of |img| near (line, col): the chip upsampled by zero-padding its spectrum."""
    l0, c0 = int(round(line)), int(round(col))
    chip = img[l0 - half:l0 + half, c0 - half:c0 + half].astype(np.complex128)
    n = 2 * half
    big = np.zeros((n * up, n * up), np.complex128)
    o = (n * up - n) // 2
    big[o:o + n, o:o + n] = np.fft.fftshift(np.fft.fft2(chip))
    fine = np.abs(np.fft.ifft2(np.fft.ifftshift(big)))
    i, j = np.unravel_index(np.argmax(fine), fine.shape)
    return l0 - half + i / up, c0 - half + j / up


def test_fields_are_the_xml(pair):
    m, _ = _folders(pair[0])
    p = terrasar.open_product(m)
    x = _xml(m)
    assert isinstance(p, SarProduct) and p.name == m.name and p.path == m
    assert p.shape == (int(x.find("productInfo/imageDataInfo/imageRaster/numberOfRows").text),
                       int(x.find("productInfo/imageDataInfo/imageRaster/numberOfColumns").text)) == SIZE
    assert p.mission == x.find("productInfo/missionInfo/mission").text == "TSX-1"  # isce2 _populatePlatform
    assert p.mode == x.find("productInfo/acquisitionInfo/imagingMode").text == "SM"
    assert p.swath == x.find("productInfo/acquisitionInfo/elevationBeamConfiguration").text == "strip_007"
    assert p.polarisation == x.find("productComponents/imageData/polLayer").text == "HH"
    assert p.look_side == x.find("productInfo/acquisitionInfo/lookDirection").text.lower() == "right"
    assert p.product_type == "SSC" and p.bursts == () and p.azimuth_steering_rate_deg_s is None
    assert p.imaging_mode == "StripMap" and not p.is_spotlight and p.spotlight_doppler is None
    assert p.azimuth_carrier is None and p.doppler_centroid_rate_hz_s == 0.0  # no deramp for StripMap
    # timing: sceneInfo start/stop (isce2 _populateFrame), columnSpacing = line interval (sarpy ss_zd_s),
    # rowSpacing = two-way range sampling (isce2: pixel c·rowSpacing/2), rangeTime/firstPixel the near range
    assert p.start_time == _utc(x.find("productInfo/sceneInfo/start/timeUTC").text)
    assert p.stop_time == _utc(x.find("productInfo/sceneInfo/stop/timeUTC").text)
    assert p.start_time.dtype == np.dtype("M8[ns]")
    g = p.radar_grid
    assert g.line_interval_s == _num(x, "productInfo/imageDataInfo/imageRaster/columnSpacing") == 1.0 / PRF_HZ
    assert g.range_sampling_rate_hz == 1.0 / _num(x, "productInfo/imageDataInfo/imageRaster/rowSpacing")
    assert g.range_sampling_rate_hz == pytest.approx(RSF_HZ, rel=1e-15)
    assert g.range_sampling_rate_hz == pytest.approx(_num(x, "productSpecific/complexImageInfo/commonRSF"), rel=1e-15)
    assert g.near_range_time_s == _num(x, "productInfo/sceneInfo/rangeTime/firstPixel")
    assert g.near_range_time_s + (SIZE[1] - 1) / g.range_sampling_rate_hz == pytest.approx(
        _num(x, "productInfo/sceneInfo/rangeTime/lastPixel"), abs=1e-15)
    assert g.wavelength_m == C / _num(x, "instrument/radarParameters/centerFrequency") == C / CENTER_FREQUENCY_HZ
    assert g.doppler_poly == (0.0,)  # SSC: zero-Doppler geometry
    assert p.meta.prf_hz == _num(x, "productSpecific/complexImageInfo/commonPRF")
    assert p.azimuth_pixel_spacing_m == _num(x, "productSpecific/complexImageInfo/projectedSpacingAzimuth")
    assert 1.7 < p.azimuth_pixel_spacing_m < 2.1 and p.range_pixel_spacing_m == pytest.approx(1.364, abs=1e-3)
    assert p.azimuth_bandwidth_fraction == pytest.approx(BANDWIDTH_AZ)  # processingParameter/totalProcessed...
    assert p.range_bandwidth_fraction == pytest.approx(BANDWIDTH_RG)
    # orbit: every platform/orbit/stateVec (isce2 _populateOrbit), times 'YYYY-MM-DDTHH:MM:SS.ffffff'
    vectors = x.findall("platform/orbit/stateVec")
    sv = p.state_vectors
    assert len(sv) == len(vectors) == int(x.find("platform/orbit/orbitHeader/numStateVectors").text)
    np.testing.assert_array_equal(sv.time, [_utc(v.find("timeUTC").text) for v in vectors])
    np.testing.assert_array_equal(sv.position, [[float(v.find(f"pos{a}").text) for a in "XYZ"] for v in vectors])
    np.testing.assert_array_equal(sv.velocity, [[float(v.find(f"vel{a}").text) for a in "XYZ"] for v in vectors])
    assert g.first_line_s == pytest.approx((p.start_time - sv.time[0]) / np.timedelta64(1, "ns") * 1e-9, abs=1e-9)
    # incidence at mid swath: sceneCenterCoord's; the footprint's corners: sceneCornerCoord's
    assert p.incidence_angle_mid_deg == pytest.approx(
        _num(x, "productInfo/sceneInfo/sceneCenterCoord/incidenceAngle"), abs=1e-3)
    fp = p.footprint
    np.testing.assert_allclose(fp.height, _num(x, "productInfo/sceneInfo/sceneAverageHeight"), atol=1e-3)
    for corner in x.findall("productInfo/sceneInfo/sceneCornerCoord"):
        k = np.flatnonzero((fp.line == float(corner.find("refRow").text) - 1)
                           & (fp.pixel == float(corner.find("refColumn").text) - 1))
        assert k.size == 1
        assert fp.latitude[k[0]] == pytest.approx(float(corner.find("lat").text), abs=1e-7)
        assert fp.longitude[k[0]] == pytest.approx(float(corner.find("lon").text), abs=1e-7)
        assert fp.incidence_angle[k[0]] == pytest.approx(float(corner.find("incidenceAngle").text), abs=1e-3)
    _members_behave(p, Window(50, 40, 40, 30))


def test_doppler_and_fm_rate_are_the_xml(targets):
    """dopplerEstimate/combinedDoppler and geometry/dopplerRate: polynomials of (τ - referencePoint) with
    <coefficient exponent="k"> (isce2 _populateExtras, sarpy), each estimate at its zero-Doppler time."""
    folder, h = targets
    p = terrasar.open_product(folder)
    x = _xml(folder)
    estimates = x.findall("processing/doppler/dopplerCentroid/dopplerEstimate")
    dc = p.doppler_centroid
    assert isinstance(dc, RangePolynomials) and len(dc) == len(estimates) == 5
    tau = p.radar_grid.near_range_time_s + np.array([0.0, 80.0, 159.0]) / p.radar_grid.range_sampling_rate_hz
    fm = p.fm_rate
    assert len(fm) == 1 and np.all(fm(tau) < 0)  # the azimuth FM rate is negative: -2 V²/(λ R)
    np.testing.assert_allclose(fm(tau), np.polynomial.polynomial.polyval(tau - h.doppler_ref_s,
                                                                          h.fm_rate_coefficients), rtol=1e-12)
    assert x.find("processing/doppler/dopplerCentroidCoordinateType").text == "RAW"
    mid = 0.5 * (_num(x, "productInfo/sceneInfo/rangeTime/firstPixel")
                 + _num(x, "productInfo/sceneInfo/rangeTime/lastPixel"))
    rate = x.find("processing/geometry/dopplerRate/dopplerRatePolynomial")
    rate_mid = sum(float(c.text) * (mid - float(rate.find("referencePoint").text)) ** int(c.get("exponent"))
                   for c in rate.findall("coefficient"))
    for e, est in zip(estimates, dc, strict=True):
        poly = e.find("combinedDoppler")
        ref = float(poly.find("referencePoint").text)
        coef = {int(c.get("exponent")): float(c.text) for c in poly.findall("coefficient")}
        assert est.t0 == ref
        np.testing.assert_allclose(est(tau), sum(c * (tau - ref) ** k for k, c in coef.items()), rtol=1e-12)
        # RAW: timeUTC is the beam-centre time; the zero-Doppler time is t - f_dc / f_rate (sarkit-convert)
        shift_s = -float(e.find("dopplerAtMidRange").text) / rate_mid
        assert 0.005 < shift_s < 0.007  # 35 Hz at ~ -5900 Hz/s: ~23 lines later
        assert abs((est.azimuth_time - _utc(e.find("timeUTC").text)) / np.timedelta64(1, "ns") * 1e-9
                   - shift_s) < 1e-8
    assert dc[0].azimuth_time > p.start_time
    assert float(dc(mid)) == pytest.approx(float(estimates[2].find("dopplerAtMidRange").text), rel=1e-9)
    assert float(dc(h.doppler_ref_s)) == 35.0


def _zero_doppler(root: ET.Element, x: np.ndarray, t_guess: float) -> tuple[float, float]:
    """Zero-Doppler time (s since the first state vector) and slant range of ECEF x, from the XML's state
    vectors by a cubic Hermite spline (positions + velocities) and Brent's root search on (x - P)·V."""
    vectors = root.findall("platform/orbit/stateVec")
    t = np.array([(_utc(v.find("timeUTC").text) - _utc(vectors[0].find("timeUTC").text)) / np.timedelta64(1, "s")
                  for v in vectors], dtype=float)
    pos = np.array([[float(v.find(f"pos{a}").text) for a in "XYZ"] for v in vectors])
    vel = np.array([[float(v.find(f"vel{a}").text) for a in "XYZ"] for v in vectors])
    spline = CubicHermiteSpline(t, pos, vel)
    speed = spline.derivative()
    tz = brentq(lambda s: float(np.dot(x - spline(s), speed(s))), t_guess - 1.0, t_guess + 1.0, xtol=1e-12)
    return tz, float(np.linalg.norm(x - spline(tz)))


def test_point_targets_are_where_the_geometry_puts_them(targets):
    """Each target's ground point (the reader's rdr2geo at 2000 m) goes back through a zero-Doppler solve
    done here on the XML's state vectors to its (line, column) within 1e-3 px; the image's peak is there
    within 0.05 px: lines run early to late and columns near to far as the COSAR stores them."""
    folder, _ = targets
    p = terrasar.open_product(folder)
    x = _xml(folder)
    first = _utc(x.find("productInfo/sceneInfo/start/timeUTC").text)
    sv0 = _utc(x.find("platform/orbit/stateVec/timeUTC").text)
    t_first = (first - sv0) / np.timedelta64(1, "ns") * 1e-9
    dt = _num(x, "productInfo/imageDataInfo/imageRaster/columnSpacing")
    dtau = _num(x, "productInfo/imageDataInfo/imageRaster/rowSpacing")
    near = _num(x, "productInfo/sceneInfo/rangeTime/firstPixel")
    img = p.read()
    for line, col in TARGETS:
        lon, lat, h = p.rdr2geo(line, col, 2000.0)
        lo, la = np.radians(float(lon)), np.radians(float(lat))
        a, e2 = 6378137.0, 6.69437999014e-3
        n = a / np.sqrt(1 - e2 * np.sin(la) ** 2)
        xyz = np.array([(n + 2000.0) * np.cos(la) * np.cos(lo), (n + 2000.0) * np.cos(la) * np.sin(lo),
                        (n * (1 - e2) + 2000.0) * np.sin(la)])
        tz, r = _zero_doppler(x, xyz, t_first + line * dt)
        assert (tz - t_first) / dt == pytest.approx(line, abs=1e-3)
        assert (2 * r / C - near) / dtau == pytest.approx(col, abs=1e-3)
        gl, gc = (float(v) for v in p.geo2rdr(lon, lat, h))
        assert gl == pytest.approx(line, abs=1e-4) and gc == pytest.approx(col, abs=1e-4)
        pl, pc = _peak(img, line, col)
        assert abs(pl - line) < 0.05 and abs(pc - col) < 0.05, (line, col, pl, pc)


def _cosar_header(path: Path) -> dict:
    with open(path, "rb") as f:
        raw = f.read(48)
    bib, rsri, rs, az, bi, rtnb, tnl, magic, version, oversampling, specan = struct.unpack(">7i4s2id", raw)
    return dict(bib=bib, rsri=rsri, rs=rs, az=az, bi=bi, rtnb=rtnb, tnl=tnl, magic=magic, version=version)


def test_cosar_is_the_annotation_and_the_samples(pair):
    m, _ = _folders(pair[0])
    p = terrasar.open_product(m)
    x = _xml(m)
    loc = x.find("productComponents/imageData/file/location")
    cos = m / loc.find("path").text / loc.find("filename").text
    assert p.cos_path == cos and cos.name == "IMAGE_HH_SRA_strip_007.cos"
    hd = _cosar_header(cos)
    lines, samples = SIZE
    assert hd["magic"] == b"CSAR" and hd["bi"] == 1 and (hd["az"], hd["rs"]) == SIZE
    assert hd["rtnb"] == (samples + 2) * 4 and hd["tnl"] == lines + 4 and hd["bib"] == hd["tnl"] * hd["rtnb"]
    assert cos.stat().st_size == hd["bib"] == int(x.find("productComponents/imageData/file/size").text)
    a = p.annotation
    assert (a.bytes_in_burst, a.range_samples, a.azimuth_samples, a.burst_index, a.rangeline_bytes,
            a.total_lines) == (hd["bib"], hd["rs"], hd["az"], hd["bi"], hd["rtnb"], hd["tnl"])
    raw = np.fromfile(cos, ">i2").reshape(hd["tnl"], hd["rtnb"] // 2)
    limits = raw[2:4].view(">i4")[:, 2:]  # ASFV, ASLV past 8 filler bytes: 1-based, every line valid
    assert np.all(limits[0] == 1) and np.all(limits[1] == lines)
    np.testing.assert_array_equal(a.first_valid_line, 0)
    data = raw[4:]
    valid = np.ascontiguousarray(data[:, :4]).view(">i4")  # RSFV, RSLV
    assert np.all(valid[:, 0] == 1) and np.all(valid[:, 1] == samples)
    z = p.read()
    np.testing.assert_array_equal(z.real, data[:, 4::2])
    np.testing.assert_array_equal(z.imag, data[:, 5::2])
    assert z.dtype == np.complex64 and np.mean(np.abs(z) ** 2) > 100  # speckle, not zeros
    w = Window(37, 11, 50, 23)
    np.testing.assert_array_equal(p.read(w), z[11:34, 37:87])
    with pytest.raises(ValueError, match="not inside"):
        p.read(Window(150, 0, 20, 5))


def test_the_writer_stores_the_samples_it_is_given(pair, tmp_path):
    """write_product copies the complex blocks it is given sample for sample (rounded int16 I/Q), whatever
    the block sizes, and refuses a short image."""
    out, cfg = pair
    scene = build_terrasar_scene(cfg, out / "dem.tif")
    h = header_of(scene.master, cfg, (55.72, -21.24, 2000.0))
    rng = np.random.default_rng(5)
    image = (rng.integers(-3000, 3000, SIZE) + 1j * rng.integers(-3000, 3000, SIZE)).astype(np.complex64)
    folder = write_product(tmp_path, h, [image[:50], image[50:51], image[51:]])
    np.testing.assert_array_equal(terrasar.open_product(folder).read(), image)
    with pytest.raises(ValueError, match="127 lines written, expected 128"):
        write_product(tmp_path / "short", h, [image[:127]])


def test_invalid_samples_read_as_zero(pair, tmp_path):
    """A line's range sample first/last valid (1-based) and a column's azimuth first/last valid bound the
    samples the reader returns; outside them, 0 (as isce2's cosar and GDAL's driver)."""
    m, _ = _folders(pair[0])
    copy = tmp_path / m.name
    shutil.copytree(m, copy)
    p = terrasar.open_product(copy)
    full = p.read()
    rtnb = p.annotation.rangeline_bytes
    raw = bytearray(p.cos_path.read_bytes())
    struct.pack_into(">2i", raw, (4 + 10) * rtnb, 5, 150)  # line 10: samples 5..150 valid (1-based)
    struct.pack_into(">2i", raw, (4 + 11) * rtnb, 0, 0)  # line 11: none
    struct.pack_into(">i", raw, 2 * rtnb + 8 + 4 * 7, 3)  # column 7: lines 3..
    struct.pack_into(">i", raw, 3 * rtnb + 8 + 4 * 7, 120)  # .. 120 valid (1-based)
    p.cos_path.write_bytes(bytes(raw))
    q = terrasar.open_product(copy)
    z = q.read()
    assert np.all(z[10, :4] == 0) and np.all(z[10, 150:] == 0) and np.all(z[11] == 0)
    np.testing.assert_array_equal(z[10, 4:150], full[10, 4:150])
    assert np.all(z[:2, 7] == 0) and np.all(z[120:, 7] == 0)
    np.testing.assert_array_equal(z[2:10, 7], full[2:10, 7])
    np.testing.assert_array_equal(q.read(Window(0, 9, 20, 4)), z[9:13, :20])


def _edit_xml(folder: Path, edit) -> None:
    xml = folder / f"{folder.name}.xml"
    tree = ET.parse(xml)
    edit(tree.getroot())
    tree.write(xml, encoding="UTF-8", xml_declaration=True)


def _copy(pair, tmp_path, name="p") -> Path:
    m, _ = _folders(pair[0])
    dst = tmp_path / name / m.name
    shutil.copytree(m, dst)
    return dst


@pytest.mark.parametrize("mode", ["SC", "WS", "XX"])
def test_scansar_and_unknown_modes_are_refused_in_one_line(pair, tmp_path, mode):
    folder = _copy(pair, tmp_path)

    def set_mode(root):
        root.find("productInfo/acquisitionInfo/imagingMode").text = mode

    _edit_xml(folder, set_mode)
    with pytest.raises(UnsupportedProductError, match=rf"^{folder}/{folder.name}\.xml: imagingMode {mode} \(") as e:
        terrasar.open_product(folder)
    assert "StripMap (SM) and Spotlight (SL, HS, ST) only" in str(e.value) and "\n" not in str(e.value)


def test_detected_products_are_refused(pair, tmp_path):
    folder = _copy(pair, tmp_path)

    def set_type(root):
        root.find("productInfo/productVariantInfo/productType").text = "MGD"

    _edit_xml(folder, set_type)
    with pytest.raises(UnsupportedProductError, match=r"\.xml: productType MGD is not a single-look slant-range"):
        terrasar.open_product(folder)


@pytest.mark.parametrize("complete_lines, where", [(0, r"annotation line 1 of 4"), (24, r"data line 21 of 128")],
                         ids=["in the annotation", "in the data"])
def test_a_truncated_cosar_names_the_burst_and_line(pair, tmp_path, complete_lines, where):
    """Cut 100 bytes into a range line: the first line left incomplete is named (counting the 4 annotation
    lines apart from the data lines), with the bytes there and the bytes the annotation promises."""
    folder = _copy(pair, tmp_path)
    cos = next((folder / "IMAGEDATA").glob("*.cos"))
    rtnb = (SIZE[1] + 2) * 4
    cut = complete_lines * rtnb + 100
    whole = cos.read_bytes()
    p = terrasar.open_product(folder)
    cos.write_bytes(whole[:cut])
    message = rf"^{cos}: truncated in burst 1 of 1 at {where} \({cut} of {(SIZE[0] + 4) * rtnb} bytes\)$"
    with pytest.raises(ProductError, match=message):
        terrasar.open_product(folder)
    with pytest.raises(ProductError, match=message):  # cut after it was opened: the next read says so
        p.read(Window(0, 0, 10, 10))
    with pytest.raises(ProductError, match=message):
        p.check()


def test_a_cosar_shorter_than_its_header_or_not_cosar(pair, tmp_path):
    folder = _copy(pair, tmp_path)
    cos = next((folder / "IMAGEDATA").glob("*.cos"))
    data = cos.read_bytes()
    cos.write_bytes(data[:20])
    with pytest.raises(ProductError, match=r": 20 bytes, too short for a COSAR burst annotation"):
        terrasar.open_product(folder)
    cos.write_bytes(data[:28] + b"XXXX" + data[32:])
    with pytest.raises(ProductError, match=r"not a COSAR file \(bytes 28-31 are b'XXXX', expected b'CSAR'\)"):
        terrasar.open_product(folder)
    cos.unlink()
    with pytest.raises(ProductError, match=r"\.xml: its HH image .*IMAGE_HH_SRA_strip_007\.cos is missing"):
        terrasar.open_product(folder)


@pytest.mark.parametrize("path", ["productInfo/sceneInfo/rangeTime/firstPixel", "platform/orbit",
                                  "productInfo/imageDataInfo/imageRaster/columnSpacing",
                                  "instrument/radarParameters/centerFrequency"])
def test_a_missing_element_is_named(pair, tmp_path, path):
    folder = _copy(pair, tmp_path)
    parent, tag = path.rsplit("/", 1)

    def drop(root):
        node = root.find(parent)
        node.remove(node.find(tag))

    _edit_xml(folder, drop)
    with pytest.raises(ProductError, match=rf"^{folder}/{folder.name}\.xml: element level1Product/{path}"
                                           r"(/\w+)? missing \(a TerraSAR-X level1Product has it\)$"):
        terrasar.open_product(folder)


def test_a_bad_value_is_named(pair, tmp_path):
    folder = _copy(pair, tmp_path)

    def bad(root):
        root.find("productInfo/sceneInfo/start/timeUTC").text = "18 Aug 2016"
        root.find("productInfo/imageDataInfo/imageRaster/rowSpacing").text = "fast"

    _edit_xml(folder, bad)
    with pytest.raises(ProductError, match=r"element level1Product/productInfo/imageDataInfo/imageRaster/rowSpacing "
                                           r"is 'fast', expected a finite number"):
        terrasar.open_product(folder)


def test_a_folder_that_is_not_a_product_says_what_it_holds(pair, tmp_path):
    other = tmp_path / "somewhere"
    (other / "IMAGEDATA").mkdir(parents=True)
    (other / "readme.txt").write_text("x")
    with pytest.raises(ProductError, match=r"^.*/somewhere: not a TerraSAR-X SSC product folder \(its name does not "
                                           r"start with TSX1_SAR__SSC or TDX1_SAR__SSC; no somewhere\.xml; it "
                                           r"holds: IMAGEDATA/, readme\.txt\)$"):
        terrasar.open_product(other)
    with pytest.raises(ProductError, match=r"/nothing: no such TerraSAR-X product folder$"):
        terrasar.open_product(tmp_path / "nothing")
    m, _ = _folders(pair[0])
    with pytest.raises(ProductError, match=rf"\.xml: a TerraSAR-X product is its folder; name {m} instead$"):
        terrasar.open_product(m / f"{m.name}.xml")
    folder = _copy(pair, tmp_path)
    (folder / f"{folder.name}.xml").write_text("<level1Product><oops></level1Product>")
    with pytest.raises(ProductError, match=r"\.xml: not readable XML"):
        terrasar.open_product(folder)
    (folder / f"{folder.name}.xml").write_text("<level2Product/>")
    with pytest.raises(ProductError, match=r"root element <level2Product>, expected <level1Product>"):
        terrasar.open_product(folder)


def test_polarisation_is_chosen_by_layer(pair, tmp_path):
    """A dual-polarisation product: productComponents/imageData per polLayer, each with its COSAR; the
    reader opens the one asked for, and refuses to guess."""
    folder = _copy(pair, tmp_path)
    hh = folder / "IMAGEDATA" / "IMAGE_HH_SRA_strip_007.cos"
    data = bytearray(hh.read_bytes())
    rtnb = (SIZE[1] + 2) * 4
    struct.pack_into(">2h", data, 4 * rtnb + 8, 1234, -77)  # VV's first sample differs
    (folder / "IMAGEDATA" / "IMAGE_VV_SRA_strip_007.cos").write_bytes(bytes(data))

    def add_vv(root):
        comps = root.find("productComponents")
        vv = ET.fromstring(ET.tostring(comps.find("imageData")))
        vv.set("layerIndex", "2")
        vv.find("polLayer").text = "VV"
        vv.find("file/location/filename").text = "IMAGE_VV_SRA_strip_007.cos"
        comps.append(vv)

    _edit_xml(folder, add_vv)
    with pytest.raises(ProductError, match=r"several polarisations \(HH, VV\); name one with polarisation="):
        terrasar.open_product(folder)
    vv, hh_p = terrasar.open_product(folder, "vv"), terrasar.open_product(folder, "HH")
    assert vv.polarisation == "VV" and vv.meta.polarisations == ("HH", "VV")
    assert vv.read(Window(0, 0, 1, 1))[0, 0] == np.complex64(1234 - 77j)
    assert hh_p.read(Window(0, 0, 1, 1))[0, 0] != vv.read(Window(0, 0, 1, 1))[0, 0]
    with pytest.raises(ProductError, match=r"no HV image \(offered: HH, VV\)"):
        terrasar.open_product(folder, "HV")


def test_a_positive_fm_rate_is_refused(pair, tmp_path):
    """A zero-Doppler SSC's azimuth FM rate is negative (-2 V²/(λ R)); a positive one would shift the RAW
    Doppler estimates the wrong way, so the product is refused rather than read."""
    folder = _copy(pair, tmp_path)

    def flip(root):
        for c in root.findall("processing/geometry/dopplerRate/dopplerRatePolynomial/coefficient"):
            c.text = repr(-float(c.text))

    _edit_xml(folder, flip)
    with pytest.raises(ProductError, match=r"\.xml: processing/geometry/dopplerRate gives a rate >= 0 Hz/s over the "
                                           "swath"):
        terrasar.open_product(folder)
