"""GLO-30 tiles, GLO-90 fill and open ocean, decided by the buckets' tile lists, through a fake session
serving files written here (tiles with heights on known planes): a missing land tile never becomes 0 m."""

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from dinsar.catalogue.dem import fetch_dem, parse_tile_list, tile_name
from dinsar.catalogue.provider import CatalogueError

G30, G90 = "http://glo30.test", "http://glo90.test"
P = 1 / 3600  # the output posting


class Response:
    def __init__(self, body):
        self.status_code, self.content = (body, b"") if isinstance(body, int) else (200, body)


class Session:
    """url -> bytes (200) or an HTTP status; every other url answers 404, as the buckets do."""

    def __init__(self, files):
        self.files, self.calls = files, []

    def get(self, url, params=None, timeout=None, **kw):
        self.calls.append(url)
        return Response(self.files.get(url, 404))


def plane30(lon, lat):
    return (200.0 + 300.0 * (lon - 43.0) + 100.0 * (lat - 40.0)).astype(np.float32)


def plane90(lon, lat):  # another surface, 1 km up: whatever shows there came from the GLO-90 tile
    return (1500.0 + 200.0 * (lon - 44.0) - 150.0 * (lat - 40.0)).astype(np.float32)


def write_tile(path, lat, lon, plane, n, hole=None):
    """A 1°x1° GeoTIFF of n x n pixels (pixel centres from the corner); `hole` (rows, cols) left as nodata."""
    step = 1.0 / n
    lons = lon + (np.arange(n) + 0.5) * step
    lats = lat + 1 - (np.arange(n) + 0.5) * step
    h = plane(lons[None, :], lats[:, None])
    if hole is not None:
        h[hole] = -32767.0
    with rasterio.open(path, "w", driver="GTiff", height=n, width=n, count=1, dtype="float32", crs="EPSG:4326",
                       transform=from_origin(lon, lat + 1, step, step), nodata=-32767.0) as w:
        w.write(h, 1)
    return path.read_bytes()


def buckets(tmp_path, glo30, glo90=(), list30=None, list90=None, **tile_kw):
    """The two buckets: tiles `glo30` (heights plane30, 1'), `glo90` (plane90, 2'), and their tile lists
    (by default the tiles each serves)."""
    files = {}
    for lat, lon in glo30:
        name = tile_name(lat, lon)
        files[f"{G30}/{name}/{name}.tif"] = write_tile(tmp_path / f"{name}.tif", lat, lon, plane30, 60, **tile_kw)
    for lat, lon in glo90:
        name = tile_name(lat, lon, "GLO-90")
        files[f"{G90}/{name}/{name}.tif"] = write_tile(tmp_path / f"{name}.tif", lat, lon, plane90, 30)
    for base, dataset, listed in ((G30, "GLO-30", glo30 if list30 is None else list30),
                                  (G90, "GLO-90", glo90 if list90 is None else list90)):
        text = "".join(f"{tile_name(lat, lon, dataset)}\n" for lat, lon in [*listed, (-60, -170)])
        (tmp_path / f"{dataset}.txt").write_text(text)
        files[f"{base}/tileList.txt"] = (tmp_path / f"{dataset}.txt").read_bytes()
    return Session(files)


def fetch(tmp_path, session, bounds=(43.9, 40.4, 44.1, 40.6), dst="dem.tif"):
    return fetch_dem(bounds, tmp_path / dst, cache=tmp_path / "cache", url=G30, glo90_url=G90, session=session,
                     margin_deg=0.0)


def grid(bounds=(43.9, 40.4, 44.1, 40.6)):
    """lon, lat of the output pixel centres, from the bounds and the 1" posting alone."""
    w, s, e, n = bounds
    lon = w + (np.arange(round((e - w) / P)) + 0.5) * P
    lat = n - (np.arange(round((n - s) / P)) + 0.5) * P
    return np.meshgrid(lon, lat)


def test_tile_list_names():
    text = "Copernicus_DSM_COG_10_N40_00_E044_00_DEM\nCopernicus_DSM_COG_30_S01_00_W071_00_DEM.tif\n\njunk\n"
    assert parse_tile_list(text) == {(40, 44), (-1, -71)}


def test_missing_land_tile_is_filled_from_glo90(tmp_path):
    # (40, 44) is absent from GLO-30 and its list (as over Armenia), present in GLO-90
    session = buckets(tmp_path, glo30=[(40, 43)], glo90=[(40, 43), (40, 44)])
    with rasterio.open(fetch(tmp_path, session)) as src:
        h, tags = src.read(1), src.tags()
        assert src.bounds.left == pytest.approx(43.9) and src.bounds.top == pytest.approx(40.6)
    lon, lat = grid()
    assert h.shape == lon.shape and np.isfinite(h).all()
    gap, seam = lon > 44.0, np.abs(lon - 44.0) < 0.04  # bilinear is exact on a plane a pixel off the edges
    np.testing.assert_allclose(h[gap & ~seam], plane90(lon, lat)[gap & ~seam], atol=1e-3)
    np.testing.assert_allclose(h[~gap & ~seam], plane30(lon, lat)[~gap & ~seam], atol=1e-3)
    assert h[gap].min() > 1400.0  # nowhere near sea level
    assert tags["GLO90_FILL"] == f"{tile_name(40, 44, 'GLO-90')}.tif"
    assert tile_name(40, 43, "GLO-90") not in tags["TILES"]  # GLO-30 where it has the tile
    n = len(session.calls)
    fetch(tmp_path, session, dst="again.tif")
    assert len(session.calls) == n  # tiles and lists from the cache


def test_ocean_tile_is_sea_level(tmp_path):
    session = buckets(tmp_path, glo30=[(40, 43)])  # (40, 44): in neither list, open sea
    with rasterio.open(fetch(tmp_path, session)) as src:
        h = src.read(1)
    lon, lat = grid()
    sea = lon > 44.0 + 1 / 60  # beyond the land tile's last pixel
    assert sea.any() and np.all(h[sea] == 0.0)
    inner = (lon < 44.0 - 0.02)
    np.testing.assert_allclose(h[inner], plane30(lon, lat)[inner], atol=1e-3)


def test_listed_tile_that_cannot_be_fetched_is_an_error(tmp_path):
    session = buckets(tmp_path, glo30=[(40, 43)], list30=[(40, 43), (40, 44)])  # listed, not served
    name = tile_name(40, 44)
    with pytest.raises(CatalogueError) as e:
        fetch(tmp_path, session)
    msg = str(e.value)
    assert "\n" not in msg and name in msg and f"{G30}/{name}/{name}.tif" in msg and "HTTP 404" in msg
    assert not (tmp_path / "dem.tif").exists()
    session = buckets(tmp_path, glo30=[(40, 43)], list90=[(40, 44)])  # a GLO-90 fill that is not served
    with pytest.raises(CatalogueError, match=rf"GLO-90 tile {tile_name(40, 44, 'GLO-90')} .* HTTP 404"):
        fetch_dem((43.9, 40.4, 44.1, 40.6), tmp_path / "dem.tif", cache=tmp_path / "c2", url=G30, glo90_url=G90,
                  session=session, margin_deg=0.0)


def test_unreachable_tile_list_is_an_error_not_sea(tmp_path):
    session = buckets(tmp_path, glo30=[(40, 43)])
    del session.files[f"{G30}/tileList.txt"]
    with pytest.raises(CatalogueError, match=r"tile list unreachable \(HTTP 404\).*cannot tell open ocean"):
        fetch(tmp_path, session)
    session.files[f"{G30}/tileList.txt"] = b"<html>maintenance</html>"  # not a list: refused, not kept
    with pytest.raises(CatalogueError, match=r"no tile name in the GLO-30 tile list"):
        fetch(tmp_path, session)
    assert not (tmp_path / "cache" / "dem" / "glo30" / "tileList.txt").exists()


def test_nodata_in_a_land_tile_stays_nodata(tmp_path):
    hole = (slice(20, 30), slice(5, 15))  # 10 x 10 source pixels of the 60 x 60 tile
    session = buckets(tmp_path, glo30=[(40, 43)], hole=hole)
    bounds = (43.0, 40.0, 43.5, 40.7)
    with rasterio.open(fetch(tmp_path, session, bounds)) as src:
        h = src.read(1)
        assert np.isnan(src.nodata)
    lon, lat = grid(bounds)
    inside = (lon > 43 + 6 / 60) & (lon < 43 + 14 / 60) & (lat < 41 - 21 / 60) & (lat > 41 - 29 / 60)
    assert inside.any() and np.isnan(h[inside]).all()  # to be filled and flagged downstream, not 0 m
    away = ~((lon > 43 + 4 / 60) & (lon < 43 + 16 / 60) & (lat < 41 - 19 / 60) & (lat > 41 - 31 / 60))
    away &= (lon > 43.02) & (lat > 40.02)
    np.testing.assert_allclose(h[away], plane30(lon, lat)[away], atol=1e-3)
