"""The TerraSAR-X pair simulator (dinsar.simulate.terrasar_pair) and how a TerraSAR-X product enters the chain:
the layout and truth, the reader's geometry puts the simulator's scatterers where the simulator put them,
names and sensors, the config (mixed sensors and orbit folders refused), the workflow inputs, staging
into products/, the CLI, and the simulator's independence from the chain."""

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio

from dinsar import cli, config
from dinsar.errors import ConfigError, DinsarError, ProductError
from dinsar.layout import acquisition_labels, acquisition_start
from dinsar.sensors import SENSORS, sensor_of, terrasar
from dinsar.sensors.sentinel1 import UnsupportedProductError
from dinsar.simulate import geometry as sg
from dinsar.simulate.config import PairConfig
from dinsar.simulate.cosmo_scene import CosmoConfig
from dinsar.simulate.cosmo_writer import write_product as write_cosmo
from dinsar.simulate.mogi import enu_to_ecef
from dinsar.simulate.terrasar_pair import build_terrasar_scene, write_terrasar_pair
from dinsar.simulate.terrasar_scene import PRF_HZ, RSF_HZ, WAVELENGTH_M
from dinsar.steps.common import open_chain_product
from dinsar.steps.interferometry import open_pair
from dinsar.steps.preprocess import stage_terrasar
from dinsar.workflow_inputs import Inputs
from tests.unit.simulator_imports import simulator_imports

C = 299_792_458.0
SIZE = (160, 128)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    out = tmp_path_factory.mktemp("tsx_pair")
    cfg = PairConfig(size=SIZE, seed=3)
    return out, cfg, write_terrasar_pair(out, cfg)


def _folders(out: Path) -> tuple[Path, Path]:
    (m,) = (out / "master").iterdir()
    (s,) = (out / "slave").iterdir()
    return m, s


def test_layout_is_the_simulators(pair):
    out, cfg, summary = pair
    master, slave = _folders(out)
    assert (out / "dem.tif").is_file() and not list(out.glob(".simulate.*"))  # no work folder left
    truth = json.loads((out / "truth" / "truth.json").read_text())
    assert truth == json.loads(json.dumps(summary, default=float))
    assert (truth["master"], truth["slave"]) == (master.name, slave.name)
    assert truth["sensor"] == "TerraSAR-X" and truth["mode"] == "SM" and truth["wavelength_m"] == WAVELENGTH_M
    assert master.name == "TSX1_SAR__SSC______SM_S_SRA_20160818T142205_20160818T142205"
    for folder in (master, slave):  # a delivered product's layout
        assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) == [
            "IMAGEDATA", "IMAGEDATA/IMAGE_HH_SRA_strip_007.cos", f"{folder.name}.xml"]
    for name in ("los_displacement.tif", "offsets.tif", "coherence.tif", "deformation_phase.tif", "height.tif"):
        with rasterio.open(out / "truth" / name) as src:
            assert (src.height, src.width) == SIZE, name
    with rasterio.open(out / "truth" / "los_displacement.tif") as src:
        los = src.read(1)
    assert np.isfinite(los).mean() > 0.99
    assert 0.001 < np.nanmax(los) - np.nanmin(los) < 0.1  # the Mogi source's mm over a few hundred metres


def test_reader_reads_back_what_was_written(pair):
    """Timing, orbit and samples are the simulator's passes' exactly: first lines on whole microseconds
    (the XML's precision) and state vectors on whole seconds, so nothing is rounded away."""
    out, cfg, _ = pair
    scene = build_terrasar_scene(cfg, out / "dem.tif")  # the same scene, made again
    for folder, p, days in zip(_folders(out), (scene.master, scene.slaves[0]), (0, cfg.days), strict=True):
        q = terrasar.open_product(folder)
        assert q.shape == SIZE and q.mission == "TSX-1" and q.mode == "SM" and q.polarisation == "HH"
        assert q.start_time == p.time(p.first_line_s)
        assert (q.start_time - np.datetime64("2016-08-18T14:22:05", "ns")) % np.timedelta64(1, "us") == 0
        g = q.radar_grid
        assert g.line_interval_s == p.ati == 1.0 / PRF_HZ and g.near_range_time_s == p.near_range_time_s
        assert g.range_sampling_rate_hz == pytest.approx(RSF_HZ, rel=1e-15)
        assert g.wavelength_m == pytest.approx(WAVELENGTH_M, rel=1e-15)
        np.testing.assert_array_equal(q.state_vectors.position, p.sv_pos)
        np.testing.assert_array_equal(q.state_vectors.velocity, p.sv_vel)
        np.testing.assert_array_equal(q.state_vectors.time, p.time(p.sv_t))
        assert np.all(q.state_vectors.time.astype("M8[s]") == q.state_vectors.time)
        assert (q.start_time.astype("M8[D]") - np.datetime64("2016-08-18", "D")) == np.timedelta64(days, "D")
        assert float(q.doppler_centroid(g.near_range_time_s)) == 0.0  # synthesised at baseband
    m, s = (terrasar.open_product(f) for f in _folders(out))
    shift = (s.start_time - m.start_time - np.timedelta64(cfg.days, "D")) / np.timedelta64(1, "ns") * 1e-9
    assert shift == pytest.approx(cfg.slave_shift[0] / PRF_HZ, abs=1e-6)


def test_the_readers_geometry_puts_the_scatterers_where_the_simulator_did(pair):
    """Master pixels' ground points (the simulator's numpy/PROJ solver on the DEM) fall back on their pixel
    through the reader's orbit and the chain's geo2rdr; the slave sees the moved ground where the
    simulator put it, less the injected misregistration: both < 1e-3 px."""
    out, cfg, _ = pair
    scene = build_terrasar_scene(cfg, out / "dem.tif")
    mp = scene.master
    lines, cols = np.arange(0, SIZE[0], 23), np.arange(0, SIZE[1], 19)
    lon0, lat0 = scene.start(mp.first_line_s + lines[:, None] * mp.ati + 0 * cols[None, :],
                             (mp.near_range_time_s + cols[None, :] / mp.fs) * C / 2 + 0 * lines[:, None])
    b = scene.block(lines, cols, lon0, lat0)
    ok = b["ok"]
    assert ok.mean() > 0.95
    m, s = (terrasar.open_product(f) for f in _folders(out))
    ll, cc = np.meshgrid(lines.astype(float), cols.astype(float), indexing="ij")
    line, col = m.geo2rdr(b["lon"][ok], b["lat"][ok], b["h"][ok])
    assert np.abs(line - ll[ok]).max() < 1e-3 and np.abs(col - cc[ok]).max() < 1e-3
    x = sg.llh_to_xyz(b["lon"], b["lat"], b["h"])
    moved = x + enu_to_ecef(b["lon"], b["lat"], scene.mogis[0].enu(b["lon"], b["lat"]))
    lon_s, lat_s, h_s = sg.to_geodetic(moved)
    line_s, col_s = s.geo2rdr(lon_s[ok], lat_s[ok], h_s[ok])
    dl, dc = scene.misregistration(ll, cc)
    assert np.abs(line_s - (b["line_s"][0] - dl)[ok]).max() < 1e-3
    assert np.abs(col_s - (b["col_s"][0] - dc)[ok]).max() < 1e-3


def test_names_and_sensors():
    tsx = "TSX1_SAR__SSC______SM_S_SRA_20090212T204239_20090212T204247"
    tdx = "TDX1_SAR__SSC______SM_D_SRA_20130303T051453_20130303T051501"
    assert acquisition_start(tsx) == ("20090212", "204239") and acquisition_start(tdx) == ("20130303", "051453")
    assert acquisition_labels([tsx, tdx]) == {tsx: "20090212", tdx: "20130303"}
    assert sensor_of(f"/data/{tsx}") == sensor_of(f"/data/{tdx}/") == "terrasar" and SENSORS["terrasar"] == "TerraSAR-X"
    assert sensor_of("/data/TSX1_SAR__MGD______SM_S_SRA_20090212T204239_20090212T204247") == "sentinel1"  # not SSC
    assert sensor_of("x/CSKS1_SCS_B_HI_0B_HH_RD_SF_20160818050327_20160818050334.h5") == "cosmo"


def _site(master, slave, **extra) -> dict:
    return config.validate({"site": "t", "products": {"master": str(master), "slave": str(slave)},
                            "polarisation": "HH", **extra})


def test_a_terrasar_pair_in_the_workflow_inputs(pair, tmp_path):
    out, _, _ = pair
    master, slave = _folders(out)
    inputs = Inputs.from_config(_site(master, slave, dem=str(out / "dem.tif")))
    assert inputs.sensor == "terrasar" and not inputs.iw and inputs.orbits is None
    assert (inputs.master, inputs.slave) == (master.name, slave.name)
    assert inputs.chain_product(master.name) == f"results/t/products/{master.name}"
    assert inputs.quicklook_source(master.name) == inputs.chain_product(master.name)
    assert inputs.truth == str(out / "truth") and inputs.pair == "20160818_20160830"
    assert f"results/t/pairs/{inputs.pair}/truth_comparison.json" in inputs.targets()
    for role, p in (("m", master), ("s", slave)):  # elsewhere: no truth beside them, no comparison
        shutil.copytree(p, tmp_path / role / p.name)
    elsewhere = Inputs.from_config(_site(tmp_path / "m" / master.name, tmp_path / "s" / slave.name))
    assert elsewhere.truth is None and not any(t.endswith("truth_comparison.json") for t in elsewhere.targets())


def test_mixed_sensors_and_orbit_folders_are_refused(pair, tmp_path):
    out, _, _ = pair
    master, slave = _folders(out)
    safe = "S1A_S4_SLC__1SDV_20160830T142205_20160830T142230_012345_012345_ABCD.SAFE"
    with pytest.raises(ConfigError, match=r"^products.slave: .*\.SAFE is a Sentinel-1 product and the master a "
                                          r"TerraSAR-X one; a pair \(or stack\) is one sensor's"):
        _site(master, tmp_path / safe)
    csk, _ = write_cosmo(tmp_path / "csk", CosmoConfig())
    with pytest.raises(ConfigError, match=r"^products.slave: .*\.h5 is a COSMO-SkyMed product and the master a "
                                          "TerraSAR-X one"):
        _site(master, csk)
    with pytest.raises(ConfigError, match=r"^products.slave: .*TSX1_SAR__SSC\w+ is a TerraSAR-X product and the "
                                          "master a COSMO-SkyMed one"):
        _site(csk, slave)
    with pytest.raises(ConfigError, match=r"^orbits: .*: TerraSAR-X products carry their own orbit"):
        _site(master, slave, orbits=str(tmp_path))
    with pytest.raises(DinsarError, match=r"a COSMO-SkyMed slave with a TerraSAR-X master; an interferogram is "
                                          r"made of one sensor's pair") as e:
        open_pair(master, csk, "HH")
    assert "\n" not in str(e.value)
    with pytest.raises(ProductError, match="TerraSAR-X products carry their own orbit"):
        open_chain_product(master, "HH", orbits=str(tmp_path))
    m, s = open_pair(master, slave, "HH")
    assert isinstance(m, terrasar.TerrasarProduct) and s.name == slave.name


def _with_mode(src: Path, dst_parent: Path, mode: str) -> Path:
    dst = dst_parent / src.name
    shutil.copytree(src, dst)
    xml = dst / f"{dst.name}.xml"
    xml.write_text(xml.read_text().replace("<imagingMode>SM</imagingMode>", f"<imagingMode>{mode}</imagingMode>"))
    return dst


def test_staging_checks_then_copies(pair, tmp_path):
    out, _, _ = pair
    master, _ = _folders(out)
    src = tmp_path / "src" / master.name
    shutil.copytree(master, src)
    spare = src / "IMAGEDATA" / "IMAGE_VV_SRA_strip_007.cos"  # another polarisation's image: left out
    shutil.copyfile(src / "IMAGEDATA" / "IMAGE_HH_SRA_strip_007.cos", spare)
    (src / "ANNOTATION").mkdir()
    (src / "ANNOTATION" / "GEOREF.xml").write_text("<georef/>")
    dst = stage_terrasar(src, tmp_path / "products" / src.name, polarisation="HH")
    assert sorted(p.relative_to(dst).as_posix() for p in dst.rglob("*")) == [
        "ANNOTATION", "ANNOTATION/GEOREF.xml", "IMAGEDATA", "IMAGEDATA/IMAGE_HH_SRA_strip_007.cos", f"{dst.name}.xml"]
    cos = "IMAGEDATA/IMAGE_HH_SRA_strip_007.cos"
    assert (dst / cos).read_bytes() == (master / cos).read_bytes()
    assert os.stat(dst / cos).st_ino != os.stat(src / cos).st_ino  # a copy: the user's files stay alone
    assert [p.name for p in dst.parent.iterdir()] == [dst.name]  # no temporary left
    assert terrasar.open_product(dst).read().shape == SIZE
    with pytest.raises(ProductError, match=r"no VV image \(offered: HH\); `polarisation:` in the config"):
        stage_terrasar(master, tmp_path / "vv" / master.name, polarisation="VV")
    scansar = _with_mode(master, tmp_path / "scansar", "SC")
    with pytest.raises(UnsupportedProductError, match=r"imagingMode SC \(ScanSAR\); this chain processes TerraSAR-X "
                                                      r"StripMap \(SM\) and Spotlight \(SL, HS, ST\) only"):
        stage_terrasar(scansar, tmp_path / "sc" / scansar.name)
    with pytest.raises(UnsupportedProductError, match="imagingMode WS"):
        open_chain_product(_with_mode(master, tmp_path / "ws", "WS"), "HH")
    spot = _with_mode(master, tmp_path / "spot", "HS")  # Spotlight is staged (its carrier: test_terrasar_spotlight)
    assert terrasar.open_product(stage_terrasar(spot, tmp_path / "hs" / spot.name)).mode == "HS"
    cut = tmp_path / "cut" / master.name
    shutil.copytree(master, cut)
    (cut / cos).write_bytes((master / cos).read_bytes()[:20_000])
    with pytest.raises(ProductError, match=r"truncated in burst 1 of 1 at data line"):
        stage_terrasar(cut, tmp_path / "t" / cut.name)
    assert not any((tmp_path / d).exists() for d in ("vv", "sc", "t"))


def test_resources_read_the_scene_size_from_the_xml(pair):
    from dinsar.resources import image_pixels

    master, _ = _folders(pair[0])
    assert image_pixels(master) == SIZE[0] * SIZE[1]


def test_cli_info_quicklook_and_simulate(pair, tmp_path, capsys):
    out, _, _ = pair
    master, _ = _folders(out)
    assert cli.main(["info", str(master)]) == 0
    shown = capsys.readouterr().out
    assert "TSX-1 (TerraSAR-X / TanDEM-X), orbit 34567 ascending" in shown
    assert "SM (StripMap) / strip_007" in shown and "radar wavelength (m)        0.031067" in shown
    assert cli.main(["info", str(master), "--orbit", "x.EOF"]) == 1
    assert "--swath and --orbit do not apply to a TerraSAR-X product" in capsys.readouterr().err
    scansar = _with_mode(master, tmp_path / "scansar", "SC")
    assert cli.main(["info", str(scansar)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "imagingMode SC (ScanSAR)" in err[0]
    assert cli.main(["info", str(_with_mode(master, tmp_path / "spot", "SL"))]) == 0
    assert "SL (" in capsys.readouterr().out
    assert cli.main(["quicklook", "-in", str(master), "-out", str(tmp_path / "ql.tif"), "-ml", "2", "2"]) == 0
    meta = json.loads((tmp_path / "ql.json").read_text())
    assert meta["polarisation"] == "HH" and meta["shape"] == [SIZE[0] // 2, SIZE[1] // 2]
    assert meta["wavelength_m"] == pytest.approx(WAVELENGTH_M)
    capsys.readouterr()
    assert cli.main(["simulate", "--out", str(tmp_path / "tsx"), "--sensor", "tsx", "--size", "96x80",
                     "--threads", "1"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith(f"{tmp_path / 'tsx'}/master/TSX1_SAR__SSC______SM_S_SRA_")
    assert terrasar.open_product(printed[1]).shape == (96, 80) and "TerraSAR-X StripMap SSC pair" in printed[2]
    assert cli.main(["simulate", "--out", str(tmp_path / "iw"), "--sensor", "tsx", "--mode", "IW"]) == 1
    assert "dinsar: --sensor tsx: a StripMap or Spotlight pair only (no --mode IW)" in capsys.readouterr().err


def test_the_pair_simulator_shares_no_code_with_the_chain():
    """dinsar.simulate.terrasar_pair and every dinsar.simulate module it imports import nothing of the chain
    (sensors, geometry, steps, interferometry, kernels): the chain is checked against it."""
    seen, bad = simulator_imports("dinsar.simulate.terrasar_pair")
    assert seen >= {"dinsar.simulate.terrasar_pair", "dinsar.simulate.terrasar_scene",
                    "dinsar.simulate.terrasar_writer", "dinsar.simulate.passes", "dinsar.simulate.images"}
    assert not bad, bad
