"""Orbit files from the CDSE catalogue and GLO-30 DEM tiles, fetched through the cache, against the
loopback server (records in the recorded OData schema; tiles written here)."""

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from dinsar.catalogue import http, providers
from dinsar.catalogue.dem import fetch_dem, tile_name, tiles_for
from dinsar.catalogue.orbits import fetch_orbit, sensing
from dinsar.catalogue.providers import CatalogueError
from dinsar.io.eof import read_eof
from tests.catalogue.server import Server, guard_loopback
from tests.conftest import AZORES_EOF

# the Azores orbit covers 2022-09-18 05:31:55 .. 08:49:25
PRODUCT = "S1A_IW_SLC__1SDV_20220918T074921_20220918T074946_045056_056232_0063"
RESORB = AZORES_EOF.name
POEORB = "S1A_OPER_AUX_POEORB_OPOD_20221008T081542_V20220917T225942_20220919T005942.EOF"
EMPTY_LISTING = (b'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult '
                 b'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>s1-orbits</Name>'
                 b'<IsTruncated>false</IsTruncated></ListBucketResult>')


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    guard_loopback(monkeypatch)


@pytest.fixture
def cdse(monkeypatch):
    with Server() as server:
        monkeypatch.setenv("DINSAR_CDSE_USERNAME", "me")
        monkeypatch.setenv("DINSAR_CDSE_PASSWORD", server.state.password)
        # the no-account bucket, asked after CDSE when there are credentials: here it lists nothing
        server.add_file("/s1-orbits/", EMPTY_LISTING)
        monkeypatch.setenv("DINSAR_ORBIT_BUCKET_URL", f"{server.url}/s1-orbits")
        yield server, providers.Cdse(http.session(backoff=0.05), server.url, identity_url=server.url,
                                     download_url=server.url)


def test_sensing_from_the_name():
    mission, start, stop = sensing(PRODUCT + ".SAFE")
    assert mission == "S1A" and str(start) == "2022-09-18T07:49:21.000000000" and (stop - start).item() == 25e9


def test_precise_before_restituted_then_cached(cdse, tmp_path):
    server, provider = cdse
    data = AZORES_EOF.read_bytes()
    server.add_orbit(RESORB, data)
    server.add_orbit(POEORB, data)  # same vectors, precise name: preferred
    path = fetch_orbit(PRODUCT, tmp_path, provider)
    assert path.name == POEORB and path.read_bytes() == data  # unzipped from the download
    assert len(read_eof(path).time) == len(read_eof(AZORES_EOF).time)
    queries = [r[1] for r in server.state.requests if r[1].startswith("/odata/v1/Products?")]
    assert len(queries) == 1 and "AUX_POEORB" in queries[0]
    n = len(server.state.requests)
    assert fetch_orbit(PRODUCT, tmp_path, provider) == path
    assert len(server.state.requests) == n  # from the cache: no request at all
    assert not list((tmp_path / "orbits" / "downloads").glob("*"))  # the zip is not kept


def test_restituted_when_no_precise(cdse, tmp_path):
    server, provider = cdse
    server.add_orbit(RESORB, AZORES_EOF.read_bytes(), zipped=False)
    path = fetch_orbit(PRODUCT, tmp_path, provider)
    assert path.name == RESORB
    kinds = [k for r in server.state.requests for k in ("AUX_POEORB", "AUX_RESORB")
             if k in r[1] and r[1].startswith("/odata/")]
    assert kinds == ["AUX_POEORB", "AUX_RESORB"]


def test_no_orbit_and_bad_orbit(cdse, tmp_path):
    server, provider = cdse
    late = PRODUCT.replace("20220918T0749", "20220918T0849")  # beyond the orbit's validity + 60 s
    server.add_orbit(RESORB, AZORES_EOF.read_bytes())
    with pytest.raises(CatalogueError, match=r"^no S1A orbit file \(precise or restituted\) covers S1A_IW.* "
                                             r"on cdse or s1-orbits$"):
        fetch_orbit(late, tmp_path, provider)
    server.state.orbits.clear()
    server.add_orbit(POEORB, b"<html>maintenance</html>")
    with pytest.raises(CatalogueError, match=r"the downloaded orbit file is not usable"):
        fetch_orbit(PRODUCT, tmp_path / "other", provider)
    assert not list((tmp_path / "other" / "orbits").glob("*.EOF"))


def _plane(lon, lat):
    return (100.0 + 500.0 * (lon - 55.0) + 300.0 * (lat + 22.0)).astype(np.float32)


def _tile(lat, lon, n=180):
    """A 1°x1° GeoTIFF at 20" (GLO-30's layout: pixel centres from the corner), heights on a plane."""
    import io

    step = 1.0 / n
    lons = lon + (np.arange(n) + 0.5) * step
    lats = lat + 1 - (np.arange(n) + 0.5) * step
    buf = io.BytesIO()
    with rasterio.MemoryFile() as mem:
        with mem.open(driver="GTiff", height=n, width=n, count=1, dtype="float32", crs="EPSG:4326",
                      transform=from_origin(lon, lat + 1, step, step), nodata=-32767.0) as w:
            w.write(_plane(lons[None, :], lats[:, None]), 1)
        buf.write(mem.read())
    return buf.getvalue()


def _tile_lists(server, glo30):
    """tileList.txt of both buckets: GLO-30 with `glo30`, GLO-90 with the same tiles (as the real lists)."""
    server.add_file("/tileList.txt", "".join(f"{tile_name(*t)}\n" for t in glo30).encode())
    server.add_file("/glo90/tileList.txt", "".join(f"{tile_name(*t, 'GLO-90')}\n" for t in glo30).encode())


def test_glo30_mosaic_ocean_and_cache(tmp_path):
    assert tile_name(-22, 55) == "Copernicus_DSM_COG_10_S22_00_E055_00_DEM"
    assert tile_name(0, -1) == "Copernicus_DSM_COG_10_N00_00_W001_00_DEM"
    bounds = (55.9, -21.1, 56.1, -20.9)
    assert sorted(tiles_for(bounds)) == [(-22, 55), (-22, 56), (-21, 55), (-21, 56)]
    land_tiles = [(-22, 55), (-21, 55), (-21, 56)]  # (-22, 56): open ocean, in neither tile list
    with Server() as server:
        for lat, lon in land_tiles:
            name = tile_name(lat, lon)
            server.add_file(f"/{name}/{name}.tif", _tile(lat, lon))
        _tile_lists(server, land_tiles)
        dst = fetch_dem(bounds, tmp_path / "dem.tif", cache=tmp_path / "cache", url=server.url, margin_deg=0.05,
                        glo90_url=f"{server.url}/glo90")
        n = len(server.state.requests)
        fetch_dem(bounds, tmp_path / "again.tif", cache=tmp_path / "cache", url=server.url, margin_deg=0.05,
                  glo90_url=f"{server.url}/glo90")
        assert len(server.state.requests) == n == 6  # every tile asked once, the ocean one too, and both lists
    with rasterio.open(dst) as src:
        h = src.read(1)
        assert src.crs.to_epsg() == 4326 and src.tags()["VERTICAL_DATUM"] == "EGM2008"
        assert src.res == pytest.approx((1 / 3600, 1 / 3600))
        assert src.bounds.left == pytest.approx(55.85) and src.bounds.top == pytest.approx(-20.85)
        rows, cols = np.mgrid[0:src.height, 0:src.width]
        lon, lat = src.xy(rows, cols)
    lon, lat = np.asarray(lon).reshape(h.shape), np.asarray(lat).reshape(h.shape)
    land = ~((lon > 56.0) & (lat < -21.0))
    inner = land & (np.abs(lon - 56.0) > 0.01) & (np.abs(lat + 21.0) > 0.01)  # away from tile seams
    inner &= (lon > 55.86) & (lon < 56.14) & (lat < -20.86) & (lat > -21.14)
    # bilinear resampling of a plane is exact away from the tiles' edges
    assert np.abs(h - _plane(lon, lat))[inner].max() < 1e-3
    ocean = (lon > 56.01) & (lat < -21.01)
    assert ocean.any() and np.all(h[ocean] == 0.0)
    with Server() as server:  # nothing but ocean: refused
        _tile_lists(server, land_tiles)
        with pytest.raises(CatalogueError, match=r"^GLO-30: no land tile over lon"):
            fetch_dem((10.1, 10.1, 10.2, 10.2), tmp_path / "sea.tif", cache=tmp_path / "c2", url=server.url,
                      glo90_url=f"{server.url}/glo90")
    assert not (tmp_path / "sea.tif").exists()
