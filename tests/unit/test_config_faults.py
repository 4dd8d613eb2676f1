"""Config faults that used to pass the load and fail later (or never): each is refused at once, in
one line naming the file and the key."""

import re
import shutil

import pytest
import yaml

from dinsar import config
from dinsar.cli import main
from dinsar.errors import ConfigError, ProductError
from tests.conftest import AZORES_EOF, ROME_SAFE, ROOT

REUNION = ROOT / "config" / "sites" / "reunion_sm.yaml"
SMALL = {"size": [64, 64]}  # were a refused config simulated after all, it would take a second


def _simulate(tmp_path, capsys, content, *options):
    cfg = tmp_path / "sim.yaml"
    cfg.write_text(content if isinstance(content, str) else yaml.safe_dump(content))
    rc = main(["simulate", "--out", str(tmp_path / "sim"), "--config", str(cfg), *options])
    return rc, capsys.readouterr().err.splitlines(), cfg


# ------------------------------------------------------------------ 1. dinsar simulate --config


@pytest.mark.parametrize(
    "content,message",
    [
        ({"simulate": {**SMALL, "coherence": 7}}, "simulate.coherence: 7 is greater than the maximum of 1"),
        ({"simulate": {**SMALL, "coherance": 0.5}}, "simulate.coherance: unknown key (allowed: mode, size, seed, "),
        ({**SMALL, "coherence": -0.1}, "simulate.coherence: -0.1 is less than the minimum of 0"),  # bare keys
        ({"simulate": {**SMALL, "mogi": {"lon": 55.7, "lat": -121.2, "depth_m": 2500, "dvolume_m3": 1e6}}},
         "simulate.mogi.lat: -121.2 is less than the minimum of -90"),
        ({"simulate": {**SMALL, "snr_db": 5000}}, "simulate.snr_db: 5000 is greater than the maximum of 150"),
        ({"simulate": SMALL, "colour": "red"}, "colour: unknown key (allowed: simulate, dem)"),
        ({"site": "s", "simulate": {**SMALL, "days": 0}}, "simulate.days: 0 is less than the minimum of 1"),
        ({"site": "s", "simulate": SMALL, "geocode": {"posting_deg": 0}},
         "geocode.posting_deg: 0 is less than the minimum of 1e-06"),
    ],
    ids=["coherence>1", "unknown-key", "bare-section", "mogi-lat", "snr", "top-level-key", "site-config",
         "site-config-other-section"],
)
def test_simulate_config_is_validated_like_a_site_config(tmp_path, capsys, content, message):
    rc, err, cfg = _simulate(tmp_path, capsys, content)
    assert rc == 1 and len(err) == 1 and err[0].startswith(f"dinsar: {cfg}: {message}"), err
    assert not (tmp_path / "sim").exists()


def test_simulate_command_line_values_are_validated_without_the_file_name(tmp_path, capsys):
    rc, err, _ = _simulate(tmp_path, capsys, {"simulate": SMALL}, "--seed", "-1")
    assert rc == 1 and err == ["dinsar: simulate.seed: -1 is less than the minimum of 0"]
    assert not (tmp_path / "sim").exists()


def test_simulate_config_forms_give_the_section_and_dem(tmp_path):
    (tmp_path / "dem.tif").write_bytes(b"")
    forms = [{"simulate": {"coherence": 0.5}, "dem": str(tmp_path / "dem.tif")},
             {"coherence": 0.5, "dem": str(tmp_path / "dem.tif")},
             {"site": "s", "simulate": {"coherence": 0.5}, "dem": str(tmp_path / "dem.tif")}]
    for form in forms:
        (tmp_path / "c.yaml").write_text(yaml.safe_dump(form))
        simulate, dem = config.load_simulate(tmp_path / "c.yaml")
        assert simulate["coherence"] == 0.5 and simulate["size"] == [1024, 1024]  # the schema's default
        assert dem == str(tmp_path / "dem.tif")
    (tmp_path / "c.yaml").write_text("")
    assert config.load_simulate(tmp_path / "c.yaml") == (config.validate_section("simulate", {}), None)
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({"site": "s", "search": {}}))
    with pytest.raises(ConfigError, match=r"c\.yaml: simulate: required key missing$"):
        config.load_simulate(tmp_path / "c.yaml")


# ------------------------------------------------------------------ 2. impossible numeric values


def _reunion(**edits):
    cfg = yaml.safe_load(REUNION.read_text())
    for path, value in edits.items():
        *parents, leaf = path.split("__")
        node = cfg
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return cfg


@pytest.mark.parametrize(
    "edits,message",
    [
        ({"geocode__posting_deg": 0}, r"geocode\.posting_deg: 0 is less than the minimum of 1e-06"),
        ({"geocode__posting_deg": -0.001}, r"geocode\.posting_deg: -0\.001 is less than the minimum of 1e-06"),
        ({"geocode__posting_deg": 5}, r"geocode\.posting_deg: 5 is greater than the maximum of 1"),
        ({"filter__patch": 33}, r"filter\.patch: 33 is not a multiple of 2"),
        ({"unwrap__min_coherence": 1}, r"unwrap\.min_coherence: 1 is greater than or equal to the maximum of 1"),
        ({"coregistration__min_peak": 1.0},
         r"coregistration\.min_peak: 1\.0 is greater than or equal to the maximum of 1"),
        ({"coregistration__window": 100000}, r"coregistration\.window: 100000 is greater than the maximum of 1024"),
    ],
    ids=lambda v: next(iter(v)) if isinstance(v, dict) else None,
)
def test_impossible_values_are_refused_at_load(tmp_path, edits, message):
    p = tmp_path / "site.yaml"
    p.write_text(yaml.safe_dump(_reunion(**edits)))
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(p))}: {message}$"):
        config.load(p)


@pytest.mark.parametrize(
    "edits,message",
    [
        ({"filter__alpha": 1.5}, r"filter\.alpha: 1\.5 is greater than the maximum of 1"),
        ({"multilook__looks": [0, 3]}, r"multilook\.looks\.0: 0 is less than the minimum of 1"),
        ({"coregistration__step": 0}, r"coregistration\.step: 0 is less than the minimum of 8"),
    ],
    ids=lambda v: next(iter(v)) if isinstance(v, dict) else None,
)
def test_bounds_the_schema_had_still_hold(edits, message):
    with pytest.raises(ConfigError, match=rf"^{message}$"):
        config.validate(_reunion(**edits))


@pytest.mark.parametrize(
    "section,value,message",
    [
        ("simulate", {"decorrelation": {"lon": 255.7, "lat": -21.2, "radius_m": 500, "coherence": 0.1}},
         r"simulate\.decorrelation\.lon: 255\.7 is greater than the maximum of 180"),
        ("simulate", {"mogi": {"lon": -200, "lat": -21.2, "depth_m": 2500, "dvolume_m3": 1e6}},
         r"simulate\.mogi\.lon: -200 is less than the minimum of -180"),
        ("simulate", {"snr_db": -400}, r"simulate\.snr_db: -400 is less than the minimum of -50"),
    ],
)
def test_impossible_simulate_values_are_refused(section, value, message):
    with pytest.raises(ConfigError, match=rf"^{message}$"):
        config.validate_section(section, value)


def test_possible_values_still_pass():
    cfg = config.validate(_reunion(geocode__posting_deg=0.0001, filter__patch=64, unwrap__min_coherence=0.99,
                                   coregistration__min_peak=0.0))
    assert cfg["geocode"]["posting_deg"] == 0.0001 and cfg["filter"]["patch"] == 64
    assert config.validate_section("simulate", {"snr_db": None, "coherence": 1})["coherence"] == 1


# ------------------------------------------------------------------ 3. YAML syntax errors

BROKEN = "site: demo\nsimulate:\n  size: [64, 64]\n  coherence: 0.5\n   days: 3\n"  # line 5, column 8


def test_yaml_error_names_line_and_column(tmp_path):
    p = tmp_path / "broken.yaml"
    p.write_text(BROKEN)
    with pytest.raises(ConfigError) as e:
        config.load(p)
    assert str(e.value) == f"{p}:5:8: not valid YAML (mapping values are not allowed here)"


def test_simulate_config_yaml_error_names_line_and_column(tmp_path, capsys):
    rc, err, cfg = _simulate(tmp_path, capsys, BROKEN)
    assert rc == 1 and err == [f"dinsar: {cfg}:5:8: not valid YAML (mapping values are not allowed here)"]


# ------------------------------------------------------------------ 4. input paths that do not exist


@pytest.fixture
def inputs(tmp_path, monkeypatch):
    """Existing inputs named relative to the current directory (the workflow's)."""
    monkeypatch.chdir(tmp_path)
    for d in ("m.SAFE", "s.SAFE", "t.SAFE", "orbits", "geoid"):
        (tmp_path / d).mkdir()
    for f in ("dem.tif", "auth.txt", "o.EOF"):
        (tmp_path / f).write_text("")
    return tmp_path


@pytest.mark.parametrize(
    "cfg,key,missing",
    [
        ({"products": {"master": "nope/m.SAFE", "slave": "s.SAFE"}}, "products.master", "nope/m.SAFE"),
        ({"products": {"master": "m.SAFE", "slave": "/x/y.SAFE"}}, "products.slave", "/x/y.SAFE"),
        ({"products": {"master": "m.SAFE", "slaves": ["s.SAFE", "u.SAFE"]}}, "products.slaves.1", "u.SAFE"),
        ({"products": {"master": "m.SAFE", "slave": "s.SAFE"}, "dem": "dem.tiff"}, "dem", "dem.tiff"),
        ({"products": {"master": "m.SAFE", "slave": "s.SAFE"}, "orbits": "orbit"}, "orbits", "orbit"),
        ({"products": {"master": "m.SAFE", "slave": "s.SAFE"}, "geoid_dir": "geo"}, "geoid_dir", "geo"),
        ({"simulate": {"orbit_file": "o.eof"}}, "simulate.orbit_file", "o.eof"),
        ({"search": {"auth": "peps.txt"}}, "search.auth", "peps.txt"),
    ],
    ids=["master", "slave", "slaves", "dem", "orbits", "geoid_dir", "orbit_file", "auth"],
)
def test_missing_input_path_names_the_key(inputs, cfg, key, missing):
    with pytest.raises(ConfigError, match=rf"^{re.escape(key)}: {re.escape(missing)} does not exist$"):
        config.validate({"site": "s", **cfg})


def test_existing_relative_paths_pass(inputs):
    config.validate({"site": "s", "products": {"master": "m.SAFE", "slaves": ["s.SAFE", "t.SAFE"]},
                     "dem": "dem.tif", "orbits": "orbits", "geoid_dir": "geoid"})
    config.validate({"site": "s", "simulate": {"orbit_file": "o.EOF"}, "search": {"auth": "auth.txt"}})


def test_dinsar_run_names_the_missing_product(inputs, capsys):
    site = inputs / "site.yaml"
    site.write_text(yaml.safe_dump({"site": "s", "products": {"master": "m.SAFE", "slave": "/x/y.SAFE"}}))
    assert main(["run", str(site), "-n"]) == 1
    assert capsys.readouterr().err.splitlines() == [f"dinsar: {site}: products.slave: /x/y.SAFE does not exist"]
    assert not (inputs / "results").exists() and not (inputs / ".snakemake").exists()


def test_simulate_config_names_a_missing_dem(inputs, capsys):
    rc, err, cfg = _simulate(inputs, capsys, {"simulate": SMALL, "dem": "nodem.tif"})
    assert rc == 1 and err == [f"dinsar: {cfg}: dem: nodem.tif does not exist"]


# ------------------------------------------------------------------ 5. an orbit folder that covers no product


def test_orbit_folder_without_a_covering_file_names_folder_and_product(tmp_path):
    from dinsar.sensors.sentinel1 import open_product

    shutil.copy(AZORES_EOF, tmp_path / AZORES_EOF.name)  # covers 2022-09-18, not the Rome product of 2022-01-04
    with pytest.raises(ProductError) as e:
        open_product(ROME_SAFE, polarisation="VV", orbit=tmp_path)
    start, stop = r"2022-01-04T17:0\d:\d\d\.\d{3}", r"2022-01-04T17:0\d:\d\d\.\d{3}"
    assert re.fullmatch(rf"orbits: {re.escape(str(tmp_path))} has no EOF file covering "
                        rf"{ROME_SAFE.stem} \({start}\.\.{stop}; 1 \*\.EOF searched for S1A\)", str(e.value)), e.value
