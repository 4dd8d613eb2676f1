"""How an IW site enters the workflow: which configs are IW, what the chain opens, which bursts are taken."""

import yaml

from dinsar import config as dconfig
from dinsar.workflow_inputs import IW_PAIR_OUTPUTS, Inputs
from tests.conftest import ROOT


def _inputs(cfg: dict) -> Inputs:
    return Inputs.from_config(dconfig.validate(cfg))


def test_iw_search_site_takes_the_search_box_for_its_bursts():
    cfg = yaml.safe_load((ROOT / "config" / "sites" / "reunion_iw.yaml").read_text())
    inputs = _inputs(cfg)
    assert inputs.iw and inputs.searched
    assert cfg["tops"]["box"] == cfg["search"]["box"]  # tops.box null: the search box
    assert inputs.chain_product("P").endswith("/merged/P.merged.json")


def test_local_iw_products_and_their_targets(tmp_path):
    m = "S1A_IW_SLC__1SDV_20160818T142205_20160818T142214_012668_00317C_1EEC"
    s = "S1A_IW_SLC__1SDV_20160830T142205_20160830T142214_012843_00322B_38DD"

    def products(kind):
        paths = []
        for name in (m, s):
            p = tmp_path / f"{name.replace('_IW_', kind)}.zip"
            p.write_bytes(b"")
            paths.append(str(p))
        return {"master": paths[0], "slave": paths[1]}

    dem = tmp_path / "dem.tif"
    dem.write_bytes(b"")
    inputs = _inputs({"site": "x", "products": products("_IW_"), "dem": str(dem)})
    assert inputs.iw
    assert inputs.chain_samples(m) == [inputs.layout.merged_slc(m)] and inputs.chain_samples(s) == []
    assert inputs.quicklook_source(s) == inputs.coregistered(s)  # a slave is viewed on the master's grid
    assert not _inputs({"site": "x", "products": products("_S3_")}).iw
    targets = inputs.targets()
    assert not any(t.endswith("doppler0.json") for t in targets)
    assert all(any(t.endswith("/" + o) for t in targets) for o in IW_PAIR_OUTPUTS)
    assert not any(t.endswith("/grid.json") for t in targets)


def test_simulated_iw_demo_names_its_products():
    cfg = yaml.safe_load((ROOT / "config" / "sites" / "demo_iw.yaml").read_text())
    inputs = _inputs(cfg)
    assert inputs.iw and inputs.simulated
    assert all("_IW_" in name for name in inputs.sources)
