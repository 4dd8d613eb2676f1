"""A site config with a catalogue search: search -> download -> unzip/prune -> the whole chain,
against the loopback catalogue server serving a simulated pair as the recorded resto schema."""

import json
import subprocess
import sys

import pytest
import yaml

from dinsar.simulate.pair import PairConfig, pair_names, write_pair
from tests.catalogue.server import Server
from tests.conftest import pair_folder

pytestmark = pytest.mark.workflow


def test_search_download_and_chain(tmp_path):
    cfg = PairConfig(size=(320, 320), seed=8, as_zip=True)
    pair = tmp_path / "pair"
    write_pair(pair, cfg)
    master, slave = pair_names(cfg)
    files = {master: (pair / "master" / f"{master}.zip").read_bytes(),
             slave: (pair / "slave" / f"{slave}.zip").read_bytes()}
    site = {
        "site": "searched",
        "search": {"provider": "peps", "collection": "S1", "product_type": "SLC", "sensor_mode": "SM",
                   "swath": "S4", "start_date": "2016-08-10", "end_date": "2016-09-10",
                   "box": {"lonmin": 55.6, "latmin": -21.3, "lonmax": 55.8, "latmax": -21.2}},
        "pair": {"master": "2016-08-18", "slave": "2016-08-30"},
        "dem": str(pair / "dem.tif"),
    }
    with Server() as server:
        server.resto_page_for([(master, "disk"), ("S1A_S6_SLC__1SDV_20160822T142205_X", "disk"), (slave, "disk")],
                              files=files, per_page=2)
        site["search"]["url"] = server.url
        (tmp_path / "site.yaml").write_text(yaml.safe_dump(site))
        run = subprocess.run([sys.executable, "-m", "dinsar.cli", "run", "site.yaml", "--cores", "2",
                              "--resources", "downloads=1"], cwd=tmp_path, capture_output=True, text=True,
                             timeout=900)
        downloads = [r for r in server.state.requests if r[1].startswith("/download/")]
    assert run.returncode == 0, run.stderr[-3000:]
    chosen = json.loads((tmp_path / "results" / "searched" / "search.json").read_text())
    assert (chosen["master"], chosen["slave"]) == (master, slave) and len(chosen["products"]) == 3
    assert sorted(r[1] for r in downloads) == sorted(f"/download/{n}.zip" for n in (master, slave))
    for name in (master, slave):
        assert (tmp_path / "results" / "searched" / "downloads" / f"{name}.zip").read_bytes() == files[name]
    out = tmp_path / "results" / "searched" / "pairs" / pair_folder(master, slave)
    assert (out / "los_displacement.tif").is_file() and (out / "interferogram_ml.tif").is_file()
