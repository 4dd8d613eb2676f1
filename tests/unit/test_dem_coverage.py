"""DEM coverage from the geometry (issue 16.1), DEM holes masked, both dates in a pair's products.

On a noise-free simulated pair whose truth gives each pixel's height:
- a DEM cropped to the scene's ground footprint + 1 km on every side (what a user crops) is taken
  and gives the same heights as the simulator's whole DEM (to 1 cm: the same DEM samples);
- a DEM missing the east part of the scene is processed over the part it covers: one warning names
  the uncovered fraction (within 3 points of the fraction of pixels whose true ground point lies
  beyond the DEM), those pixels are flagged and end as no data (isData 0, NaN LOS), and the covered
  part's LOS matches the truth to 1 mm;
- a DEM hole's pixels are masked in the interferogram;
- a DEM nowhere under the scene is refused in one line;
- a slave acquired before its master is warned about, and both dates are in the tags.
"""

import logging

import numpy as np
import pytest
import rasterio
from rasterio.windows import from_bounds

from dinsar import steps
from dinsar.errors import DinsarError
from dinsar.sensors.sentinel1 import open_product
from dinsar.simulate.pair import PairConfig, write_pair
from dinsar.steps import geocode as geocode_step
from dinsar.steps import interferometry as chain
from dinsar.steps.truth import compare_truth
from dinsar.steps.unwrap import filter_unwrap

KM_DEG = 1000.0 / 111_000.0


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    out = tmp_path_factory.mktemp("coverage")
    write_pair(out, PairConfig(size=(384, 384), seed=4, coherence=1.0, snr_db=None))
    m = next((out / "master").glob("*.SAFE"))
    s = next((out / "slave").glob("*.SAFE"))
    product = open_product(m, "VV")
    with rasterio.open(out / "truth" / "height.tif") as src:
        h = src.read(1).astype(np.float64)
    ll, cc = np.indices(h.shape)
    lon, lat, _ = product.rdr2geo(ll.ravel(), cc.ravel(), h.ravel())  # each pixel's true ground point
    return out, m, s, lon.reshape(h.shape), lat.reshape(h.shape)


def _crop(src_path, dst_path, west, south, east, north, hole=None):
    with rasterio.open(src_path) as src:
        window = from_bounds(west, south, east, north, transform=src.transform).round_offsets().round_lengths()
        data = src.read(1, window=window)
        profile = {**src.profile, "height": data.shape[0], "width": data.shape[1],
                   "transform": src.window_transform(window)}
    if hole is not None:
        with rasterio.io.MemoryFile() as mem, mem.open(**profile) as tmp:
            r, c = tmp.index(*hole)
        data[r - 4:r + 4, c - 4:c + 4] = profile["nodata"]
    with rasterio.open(dst_path, "w", **profile) as dst:
        dst.write(data, 1)
    return dst_path


def _project(m, dem, g):
    steps.dem_projection(m, dem, g / "p.tif", g / "h.tif", g / "xyz.tif", threads=2)
    with rasterio.open(g / "h.tif") as src:
        return src.read()


def _interferogram(m, s, g):
    chain.deformation_grid(m, s, g / "xyz.tif", g / "grid.tif", g / "grid.json", threads=2)
    chain.coregister(m, s, g / "h.tif", g / "grid.json", g / "coreg.tif", threads=2)
    chain.interferogram(m, s, g / "coreg.tif", g / "h.tif", g / "ifg.tif", (3, 3), threads=2)
    with rasterio.open(g / "ifg.tif") as src:
        return src.read(4)


def test_a_dem_cropped_to_the_footprint_plus_1_km_is_enough(pair, tmp_path):
    out, m, _, lon, lat = pair
    pad = KM_DEG
    tight = _crop(out / "dem.tif", tmp_path / "tight.tif", lon.min() - pad, lat.min() - pad, lon.max() + pad,
                  lat.max() + pad)
    height, flag = _project(m, tight, tmp_path / "tight")
    whole, whole_flag = _project(m, out / "dem.tif", tmp_path / "whole")
    assert (flag == 0).all() and (whole_flag == 0).all()
    assert np.abs(height - whole).max() < 0.01


def test_a_dem_covering_part_of_the_scene_masks_the_rest(pair, tmp_path, caplog):
    out, m, s, lon, lat = pair
    cut = lon.min() + 0.7 * (lon.max() - lon.min())
    inside = (lon < cut) & (lat > lat.min())
    hole = (float(np.median(lon[inside])), float(np.median(lat[inside])))
    dem = _crop(out / "dem.tif", tmp_path / "part.tif", lon.min() - 0.05, lat.min() - 0.05, cut, lat.max() + 0.05,
                hole=hole)
    g = tmp_path / "chain"
    with caplog.at_level(logging.WARNING):
        height, flag = _project(m, dem, g)
    beyond = lon > cut
    warning = next(r.getMessage() for r in caplog.records if "no ground point on the DEM" in r.getMessage())
    stated = float(warning.split("% of its pixels")[0].rsplit(": ", 1)[1])
    assert stated == pytest.approx(100 * beyond.mean(), abs=3.0)
    assert any("see filled DEM holes" in r.getMessage() for r in caplog.records)
    # flag 2 exactly beyond the DEM's edge (a band of 3 DEM samples, 90 m, either way left out)
    edge = np.abs(lon - cut) < 3 / 3600
    assert ((flag == 2) == beyond)[~edge].all()
    assert np.isnan(height[flag == 2]).all() and 0 < (flag == 1).sum() < 0.05 * flag.size
    is_data = _interferogram(m, s, g)
    _project(m, out / "dem.tif", tmp_path / "whole")
    whole = _interferogram(m, s, tmp_path / "whole")  # no data also where the slave does not reach
    masked = (flag[:384 // 3 * 3, :384 // 3 * 3] > 0).reshape(128, 3, 128, 3).any(axis=(1, 3))
    assert (is_data[masked] == 0).all() and (is_data[~masked] == whole[~masked]).all()
    assert whole[masked].mean() > 0.9
    filter_unwrap(g / "ifg.tif", g / "filtered.tif", g / "unw.tif")
    result = compare_truth(g / "unw.tif", g / "ifg.tif", out / "truth", g / "cmp.json")
    assert result["los_rmse_mm"] <= 1.0 and result["fraction"] > 0.5
    geocode_step.geocode(m, dem, g / "unw.tif", g / "ifg.tif", g / "los.tif", g / "enu.tif", g / "coh.tif")
    with rasterio.open(g / "los.tif") as src:
        los = src.read(1)
        x = src.transform.c + (np.arange(src.width)[None, :] + 0.5) * src.transform.a + 0 * los
        tags = src.tags()
    assert np.isfinite(los).any() and not np.isfinite(los[x > cut]).any()
    assert tags["MASTER_TIME"] < tags["SLAVE_TIME"] and "positive when the ground is nearer" in tags["LOS_SIGN"]


def test_a_dem_nowhere_under_the_scene_is_refused(pair, tmp_path):
    from dinsar.simulate.dem import write_volcano_dem

    _, m, _, lon, lat = pair
    far = write_volcano_dem(tmp_path / "far.tif", half_size_deg=0.05, centre=(float(lon.max()) + 0.3,
                                                                             float(lat.mean())))
    with pytest.raises(DinsarError, match=r"far.tif: DEM does not cover the scene"):
        _project(m, far, tmp_path / "g")
    assert not (tmp_path / "g").exists() or not any((tmp_path / "g").iterdir())


def test_a_slave_before_its_master_is_told(pair, tmp_path, caplog):
    out, m, s, _, _ = pair
    g = tmp_path / "swapped"
    _project(s, out / "dem.tif", g)  # the later acquisition as master
    chain.deformation_grid(s, m, g / "xyz.tif", g / "grid.tif", g / "grid.json", threads=2)
    chain.coregister(s, m, g / "h.tif", g / "grid.json", g / "coreg.tif", threads=2)
    with caplog.at_level(logging.WARNING):
        chain.interferogram(s, m, g / "coreg.tif", g / "h.tif", g / "ifg.tif", (3, 3), threads=2)
    assert any("acquired before the master" in r.getMessage() for r in caplog.records)
    with rasterio.open(g / "ifg.tif") as src:
        tags = src.tags()
    assert tags["MASTER"] == s.stem and tags["SLAVE"] == m.stem and tags["SLAVE_TIME"] < tags["MASTER_TIME"]
