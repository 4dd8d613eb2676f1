"""Stack product choice (SAR_MultiSlc's -d -f -m) and small-baseline pair selection."""

import pytest

from dinsar.errors import DinsarError
from dinsar.steps.stack import select_stack, small_baseline_pairs
from tests.conftest import pair_folder

DAYS = ["20160818", "20160830", "20160911", "20160923", "20161005"]


def _products(folder):
    folder.mkdir()
    for k, d in enumerate(DAYS):
        name = f"S1A_S4_SLC__1SDV_{d}T142205_{d}T142225_0126{k}8_00317C_9F9{k}"
        (folder / (name + (".zip" if k % 2 else ".SAFE"))).mkdir()
    (folder / "notes.txt").write_text("not a product")
    (folder / "S1A_IW_GRDH_1SDV_20160818T142205_x.SAFE").mkdir()  # not an SLC
    return folder


def test_dates_master_and_order(tmp_path):
    folder = _products(tmp_path / "p")
    master, slaves = select_stack([folder], "2016-08-20", "2016-09-30", "2016-09-11")
    assert "20160911" in master.name
    assert [s.name[17:25] for s in slaves] == ["20160830", "20160923"]
    master, slaves = select_stack([folder])
    assert "20160818" in master.name and len(slaves) == 4  # default: the first date is the master


def test_refusals(tmp_path):
    folder = _products(tmp_path / "p")
    with pytest.raises(DinsarError, match=r"-m 2016-08-18: no product on that date between 2016-08-30"):
        select_stack([folder], "2016-08-20", None, "2016-08-18")
    with pytest.raises(DinsarError, match=r"1 acquisition date\(s\) between 2016-10-01 and the last"):
        select_stack([folder], "2016-10-01")
    (folder / f"S1B_S4_SLC__1SDV_{DAYS[1]}T142300_{DAYS[1]}T142320_000000_000000_AAAA.SAFE").mkdir()
    with pytest.raises(DinsarError, match=r"a second product on 2016-08-30"):
        select_stack([folder])
    with pytest.raises(DinsarError, match=r"missing: not a folder"):
        select_stack([tmp_path / "missing"])


def test_small_baseline_limits():
    products = [{"name": "m", "master": True, "time": "2016-08-18", "days": 0, "b_perp_m": 0},
                {"name": "a", "master": False, "time": "2016-08-30", "days": 12, "b_perp_m": 100},
                {"name": "b", "master": False, "time": "2016-09-11", "days": 24, "b_perp_m": -60},
                {"name": "c", "master": False, "time": "2016-09-23", "days": 36, "b_perp_m": 30}]
    assert small_baseline_pairs(products, 12, 1000) == [["a", "b"], ["b", "c"]]
    assert small_baseline_pairs(products, 100, 100) == [["a", "c"], ["b", "c"]]
    assert small_baseline_pairs(products, 11, 1000) == []


def test_search_chooses_a_stack(tmp_path):
    import json

    from dinsar.steps.catalogue import search
    from dinsar.workflow_inputs import Inputs
    from tests.catalogue.server import Server

    names = [f"S1A_S4_SLC__1SDV_{d}T142205_{d}T142225_0126{k}8_00317C_9F9{k}" for k, d in enumerate(DAYS[:4])]
    cfg = {"provider": "peps", "collection": "S1", "product_type": "SLC", "sensor_mode": "SM", "swath": "S4",
           "start_date": "2016-08-10", "end_date": "2016-10-01"}
    with Server() as server:
        server.resto_page_for([(n, "disk") for n in reversed(names)], per_page=3)
        cfg["url"] = server.url
        search(cfg, None, tmp_path / "search.json", stack_cfg={"master": "2016-08-30"})
    chosen = json.loads((tmp_path / "search.json").read_text())
    assert chosen["master"] == names[1] and chosen["slaves"] == [names[0], names[2], names[3]]
    site = {"site": "s", "results": "results", "polarisation": "VV", "search": cfg, "stack": {},
            "quicklook": {"looks": [3, 3]}}
    inputs = Inputs.from_config(site).with_search(str(tmp_path / "search.json"))
    assert inputs.stack and inputs.master == names[1] and len(inputs.pairs()) == 3
    assert inputs.coregistered(names[0]).endswith(f"pairs/{pair_folder(names[1], names[0])}/slave_coreg.tif")


def test_cosmo_and_terrasar_products_by_their_names(tmp_path):
    csk = tmp_path / "csk"
    csk.mkdir()
    for d in DAYS[:3]:
        (csk / f"CSKS2_SCS_B_HI_03_HH_RA_SF_{d}142205_{d}142212.h5").write_bytes(b"")
        (csk / f"CSKS2_SCS_B_HI_03_HH_RA_SF_{d}142205_{d}142212.truth.json").write_text("{}")  # not a product
    master, slaves = select_stack([csk], master="2016-08-30")
    assert "_20160830142205_" in master.name and [s.name[27:35] for s in slaves] == ["20160818", "20160911"]
    tsx = tmp_path / "tsx"
    for d in DAYS[1:3]:
        (tsx / f"TSX1_SAR__SSC______SM_S_SRA_{d}T142205_{d}T142213").mkdir(parents=True)
    (tsx / "TSX1_SAR__SSC______SM_S_SRA_20161005T142205_20161005T142213.xml").write_text("")  # a file, not one
    master, slaves = select_stack([tsx])
    assert master.name.startswith("TSX1_SAR__SSC______SM_S_SRA_20160830") and len(slaves) == 1
    with pytest.raises(DinsarError, match=r"tsx/TSX1_SAR__SSC\S+: a TerraSAR-X product among COSMO-SkyMed ones "
                                          r"\(CSKS2_\S+\.h5\); a stack is one sensor's"):
        select_stack([csk, tsx])
