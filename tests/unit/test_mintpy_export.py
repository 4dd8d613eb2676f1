"""The MintPy export's pieces (dinsar.steps.mintpy, dinsar.io.roipac): ROI_PAC rasters as MintPy's own
reader sees them, MintPy's angle conventions, the cfg. The whole export and MintPy's run on a simulated
stack: tests/workflow/test_mintpy.py."""

import numpy as np
import pytest
from rasterio.transform import from_origin

from dinsar.io import roipac
from dinsar.steps import mintpy as export


def test_roipac_rasters_by_blocks_read_back(tmp_path):
    rng = np.random.default_rng(3)
    amp, phase = rng.random((2, 7, 5)).astype(np.float32)
    labels = rng.integers(0, 4, (7, 5)).astype(np.uint8)
    attrs = {"WIDTH": 5, "FILE_LENGTH": 7, "LENGTH": 7, "X_STEP": 1e-4, "DATE12": "160818-160830"}
    with roipac.Writer(tmp_path / "a.unw", (7, 5)) as w, roipac.Writer(tmp_path / "a.byt", (7, 5)) as b:
        for first in (4, 0):  # any order
            w.write(first, amp[first:first + 4], phase[first:first + 4])
            b.write(first, labels[first:first + 4])
        with pytest.raises(ValueError, match="do not fit"):
            w.write(5, amp[:4], phase[:4])
    for name in ("a.unw", "a.byt"):
        roipac.write_rsc(tmp_path / name, attrs)
    np.testing.assert_array_equal(roipac.read(tmp_path / "a.unw"), [amp, phase])
    np.testing.assert_array_equal(roipac.read(tmp_path / "a.byt")[0], labels)
    assert (tmp_path / "a.unw").stat().st_size == 7 * 2 * 5 * 4  # RMG: two float32 bands by line
    assert roipac.read_rsc(tmp_path / "a.unw")["X_STEP"] == "0.0001"
    with pytest.raises(ValueError, match="not a ROI_PAC raster extension"):
        roipac.Writer(tmp_path / "a.tif", (2, 2))


def test_mintpy_reads_them_as_roipac_products(tmp_path):
    readfile = pytest.importorskip("mintpy.utils.readfile")
    rng = np.random.default_rng(4)
    amp, phase = rng.random((2, 6, 4)).astype(np.float32)
    with roipac.Writer(tmp_path / "filt_20160818_20160830.unw", (6, 4)) as w:
        w.write(0, amp, phase)
    attrs = {**export.grid_attributes(from_origin(55.7, -21.2, 1e-4, 1e-4), (6, 4)), "PROCESSOR": "roipac",
             "DATE12": "160818-160830", "WAVELENGTH": 0.0555, "P_BASELINE_TOP_HDR": 10.0,
             "P_BASELINE_BOTTOM_HDR": 12.0}
    roipac.write_rsc(tmp_path / "filt_20160818_20160830.unw", attrs)
    data, atr = readfile.read(str(tmp_path / "filt_20160818_20160830.unw"))
    np.testing.assert_array_equal(data, phase)  # band 2 of the RMG file
    assert atr["PROCESSOR"] == "roipac" and atr["DATE12"] == "160818-160830"
    assert float(atr["X_FIRST"]) == 55.7 and float(atr["Y_STEP"]) == -1e-4 and int(atr["LENGTH"]) == 6


def test_los_angles_follow_mintpy_conventions():
    # ascending right-looking: LOS (ground -> satellite) points west-ish and up; MintPy's typical ~ +102°
    inc, az = 38.0, 102.0
    e = -np.sin(np.radians(inc)) * np.sin(np.radians(az))
    n = np.sin(np.radians(inc)) * np.cos(np.radians(az))
    u = np.cos(np.radians(inc))
    got_inc, got_az = export.los_angles(np.array([e]), np.array([n]), np.array([u]))
    assert got_inc[0] == pytest.approx(inc) and got_az[0] == pytest.approx(az)
    utils0 = pytest.importorskip("mintpy.utils.utils0")
    np.testing.assert_allclose(utils0.get_unit_vector4component_of_interest(inc, az), [e, n, u], atol=1e-12)
    assert export.date12("20160818", "20160830") == "160818-160830"


def test_cfg_names_the_files_and_the_reference():
    text = export.smallbaseline_cfg("s", "interferograms", "geometry", (-21.25, 55.72), "the config", 7, 5)
    keys = dict(line.split("#")[0].split("=", 1) for line in text.splitlines() if "=" in line and line[0] != "#")
    keys = {k.strip(): v.strip() for k, v in keys.items()}
    assert keys["mintpy.load.processor"] == "roipac"
    assert keys["mintpy.load.unwFile"] == "interferograms/*/filt_*.unw"
    assert keys["mintpy.load.connCompFile"] == "interferograms/*/filt_*_snap_connect.byt"
    assert keys["mintpy.load.demFile"] == "geometry/height.hgt"
    assert keys["mintpy.reference.lalo"] == "-21.25000000, 55.72000000"
