"""Config validation: the shipped configs pass; each kind of mistake is one line naming the key."""

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dinsar import config
from dinsar.errors import ConfigError
from tests.conftest import ROOT

REUNION = ROOT / "config" / "sites" / "reunion_sm.yaml"
DEMO = ROOT / "config" / "config.yaml"


def test_shipped_configs_validate_and_get_defaults():
    site = config.load(REUNION)
    assert site["search"]["box"] == {"lonmin": 55.5, "latmin": -21.5, "lonmax": 55.7, "latmax": -21.25}
    assert (site["search"]["start_date"], site["search"]["end_date"]) == ("2016-08-15", "2016-10-01")
    assert site["search"]["sensor_mode"] == "SM" and site["search"]["product_type"] == "SLC"
    assert site["pair"] == {"master": "2016-08-18", "slave": "2016-09-29"}
    assert site["multilook"]["looks"] == [3, 3] and site["polarisation"] == "VV"
    demo = config.load(DEMO)
    assert demo["results"] == "results"  # default from the schema
    assert demo["quicklook"]["png_max_size"] == 2048


def _reunion():
    return yaml.safe_load(REUNION.read_text())


def _bad(**edits):
    cfg = _reunion()
    for path, value in edits.items():
        node = cfg
        *parents, leaf = path.split("__")
        for p in parents:
            node = node[p]
        if value is None:
            del node[leaf]
        else:
            node[leaf] = value
    return cfg


@pytest.mark.parametrize(
    "edits,message",
    [
        ({"search__colour": "red"}, r"^search\.colour: unknown key"),
        ({"multilook__looks": [3, "three"]}, r"^multilook\.looks\.1: 'three' is not of type 'integer'"),
        ({"search__orbit": "151"}, r"^search\.orbit: '151' is not of type 'integer'"),
        ({"search__end_date": "2016-08-01"}, r"^search\.end_date: 2016-08-01 is before search\.start_date"),
        ({"search__box__lonmin": 56.0}, r"^search\.box\.lonmin: 56\.0 is not below lonmax 55\.7"),
        ({"search__box__latmax": -21.6}, r"^search\.box\.latmin: -21\.5 is not below latmax -21\.6"),
        ({"search__start_date": "2016-02-30"}, r"^search\.start_date: '2016-02-30' is not a calendar date"),
        ({"pair__slave": "2016-08-01"}, r"^pair\.slave: 2016-08-01 is not after pair\.master"),
        ({"site": None}, r"^site: required key missing"),
        ({"polarisation": "XX"}, r"^polarisation: 'XX' is not one of"),
    ],
)
def test_bad_config_names_the_key(edits, message):
    with pytest.raises(ConfigError, match=message):
        config.validate(_bad(**edits))


def test_unquoted_yaml_dates_are_accepted(tmp_path):
    text = REUNION.read_text().replace('"2016-08-15"', "2016-08-15")
    (tmp_path / "c.yaml").write_text(text)
    assert config.load(tmp_path / "c.yaml")["search"]["start_date"] == "2016-08-15"


def test_load_errors_name_the_file(tmp_path):
    p = tmp_path / "broken.yaml"
    p.write_text("site: [unclosed\n")
    with pytest.raises(ConfigError, match=r"broken.yaml:2:1: not valid YAML"):
        config.load(p)
    with pytest.raises(ConfigError, match=r"missing.yaml: cannot read"):
        config.load(tmp_path / "missing.yaml")


def _write(tmp_path: Path, cfg: dict) -> Path:
    p = tmp_path / "site.yaml"
    p.write_text(yaml.safe_dump(cfg))
    return p


def test_dinsar_run_stops_before_any_job(tmp_path):
    bad = _write(tmp_path, _bad(search__box__lonmin=56.0))
    run = subprocess.run([sys.executable, "-m", "dinsar.cli", "run", str(bad), "-n"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        f"dinsar: {bad}: search.box.lonmin: 56.0 is not below lonmax 55.7"
    ]
    assert not (tmp_path / "results").exists() and not (tmp_path / ".snakemake").exists()


def test_snakefile_validates_too(tmp_path):
    cfg = copy.deepcopy(_bad(search__colour="red"))
    bad = _write(tmp_path, cfg)
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--configfile", str(bad),
         "-n", "--cores", "1"],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert run.returncode != 0
    lines = [line for line in (run.stdout + run.stderr).splitlines() if line.startswith("dinsar:")]
    assert len(lines) == 1 and lines[0].startswith("dinsar: config error: search.colour: unknown key (allowed: ")
    assert "provider" in lines[0] and "box" in lines[0]
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("path", sorted((ROOT / "config" / "sites").glob("*.yaml")), ids=lambda p: p.name)
def test_every_site_config_validates(path):
    from dinsar.workflow_inputs import Inputs

    cfg = config.load(path)
    inputs = Inputs.from_config(config.validate(cfg))
    if "simulate" in cfg:  # the simulated demos (demo_iw, demo_stack): their own products, DEM and truth
        assert inputs.simulated and inputs.truth and inputs.dem
        return
    assert inputs.searched and inputs.fetch_dem and inputs.fetch_orbits
    assert inputs.dem_vertical == "egm2008"  # GLO-30 heights
