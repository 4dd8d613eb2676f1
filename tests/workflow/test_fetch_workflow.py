"""A site config with `fetch: {dem, orbits}`: the GLO-30 tile and each product's orbit come from the
loopback server (tile bucket + CDSE OData), are cached, and the whole chain runs on them; the
result is checked against the simulator's truth, and a second site reuses the cache."""

import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import rasterio
import yaml
from rasterio.transform import from_origin

from dinsar.catalogue.dem import tile_name
from dinsar.simulate.dem import volcano_height
from dinsar.simulate.pair import PairConfig, pair_names, write_pair
from dinsar.steps.truth import compare_truth
from tests.catalogue.server import Server
from tests.conftest import pair_folder

pytestmark = pytest.mark.workflow


def _volcano_tile(lat: int, lon: int) -> bytes:
    """The demo volcano on a GLO-30 tile's 1" grid (ellipsoidal heights, as the simulator's DEM)."""
    n = 3600
    step = 1.0 / n
    lons = lon + (np.arange(n) + 0.5) * step
    lats = lat + 1 - (np.arange(n) + 0.5) * step
    with rasterio.MemoryFile() as mem:
        with mem.open(driver="GTiff", height=n, width=n, count=1, dtype="float32", crs="EPSG:4326",
                      transform=from_origin(lon, lat + 1, step, step), compress="DEFLATE", tiled=True) as w:
            w.write(volcano_height(lons[None, :], lats[:, None]).astype(np.float32), 1)
        return io.BytesIO(mem.read()).getvalue()


def test_fetched_dem_and_orbits(tmp_path):
    cfg = PairConfig(size=(320, 320), seed=9)
    sim = tmp_path / "sim"
    write_pair(sim, cfg)
    master, slave = pair_names(cfg)
    cache = tmp_path / "cache"
    with Server() as server:
        name = tile_name(-22, 55)
        server.add_file(f"/{name}/{name}.tif", _volcano_tile(-22, 55))
        for eof in sorted((sim / "orbits").glob("*.EOF")):
            server.add_orbit(eof.name, eof.read_bytes())
        env = dict(os.environ, DINSAR_CDSE_USERNAME="me", DINSAR_CDSE_PASSWORD=server.state.password,
                   DINSAR_CDSE_IDENTITY_URL=server.url, DINSAR_CDSE_DOWNLOAD_URL=server.url)
        runs = []
        for site in ("fetched", "again"):
            (tmp_path / f"{site}.yaml").write_text(yaml.safe_dump({
                "site": site,
                "products": {"master": str(sim / "master" / f"{master}.SAFE"),
                             "slave": str(sim / "slave" / f"{slave}.SAFE")},
                "fetch": {"dem": True, "orbits": True, "cache": str(cache), "dem_url": server.url,
                          "orbit_url": server.url},
                "dem_vertical": "ellipsoid",  # the test tile holds the simulator's ellipsoidal heights
            }))
            before = len(server.state.requests)
            run = subprocess.run([sys.executable, "-m", "dinsar.cli", "run", f"{site}.yaml", "--cores", "2"],
                                 cwd=tmp_path, capture_output=True, text=True, timeout=900, env=env)
            assert run.returncode == 0, run.stderr[-3000:]
            runs.append(server.state.requests[before:])
    first, second = runs
    assert sum(f"/{name}/" in r[1] for r in first) == 1  # one tile, downloaded once
    assert sum("$value" in r[1] for r in first) == 2  # two orbits
    assert not second  # the second site took everything from the cache
    for log in (tmp_path / "logs").rglob("*.log"):
        assert server.state.password not in log.read_text()
    site = tmp_path / "results" / "fetched"
    for product in (master, slave):
        (eof,) = (site / "orbits" / product).glob("*.EOF")
        assert eof.read_bytes() in [p.read_bytes() for p in (sim / "orbits").glob("*.EOF")]
    with rasterio.open(site / "dem" / "glo30.tif") as src:
        assert src.tags()["TILES"] == f"{name}.tif"
    pair = site / "pairs" / pair_folder(master, slave)
    result = compare_truth(pair / "unwrapped.tif", pair / "interferogram_ml.tif", sim / "truth",
                           tmp_path / "cmp.json")
    # the DEM is the volcano re-gridded (1" tile nodes, bilinear): < 1 mm like the simulated DEM
    assert result["los_rmse_mm"] < 0.6, json.dumps(result)
    assert result["fraction"] > 0.85
