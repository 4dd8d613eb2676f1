"""DEM handling (geoid, coverage, holes) and the DEM projection against sarsen.

sarsen (B-Open, Apache-2.0) is an independent implementation of the zero-Doppler
backward geocoding; it is used here only as a reference on the same inputs: the
Rome DEM (EGM96 heights, converted once to ECEF) and the IW1 annotation orbit.
"""

import numpy as np
import pytest
import rasterio
import xarray as xr

from dinsar.geometry import dem as dem_mod
from dinsar.geometry.projection import dem_to_radar, radar_to_ground, sample_dem
from dinsar.geometry.radar import C, geo2rdr
from dinsar.sensors.sentinel1 import open_product
from tests.conftest import DATA, ROME_SAFE

ROME_DEM = DATA / "s1_iw_rome" / "Rome-30m-DEM.tif"
ROME_BOX = (12.47, 41.97, 12.53, 42.03)


@pytest.fixture(scope="module")
def geoid():
    dem_mod.use_geoid_dir(DATA / "geoid")


@pytest.fixture(scope="module")
def rome(geoid):
    return open_product(ROME_SAFE, "VV"), dem_mod.load_for_scene(ROME_DEM, ROME_BOX, margin_deg=0.0)


def test_geoid_figure_of_the_data_readme(geoid):
    n = dem_mod.geoid_undulation(np.array([12.5, 55.6]), np.array([42.0, -21.3]))
    assert n[0] == pytest.approx(48.613, abs=0.001)  # ../shared/data/README.md
    assert n[1] == pytest.approx(2.25, abs=0.01)  # geoid/PROVENANCE.txt, La Réunion


def test_missing_geoid_grid_is_refused(tmp_path):
    """A fresh interpreter without the grid on PROJ's path: PROJ would silently give N = 0."""
    import os
    import subprocess
    import sys

    code = ("import numpy as np; from dinsar.geometry.dem import geoid_undulation; "
            "geoid_undulation(np.array([12.5]), np.array([42.0]))")
    env = {k: v for k, v in os.environ.items() if k not in ("PROJ_DATA", "PROJ_LIB")}
    env["PROJ_NETWORK"] = "OFF"  # and so no fetch into the cache either (an empty one here)
    env["DINSAR_CACHE"] = str(tmp_path)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert run.returncode != 0 and "EGM96 geoid grid not found by PROJ" in run.stderr


def test_dem_heights_become_ellipsoidal(rome):
    _, dem = rome
    with rasterio.open(ROME_DEM) as src:
        assert src.crs.to_epsg() == 9707
        row, col = src.index(12.5, 42.0)
        orthometric = float(src.read(1)[row, col])
    # DEM heights are EGM96; the geoid is ~48.6 m above the ellipsoid at Rome
    h = sample_dem(dem, np.array([12.5]), np.array([42.0]))[0]
    assert h == pytest.approx(orthometric + 48.6, abs=2.0)
    assert dem.filled.sum() == 0


def test_dem_not_covering_the_scene(geoid):
    with pytest.raises(dem_mod.DemError, match=r"does not cover the scene.*uncovered: west edge by 0\.0"):
        dem_mod.load_for_scene(ROME_DEM, (12.40, 41.97, 12.53, 42.03), margin_deg=0.0)


def test_dem_without_crs_and_with_holes(tmp_path, geoid):
    with rasterio.open(ROME_DEM) as src:
        data = src.read(1)
        profile = src.profile
    no_crs = tmp_path / "nocrs.tif"
    with rasterio.open(no_crs, "w", **{**profile, "crs": None}) as dst:
        dst.write(data, 1)
    with pytest.raises(dem_mod.DemError, match="nocrs.tif: DEM has no CRS"):
        dem_mod.load_for_scene(no_crs, ROME_BOX, margin_deg=0.0)
    holes = tmp_path / "holes.tif"
    data = data.copy()
    data[150:160, 150:170] = profile["nodata"]
    with rasterio.open(holes, "w", **profile) as dst:
        dst.write(data, 1)
    dem = dem_mod.load_for_scene(holes, ROME_BOX, margin_deg=0.0)
    assert dem.filled.sum() == 200 and np.all(np.isfinite(dem.height))
    # filled values lie within the range of their neighbours
    assert 20 < dem.height[dem.filled].min() and dem.height[dem.filled].max() < 250


def test_projection_agrees_with_sarsen(rome):
    from sarsen import geocoding
    from sarsen import orbit as sarsen_orbit

    product, dem = rome
    line, col, xyz = dem_to_radar(dem, product.orbit, product.radar_grid)
    sv = product.state_vectors
    position = xr.DataArray(sv.position, dims=("azimuth_time", "axis"),
                            coords={"azimuth_time": sv.time, "axis": [0, 1, 2]})
    # degree 9 through all nodes, as the data README's reference solver
    interpolator = sarsen_orbit.OrbitPolyfitInterpolator.from_position(position, deg=9)
    dem_ecef = xr.DataArray(xyz.transpose(2, 0, 1), dims=("axis", "y", "x"), coords={"axis": [0, 1, 2]})
    acq = geocoding.backward_geocode(dem_ecef, interpolator, zero_doppler_distance=1e-6, maxiter=30)
    a = product.annotation
    ref_line = (acq.azimuth_time.values - a.first_line_time) / np.timedelta64(1, "ns") * 1e-9 \
        / a.azimuth_time_interval_s
    ref_range = np.sqrt((acq.dem_distance**2).sum("axis")).values
    ref_col = (2 * ref_range / C - a.slant_range_time_s) * a.range_sampling_rate_hz
    assert np.isfinite(line).all()
    assert np.abs(line - ref_line).max() < 0.05  # issue tolerance; measured ~5e-6 px
    assert np.abs(col - ref_col).max() < 0.05


def test_radar_to_ground_inverts_the_projection(rome):
    product, dem = rome
    lines, cols = np.meshgrid(np.arange(6550.0, 6900.0, 7.0), np.arange(33000.0, 34300.0, 11.0),
                              indexing="ij")
    xyz, h, ok = radar_to_ground(dem, product.orbit, product.radar_grid, lines, cols)
    assert ok.mean() > 0.95  # the rest falls outside the DEM (its footprint is rotated in radar geometry)
    assert np.all(np.isnan(h[~ok]) | ~np.isfinite(sample_dem(dem, *_lonlat(xyz[~ok]))))
    _assert_seen_there_on_the_dem(product, dem, xyz[ok], h[ok], lines.ravel()[ok], cols.ravel()[ok])


def _assert_seen_there_on_the_dem(product, dem, xyz, h, lines, cols):
    """Each point is on its pixel's range-Doppler circle (1e-4 px) and its height is the DEM's there,
    to the 1 mm iteration tolerance."""
    t, r = geo2rdr(product.orbit, product.radar_grid, xyz)
    g = product.radar_grid
    np.testing.assert_allclose((t - g.first_line_s) / g.line_interval_s, lines, atol=1e-4)
    np.testing.assert_allclose((2 * r / C - g.near_range_time_s) * g.range_sampling_rate_hz, cols, atol=1e-4)
    np.testing.assert_allclose(h, sample_dem(dem, *_lonlat(xyz)), atol=0.0011)


def _lonlat(xyz):
    from dinsar.geometry.ellipsoid import ecef_to_geodetic

    lon, lat, _ = ecef_to_geodetic(xyz)
    return lon, lat


def test_row_solver_agrees_with_the_general_one(rome):
    """Rows of one azimuth time take the look-angle secant; transposed, every pixel of a row has its
    own time and takes the general solver (height secant + bisection): same ground points."""
    product, dem = rome
    lines, cols = np.meshgrid(np.arange(6550.0, 6900.0, 7.0), np.arange(33000.0, 34300.0, 11.0),
                              indexing="ij")
    fast = radar_to_ground(dem, product.orbit, product.radar_grid, lines, cols)
    general = radar_to_ground(dem, product.orbit, product.radar_grid, lines.T, cols.T)
    ok = fast[2] & general[2].reshape(lines.T.shape).T.ravel()
    assert ok.mean() > 0.95
    xyz_general = general[0].reshape(lines.T.shape + (3,)).transpose(1, 0, 2).reshape(-1, 3)
    # both stop within 1 mm of the DEM height: the points differ by at most a few mm along the range circle
    assert np.abs(fast[0][ok] - xyz_general[ok]).max() < 0.005


def test_ground_table_agrees_with_the_per_pixel_solver(rome):
    """The DEM projection's block solver (dinsar.geometry.ground: table of the range circle, Newton per
    pixel) on the Rome DEM and the IW1 orbit: same ground points as the per-pixel solver (both stop
    within 1 mm of the DEM height, so a few mm apart along the circle), each on its pixel's
    range-Doppler circle to 1e-4 px and on the DEM to the 1 mm tolerance. At the DEM's edge Newton
    from the neighbour resolves a few pixels (0.04 %) whose bisection between the DEM's extremes
    leaves the DEM; they pass the same checks."""
    from dinsar.geometry.ground import ground_block

    product, dem = rome
    first, n, c0, width = 6550, 300, 33000, 1300
    xyz, h = ground_block(dem, product.orbit, product.radar_grid, first, n, c0 + width)
    xyz, h = xyz[:, :, c0:].reshape(3, -1).T, h[:, c0:].ravel()
    lines, cols = np.mgrid[first:first + n, c0:c0 + width].astype(float)
    ref_xyz, ref_h, ref_ok = radar_to_ground(dem, product.orbit, product.radar_grid, lines, cols)
    ok = np.isfinite(h)
    assert np.all(ok[ref_ok]) and ref_ok.mean() > 0.9 and (ok & ~ref_ok).mean() < 1e-3
    assert np.abs(h[ref_ok] - ref_h[ref_ok]).max() < 0.005
    assert np.linalg.norm(xyz[ref_ok] - ref_xyz[ref_ok], axis=1).max() < 0.01
    _assert_seen_there_on_the_dem(product, dem, xyz[ok], h[ok], lines.ravel()[ok], cols.ravel()[ok])
