"""Shadow, layover and simulated amplitude on an analytic DEM, where geometry says what to expect.

The DEM (ellipsoidal heights, 4 m posting) is flat with a 300 m plateau: a 45° slope
facing the sensor (steeper than the ~30° incidence: layover) and a 70° slope facing
away (steeper than 90° - 30°: shadow). Expected slant-range spans come from geo2rdr of
the slope edges, not from the simulation code:
- layover: from the plateau's near edge (top of the foreslope) to the foreslope's foot;
- shadow: from the top of the backslope over H / cos(incidence) of slant range (the
  grazing ray through the edge meets flat ground there).
"""

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from dinsar.geometry import dem as dem_mod
from dinsar.geometry.terrain import simulate_lines
from dinsar.sensors.sentinel1 import open_product

H = 300.0
SIZE = (64, 1024)


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    from dinsar.simulate.speckle import write_demo_product

    tmp = tmp_path_factory.mktemp("terrain")
    product = open_product(write_demo_product(tmp, SIZE, seed=3), "VV")
    mid = SIZE[0] / 2
    lon0, lat0, _ = product.rdr2geo(mid, 0.0, 0.0)
    m_per_deg_lon = 111_320.0 * np.cos(np.radians(lat0))
    # ground distances east of the near edge (m) of the slope edges
    x_foot1, x_top1, x_top2 = 1200.0, 1200.0 + H, 3000.0
    x_foot2 = x_top2 + H / np.tan(np.radians(70.0))
    step = 4.0 / 111_320.0
    west, north = float(lon0) - 0.02, float(lat0) + 0.04
    nx, ny = int(0.09 / step), int(0.08 / step)
    lons = west + (np.arange(nx) + 0.5) * step
    x = (lons - lon0) * m_per_deg_lon
    # edges on DEM sample centres, so that bilinear interpolation keeps the kinks sharp there
    edges_x = [float(x[np.argmin(np.abs(x - e))]) for e in (x_foot1, x_top1, x_top2, x_foot2)]
    x_foot1, x_top1, x_top2, x_foot2 = edges_x
    profile = np.interp(x, edges_x, [0.0, H, H, 0.0], left=0.0, right=0.0)
    path = tmp / "ramps.tif"
    with rasterio.open(path, "w", driver="GTiff", height=ny, width=nx, count=1, dtype="float32",
                       crs="EPSG:4979", transform=from_origin(west, north, step, step)) as dst:
        dst.write(np.tile(profile.astype(np.float32), (ny, 1)), 1)
    g = product.annotation.geolocation_grid
    dem = dem_mod.load_for_scene(path, (g.longitude.min(), g.latitude.min(), g.longitude.max(),
                                        g.latitude.max()), margin_deg=0.005)
    edges = {k: float(lon0 + v / m_per_deg_lon) for k, v in
             dict(foot1=x_foot1, top1=x_top1, top2=x_top2, foot2=x_foot2).items()}
    return product, dem, edges


def _col_at_line(product, lon, h, line):
    """Column of the DEM edge (a north-south line at `lon`, height h) on image line `line`."""
    lats = np.linspace(-21.4, -21.1, 4001)
    lines, cols = product.geo2rdr(np.full_like(lats, lon), lats, np.full_like(lats, h))
    return float(np.interp(line, lines, cols))


@pytest.mark.parametrize("line", [0, SIZE[0] // 2, SIZE[0] - 1])
def test_shadow_and_layover_where_geometry_says(scene, line):
    product, dem, edges = scene
    amp, shadow, layover = simulate_lines(dem, product.orbit, product.radar_grid, line, 1, SIZE[1])
    lay_expected = (_col_at_line(product, edges["top1"], H, line),
                    _col_at_line(product, edges["foot1"], 0, line))
    assert lay_expected[0] < lay_expected[1]  # the plateau edge comes back before the foot
    cols = np.flatnonzero(layover[0])
    # tolerance 1 px: a pixel is flagged when its centre is inside the span
    assert cols.min() == pytest.approx(lay_expected[0], abs=1.0)
    assert cols.max() == pytest.approx(lay_expected[1], abs=1.0)
    assert len(cols) == cols.max() - cols.min() + 1  # one contiguous span
    c_top = _col_at_line(product, edges["top2"], H, line)
    inc = np.radians(product.annotation.incidence_angle_mid_deg)
    c_end = c_top + H / np.cos(inc) / product.annotation.range_spacing_m
    cols = np.flatnonzero(shadow[0])
    assert cols.min() == pytest.approx(c_top, abs=1.0)
    # + 0.5 px: the flat-earth H / cos θ ignores the ~0.1° change of incidence across the span
    assert cols.max() == pytest.approx(c_end, abs=1.5)
    assert len(cols) == cols.max() - cols.min() + 1
    assert not (shadow & layover).any()


def test_simulated_amplitude_follows_the_local_incidence(scene):
    product, dem, edges = scene
    amp, shadow, layover = simulate_lines(dem, product.orbit, product.radar_grid, 0, 8, SIZE[1])
    line = 4
    a = amp[line]
    flat_near = np.median(a[50:200])
    c_lay0 = int(np.flatnonzero(layover[line]).min())
    c_top = _col_at_line(product, edges["top2"], H, line)
    plateau = np.median(a[int(np.flatnonzero(layover[line]).max()) + 10:int(c_top) - 10])
    assert plateau == pytest.approx(flat_near, rel=0.05)  # both horizontal
    assert a[np.flatnonzero(layover[line])].mean() > 1.5 * flat_near  # several slopes and a foreslope
    inside = np.flatnonzero(shadow[line])[1:-1]  # edge pixels also get echoes from the lit side
    assert np.all(a[inside] == 0)
    assert c_lay0 > 200
    # flat ground: intensity per pixel = cos(incidence) × ground length of a pixel
    # = cos θ · spacing / sin θ (θ the local incidence on flat ground)
    inc = np.radians(product.annotation.geolocation_grid.incidence_angle.mean())
    expected = np.sqrt(np.cos(inc) * product.annotation.range_spacing_m / np.sin(inc))
    assert flat_near == pytest.approx(expected, rel=0.03)


def test_masks_match_a_numpy_reference(scene):
    """The kernel's masks against a plain-numpy twin on the same profile points."""
    from dinsar.geometry.radar import C
    from dinsar.geometry.terrain import profile_points

    product, dem, _ = scene
    orbit, grid = product.orbit, product.radar_grid
    t, xyz = profile_points(dem, orbit, grid, 10, 3, SIZE[1])
    _, shadow, layover = simulate_lines(dem, orbit, grid, 10, 3, SIZE[1])
    pos, vel, _ = orbit.interpolate(t)
    for i in range(3):
        vh = vel[i] / np.linalg.norm(vel[i])
        d = xyz[i] - pos[i]
        d -= np.outer(d @ vh, vh)
        up = pos[i] - (pos[i] @ vh) * vh
        up /= np.linalg.norm(up)
        rng = np.linalg.norm(d, axis=1)
        theta = np.arccos(-(d @ up) / rng)
        hidden = theta < np.maximum.accumulate(np.concatenate([[-1.0], theta[:-1]]))
        lay = (rng < np.maximum.accumulate(np.concatenate([[-1.0], rng[:-1]]))) | \
            (rng > np.minimum.accumulate(np.concatenate([rng[1:], [np.inf]])[::-1])[::-1])
        col = (2 * rng / C - grid.near_range_time_s) * grid.range_sampling_rate_hz
        ref_sh = np.zeros(SIZE[1], np.uint8)
        ref_lay = np.zeros(SIZE[1], np.uint8)
        for k in range(len(col) - 1):
            lo, hi = sorted((col[k], col[k + 1]))
            span = slice(max(0, int(np.ceil(lo))), min(SIZE[1] - 1, int(np.floor(hi))) + 1)
            if hidden[k] or hidden[k + 1]:
                ref_sh[span] = 1
            elif lay[k] and lay[k + 1]:
                ref_lay[span] = 1
        np.testing.assert_array_equal(shadow[i], ref_sh)
        np.testing.assert_array_equal(layover[i], ref_lay)
