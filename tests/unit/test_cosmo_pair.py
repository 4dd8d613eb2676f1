"""The COSMO-SkyMed pair simulator (dinsar.simulate.cosmo_pair) and how a COSMO-SkyMed product enters the
chain: the reader reads back exactly what the simulator wrote, the reader's geometry puts the simulator's
scatterers where the simulator put them, the names, the config and the refusals (mixed sensors, orbit
folders)."""

import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

import h5py
import numpy as np
import pytest
import rasterio

from dinsar import cli, config
from dinsar.errors import ConfigError, DinsarError, ProductError
from dinsar.layout import acquisition_labels, acquisition_start
from dinsar.sensors import cosmo, sensor_of
from dinsar.simulate import cosmo_pair
from dinsar.simulate.config import BANDWIDTH_AZ, BANDWIDTH_RG, PairConfig
from dinsar.simulate.cosmo_scene import PIXEL_M, PRF_HZ, WAVELENGTH_M, CosmoConfig
from dinsar.simulate.cosmo_writer import write_product
from dinsar.simulate.mogi import enu_to_ecef
from dinsar.steps.common import open_chain_product
from dinsar.steps.interferometry import open_pair
from dinsar.steps.preprocess import stage_hdf5
from dinsar.workflow_inputs import Inputs
from tests.unit.simulator_imports import simulator_imports

C = 299_792_458.0
SIZE = (256, 192)
GENERATIONS = [pytest.param(1, id="CSK"), pytest.param(2, id="CSG")]


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    """generation -> (folder, config, truth summary), each pair simulated once for the module."""
    made = {}

    def pair(gen):
        if gen not in made:
            out = tmp_path_factory.mktemp(f"cosmo_pair{gen}")
            cfg = PairConfig(size=SIZE, seed=3)
            made[gen] = (out, cfg, cosmo_pair.write_cosmo_pair(out, cfg, generation=gen))
        return made[gen]

    return pair


def _products(out: Path) -> tuple[Path, Path]:
    (m,) = (out / "master").glob("*.h5")
    (s,) = (out / "slave").glob("*.h5")
    return m, s


@pytest.mark.parametrize("gen", GENERATIONS)
def test_layout_is_the_simulators(pairs, gen):
    out, cfg, summary = pairs(gen)
    master, slave = _products(out)
    assert (out / "dem.tif").is_file() and not list(out.glob(".simulate.*"))  # no work folder left
    truth = json.loads((out / "truth" / "truth.json").read_text())
    assert truth == json.loads(json.dumps(summary, default=float))
    assert (truth["master"], truth["slave"]) == (master.name, slave.name)
    assert truth["sensor"] == "COSMO-SkyMed" and truth["generation"] == gen
    assert truth["wavelength_m"] == WAVELENGTH_M == 0.031228
    assert master.name.startswith("CSKS2_SCS_B_HI_" if gen == 1 else "CSG_SSAR1_SCS_B_0101_STR_")
    for name in ("los_displacement.tif", "offsets.tif", "coherence.tif", "deformation_phase.tif", "height.tif"):
        with rasterio.open(out / "truth" / name) as src:
            assert (src.height, src.width) == SIZE, name
    with rasterio.open(out / "truth" / "los_displacement.tif") as src:
        los = src.read(1)
    assert np.isfinite(los).mean() > 0.99  # every scatterer resolved but a few layover ones
    assert 0.005 < np.nanmax(los) - np.nanmin(los) < 0.1  # the Mogi source's few cm, a few X-band fringes


@pytest.mark.parametrize("gen", GENERATIONS)
def test_reader_reads_back_what_was_written(pairs, gen):
    out, cfg, summary = pairs(gen)
    scene = cosmo_pair.build_cosmo_scene(cfg, out / "dem.tif", gen)  # the same scene, made again
    for path, p, days, shift in zip(_products(out), (scene.master, scene.slaves[0]), (0, cfg.days),
                                    (0.0, cfg.slave_shift[0]), strict=True):
        q = cosmo.open_product(path)  # no polarisation, no orbit: the file's only image, its own orbit
        assert q.name == path.stem and q.shape == SIZE and q.generation == gen
        assert q.mission == cosmo_pair.SATELLITE[gen] and q.imaging_mode == "StripMap" and q.supported_by_chain
        assert q.polarisation == "HH" and q.look_side == "right" and q.product_type == "SCS_B"
        start = np.datetime64(cfg.start_time, "ns") + np.timedelta64(days, "D")
        assert abs((q.start_time - start) / np.timedelta64(1, "ns") * 1e-9 - shift / PRF_HZ) < 1e-9
        g = q.radar_grid
        assert g.line_interval_s == p.ati == 1.0 / PRF_HZ
        assert g.range_sampling_rate_hz == pytest.approx(p.fs, rel=1e-15) and C / (2 * p.fs) == pytest.approx(PIXEL_M)
        assert g.near_range_time_s == p.near_range_time_s and g.wavelength_m == pytest.approx(WAVELENGTH_M, rel=1e-15)
        sv = q.state_vectors  # exactly the pass's: every 5 s, seconds of the day since `Reference UTC`
        np.testing.assert_array_equal(sv.position, p.sv_pos)
        np.testing.assert_array_equal(sv.velocity, p.sv_vel)
        np.testing.assert_array_equal((sv.time - p.epoch) / np.timedelta64(1, "ns"), np.round(p.sv_t * 1e9))
        assert p.epoch == p.epoch.astype("M8[D]").astype("M8[ns]")  # midnight of the day
        mid = g.near_range_time_s + SIZE[1] / 2 / g.range_sampling_rate_hz
        assert float(q.doppler_centroid(mid)) == 0.0  # synthesised at baseband: zero Doppler
        assert q.azimuth_bandwidth_fraction == pytest.approx(BANDWIDTH_AZ)
        assert q.range_bandwidth_fraction == pytest.approx(BANDWIDTH_RG)
        with h5py.File(path) as f:
            ds = f["S01/SBI" if gen == 1 else "S01/IMG"]
            assert ds.dtype == np.int16 and ds.shape == (*SIZE, 2)
            assert f.attrs["Mission ID"] == (b"CSK" if gen == 1 else b"CSG")
        z = q.read()
        assert z.dtype == np.complex64 and np.mean(np.abs(z) ** 2) > 100  # speckle of ~60 DN, not zeros


@pytest.mark.parametrize("flips", [(False, False), (True, False), (False, True), (True, True)],
                         ids=["natural", "lines", "columns", "both"])
def test_samples_are_the_synthesised_ones(pairs, tmp_path, flips):
    """_write_h5 copies the synthesised CInt16 image sample for sample, whatever the storage order."""
    out, cfg, _ = pairs(1)
    scene = cosmo_pair.build_cosmo_scene(cfg, out / "dem.tif", 1)
    header = cosmo_pair._radar_scene(scene.master, cfg, 1, (55.72, -21.24, 2000.0))
    header = replace(header, cfg=replace(header.cfg, flip_lines=flips[0], flip_columns=flips[1]))
    rng = np.random.default_rng(5)
    image = (rng.integers(-3000, 3000, SIZE) + 1j * rng.integers(-3000, 3000, SIZE)).astype(np.complex64)
    tiff = tmp_path / "image.tiff"
    with rasterio.open(tiff, "w", driver="GTiff", height=SIZE[0], width=SIZE[1], count=1,
                       dtype="complex_int16") as w:
        w.write(image, 1)
    monkey = cosmo_pair.COPY_LINES
    try:
        cosmo_pair.COPY_LINES = 100  # blocks that do not divide the image
        cosmo_pair._write_h5(tmp_path / "p.h5", header, tiff)
    finally:
        cosmo_pair.COPY_LINES = monkey
    np.testing.assert_array_equal(cosmo.open_product(tmp_path / "p.h5").read(), image)


@pytest.mark.parametrize("gen", GENERATIONS)
def test_the_readers_geometry_puts_the_scatterers_where_the_simulator_did(pairs, gen):
    """Master pixels' ground points (the simulator's numpy/PROJ solver on the DEM) fall back on their pixel
    through the reader's orbit (Lagrange) and the chain's geo2rdr; the slave sees the moved ground where
    the simulator put it, less the injected misregistration: both < 1e-3 px."""
    out, cfg, _ = pairs(gen)
    scene = cosmo_pair.build_cosmo_scene(cfg, out / "dem.tif", gen)
    lines, cols = np.arange(0, SIZE[0], 37), np.arange(0, SIZE[1], 29)
    lon0, lat0 = scene.start(scene.master.first_line_s + lines[:, None] * scene.master.ati + 0 * cols[None, :],
                             (scene.master.near_range_time_s + cols[None, :] / scene.master.fs) * C / 2
                             + 0 * lines[:, None])
    b = scene.block(lines, cols, lon0, lat0)
    ok = b["ok"]
    m, s = (cosmo.open_product(p) for p in _products(out))
    ll, cc = np.meshgrid(lines.astype(float), cols.astype(float), indexing="ij")
    line, col = m.geo2rdr(b["lon"][ok], b["lat"][ok], b["h"][ok])
    assert np.abs(line - ll[ok]).max() < 1e-3 and np.abs(col - cc[ok]).max() < 1e-3
    from dinsar.simulate import geometry as sg

    x = sg.llh_to_xyz(b["lon"], b["lat"], b["h"])
    moved = x + enu_to_ecef(b["lon"], b["lat"], scene.mogis[0].enu(b["lon"], b["lat"]))
    lon_s, lat_s, h_s = sg.to_geodetic(moved)
    line_s, col_s = s.geo2rdr(lon_s[ok], lat_s[ok], h_s[ok])
    dl, dc = scene.misregistration(ll, cc)
    assert np.abs(line_s - (b["line_s"][0] - dl)[ok]).max() < 1e-3
    assert np.abs(col_s - (b["col_s"][0] - dc)[ok]).max() < 1e-3


def test_names_and_sensors():
    csk = "CSKS1_SCS_B_HI_0B_HH_RD_SF_20160818050327_20160818050334"
    csg = "CSG_SSAR1_SCS_B_0101_STR_005_HH_RA_F_20210401051229_20210401051236_1_F_40N_Z33_N00"
    assert acquisition_start(csk) == ("20160818", "050327")
    assert acquisition_start(csg) == ("20210401", "051229")
    assert acquisition_start("S1A_S4_SLC__1SDV_20160818T142205_20160818T142230_012345_012345_ABCD") == \
        ("20160818", "142205")
    assert acquisition_labels([csk, csk.replace("20160818", "20160819")]) == \
        {csk: "20160818", csk.replace("20160818", "20160819"): "20160819"}
    with pytest.raises(ValueError, match="no acquisition start"):
        acquisition_start("CSKS1_SCS_B_HI_0B_HH")
    assert sensor_of(f"/x/{csk}.h5") == "cosmo" and sensor_of("a/b.SAFE/") == "sentinel1"
    assert sensor_of("a.zip") == sensor_of("a.merged.json") == "sentinel1"


def _site(master, slave, **extra) -> dict:
    return config.validate({"site": "c", "products": {"master": str(master), "slave": str(slave)},
                            "polarisation": "HH", **extra})


def test_a_cosmo_pair_in_the_workflow_inputs(pairs, tmp_path):
    out, _, _ = pairs(1)
    master, slave = _products(out)
    inputs = Inputs.from_config(_site(master, slave, dem=str(out / "dem.tif")))
    assert inputs.sensor == "cosmo" and not inputs.iw and inputs.orbits is None
    assert (inputs.master, inputs.slave) == (master.stem, slave.stem)
    assert inputs.chain_product(master.stem) == f"results/c/products/{master.stem}.h5"
    assert inputs.quicklook_source(master.stem) == inputs.chain_product(master.stem)
    assert inputs.truth == str(out / "truth") and inputs.truth_dir(slave.stem) == str(out / "truth")
    assert inputs.pair == "20160818_20160830"
    assert f"results/c/pairs/{inputs.pair}/truth_comparison.json" in inputs.targets()
    assert f"results/c/quicklook/{master.stem}_hh_ml.png" in inputs.targets()
    # the same files elsewhere: no truth beside them, so no comparison
    for role, p in (("m", master), ("s", slave)):
        (tmp_path / role).mkdir()
        shutil.copy(p, tmp_path / role / p.name)
    elsewhere = Inputs.from_config(_site(tmp_path / "m" / master.name, tmp_path / "s" / slave.name))
    assert elsewhere.truth is None
    assert not any(t.endswith("truth_comparison.json") for t in elsewhere.targets())


def test_mixed_sensors_and_orbit_folders_are_refused(pairs, tmp_path):
    out, _, _ = pairs(1)
    master, slave = _products(out)
    safe = "S1A_S4_SLC__1SDV_20160830T142205_20160830T142230_012345_012345_ABCD.SAFE"
    with pytest.raises(ConfigError, match=r"^products.slave: .*\.SAFE is a Sentinel-1 product and the master a "
                                          r"COSMO-SkyMed one; a pair \(or stack\) is one sensor's"):
        _site(master, tmp_path / safe)
    with pytest.raises(ConfigError, match=r"^products.slaves.1: .* is a COSMO-SkyMed product and the master a "
                                          "Sentinel-1 one"):
        config.validate({"site": "c", "products": {"master": str(tmp_path / safe), "slaves": [
            str(tmp_path / safe.replace("0830", "0911")), str(slave)]}})
    with pytest.raises(ConfigError, match=r"^orbits: .*: COSMO-SkyMed products carry their own orbit"):
        _site(master, slave, orbits=str(tmp_path))
    # the step refuses it too (a library caller, no config): one line, before opening anything
    with pytest.raises(DinsarError, match=r"a Sentinel-1 slave with a COSMO-SkyMed master; an interferogram is "
                                          r"made of one sensor's pair") as e:
        open_pair(master, tmp_path / safe, "HH")
    assert "\n" not in str(e.value)
    with pytest.raises(ProductError, match="COSMO-SkyMed products carry their own orbit"):
        open_chain_product(master, "HH", orbits=str(tmp_path))


def test_the_chain_opens_stripmap_and_spotlight(tmp_path):
    strip, _ = write_product(tmp_path / "sm", CosmoConfig(generation=2))
    spot, _ = write_product(tmp_path / "spot", CosmoConfig(generation=1, mode="SPOTLIGHT"))
    p = open_chain_product(strip, None)
    assert isinstance(p, cosmo.CosmoProduct) and p.mode == "STRIPMAP" and p.azimuth_carrier is None
    q = open_chain_product(spot, "HH")
    assert q.mode == "ENHANCED SPOTLIGHT" and q.azimuth_carrier is not None
    assert stage_hdf5(spot, tmp_path / "x.h5").read_bytes() == spot.read_bytes()


def test_staging_checks_then_copies(pairs, tmp_path):
    out, _, _ = pairs(2)
    master, _ = _products(out)
    dst = stage_hdf5(master, tmp_path / "products" / f"{master.stem}.h5", polarisation="HH")
    assert dst.read_bytes() == master.read_bytes()
    assert os.stat(dst).st_ino != os.stat(master).st_ino  # a copy: touching it leaves the user's file alone
    assert [p.name for p in dst.parent.iterdir()] == [dst.name]  # no temporary left
    with pytest.raises(ProductError, match=r"no VV image \(offered: S01 HH\); `polarisation:` in the config"):
        stage_hdf5(master, tmp_path / "vv.h5", polarisation="VV")
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(master.read_bytes()[: master.stat().st_size // 2])
    with pytest.raises(ProductError):
        stage_hdf5(truncated, tmp_path / "t.h5")
    assert not (tmp_path / "vv.h5").exists() and not (tmp_path / "t.h5").exists()


def test_cli_info_quicklook_and_simulate(pairs, tmp_path, capsys):
    out, _, _ = pairs(1)
    master, _ = _products(out)
    assert cli.main(["info", str(master)]) == 0
    shown = capsys.readouterr().out
    assert "CSKS2 (COSMO-SkyMed first-generation (CSK))" in shown and "HIMAGE (StripMap) / H4-03" in shown
    assert "radar wavelength (m)        0.031228" in shown
    assert cli.main(["info", str(master), "--orbit", "x.EOF"]) == 1
    assert "--swath and --orbit do not apply" in capsys.readouterr().err
    assert cli.main(["quicklook", "-in", str(master), "-out", str(tmp_path / "ql.tif"), "-ml", "2", "2"]) == 0
    meta = json.loads((tmp_path / "ql.json").read_text())
    assert meta["polarisation"] == "HH" and meta["shape"] == [SIZE[0] // 2, SIZE[1] // 2]
    assert meta["wavelength_m"] == pytest.approx(WAVELENGTH_M)
    capsys.readouterr()
    assert cli.main(["simulate", "--out", str(tmp_path / "csg"), "--sensor", "csg", "--size", "96x80",
                     "--threads", "1"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith(f"{tmp_path / 'csg'}/master/CSG_") and printed[0].endswith(".h5")
    assert cosmo.open_product(printed[1]).generation == 2 and cosmo.open_product(printed[1]).shape == (96, 80)
    assert cli.main(["simulate", "--out", str(tmp_path / "iw"), "--sensor", "csk", "--mode", "IW"]) == 1
    assert "dinsar: --sensor csk: a StripMap or Spotlight pair only (no --mode IW)" in capsys.readouterr().err


def test_the_pair_simulator_shares_no_code_with_the_chain():
    """dinsar.simulate.cosmo_pair, and every dinsar.simulate module it imports (in functions too), imports
    nothing of the chain (sensors, geometry, steps, interferometry, kernels): the chain is checked against it."""
    seen, bad = simulator_imports("dinsar.simulate.cosmo_pair")
    assert seen >= {"dinsar.simulate.cosmo_pair", "dinsar.simulate.passes", "dinsar.simulate.images",
                    "dinsar.simulate.cosmo_writer", "dinsar.simulate.synthesis", "dinsar.simulate.mogi"}
    assert "dinsar.simulate.scene" not in seen  # the Sentinel-1 scene converts DEM datums with the chain's code
    assert not bad, bad
