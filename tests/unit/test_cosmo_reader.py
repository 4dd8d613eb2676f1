"""The COSMO-SkyMed reader (dinsar.sensors.cosmo) against the COSMO-SkyMed simulator
(dinsar.simulate.cosmo_writer), both generations.

Each field the reader returns is checked against the attribute the simulator wrote, read here with
h5py directly, and where possible against a quantity computed here from scratch (the zero-Doppler
time and slant range of a point target from the state vectors by a cubic Hermite interpolation and a
root search, not the chain's Lagrange/Newton). The attribute names, places and types the simulator
writes are those the public readers read; each assertion names the reader and field it follows:

- isce2 components/isceobj/Sensor/COSMO_SkyMed_SLC.py (CSK), abbreviated isce2;
- sarpy sarpy/io/complex/csk.py (CSK + CSG), abbreviated sarpy;
- sarkit-convert sarkit_convert/cosmo.py (CSK + CSG), abbreviated sarkit.
"""

import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
from rasterio.windows import Window
from scipy.interpolate import CubicHermiteSpline
from scipy.optimize import brentq

from dinsar.errors import ProductError
from dinsar.io.statevectors import StateVectors
from dinsar.sensors import cosmo
from dinsar.sensors.product import RangePolynomials, SarProduct
from dinsar.sensors.sentinel1 import UnsupportedProductError
from dinsar.simulate.cosmo_scene import AZIMUTH_BANDWIDTH_FRACTION, RANGE_BANDWIDTH_FRACTION, CosmoConfig
from dinsar.simulate.cosmo_writer import write_product
from tests.unit.simulator_imports import simulator_imports
from tests.unit.test_product_protocol import _members_behave

C = 299_792_458.0
A_WGS84, E2_WGS84 = 6378137.0, 6.69437999014e-3


@pytest.fixture(scope="module")
def products(tmp_path_factory):
    """write(**config) -> (path, scene), each configuration written once for the module."""
    root = tmp_path_factory.mktemp("cosmo")
    made = {}

    def write(**kw):
        key = tuple(sorted(kw.items()))
        if key not in made:
            made[key] = write_product(root / f"p{len(made)}", CosmoConfig(**kw))
        return made[key]

    return write


def _attrs(path: Path) -> dict[str, dict]:
    """Every attribute of every node, by node path, read with h5py alone (strings decoded)."""
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, node):
            out[name] = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in node.attrs.items()}
        out["/"] = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
        f.visititems(visit)
    return out


def _ecef(lon, lat, h):
    lo, la = np.radians(lon), np.radians(lat)
    n = A_WGS84 / np.sqrt(1 - E2_WGS84 * np.sin(la) ** 2)
    return np.array([(n + h) * np.cos(la) * np.cos(lo), (n + h) * np.cos(la) * np.sin(lo),
                     (n * (1 - E2_WGS84) + h) * np.sin(la)])


def _zero_doppler(a: dict, x: np.ndarray, t_guess: float) -> tuple[float, float]:
    """Zero-Doppler time (s since Reference UTC) and slant range of ECEF x, from the file's state vectors
    by a cubic Hermite spline (positions + velocities) and Brent's root search on (x - P)·V."""
    t, pos, vel = a["/"]["State Vectors Times"], a["/"]["ECEF Satellite Position"], a["/"]["ECEF Satellite Velocity"]
    p = CubicHermiteSpline(t, pos, vel)
    v = p.derivative()
    tz = brentq(lambda s: float(np.dot(x - p(s), v(s))), t_guess - 1.0, t_guess + 1.0, xtol=1e-12)
    return tz, float(np.linalg.norm(x - p(tz)))


def _peak(img: np.ndarray, line: float, col: float, half: int = 16, up: int = 32) -> tuple[float, float]:
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


GENERATIONS = [pytest.param(1, id="CSK"), pytest.param(2, id="CSG")]


@pytest.mark.parametrize("gen", GENERATIONS)
def test_fields_are_the_files(products, gen):
    path, scene = products(generation=gen)
    p = cosmo.open_product(path)
    a = _attrs(path)
    root, swath = a["/"], a["S01"]
    image = a["S01/SBI" if gen == 1 else "S01/IMG"]  # isce2 / sarpy: CSK S01/SBI, CSG S01/IMG
    with h5py.File(path, "r") as f:
        stored = f["S01/SBI" if gen == 1 else "S01/IMG"]
        assert stored.dtype == np.int16 and stored.shape == (256, 256, 2)  # sarpy: int16 or float32, I/Q last
        assert isinstance(f.attrs["Look Side"], np.bytes_)  # isce2 decodes the root's strings
        assert isinstance(f.attrs["Reference UTC"], np.bytes_)
        assert f.attrs["ECEF Satellite Position"].dtype == np.float64
    assert p.shape == (256, 256) and p.generation == gen and p.name == path.stem
    assert p.mission == root["Satellite ID"] and p.mode == root["Acquisition Mode"]  # sarpy get_collection_info
    assert p.swath == root["Multi-Beam ID"] and p.product_type == root["Product Type"] == "SCS_B"
    # polarisation: CSK on the swath group (isce2 _populateFrame), CSG on the root (sarkit main)
    assert p.polarisation == (swath["Polarisation"] if gen == 1 else root["Polarization"]) == "HH"
    assert p.look_side == root["Look Side"].lower() == "right"
    # times: seconds since `Reference UTC`, 'YYYY-MM-DD HH:MM:SS.fffffffff' (isce2 _parseNanoSecondTimeStamp)
    reference = np.datetime64(root["Reference UTC"].replace(" ", "T"), "ns")
    first = image["Zero Doppler Azimuth First Time"]  # isce2 _populateFrame
    assert p.start_time == reference + np.timedelta64(int(round(first * 1e9)), "ns")
    assert p.start_time.dtype == np.dtype("M8[ns]")
    assert p.stop_time - p.start_time == np.timedelta64(int(round(255 * image["Line Time Interval"] * 1e9)), "ns")
    g = p.radar_grid
    assert g.line_interval_s == image["Line Time Interval"]  # isce2: PRF = 1 / Line Time Interval
    assert g.near_range_time_s == image["Zero Doppler Range First Time"]  # isce2 _populateFrame
    assert g.range_sampling_rate_hz == 1.0 / image["Column Time Interval"]  # isce2 _populateInstrument
    assert g.doppler_poly == (0.0,)  # SCS: focused to zero Doppler
    # CSK annotates the wavelength (isce2), CSG the frequency only (sarpy, sarkit: Radar Frequency)
    wavelength = root["Radar Wavelength"] if gen == 1 else C / root["Radar Frequency"]
    assert g.wavelength_m == pytest.approx(wavelength, rel=1e-15) and wavelength == pytest.approx(0.031228, rel=1e-12)
    assert ("Radar Wavelength" in root) == (gen == 1)
    assert p.azimuth_pixel_spacing_m == image["Line Spacing"]  # sarkit: spacings of the image dataset
    assert p.range_pixel_spacing_m == image["Column Spacing"] == pytest.approx(3.0)  # isce2: Column Spacing
    assert p.azimuth_pixel_spacing_m == pytest.approx(3.0, rel=0.02)
    # bandwidths: sarpy/sarkit Range Focusing Bandwidth; azimuth CSK Transition, CSG plain (sarkit col_bw)
    az_bw = swath["Azimuth Focusing Transition Bandwidth" if gen == 1 else "Azimuth Focusing Bandwidth"]
    assert p.azimuth_bandwidth_fraction == pytest.approx(az_bw * image["Line Time Interval"])
    assert p.azimuth_bandwidth_fraction == pytest.approx(AZIMUTH_BANDWIDTH_FRACTION)
    range_bw = swath["Range Focusing Bandwidth"]
    assert p.range_bandwidth_fraction == pytest.approx(range_bw * image["Column Time Interval"])
    assert p.range_bandwidth_fraction == pytest.approx(RANGE_BANDWIDTH_FRACTION)
    assert p.bursts == () and p.azimuth_steering_rate_deg_s is None
    assert p.rescaling_factor == root["Rescaling Factor"]  # sarpy update_radiometric: the root's
    assert p.imaging_mode == "StripMap" and p.supported_by_chain and p.azimuth_steering is None
    # orbit: the root's state vectors (isce2 _populateOrbit), times after Reference UTC
    sv = p.state_vectors
    np.testing.assert_array_equal(sv.position, root["ECEF Satellite Position"])
    np.testing.assert_array_equal(sv.velocity, root["ECEF Satellite Velocity"])
    np.testing.assert_array_equal((sv.time - reference) / np.timedelta64(1, "ns"),
                                  np.round(root["State Vectors Times"] * 1e9))
    assert g.first_line_s == pytest.approx(first - root["State Vectors Times"][0], abs=1e-9)
    # incidence at mid swath: between the dataset's near and far incidence (isce2 _populateInstrument)
    assert p.incidence_angle_mid_deg == pytest.approx(0.5 * (image["Near Incidence Angle"] +
                                                             image["Far Incidence Angle"]), abs=0.01)


@pytest.mark.parametrize("gen", GENERATIONS)
def test_doppler_models_are_the_files(products, gen):
    """Doppler centroid and rate: f(τ, t) = R(τ - τ_ref) + A(t - t_ref) - (R[0] + A[0]) / 2 (sarpy
    _get_band_specific_sicds, sarkit hdf5_to_sicd); CSK's polynomials on the root in zero-Doppler time,
    CSG's on the swath group with the azimuth ones in raw time (sarkit: '... - RAW', '- ZD')."""
    path, scene = products(generation=gen)
    p = cosmo.open_product(path)
    a = _attrs(path)
    tau = p.radar_grid.near_range_time_s + np.array([0.0, 100.0, 255.0]) / p.radar_grid.range_sampling_rate_hz
    t_mid = 0.5 * (scene.first_line_s + scene.last_line_s)
    truth_dc = scene.doppler_centroid(tau, t_mid)
    np.testing.assert_allclose(p.doppler_centroid(tau), truth_dc, rtol=1e-9)
    if gen == 1:  # the file's polynomials evaluated here
        r = a["/"]
        pv = np.polynomial.polynomial.polyval
        dc = pv(tau - r["Range Polynomial Reference Time"], r["Centroid vs Range Time Polynomial"]) + \
            pv(t_mid - r["Azimuth Polynomial Reference Time"], r["Centroid vs Azimuth Time Polynomial"]) - \
            0.5 * (r["Centroid vs Range Time Polynomial"][0] + r["Centroid vs Azimuth Time Polynomial"][0])
        np.testing.assert_allclose(p.doppler_centroid(tau), dc, rtol=1e-12)
    else:
        assert "Doppler Centroid vs Azimuth Time Polynomial - RAW" in a["S01"]
        assert "Azimuth First Time" in a["S01/B0001"] and "Centroid vs Range Time Polynomial" not in a["/"]
    # 11 estimates along azimuth, the middle one at the scene centre
    dcm = p.doppler_centroid
    assert isinstance(dcm, RangePolynomials) and len(dcm) == 11
    assert dcm[0].azimuth_time == p.start_time and dcm[-1].azimuth_time == p.stop_time
    # the FM rate: negative, the simulator's -2 V²/(λ R) (V² = v_sat v_ground)
    fm = p.fm_rate(tau)
    np.testing.assert_allclose(fm, scene.fm_rate(tau), rtol=1e-9)
    np.testing.assert_allclose(fm, -2 * scene.v_eff2 / (p.radar_grid.wavelength_m * tau * C / 2), rtol=1e-8)
    assert np.all(fm < 0) and len(p.fm_rate) == 11
    assert abs(p.doppler_centroid_rate_hz_s) < 1e-6  # StripMap: no sweep along azimuth
    at = p.doppler_centroid_at(tau, p.start_time)
    np.testing.assert_allclose(at, scene.doppler_centroid(tau, scene.first_line_s), rtol=1e-9)


@pytest.mark.parametrize("gen", GENERATIONS)
def test_point_targets_land_at_their_geo2rdr_position(products, gen):
    """Each target's zero-Doppler time and slant range computed here from the state vectors, the reader's
    geo2rdr and the image's peak all agree (the image within 0.1 px, the geometry far better)."""
    path, scene = products(generation=gen)
    p = cosmo.open_product(path)
    a = _attrs(path)
    image = a["S01/SBI" if gen == 1 else "S01/IMG"]
    img = p.read()
    for tg in scene.targets:
        x = _ecef(tg["lon"], tg["lat"], tg["h"])
        tz, r = _zero_doppler(a, x, image["Zero Doppler Azimuth First Time"] + tg["line"] * image["Line Time Interval"])
        line = (tz - image["Zero Doppler Azimuth First Time"]) / image["Line Time Interval"]
        col = (2 * r / C - image["Zero Doppler Range First Time"]) / image["Column Time Interval"]
        assert line == pytest.approx(tg["line"], abs=1e-3) and col == pytest.approx(tg["col"], abs=1e-3)
        gl, gc = (float(v) for v in p.geo2rdr(tg["lon"], tg["lat"], tg["h"]))
        assert float(gl) == pytest.approx(line, abs=1e-3) and float(gc) == pytest.approx(col, abs=1e-3)
        pl, pc = _peak(img, gl, gc)
        assert abs(pl - gl) < 0.1 and abs(pc - gc) < 0.1, (tg, pl, pc)
        lon, lat, h = p.rdr2geo(gl, gc, tg["h"])
        assert float(lon) == pytest.approx(tg["lon"], abs=1e-8) and float(lat) == pytest.approx(tg["lat"], abs=1e-8)
        assert float(h) == pytest.approx(tg["h"], abs=1e-3)
    # the footprint: tie points over the whole image at the scene centre's height, around the targets
    # seen at that height
    fp = p.footprint
    lat0, lon0, h0 = a["/"]["Scene Centre Geodetic Coordinates"]  # sarkit llh_ddm: [lat, lon, h]
    np.testing.assert_allclose(fp.height, h0, atol=1e-3)
    assert (fp.line.min(), fp.line.max(), fp.pixel.min(), fp.pixel.max()) == (0, 255, 0, 255)
    for tg in scene.targets:
        lon, lat, _ = p.rdr2geo(tg["line"], tg["col"], h0)
        assert fp.longitude.min() < lon < fp.longitude.max() and fp.latitude.min() < lat < fp.latitude.max()
    assert fp.longitude.min() < lon0 < fp.longitude.max() and fp.latitude.min() < lat0 < fp.latitude.max()
    assert fp.incidence_angle.min() == pytest.approx(image["Near Incidence Angle"], abs=0.01)
    assert fp.incidence_angle.max() == pytest.approx(image["Far Incidence Angle"], abs=0.01)


@pytest.mark.parametrize("flips", [(True, False), (False, True), (True, True)], ids=["lines", "columns", "both"])
@pytest.mark.parametrize("gen", GENERATIONS)
def test_flipped_storage_reads_the_same_image(products, gen, flips):
    """`Lines Order` LATE-EARLY / `Columns Order` FAR-NEAR (sarpy _get_symmetry): the file stores the image
    reversed, the reader gives it back with line 0 the earliest and column 0 the nearest."""
    path, _ = products(generation=gen)
    fpath, _ = products(generation=gen, flip_lines=flips[0], flip_columns=flips[1])
    p, q = cosmo.open_product(path), cosmo.open_product(fpath)
    a = _attrs(fpath)["/"]
    assert a["Lines Order"] == ("LATE-EARLY" if flips[0] else "EARLY-LATE")
    assert a["Columns Order"] == ("FAR-NEAR" if flips[1] else "NEAR-FAR")
    name = "S01/SBI" if gen == 1 else "S01/IMG"
    with h5py.File(path) as f, h5py.File(fpath) as g:
        stored = g[name][...]
        natural = f[name][...]
        assert not np.array_equal(stored, natural)
        np.testing.assert_array_equal(stored[::-1 if flips[0] else 1, ::-1 if flips[1] else 1], natural)
    np.testing.assert_array_equal(q.read(), p.read())
    w = Window(37, 11, 50, 23)
    np.testing.assert_array_equal(q.read(w), p.read(w))
    assert q.radar_grid == p.radar_grid and q.start_time == p.start_time


def test_a_window_reads_only_its_samples(products, monkeypatch):
    path, _ = products(generation=1)
    p = cosmo.open_product(path)
    full = p.read()
    seen = []
    real = h5py.Dataset.__getitem__

    def spy(self, key):
        seen.append(key)
        return real(self, key)

    monkeypatch.setattr(h5py.Dataset, "__getitem__", spy)
    w = Window(100, 80, 40, 30)
    a = p.read(w)
    assert a.dtype == np.complex64 and a.shape == (30, 40)
    np.testing.assert_array_equal(a, full[80:110, 100:140])
    assert seen == [(slice(80, 110), slice(100, 140), slice(None))]
    fpath, _ = products(generation=1, flip_lines=True, flip_columns=True)
    q = cosmo.open_product(fpath)
    seen.clear()
    np.testing.assert_array_equal(q.read(w), a)
    assert seen == [(slice(256 - 110, 256 - 80), slice(256 - 140, 256 - 100), slice(None))]
    with pytest.raises(ValueError, match="not inside"):
        p.read(Window(250, 0, 10, 10))


@pytest.mark.parametrize("gen", GENERATIONS)
def test_is_a_sar_product(products, gen):
    path, _ = products(generation=gen)
    p = cosmo.open_product(path)
    assert isinstance(p, SarProduct)
    members = [n for n in vars(SarProduct) if not n.startswith("_")] + list(SarProduct.__annotations__)
    missing = [n for n in members if not hasattr(p, n)]
    assert not missing, f"SarProduct members missing: {missing}"
    _members_behave(p, Window(100, 80, 40, 30))


def test_float32_samples_and_scs_u(products):
    path, scene = products(generation=2, dtype="float32", product_type="SCS_U")
    p = cosmo.open_product(path)
    assert p.product_type == "SCS_U"
    with h5py.File(path) as f:
        raw = f["S01/IMG"][5:7, 9:12, :]
        assert raw.dtype == np.float32
    np.testing.assert_array_equal(p.read(Window(9, 5, 3, 2)), raw[..., 0] + 1j * raw[..., 1])
    np.testing.assert_allclose(p.read(Window(9, 5, 3, 2)), scene.image[5:7, 9:12], rtol=1e-6)


def test_big_endian_samples(products, tmp_path):
    """Samples stored big-endian read the same (sarkit-convert views them with the file's byte order)."""
    path, _ = products(generation=1)
    be = tmp_path / path.name
    shutil.copy(path, be)
    with h5py.File(be, "r+") as f:
        data, attrs = f["S01/SBI"][...], dict(f["S01/SBI"].attrs)
        del f["S01/SBI"]
        ds = f["S01"].create_dataset("SBI", data=data.astype(">i2"))
        ds.attrs.update(attrs)
    with h5py.File(be) as f:
        assert f["S01/SBI"].dtype.byteorder == ">"
    np.testing.assert_array_equal(cosmo.open_product(be).read(), cosmo.open_product(path).read())


@pytest.mark.parametrize("gen", GENERATIONS)
def test_spotlight_exposes_its_azimuth_sweep(products, gen):
    path, scene = products(generation=gen, mode="SPOTLIGHT")
    p = cosmo.open_product(path)
    assert p.imaging_mode == "Spotlight" and p.supported_by_chain
    assert p.mode == ("ENHANCED SPOTLIGHT" if gen == 1 else "SPOTLIGHT-2A")  # sarpy/sarkit mode tables
    assert p.doppler_centroid_rate_hz_s == pytest.approx(scene.doppler[2], rel=1e-6)
    tau = np.full(3, p.radar_grid.near_range_time_s)
    times = p.start_time + np.array([0, 100, 255]) * np.timedelta64(int(p.radar_grid.line_interval_s * 1e9), "ns")
    t_s = scene.first_line_s + np.array([0, 100, 255]) * int(p.radar_grid.line_interval_s * 1e9) * 1e-9
    np.testing.assert_allclose(p.doppler_centroid_at(tau, times), scene.doppler_centroid(tau, t_s), rtol=1e-7)
    est = p.doppler_centroid.all(p.radar_grid.near_range_time_s)
    assert est[0] - est[-1] == pytest.approx(-scene.doppler[2] * (scene.last_line_s - scene.first_line_s), rel=1e-6)
    # the carrier the chain deramps with: the file's sweep, and its centroid at the middle line per column
    car = p.azimuth_carrier
    cols = np.array([0, 77, 255])
    t_mid = scene.first_line_s + car.mid_line * p.radar_grid.line_interval_s
    assert car.mid_line == 127 and car.lines == 256
    np.testing.assert_allclose(car.kt[cols], scene.doppler[2], rtol=1e-6)
    np.testing.assert_allclose(car.fdc[cols], scene.doppler_centroid(
        scene.near_range_time_s + cols * scene.column_interval_s, t_mid), rtol=1e-9, atol=1e-6)
    # the burst group's steering (sarkit: Azimuth Ramp Code Change Lines, Azimuth Steering)
    lines, angles = p.azimuth_steering
    with h5py.File(path) as f:
        b = f["S01/B001" if gen == 1 else "S01/B0001"]
        np.testing.assert_array_equal(lines, b.attrs["Azimuth Ramp Code Change Lines"])
        np.testing.assert_array_equal(angles, b.attrs["Azimuth Steering"])
    # targets still at their geo2rdr position (the images are focused to zero Doppler)
    img = p.read()
    for tg in scene.targets:
        gl, gc = (float(v) for v in p.geo2rdr(tg["lon"], tg["lat"], tg["h"]))
        pl, pc = _peak(img, gl, gc)
        assert abs(pl - gl) < 0.1 and abs(pc - gc) < 0.1
    with pytest.raises(UnsupportedProductError, match="Spotlight product; this chain processes StripMap only"):
        cosmo.open_product(path, modes=("StripMap",))
    assert cosmo.open_product(path, modes=("StripMap", "Spotlight")).shape == (256, 256)


def _edited(src: Path, dst: Path, node: str, name: str, value=None) -> Path:
    """A copy of src with attribute `name` of `node` deleted (value None) or replaced."""
    out = dst / src.name
    shutil.copy(src, out)
    with h5py.File(out, "r+") as f:
        attrs = f[node].attrs if node != "/" else f.attrs
        if value is None:
            del attrs[name]
        else:
            attrs[name] = value
    return out


MISSING = [
    (1, "/", "Reference UTC"), (1, "/", "State Vectors Times"), (1, "/", "Centroid vs Range Time Polynomial"),
    (1, "/", "Lines Order"), (1, "S01", "PRF"), (1, "S01", "Polarisation"), (1, "S01/SBI", "Line Time Interval"),
    (1, "S01/SBI", "Zero Doppler Range First Time"), (2, "/", "Polarization"), (2, "/", "Radar Frequency"),
    (2, "S01", "Doppler Centroid vs Azimuth Time Polynomial - RAW"), (2, "S01/B0001", "Azimuth First Time"),
    (2, "S01/IMG", "Column Time Interval"),
]


@pytest.mark.parametrize("gen, node, name", MISSING, ids=[f"{g}:{n}:{a}" for g, n, a in MISSING])
def test_a_missing_attribute_is_named(products, tmp_path, gen, node, name):
    path, _ = products(generation=gen)
    bad = _edited(path, tmp_path, node, name)
    with pytest.raises(ProductError) as e:
        cosmo.open_product(bad)
    msg = str(e.value)
    assert f"'{name}'" in msg and node in msg and str(bad) in msg and "\n" not in msg


def test_csg_doppler_needs_a_rate(products, tmp_path):
    path, _ = products(generation=2)
    bad = _edited(path, tmp_path, "S01", "Doppler Rate vs Azimuth Time Polynomial", np.zeros(6))
    with pytest.raises(ProductError, match="give no negative Doppler rate"):
        cosmo.open_product(bad)


def test_wrong_values_are_named(products, tmp_path):
    path, _ = products(generation=1)
    bad = _edited(path, tmp_path, "S01/SBI", "Line Time Interval", np.bytes_("fast"))
    with pytest.raises(ProductError, match=r"'Line Time Interval' on S01/SBI is .*expected a number"):
        cosmo.open_product(bad)
    (tmp_path / "b").mkdir()
    bad = _edited(path, tmp_path / "b", "/", "Lines Order", np.bytes_("SIDEWAYS"))
    with pytest.raises(ProductError, match="'Lines Order' on / is 'SIDEWAYS', expected one of EARLY-LATE, LATE-EARLY"):
        cosmo.open_product(bad)
    (tmp_path / "c").mkdir()  # 'First' must be the earliest line (sarpy's reading of the attribute)
    bad = _edited(path, tmp_path / "c", "S01/SBI", "Zero Doppler Azimuth Last Time", 0.0)
    with pytest.raises(ProductError, match="Zero Doppler Azimuth First/Last Time"):
        cosmo.open_product(bad)
    (tmp_path / "d").mkdir()
    bad = _edited(path, tmp_path / "d", "/", "Reference UTC", np.bytes_("yesterday"))
    with pytest.raises(ProductError, match="'Reference UTC' on / is 'yesterday', expected a UTC time"):
        cosmo.open_product(bad)


@pytest.mark.parametrize("node, name, value, match", [
    ("/", "Product Type", "DGM_B", "Product Type DGM_B is not a single-look complex \\(SCS\\) product"),
    ("/", "Product Type", "SCS_F", "Product Type SCS_F is an SCS variant this reader does not know"),
    ("/", "Acquisition Mode", "WIDEREGION", "Acquisition Mode WIDEREGION is ScanSAR"),
    ("/", "Acquisition Mode", "SNAPSHOT", "Acquisition Mode SNAPSHOT is an acquisition mode this reader does not"),
    ("/", "Mission ID", "KMPS", "not a COSMO-SkyMed SLC \\(Mission ID 'KMPS', expected CSK or CSG\\)"),
])
def test_products_it_cannot_read_are_refused(products, tmp_path, node, name, value, match):
    path, _ = products(generation=1)
    bad = _edited(path, tmp_path, node, name, np.bytes_(value))
    with pytest.raises(ProductError, match=match) as e:
        cosmo.open_product(bad)
    assert "\n" not in str(e.value)


def test_an_hdf5_that_is_not_cosmo_says_what_it_holds(tmp_path):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f.create_group("science")
        f.create_dataset("metadata", data=np.zeros(3))
        f.attrs["mission"] = "SAOCOM"
    with pytest.raises(ProductError) as e:
        cosmo.open_product(other)
    msg = str(e.value)
    assert msg.startswith(f"{other}: not a COSMO-SkyMed SLC (no root attribute 'Mission ID')")
    assert "top-level keys: metadata, science" in msg and "root attributes: mission" in msg and "\n" not in msg
    text = tmp_path / "notes.h5"
    text.write_text("not hdf5")
    with pytest.raises(ProductError, match="not a readable HDF5 file"):
        cosmo.open_product(text)
    with pytest.raises(ProductError, match="no such file"):
        cosmo.open_product(tmp_path / "absent.h5")


def test_truncated_file_is_refused(products, tmp_path):
    path, _ = products(generation=1)
    cut = tmp_path / path.name
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ProductError, match=str(cut)):
        cosmo.open_product(cut).check()
    assert cosmo.open_product(path).check() == (256, 256)


def test_polarisation_and_pingpong(products, tmp_path):
    """A PINGPONG file holds two swath groups (S01, S02), each with its Polarisation (isce2, sarpy)."""
    path, _ = products(generation=1)
    with pytest.raises(ProductError, match=r"no VV image \(offered: S01 HH\)"):
        cosmo.open_product(path, "VV")
    pp = tmp_path / path.name
    shutil.copy(path, pp)
    with h5py.File(pp, "r+") as f:
        f.copy("S01", "S02")
        f["S02"].attrs["Polarisation"] = np.bytes_("VV")
        f.attrs["Acquisition Mode"] = np.bytes_("PINGPONG")
    with pytest.raises(ProductError, match=r"several images \(S01 HH, S02 VV\)"):
        cosmo.open_product(pp)
    p = cosmo.open_product(pp, "vv")
    assert p.polarisation == "VV" and p.meta.dataset_path == "S02/SBI" and p.imaging_mode == "StripMap"


def test_orbit_argument(products):
    path, _ = products(generation=2)
    p = cosmo.open_product(path)
    sv = p.state_vectors
    q = cosmo.open_product(path, orbit=StateVectors(sv.time, sv.position + 1.0, sv.velocity, "other orbit"))
    np.testing.assert_array_equal(q.state_vectors.position, sv.position + 1.0)
    with pytest.raises(ProductError, match="carry their own orbit"):
        cosmo.open_product(path, orbit="S1A_OPER_AUX_POEORB.EOF")
    short = StateVectors(sv.time[:3], sv.position[:3], sv.velocity[:3], "short orbit")
    with pytest.raises(ProductError, match="short orbit: orbit .* does not cover the acquisition"):
        cosmo.open_product(path, orbit=short)


def test_the_simulator_shares_no_code_with_the_chain():
    """The COSMO simulator, and every dinsar.simulate module it imports, imports nothing of the reader's
    side (sensors, geometry, steps, interferometry, kernels): the reader is checked against it."""
    seen, bad = simulator_imports("dinsar.simulate.cosmo_writer")
    assert seen >= {"dinsar.simulate.cosmo_writer", "dinsar.simulate.cosmo_scene", "dinsar.simulate.geometry"}
    assert not bad, bad
