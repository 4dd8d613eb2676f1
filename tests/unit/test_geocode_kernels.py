"""Geocoding's per-node geometry on a real Sentinel-1 StripMap product (its annotation orbit): the LOS
unit-vector kernel against the plain-numpy formula, and the times radar_coordinates hands it."""

import numpy as np

from dinsar.geometry.ellipsoid import geodetic_to_ecef
from dinsar.geometry.radar import geo2rdr
from dinsar.interferometry.geocode import los_enu
from dinsar.sensors.sentinel1 import open_product
from tests.conftest import S3_SAFE


def _los_enu_numpy(product, xyz, lon, lat):
    """The satellite at each point's zero-Doppler time minus the point, normalised, in the local
    east/north/up frame of the geodetic lon/lat."""
    t, _ = geo2rdr(product.orbit, product.radar_grid, xyz)
    ok = np.isfinite(t)
    sat = np.full_like(xyz, np.nan)
    sat[ok] = product.orbit.interpolate(t[ok])[0]
    v = sat - xyz
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    lo, la = np.radians(lon), np.radians(lat)
    east = np.stack([-np.sin(lo), np.cos(lo), np.zeros_like(lo)], -1)
    north = np.stack([-np.sin(la) * np.cos(lo), -np.sin(la) * np.sin(lo), np.cos(la)], -1)
    up = np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], -1)
    return np.stack([np.sum(v * east, 1), np.sum(v * north, 1), np.sum(v * up, 1)])


def test_los_enu_kernel_matches_numpy():
    p = open_product(S3_SAFE, polarisation="VH")  # the one measurement this crop holds
    g = p.footprint  # the annotation's geolocation grid: ground points the orbit sees
    rng = np.random.default_rng(3)
    k = rng.integers(0, len(g), 5000)
    lon = np.asarray(g.longitude, float)[k] + rng.normal(0, 1e-3, k.size)
    lat = np.asarray(g.latitude, float)[k] + rng.normal(0, 1e-3, k.size)
    h = rng.uniform(-50, 3000, k.size)
    xyz = geodetic_to_ecef(lon, lat, h)
    lon[:3] = lat[:3] = 0.0  # far from the track: geo2rdr gives NaN there, and so must the kernel
    xyz[:3] = geodetic_to_ecef(lon[:3], lat[:3], h[:3])
    want = _los_enu_numpy(p, xyz, lon, lat)
    got = los_enu(p, xyz, lon, lat)
    assert np.isnan(want[:, :3]).all() and np.isnan(got[:, :3]).all()
    np.testing.assert_allclose(got[:, 3:], want[:, 3:], atol=1e-12)  # the same formula in float64
    np.testing.assert_allclose(np.linalg.norm(got[:, 3:], axis=0), 1.0, atol=1e-12)
    t, _ = geo2rdr(p.orbit, p.radar_grid, xyz)
    np.testing.assert_array_equal(los_enu(p, xyz, lon, lat, t), got)  # given times: the same vectors


def test_bilinear_many_matches_scipy_in_float32_and_float64():
    from scipy.ndimage import map_coordinates

    from dinsar.interferometry.geocode import bilinear_many

    rng = np.random.default_rng(4)
    rasters = rng.normal(size=(3, 40, 57))
    y = rng.uniform(-2, 41, 3000)
    x = rng.uniform(-2, 58, 3000)
    inside = (y >= 0) & (y <= 39) & (x >= 0) & (x <= 56)
    want = np.stack([map_coordinates(r, [y[inside], x[inside]], order=1) for r in rasters])
    for dtype, atol in ((np.float64, 1e-12), (np.float32, 1e-6)):  # float32: its samples' rounding only
        got = bilinear_many(rasters.astype(dtype), y, x)
        assert np.isnan(got[:, ~inside]).all()
        np.testing.assert_allclose(got[:, inside], want, rtol=0, atol=atol)


def test_geocode_row_cache_reads_each_row_once_either_way():
    from dinsar.steps.geocode import _RowCache

    full = np.arange(2 * 100 * 7, dtype=np.float32).reshape(2, 100, 7)
    for windows in ([(0, 30), (20, 55), (50, 80), (79, 100)], [(70, 100), (45, 80), (10, 50), (0, 12)],
                    [(0, 10), (40, 60), (41, 59)]):
        reads = []

        def read(first, last, reads=reads):
            reads.append((first, last))
            return full[:, first:last].copy()

        cache = _RowCache(read)
        for first, last in windows:
            np.testing.assert_array_equal(cache.get(first, last), full[:, first:last])
        # every row read at most once, within the windows asked for
        rows = np.concatenate([np.arange(a, b) for a, b in reads])
        assert rows.size == np.unique(rows).size
