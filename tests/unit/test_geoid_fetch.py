"""The EGM2008 grid fetched once into the cache when PROJ lacks it, and refused in one line when it
cannot be: a grid written here holds a known plane N(lon, lat), served by a fake session (the fetch)
or the loopback server (a fresh interpreter, through geoid_undulation and PROJ)."""

import os
import subprocess
import sys

import numpy as np
import pytest
import rasterio
import requests
from rasterio.transform import from_origin

from dinsar.catalogue.geoid import GeoidError, fetch_grid
from tests.catalogue.server import Server, guard_loopback

CDN = "https://cdn.proj.org"
NAME = "us_nga_egm08_25.tif"


def plane(lon, lat):
    return 10.0 + 0.1 * lat + 0.05 * lon


def write_grid(path):
    """A global 5° grid of N on the plane, in PROJ's GeoTIFF grid layout (pixel-is-point nodes)."""
    step = 5.0
    lon, lat = -180 + np.arange(73) * step, 90 - np.arange(37) * step
    with rasterio.open(path, "w", driver="GTiff", width=73, height=37, count=1, dtype="float32", crs="EPSG:4979",
                       transform=from_origin(-180 - step / 2, 90 + step / 2, step, step)) as w:
        w.write(plane(lon[None, :], lat[:, None]).astype(np.float32), 1)
        w.update_tags(AREA_OR_POINT="Point")
    return path.read_bytes()


class Response:
    def __init__(self, body):
        self.status_code, self.content = (body, b"") if isinstance(body, int) else (200, body)
        self.closed = False

    def iter_content(self, n):
        for i in range(0, len(self.content), n):
            yield self.content[i:i + n]

    def close(self):
        self.closed = True


class Session:
    def __init__(self, files):
        self.files, self.calls = files, []

    def get(self, url, timeout=None, stream=False, **kw):
        self.calls.append(url)
        body = self.files.get(url, 404)
        if isinstance(body, Exception):
            raise body
        return Response(body)


@pytest.fixture(autouse=True)
def network_allowed(monkeypatch):
    monkeypatch.delenv("PROJ_NETWORK", raising=False)
    monkeypatch.delenv("DINSAR_GEOID_URL", raising=False)


def test_fetched_once_into_the_cache(tmp_path):
    grid = write_grid(tmp_path / "served.tif")
    session = Session({f"{CDN}/{NAME}": grid})
    path = fetch_grid("egm2008", cache=tmp_path / "cache", session=session)
    assert path == tmp_path / "cache" / "geoid" / NAME and path.read_bytes() == grid
    assert fetch_grid("egm2008", cache=tmp_path / "cache", session=session) == path
    assert session.calls == [f"{CDN}/{NAME}"]  # the second call is the cache


@pytest.mark.parametrize("served, why", [
    (requests.ConnectionError("no route"), r"unreachable \(ConnectionError\)"),
    (404, r"answered HTTP 404"),
    (b"<html><body>Access denied</body></html>", r"gave no usable grid \(not a TIFF"),
], ids=["unreachable", "404", "error-page"])
def test_refused_in_one_line_naming_grid_and_url(tmp_path, served, why):
    with pytest.raises(GeoidError, match=rf"^{NAME} not fetched: {CDN}/{NAME} {why}") as e:
        fetch_grid("egm2008", cache=tmp_path, session=Session({f"{CDN}/{NAME}": served}))
    msg = str(e.value)
    assert "\n" not in msg and f"by hand into {tmp_path / 'geoid'}/" in msg and "proj-data" in msg
    assert not list((tmp_path / "geoid").glob("*"))  # nothing half-written left to be taken for the grid


def test_proj_network_off_asks_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("PROJ_NETWORK", "OFF")
    session = Session({})
    with pytest.raises(GeoidError, match=r"not fetched \(PROJ_NETWORK=OFF\)"):
        fetch_grid("egm2008", cache=tmp_path, session=session)
    assert not session.calls


UNDULATION = ("import numpy as np; from dinsar.geometry.dem import geoid_undulation; "
              "print(repr(float(geoid_undulation(np.array([12.5]), np.array([42.0]), 'egm2008')[0])))")


def _fresh_interpreter(tmp_path, url):
    """geoid_undulation in a new process: PROJ with none of this machine's grids, our cache in tmp_path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PROJ_DATA", "PROJ_LIB", "PROJ_NETWORK")}
    env.update(DINSAR_CACHE=str(tmp_path / "cache"), DINSAR_GEOID_URL=url, XDG_DATA_HOME=str(tmp_path / "xdg"))
    return subprocess.run([sys.executable, "-c", UNDULATION], capture_output=True, text=True, env=env, timeout=120)


def test_geoid_undulation_fetches_and_reuses_the_grid(tmp_path, monkeypatch):
    guard_loopback(monkeypatch)
    with Server() as server:
        server.add_file(f"/{NAME}", write_grid(tmp_path / "served.tif"))
        runs = [_fresh_interpreter(tmp_path, server.url) for _ in range(2)]
        asked = [r[1] for r in server.state.requests]
    for run in runs:
        assert run.returncode == 0, run.stderr[-2000:]
        assert float(run.stdout) == pytest.approx(plane(12.5, 42.0), abs=1e-3)  # 14.825 m, not PROJ's 0
    assert asked == [f"/{NAME}"]  # the second interpreter found it in the cache


def test_geoid_undulation_unreachable_is_one_line(tmp_path, monkeypatch):
    guard_loopback(monkeypatch)
    with Server() as server:  # serves no grid: 404
        run = _fresh_interpreter(tmp_path, server.url)
    assert run.returncode != 0
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("dinsar.geometry.dem.DemError: EGM2008 geoid grid not found by PROJ (us_nga_egm08_25.tif)")
    assert f"{server.url}/{NAME} answered HTTP 404" in last and "by hand into" in last
