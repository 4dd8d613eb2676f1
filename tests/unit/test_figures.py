"""The pair's figures (issue 20.1): each map from a small synthetic raster has a colour bar in its unit,
a title with the site, the two dates and the product; wrapped phase is on a cyclic map from -π to π;
the LOS displacement's ±limits are the colour bar's ends; the PNG's size is bounded; no pyplot state."""

import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from dinsar.io import plots

TAGS = {"MASTER_TIME": "2016-08-18T14:22:05.000", "SLAVE_TIME": "2016-08-30T14:22:05.002",
        "WAVELENGTH_M": "0.05546576", "ML_LOOKS": "3 3"}
H, W = 150, 200


def _write(path, data, **extra):
    data = np.asarray(data)
    data = data[None] if data.ndim == 2 else data
    profile = dict(driver="GTiff", height=data.shape[1], width=data.shape[2], count=data.shape[0],
                   dtype=data.dtype.name, **extra)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
        dst.update_tags(**TAGS)
    return path


def _bump(h=H, w=W, peak=8.0):
    yy, xx = np.mgrid[0:h, 0:w]
    return peak * np.exp(-((yy - h / 2) ** 2 + (xx - w / 2) ** 2) / (h / 3) ** 2)


@pytest.fixture(scope="module")
def rasters(tmp_path_factory):
    """interferogram_ml.tif, filtered.tif, unwrapped.tif, los_displacement.tif of a pair folder of site `etna`."""
    pair = tmp_path_factory.mktemp("figures") / "results" / "etna" / "pairs" / "20160818_20160830"
    pair.mkdir(parents=True)
    phi = _bump()
    ok = np.ones((H, W), np.float32)
    ok[:, :10] = 0  # a no-data strip
    ifg = np.stack([np.ones((H, W)), np.angle(np.exp(1j * phi)), np.full((H, W), 0.8), ok]).astype(np.float32)
    unw = np.where(ok > 0, phi - phi[75, 20], np.nan).astype(np.float32)
    los = (-float(TAGS["WAVELENGTH_M"]) * unw / (4 * np.pi)).astype(np.float32)
    return {
        "ifg": _write(pair / "interferogram_ml.tif", ifg),
        "filtered": _write(pair / "filtered.tif", (np.exp(1j * phi) * ok).astype(np.complex64)),
        "unwrapped": _write(pair / "unwrapped.tif", unw, nodata=np.nan),
        "los": _write(pair / "los_displacement.tif", los, nodata=np.nan, crs="EPSG:4326",
                      transform=from_origin(55.6, -21.2, 0.0005, 0.0005)),
    }


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])  # IHDR width, height


MAPS = [
    (plots.interferogram_phase_figure, "ifg", "wrapped phase (rad)", "interferogram phase"),
    (plots.coherence_figure, "ifg", "coherence (1)", "coherence"),
    (plots.filtered_phase_figure, "filtered", "wrapped phase (rad)", "filtered phase"),
    (plots.unwrapped_figure, "unwrapped", "unwrapped phase − reference (rad)", "unwrapped phase"),
    (plots.los_figure, "los", "LOS displacement toward the satellite (mm)", "LOS displacement"),
]


@pytest.mark.parametrize(("build", "raster", "label", "product"), MAPS, ids=[m[3] for m in MAPS])
def test_each_map_has_a_colour_bar_in_its_unit_and_a_title(rasters, tmp_path, build, raster, label, product):
    fig = build(rasters[raster])
    image_axes, bar_axes = fig.axes
    assert bar_axes.get_ylabel() == label
    title = fig.texts[0].get_text()
    assert title == f"etna · 2016-08-18 → 2016-08-30 · {product}"
    assert "grey: no data" in " ".join(t.get_text() for t in fig.texts[1:])
    (image,) = image_axes.images
    assert np.ma.is_masked(image.get_array())  # the no-data strip
    png = tmp_path / "map.png"
    plots.save(fig, png)
    width, height = _png_size(png)
    # a 200x150 raster is drawn at MIN_SIDE (480) pixels wide, plus the labels and the colour bar
    assert plots.MIN_SIDE < width < plots.MIN_SIDE + 400 and 250 < height < 800
    assert [p.name for p in tmp_path.iterdir()] == ["map.png"]  # written under a temporary name, then renamed


def test_wrapped_phase_is_cyclic_from_minus_pi_to_pi(rasters):
    for build, raster in ((plots.interferogram_phase_figure, "ifg"), (plots.filtered_phase_figure, "filtered")):
        fig = build(rasters[raster])
        (image,) = fig.axes[0].images
        assert image.get_cmap().name.startswith("twilight")
        assert image.get_clim() == (-np.pi, np.pi)
        bar = fig.axes[1]
        assert [t.get_text() for t in bar.get_yticklabels()] == ["−π", "−π/2", "0", "π/2", "π"]


def test_the_los_limits_are_on_the_colour_bar(rasters):
    with rasterio.open(rasters["los"]) as src:
        mm = 1000.0 * src.read(1).astype(np.float64)
    limit = float(np.percentile(np.abs(mm[np.isfinite(mm)]), 99))
    fig = plots.los_figure(rasters["los"])
    ax, bar = fig.axes
    assert ax.images[0].get_clim() == pytest.approx((-limit, limit))
    assert bar.get_ylim() == pytest.approx((-limit, limit))
    ticks = [t.get_text() for t in bar.get_yticklabels()]
    assert ticks[0] == f"{-limit:+.3g}".replace("-", "−") and ticks[-1] == f"{limit:+.3g}"
    notes = " ".join(t.get_text() for t in fig.texts)
    assert f"clipped at ±{limit:.3g} mm" in notes and "positive: toward the satellite" in notes
    assert ax.get_xlabel() == "longitude (°)" and ax.get_ylabel() == "latitude (°)"
    assert ax.get_xlim() == pytest.approx((55.6, 55.6 + W * 0.0005))


def test_unwrapped_limits_in_rad_and_mm_and_the_reference_marked(rasters, tmp_path):
    with rasterio.open(rasters["unwrapped"], "r+") as dst:
        dst.update_tags(REFERENCE_LINE="75", REFERENCE_COL="20")
    fig = plots.unwrapped_figure(rasters["unwrapped"])
    with rasterio.open(rasters["unwrapped"]) as src:
        unw = src.read(1)
    limit = float(np.percentile(np.abs(unw[np.isfinite(unw)]), 99))
    mm = float(TAGS["WAVELENGTH_M"]) * limit / (4 * np.pi) * 1000
    notes = " ".join(t.get_text() for t in fig.texts)
    assert f"±{limit:.3g} rad, i.e. ∓{mm:.3g} mm toward the satellite" in notes
    (cross,) = fig.axes[0].lines
    assert (cross.get_xdata()[0], cross.get_ydata()[0]) == (20.5, 75.5)


def test_a_large_raster_is_read_decimated(tmp_path):
    big = _write(tmp_path / "unwrapped.tif", _bump(900, 2400).astype(np.float32))
    fig = plots.unwrapped_figure(big, max_size=600)
    (image,) = fig.axes[0].images
    assert image.get_array().shape == (225, 600)  # 1/4 in both directions
    assert fig.texts[0].get_text() == "2016-08-18 → 2016-08-30 · unwrapped phase"  # outside a site: no site
    plots.save(fig, tmp_path / "u.png")
    width, _ = _png_size(tmp_path / "u.png")
    assert width < 600 + 400


def test_no_pyplot_state(rasters, tmp_path):
    """The figures never import pyplot (no global figure manager to leak into)."""
    code = (f"import sys; from dinsar.io import plots; "
            f"plots.save(plots.los_figure({str(rasters['los'])!r}), {str(tmp_path / 'l.png')!r}); "
            f"plots.baselines_png([{{'name': 'a', 'time': '2016-08-18T14:22:05', 'b_perp_m': 0.0, 'master': True}}, "
            f"{{'name': 'b', 'time': '2016-08-30T14:22:05', 'b_perp_m': 40.0, 'master': False}}], [], "
            f"{str(tmp_path / 'b.png')!r}); "
            f"assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "l.png").stat().st_size > 5000 and (tmp_path / "b.png").stat().st_size > 5000
