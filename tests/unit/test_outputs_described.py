"""Self-describing outputs (issue 20.2): the rasters a user opens, as the chain's steps write them on a
small simulated pair, name every band and give its unit, and carry the acquisitions, the platform,
the wavelength, the sign convention, the looks, dinsar's version and the config that made them."""

import dataclasses
import hashlib
import json

import numpy as np
import pytest
import rasterio

import dinsar
from dinsar import steps
from dinsar.settings import defaults
from dinsar.simulate.pair import PairConfig, write_pair
from dinsar.steps import geocode as geocode_step
from dinsar.steps import interferometry as chain
from dinsar.steps.unwrap import filter_unwrap

UNITS = {  # each output's band units
    "interferogram_ml.tif": ("1", "rad", "1", "1"),
    "filtered.tif": ("1",),
    "unwrapped.tif": ("rad", "1"),
    "los_displacement.tif": ("m",),
    "los_enu.tif": ("1", "1", "1"),
    "coherence_geo.tif": ("1",),
    "phase_geo.tif": ("rad",),
}
GEOCODED = ("los_displacement.tif", "los_enu.tif", "coherence_geo.tif", "phase_geo.tif")
CONFIG_KEYS = {  # the config sections each output records, its own step's over its inputs'
    "interferogram_ml.tif": {"multilook"},
    "filtered.tif": {"multilook", "filter"},
    "unwrapped.tif": {"multilook", "filter", "unwrap"},
    **{name: {"multilook", "filter", "unwrap", "geocode", "dem_vertical"} for name in GEOCODED},
}
PNGS = ("interferogram_phase.png", "coherence.png", "filtered_phase.png", "unwrapped.png", "los_displacement.png")


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """The chain's outputs for a 384² simulated pair, in the layout's pair folder of site `site1`."""
    out = tmp_path_factory.mktemp("described")
    write_pair(out, PairConfig(size=(384, 384), seed=4))
    m = next((out / "master").glob("*.SAFE"))
    s = next((out / "slave").glob("*.SAFE"))
    g = out / "results" / "site1" / "pairs" / "20160818_20160830"
    steps.dem_projection(m, out / "dem.tif", g / "p.tif", g / "h.tif", g / "xyz.tif", threads=2)
    chain.deformation_grid(m, s, g / "xyz.tif", g / "grid.tif", g / "grid.json", threads=2)
    chain.coregister(m, s, g / "h.tif", g / "grid.json", g / "coreg.tif", threads=2)
    chain.interferogram(m, s, g / "coreg.tif", g / "h.tif", g / "interferogram_ml.tif", (3, 3), threads=2,
                        dst_png_phase=g / "interferogram_phase.png", dst_png_coherence=g / "coherence.png")
    filter_unwrap(g / "interferogram_ml.tif", g / "filtered.tif", g / "unwrapped.tif",
                  dst_png=g / "filtered_phase.png", dst_unwrapped_png=g / "unwrapped.png")
    geocode_step.geocode(m, out / "dem.tif", g / "unwrapped.tif", g / "interferogram_ml.tif",
                         g / "los_displacement.tif", g / "los_enu.tif", g / "coherence_geo.tif",
                         filtered_tif=g / "filtered.tif", dst_phase=g / "phase_geo.tif",
                         dst_los_png=g / "los_displacement.png")
    return g, m, s


@pytest.mark.parametrize("name", list(UNITS))
def test_every_band_has_a_name_and_a_unit(pair, name):
    g, _, _ = pair
    with rasterio.open(g / name) as src:
        assert src.units == UNITS[name]
        assert all(d and d.strip() for d in src.descriptions), src.descriptions
    if name == "los_displacement.tif":
        assert src.descriptions == ("LOS displacement toward the satellite (m)",)


@pytest.mark.parametrize("name", list(UNITS))
def test_each_output_carries_the_pair_the_software_and_the_config(pair, name):
    g, m, s = pair
    with rasterio.open(g / name) as src:
        tags = src.tags()
    assert tags["MASTER"] == m.stem and tags["SLAVE"] == s.stem
    assert tags["MASTER_TIME"].startswith("2016-08-18T14:22:05") and tags["SLAVE_TIME"].startswith("2016-08-30")
    assert tags["MASTER_PLATFORM"] == tags["SLAVE_PLATFORM"] == "S1A"
    assert tags["POLARISATION"] == "VV" and tags["MODE"]
    assert float(tags["WAVELENGTH_M"]) == pytest.approx(0.0555, abs=1e-3)
    assert tags["LOS_SIGN"].startswith("positive toward the satellite")
    assert tags["ML_LOOKS"] == "3 3" and float(tags["ML_ENL"]) > 1
    assert ("ML_SHAPE" in tags) == (name not in GEOCODED)  # a geocoded raster is not on the radar grid
    assert tags["DINSAR_VERSION"] == dinsar.__version__
    assert tags["TIFFTAG_SOFTWARE"] == f"dinsar {dinsar.__version__}"
    assert tags["PRODUCT"]
    config = json.loads(tags["CONFIG"])
    assert set(config) == CONFIG_KEYS[name]
    assert config["multilook"] == {"looks": [3, 3]}
    if "filter" in config:
        assert config["filter"] == dataclasses.asdict(defaults().filter)
    assert tags["CONFIG_SHA256"] == hashlib.sha256(tags["CONFIG"].encode()).hexdigest()


def test_another_config_another_hash(pair, tmp_path):
    g, _, _ = pair
    stronger = dataclasses.replace(defaults().filter, alpha=0.8)
    filter_unwrap(g / "interferogram_ml.tif", tmp_path / "filtered.tif", tmp_path / "unwrapped.tif", stronger)
    with rasterio.open(g / "unwrapped.tif") as a, rasterio.open(tmp_path / "unwrapped.tif") as b:
        ta, tb = a.tags(), b.tags()
    assert json.loads(tb["CONFIG"])["filter"]["alpha"] == 0.8
    assert ta["CONFIG_SHA256"] != tb["CONFIG_SHA256"]


def test_the_chain_draws_its_figures(pair):
    """Each PNG of the pair is a figure with a colour bar (wider than its raster), titled with the site."""
    from dinsar.io import plots

    g, _, _ = pair
    for name in PNGS:
        with rasterio.open(g / name) as png:
            assert png.driver == "PNG" and png.count in (3, 4) and png.width > plots.MIN_SIDE
    fig = plots.los_figure(g / "los_displacement.tif")
    assert fig.texts[0].get_text() == "site1 · 2016-08-18 → 2016-08-30 · LOS displacement"
    with rasterio.open(g / "los_displacement.tif") as src:
        mm = 1000 * src.read(1)
    limit = np.percentile(np.abs(mm[np.isfinite(mm)]), 99)
    assert fig.axes[1].get_ylim() == pytest.approx((-limit, limit))
