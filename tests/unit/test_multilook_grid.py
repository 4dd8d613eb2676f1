"""The multilook grid: its pixel convention (round trip, the GCPs), its tags, and its equivalent number
of looks from the product's processed bandwidths (real S3 annotation, read by regular expression)."""

import numpy as np
import pytest
import rasterio

from dinsar.errors import DinsarError
from dinsar.geometry.multilook import MultilookGrid
from dinsar.io import raster
from dinsar.io.annotation import parse_annotation
from tests.conftest import S3_SAFE, xml_values

S3_XML = next((S3_SAFE / "annotation").glob("s1a-s3-slc-vh-*.xml"))


@pytest.mark.parametrize("looks", [(1, 1), (3, 3), (4, 2), (5, 17)])
def test_to_full_and_back(looks):
    g = MultilookGrid(looks, (1000, 2000))
    line, col = np.random.default_rng(1).uniform(-3, 300, (2, 50))
    back = g.to_multilooked(*g.to_full(line, col))
    np.testing.assert_allclose(back, (line, col), rtol=0, atol=1e-12)
    # multilooked pixel j is the mean position of its samples j·n .. j·n + n - 1
    j = np.arange(6)
    full_l, full_c = g.to_full(j, j)
    np.testing.assert_array_equal(full_l, [np.mean(np.arange(k * looks[0], (k + 1) * looks[0])) for k in j])
    np.testing.assert_array_equal(full_c, [np.mean(np.arange(k * looks[1], (k + 1) * looks[1])) for k in j])
    assert g.shape == (1000 // looks[0], 2000 // looks[1])


def test_gcps_follow_the_grid_convention():
    grid = parse_annotation(S3_XML.read_bytes(), str(S3_XML)).geolocation_grid
    ml = MultilookGrid((4, 2), (36895, 18998))
    gcps, _ = raster.gcps_from_grid(grid, ml)
    rows, cols = ml.to_multilooked(grid.line, grid.pixel)
    # GDAL puts pixel j's centre at j + 0.5
    np.testing.assert_array_equal([g.row for g in gcps], rows + 0.5)
    np.testing.assert_array_equal([g.col for g in gcps], cols + 0.5)
    # the looks alone (a quicklook's call) give the same GCPs
    assert [(g.row, g.col) for g in raster.gcps_from_grid(grid, (4, 2))[0]] == [(g.row, g.col) for g in gcps]
    # and full resolution leaves the grid's own pixel numbers
    full, _ = raster.gcps_from_grid(grid)
    np.testing.assert_array_equal([g.row - 0.5 for g in full], grid.line)


def test_tags_round_trip_and_refusals(tmp_path):
    g = MultilookGrid((3, 5), (512, 640), enl=9 * 0.8 * 0.85 + 1e-13)
    assert MultilookGrid.from_tags(g.tags()) == g
    assert MultilookGrid.from_tags(MultilookGrid((2, 2), None).tags()) == MultilookGrid((2, 2), None)
    path = tmp_path / "ml.tif"
    with rasterio.open(path, "w", **raster.geotiff_profile(*g.shape, np.float32)) as w:
        w.update_tags(**g.tags())
    assert MultilookGrid.from_raster(path) == g
    with rasterio.open(tmp_path / "other.tif", "w", **raster.geotiff_profile(100, 128, np.float32)) as w:
        w.update_tags(**g.tags())
    with pytest.raises(DinsarError, match="other.tif: 100x128 pixels, but its multilook grid says 170x128"):
        MultilookGrid.from_raster(tmp_path / "other.tif")
    with pytest.raises(DinsarError, match="bare: no multilook grid in its tags"):
        MultilookGrid.from_tags({}, "bare")
    with pytest.raises(DinsarError, match="multilook grid tags disagree"):
        MultilookGrid.from_tags({**g.tags(), "ML_SHAPE": "171 128"})


def test_mean_over_the_grid():
    a = np.arange(7 * 11, dtype=np.float64).reshape(7, 11)
    a[0, 0] = np.nan
    m = MultilookGrid((3, 2), a.shape).mean(a)
    assert m.shape == (2, 5)
    assert m[0, 0] == np.nanmean(a[0:3, 0:2]) and m[1, 4] == np.mean(a[3:6, 8:10])


def test_enl_of_the_real_stripmap_product():
    """looks × B_az/f_az × B_rg/f_rg, from the file's text: f_az = 1/azimuthTimeInterval (= azimuthFrequency,
    the PRF of StripMap), f_rg = rangeSamplingRate."""
    ann = parse_annotation(S3_XML.read_bytes(), str(S3_XML))
    b_rg, b_az = (float(v) for v in xml_values(S3_XML, "processingBandwidth"))
    fs_rg = float(xml_values(S3_XML, "rangeSamplingRate")[0])
    ati = float(xml_values(S3_XML, "azimuthTimeInterval")[0])
    assert 1 / ati == pytest.approx(float(xml_values(S3_XML, "azimuthFrequency")[0]), rel=1e-12)
    assert 1 / ati == pytest.approx(float(xml_values(S3_XML, "prf")[0]), rel=1e-7)
    g = MultilookGrid.of_product(ann, (3, 3), ann.shape)
    assert g.enl == pytest.approx(9 * (b_az * ati) * (b_rg / fs_rg), rel=1e-14)
    assert g.enl == pytest.approx(5.8226, abs=1e-4)  # 1399 Hz of 1925 Hz, 59.4 MHz of 66.7 MHz
    assert g.shape == (36895 // 3, 18998 // 3)


def test_simulated_products_annotate_the_synthesis_bandwidths(tmp_path):
    """The simulator writes processingBandwidth for the bandwidths it synthesises (truth.json's), so the
    chain's ENL on a simulated pair is looks × 0.8 × 0.85."""
    import json

    from dinsar.sensors.sentinel1 import open_product
    from dinsar.simulate.pair import PairConfig, write_pair

    write_pair(tmp_path, PairConfig(size=(128, 128), seed=2))
    bandwidth = json.loads((tmp_path / "truth" / "truth.json").read_text())["bandwidth"]
    for folder in ("master", "slave"):
        ann = open_product(next((tmp_path / folder).glob("*.SAFE")), "VV").annotation
        assert ann.azimuth_bandwidth_fraction == pytest.approx(bandwidth["azimuth"], rel=1e-14)
        assert ann.range_bandwidth_fraction == pytest.approx(bandwidth["range"], rel=1e-14)
        assert MultilookGrid.of_product(ann, (3, 3), ann.shape).enl == pytest.approx(6.12, rel=1e-14)
