"""Geometry steps on the demo product over the synthetic volcano: outputs, consistency, errors."""

import json

import numpy as np
import pytest
import rasterio

from dinsar import steps
from dinsar.errors import DinsarError
from dinsar.geometry.ellipsoid import ecef_to_geodetic
from dinsar.io.raster import read_xyz
from dinsar.sensors.sentinel1 import open_product
from dinsar.simulate.dem import volcano_height, write_volcano_dem
from dinsar.simulate.speckle import write_demo_product


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("geom")
    safe = steps.unpack(write_demo_product(tmp, (192, 256), seed=2), tmp / "p.SAFE", ["VV"])
    return tmp, safe, write_volcano_dem(tmp / "dem.tif")


def test_dem_projection_outputs_agree_with_the_terrain(scene):
    tmp, safe, dem = scene
    out = tmp / "geo"
    steps.dem_projection(safe, dem, out / "dem_projection.tif", out / "height.tif", out / "xyz.tif",
                         threads=2, dst_sidecar=out / "radar_grid.json")
    with rasterio.open(out / "height.tif") as src:
        height, flag = src.read()
        assert src.gcps[1].to_epsg() == 4979
    assert np.all(flag == 0) and np.all(np.isfinite(height))
    xyz = read_xyz(out / "xyz.tif")
    lon, lat, h = ecef_to_geodetic(xyz.reshape(3, -1).T)
    # each pixel's ground point is on the volcano: its height is the analytic surface there
    # (to 2 m: the DEM is a 30 m bilinear sampling of the surface)
    np.testing.assert_allclose(h, height.ravel(), atol=1e-2)
    np.testing.assert_allclose(h, volcano_height(lon, lat), atol=2.0)
    # and it is seen at that pixel
    product = open_product(safe, "VV")
    line, col = product.geo2rdr(lon, lat, h)
    rows, cols = np.indices(height.shape)
    np.testing.assert_allclose(line, rows.ravel(), atol=1e-3)
    np.testing.assert_allclose(col, cols.ravel(), atol=1e-3)
    with rasterio.open(out / "dem_projection.tif") as src:
        proj = src.read()
        assert src.crs.to_epsg() in (4979, 4326)
    inside = (proj[0] >= 0) & (proj[0] <= 191) & (proj[1] >= 0) & (proj[1] <= 255)
    assert inside.sum() > 100  # DEM samples that fall in the image
    sidecar = json.loads((out / "radar_grid.json").read_text())
    assert sidecar["shape"] == [192, 256] and len(sidecar["state_vectors"]["time"]) == 13


def test_simulated_amplitude_and_doppler0(scene):
    tmp, safe, dem = scene
    out = tmp / "sim"
    steps.simulate_amplitude(safe, dem, out / "a.tif", out / "s.tif", out / "l.tif", out / "a.png", threads=2)
    with rasterio.open(out / "a.tif") as src:
        amp = src.read(1)
    assert amp.shape == (192, 256) and np.all(amp > 0)  # gentle flanks: no shadow, no layover
    with rasterio.open(out / "s.tif") as s, rasterio.open(out / "l.tif") as lay:
        assert s.read(1).sum() == 0 and lay.read(1).sum() == 0
    assert (out / "a.png").stat().st_size > 0
    steps.doppler0(safe, out / "d.json")
    d = json.loads((out / "d.json").read_text())
    assert d["mode"] == "StripMap" and abs(d["doppler_hz"]) < d["spread_hz"]
    assert d["annotation_mean_hz"] == 0.0


def test_dem_not_covering_leaves_nothing(scene, tmp_path):
    _, safe, _ = scene
    small = write_volcano_dem(tmp_path / "small.tif", half_size_deg=0.005)
    out = tmp_path / "geo"
    with pytest.raises(DinsarError, match=r"small.tif: DEM does not cover the scene.*uncovered"):
        steps.dem_projection(safe, small, out / "p.tif", out / "h.tif", out / "x.tif")
    assert not out.exists() or not any(out.iterdir())


def test_dem_holes_are_filled_and_flagged(scene, tmp_path):
    _, safe, dem = scene
    with rasterio.open(dem) as src:
        data, profile = src.read(1), src.profile
    product = open_product(safe, "VV")
    lon, lat, _ = product.rdr2geo(96.0, 128.0, 1800.0)
    with rasterio.open(dem) as src:
        r, c = src.index(float(lon), float(lat))
    data[r - 3:r + 3, c - 3:c + 3] = profile["nodata"]
    holed = tmp_path / "holes.tif"
    with rasterio.open(holed, "w", **profile) as dst:
        dst.write(data, 1)
    out = tmp_path / "geo"
    steps.dem_projection(safe, holed, out / "p.tif", out / "h.tif", out / "x.tif")
    with rasterio.open(out / "h.tif") as src:
        height, flag = src.read()
    assert 50 < (flag == 1).sum() < flag.size / 2 and np.all(np.isfinite(height))
    # the filled surface stays near the true one (smooth flanks: within 40 m)
    xyz = read_xyz(out / "x.tif")
    lo, la, hh = ecef_to_geodetic(xyz.reshape(3, -1).T)
    assert np.abs(hh - volcano_height(lo, la))[flag.ravel() == 1].max() < 40


def test_orbit_file_not_covering_the_acquisition(scene):
    from tests.conftest import AZORES_EOF

    _, safe, _ = scene
    with pytest.raises(DinsarError, match="does not cover the acquisition"):
        open_product(safe, "VV", orbit=AZORES_EOF)
