"""Geocoding's coarse-grid radar coordinates (dinsar.interferometry.geocode_grid) against the exact per-node
solution (geo2rdr and the LOS kernel at every node), on a real Sentinel-1 StripMap product (its annotation
orbit) over rough synthetic terrain: the interpolation in lon/lat and in height must not be seen."""

import numpy as np
import rasterio
from rasterio.crs import CRS

from dinsar.geometry.dem import Dem
from dinsar.geometry.multilook import MultilookGrid
from dinsar.interferometry.geocode import los_enu, radar_coordinates
from dinsar.interferometry.geocode_grid import COARSE, radar_coordinates_block
from dinsar.sensors.sentinel1 import open_product
from tests.conftest import S3_SAFE


def _rough_dem(lon0, lat0, size_deg: float) -> Dem:
    """Heights from -50 to ~3000 m varying over a few hundred metres (a volcano's flank and gullies), and a
    hole (no data)."""
    n = 1200
    step = size_deg / n
    yy, xx = np.mgrid[0:n, 0:n]
    height = (1500 + 1400 * np.sin(xx / 37.0) * np.cos(yy / 23.0) + 150 * np.sin(xx / 3.1 + yy / 4.3)).astype(float)
    height[600:640, 560:640] = np.nan
    transform = rasterio.Affine(step, 0, lon0 - size_deg / 2, 0, -step, lat0 + size_deg / 2)
    return Dem(height, transform, CRS.from_epsg(4979), np.zeros_like(height, dtype=bool), "synthetic")


def test_coarse_grid_matches_the_exact_solution_node_by_node():
    p = open_product(S3_SAFE, polarisation="VH")
    g = p.footprint
    lon0, lat0 = float(np.mean(g.longitude)), float(np.mean(g.latitude))
    dem = _rough_dem(lon0, lat0, 0.2)
    ml = MultilookGrid((3, 3), p.shape)
    posting = 1.5e-4  # ~15 m: 3 × 3 looks of this product
    ny, nx = 7 * COARSE + 5, 25 * COARSE + 3  # partial last coarse cells in both directions
    rows, cols = np.mgrid[0:ny, 0:nx]
    lon = lon0 - nx / 2 * posting + (cols + 0.5) * posting
    lat = lat0 + ny / 2 * posting - (rows + 0.5) * posting
    line, col, enu = radar_coordinates_block(p, dem, lon, lat, ml)
    y, x, xyz, t = radar_coordinates(p, dem, lon, lat, ml)
    want_enu = los_enu(p, xyz, lon.ravel(), lat.ravel(), t)
    assert np.array_equal(np.isfinite(line), np.isfinite(y)) and np.isnan(y).sum() > 100  # the DEM's hole
    ok = np.isfinite(y)
    # the ~4 km block spans ~2900 m of height: 3.6e-4 px measured at most (1e-3 px is ~1.2 cm on the ground,
    # where the LOS field changes over kilometres); on a flat block the height term is exact
    assert np.abs(line - y)[ok].max() < 1e-3
    assert np.abs(col - x)[ok].max() < 1e-3
    assert np.abs(enu - want_enu)[:, ok].max() < 1e-7
    np.testing.assert_allclose(np.linalg.norm(enu[:, ok], axis=0), 1.0, atol=1e-12)
