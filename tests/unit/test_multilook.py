"""Multilook kernels against plain numpy, and the quicklook step on a real SLC crop."""

import json

import numpy as np
import pytest
import rasterio

from dinsar import steps
from dinsar.kernels.multilook import multilook_complex, multilook_intensity
from dinsar.steps import preprocess
from tests.conftest import AZORES_CROP


def _ref_intensity(a, naz, nrg):
    h, w = a.shape[0] // naz * naz, a.shape[1] // nrg * nrg
    p = np.abs(a[:h, :w].astype(np.complex128)) ** 2
    return p.reshape(h // naz, naz, w // nrg, nrg).mean(axis=(1, 3))


@pytest.mark.parametrize("naz,nrg", [(1, 1), (3, 3), (5, 2), (4, 7)])
def test_kernels_match_numpy(naz, nrg):
    rng = np.random.default_rng(3)
    a = (rng.standard_normal((31, 43)) + 1j * rng.standard_normal((31, 43))).astype(np.complex64)
    # float32 output of float64 sums: relative error at float32 rounding
    np.testing.assert_allclose(multilook_intensity(a, naz, nrg), _ref_intensity(a, naz, nrg), rtol=1e-6)
    h, w = 31 // naz * naz, 43 // nrg * nrg
    ref = a[:h, :w].astype(np.complex128).reshape(h // naz, naz, w // nrg, nrg).mean(axis=(1, 3))
    np.testing.assert_allclose(multilook_complex(a, naz, nrg), ref, rtol=1e-6, atol=1e-7)
    real = rng.standard_normal((31, 43)).astype(np.float32)
    np.testing.assert_allclose(multilook_intensity(real, naz, nrg), _ref_intensity(real, naz, nrg), rtol=1e-6)


def test_kernel_rejects_bad_looks():
    with pytest.raises(ValueError, match="looks >= 1"):
        multilook_intensity(np.zeros((4, 4), np.complex64), 0, 1)
    with pytest.raises(ValueError, match="2-D"):
        multilook_complex(np.zeros(4, np.complex64), 1, 1)


def test_quicklook_on_the_real_azores_crop(tmp_path, monkeypatch):
    # small blocks so that the crop (601 lines) is streamed in several pieces
    monkeypatch.setattr(preprocess, "BLOCK_BYTES", 8 * 1401 * 3 * 40)
    out = steps.quicklook(AZORES_CROP, tmp_path / "ql.tif", tmp_path / "ql.png", looks=(3, 3), threads=2,
                          dst_json=tmp_path / "ql.json")
    with rasterio.open(AZORES_CROP) as src:
        slc = src.read(1)
    expected = np.sqrt(_ref_intensity(slc, 3, 3))
    with rasterio.open(out) as ql:
        assert (ql.height, ql.width) == (200, 467) == expected.shape
        assert ql.profile["tiled"] and ql.dtypes[0] == "float32"
        np.testing.assert_allclose(ql.read(1), expected, rtol=1e-5)
    with rasterio.open(tmp_path / "ql.png") as png:
        img = png.read(1)
    assert png.driver == "PNG" and img.shape == (200, 467)
    # the crop holds sea (dark) and land: the stretch spreads it over the 8-bit range
    assert img.min() >= 1 and np.percentile(img, 1) < 40 and np.percentile(img, 99) > 220
    meta = json.loads((tmp_path / "ql.json").read_text())
    assert meta["looks"] == [3, 3] and meta["shape"] == [200, 467]
    assert not list(tmp_path.glob(".*tmp*"))


def test_quicklook_decimates_the_png(tmp_path):
    steps.quicklook(AZORES_CROP, tmp_path / "ql.tif", tmp_path / "ql.png", looks=(1, 1), png_max_size=300)
    with rasterio.open(tmp_path / "ql.png") as png:
        assert max(png.height, png.width) <= 300


def test_quicklook_of_a_safe_carries_gcps(tmp_path, demo_zip):
    out = steps.quicklook(demo_zip, tmp_path / "d.tif", None, looks=(4, 2), polarisation="VH")
    with rasterio.open(out) as ql:
        gcps, crs = ql.gcps
        assert crs.to_epsg() == 4979 and len(gcps) > 4
        assert (ql.height, ql.width) == (64, 160)
    assert not (tmp_path / "d.png").exists()
