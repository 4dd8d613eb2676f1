"""Orbit interpolation, ellipsoid and geo2rdr / rdr2geo against real Sentinel-1 files.

Reference: each annotation's geolocation grid (ESA's processor) and the figures of
../shared/data/README.md. Tolerances: range 0.01 px median / 0.05 px max (issue); IW
azimuth the same against the grid's azimuthTime; StripMap azimuth is the README's
constant 0.234-line offset of the grid times ± 0.02 lines, reported, not corrected.
"""

import numpy as np
import pytest
from pyproj import Transformer

from dinsar.errors import ProductError
from dinsar.geometry.ellipsoid import ecef_to_geodetic, geodetic_to_ecef
from dinsar.geometry.orbit import Orbit
from dinsar.io.annotation import parse_annotation
from dinsar.io.eof import read_eof
from dinsar.io.statevectors import StateVectors
from dinsar.sensors.sentinel1 import open_product
from tests.conftest import AZORES_EOF, AZORES_XML, ROME_SAFE, S3_SAFE


def test_ellipsoid_matches_proj():
    rng = np.random.default_rng(1)
    lon, lat, h = rng.uniform(-180, 180, 5000), rng.uniform(-89.9, 89.9, 5000), rng.uniform(-500, 9e5, 5000)
    ref = np.stack(Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True).transform(lon, lat, h), -1)
    xyz = geodetic_to_ecef(lon, lat, h)
    np.testing.assert_allclose(xyz, ref, rtol=0, atol=1e-6)
    back = ecef_to_geodetic(xyz)
    np.testing.assert_allclose(back[0], lon, atol=1e-10)
    np.testing.assert_allclose(back[1], lat, atol=1e-10)
    np.testing.assert_allclose(back[2], h, atol=1e-6)


def test_near_ground_closed_form_matches_proj():
    """Bowring's one-step form, used by the DEM solvers: exact to < 1e-6 m for -1 km < h < 10 km."""
    from dinsar.geometry.ellipsoid import xyz_to_llh_surface

    rng = np.random.default_rng(2)
    lon, lat, h = rng.uniform(-180, 180, 20000), rng.uniform(-89.9, 89.9, 20000), rng.uniform(-1e3, 1e4, 20000)
    xyz = np.stack(Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True).transform(lon, lat, h), -1)
    out = np.array([xyz_to_llh_surface(*p) for p in xyz])
    ref = np.stack(Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True).transform(*xyz.T), -1)
    np.testing.assert_allclose(out[:, 0], ref[:, 0], atol=1e-11)
    np.testing.assert_allclose(out[:, 1], ref[:, 1], atol=1e-11)  # 1e-11 deg = 1.1e-6 m
    np.testing.assert_allclose(out[:, 2], ref[:, 2], atol=1e-6)


def test_orbit_interpolates_the_eof_at_the_annotation_times():
    """The annotation's vectors are the same restituted orbit sampled 131 µs off the EOF
    nodes: interpolating the EOF there must give them to a few cm and 0.1 mm/s."""
    ann = parse_annotation(AZORES_XML.read_bytes(), str(AZORES_XML)).state_vectors
    eof = read_eof(AZORES_EOF)
    orbit = Orbit(eof.subset(ann.time[0], ann.time[-1], 120))
    pos, vel, acc = orbit.interpolate(orbit.seconds(ann.time))
    assert np.abs(pos - ann.position).max() < 0.03
    assert np.abs(vel - ann.velocity).max() < 1e-4
    g = np.linalg.norm(acc, axis=1)
    assert np.all((7.8 < g) & (g < 8.4))  # gravity at ~700 km altitude, m/s²


def test_orbit_leave_one_out_on_stripmap_annotation():
    sv = parse_annotation(next((S3_SAFE / "annotation").glob("*.xml")).read_bytes(), "s3").state_vectors
    for k in range(4, len(sv) - 4):
        keep = np.arange(len(sv)) != k
        orbit = Orbit(StateVectors(sv.time[keep], sv.position[keep], sv.velocity[keep], "s3"))
        pos, vel, _ = orbit.interpolate(orbit.seconds(sv.time[k:k + 1]))
        # over a 20 s gap: centimetres in position; the annotated velocities disagree with
        # the derivative of the positions at ~1 cm/s (README), so that is the velocity bound
        assert np.abs(pos[0] - sv.position[k]).max() < 0.05
        assert np.abs(vel[0] - sv.velocity[k]).max() < 0.02


def test_orbit_refuses_to_extrapolate():
    sv = read_eof(AZORES_EOF)
    orbit = Orbit(sv.subset(sv.time[100], sv.time[110], 0))
    lo, hi = orbit.span
    orbit.interpolate([lo, hi])
    with pytest.raises(ProductError, match="is outside the orbit .* no extrapolation"):
        orbit.interpolate([hi + 1.0])


def _grid_residuals(product):
    a = product.annotation
    g = a.geolocation_grid
    line, col = product.geo2rdr(g.longitude, g.latitude, g.height)
    seconds = (g.azimuth_time - a.first_line_time) / np.timedelta64(1, "ns") * 1e-9
    grid_line = seconds / a.azimuth_time_interval_s
    return line - grid_line, col - g.pixel, grid_line


PRODUCTS = {
    "s3_stripmap": lambda: open_product(S3_SAFE, "VH"),
    "rome_iw1": lambda: open_product(ROME_SAFE, "VV"),
}


@pytest.mark.parametrize("name", list(PRODUCTS))
def test_geo2rdr_against_the_geolocation_grid(name):
    product = PRODUCTS[name]()
    d_line, d_col, _ = _grid_residuals(product)
    assert np.median(np.abs(d_col)) < 0.01 and np.abs(d_col).max() < 0.05
    if name == "s3_stripmap":
        # README: the S3 grid's azimuth times sit a constant 0.234 lines off zero Doppler
        assert np.median(d_line) == pytest.approx(0.234, abs=0.02)
        assert d_line.std() < 0.02
    else:
        assert np.median(np.abs(d_line)) < 0.01 and np.abs(d_line).max() < 0.05


def test_geo2rdr_with_the_eof_orbit_on_iw3():
    """Azores IW3 annotation with its restituted orbit file (the annotation is not a SAFE
    here, so the grid is built by hand from the same reader and the EOF)."""
    from dinsar.geometry.radar import C, RadarGrid, geo2rdr

    a = parse_annotation(AZORES_XML.read_bytes(), str(AZORES_XML))
    orbit = Orbit(read_eof(AZORES_EOF).subset(a.first_line_time, a.last_line_time, 60))
    grid = RadarGrid(float(orbit.seconds(a.first_line_time)), a.azimuth_time_interval_s,
                     a.slant_range_time_s, a.range_sampling_rate_hz, a.wavelength_m)
    g = a.geolocation_grid
    t, r = geo2rdr(orbit, grid, geodetic_to_ecef(g.longitude, g.latitude, g.height))
    d_line = (t - orbit.seconds(g.azimuth_time)) / a.azimuth_time_interval_s
    d_col = (2 * r / C - a.slant_range_time_s) * a.range_sampling_rate_hz - g.pixel
    assert np.median(np.abs(d_col)) < 0.01 and np.abs(d_col).max() < 0.05
    assert np.median(np.abs(d_line)) < 0.01 and np.abs(d_line).max() < 0.05


@pytest.mark.parametrize("name", list(PRODUCTS))
def test_rdr2geo_round_trip_and_grid(name):
    product = PRODUCTS[name]()
    g = product.annotation.geolocation_grid
    line, col = product.geo2rdr(g.longitude, g.latitude, g.height)
    lon, lat, h = product.rdr2geo(line, col, g.height)
    truth = geodetic_to_ecef(g.longitude, g.latitude, g.height)
    dist = np.linalg.norm(geodetic_to_ecef(lon, lat, h) - truth, axis=1)
    assert dist.max() < 0.1  # issue tolerance: back within 0.1 m
    np.testing.assert_allclose(h, g.height, atol=1e-3)
    _, _, grid_line = _grid_residuals(product)
    lon2, lat2, h2 = product.rdr2geo(grid_line, g.pixel, g.height)
    dist2 = np.linalg.norm(geodetic_to_ecef(lon2, lat2, h2) - truth, axis=1)
    if name == "s3_stripmap":  # the 0.234-line grid offset is ~0.83 m along track
        spacing = product.annotation.azimuth_pixel_spacing_m
        assert np.median(dist2) == pytest.approx(0.234 * spacing, abs=0.02 * spacing)
    else:
        assert np.median(dist2) < 0.1


def test_geo2rdr_of_a_point_outside_the_orbit_is_nan():
    product = open_product(ROME_SAFE, "VV")
    line, col = product.geo2rdr(np.array([12.5, -120.0]), np.array([42.0, 40.0]), np.array([0.0, 0.0]))
    assert np.isfinite(line[0]) and np.isnan(line[1]) and np.isnan(col[1])
