"""IW TOPS with a site box: the merged grid cropped in range to the box (issue 18, "AOI <= 30 s").

MergeGrid.crop_columns on the three-sub-swath frame built from the Rome IW1 annotation (as in
test_deburst: IW2/IW3 shifted by 19500 3/7 and 39000 6/7 samples), with figures from plain arithmetic on
the uncropped grid; then the simulated IW pair through open_iw and the TOPS steps, each cropped result
against the same burst selection merged at full width (the reference) and against geo2rdr of the box.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
import rasterio
from rasterio.windows import from_bounds

from dinsar.errors import DinsarError, ProductError
from dinsar.geometry import deburst
from dinsar.geometry.radar import RadarGrid
from dinsar.io.annotation import parse_annotation
from dinsar.sensors import bursts, iw
from dinsar.sensors.merged import open_merged
from dinsar.settings import defaults
from dinsar.simulate.tops import IwPairConfig, write_iw_pair
from dinsar.steps import geometry, interferometry, tops
from tests.conftest import ROME_SAFE

ROME_XML = next((ROME_SAFE / "annotation").glob("s1a-iw1-slc-vv-*.xml"))
AZ_SHIFT_S = {"IW1": 0.0, "IW2": 0.832 - 0.002402, "IW3": 1.910 - 0.004804}  # test_deburst's frame
RG_SHIFT = {"IW1": 0.0, "IW2": 19500 + 3 / 7, "IW3": 39000 + 6 / 7}
INJECTED = 0.025  # lines: the simulated slave's along-track error (IwPairConfig.azimuth_error_lines)


@pytest.fixture(scope="module")
def frame() -> deburst.MergeGrid:
    ann = parse_annotation(ROME_XML.read_bytes(), str(ROME_XML))
    refs = bursts.bursts_of(ann, relative_orbit=117)
    plans, grids = [], []
    for sw in ("IW1", "IW2", "IW3"):
        shift = np.timedelta64(int(round(AZ_SHIFT_S[sw] * 1e9)), "ns")
        sub = [dataclasses.replace(b, swath=sw, azimuth_time=b.azimuth_time + shift) for b in refs]
        plans.append(deburst.deburst_plan(sub, ann.azimuth_time_interval_s, ann.samples_per_burst))
        grids.append(RadarGrid(first_line_s=AZ_SHIFT_S[sw], line_interval_s=ann.azimuth_time_interval_s,
                               near_range_time_s=ann.slant_range_time_s + RG_SHIFT[sw] / ann.range_sampling_rate_hz,
                               range_sampling_rate_hz=ann.range_sampling_rate_hz, wavelength_m=0.0555))
    return deburst.merge_grid(plans, grids)


def test_frame_figures(frame):
    # the uncropped grid the figures below start from (test_deburst.test_merged_grid derives them)
    assert (frame.lines, frame.samples) == (13124, 61694)
    assert [(p.first_col, p.stop_col) for p in frame.placements] == [(536, 20553), (20553, 40054), (40054, 60070)]


def test_crop_two_of_three_sub_swaths(frame):
    c = frame.crop_columns(15000, 30000)
    assert (c.samples, c.near_range_time_s) == (15000, frame.near_range_time_s + 15000 / frame.range_sampling_rate_hz)
    assert [p.swath for p in c.placements] == ["IW1", "IW2"] and len(c.plans) == 2
    p1, p2 = c.placements
    assert (p1.first_col, p1.stop_col, p1.col_offset) == (0, 20553 - 15000, -15000.0)
    assert (p2.first_col, p2.stop_col) == (20553 - 15000, 15000)
    assert p2.col_offset == pytest.approx(4500 + 3 / 7, abs=1e-9)
    # IW3 dropped; IW1 starts the grid, so no line goes, but the lines only IW3 reached do:
    # IW2 ends at merged line floor(403.588 + 12198 - 1) = 12600
    assert c.first_line_time == frame.first_line_time
    assert c.lines == math.floor(frame.placements[1].line_offset + 12198 - 1) + 1 == 12601
    assert [p.line_offset for p in c.placements] == [p.line_offset for p in frame.placements[:2]]
    # valid samples clamped to the sub-swath columns in the window: IW1's from 15000 on (its own columns =
    # merged), IW2's up to merged column 14999 = its column 14999 - 4500 3/7 = 10498.57, i.e. 10499 the last (the
    # merged pixel lies between its 10498 and 10499)
    assert {s.valid_samples for s in c.plans[0].spans} == {(15000, e) for e in
                                                           {s.valid_samples[1] for s in frame.plans[0].spans}}
    assert {s.valid_samples for s in c.plans[1].spans} == {(s.valid_samples[0], 10500) for s in frame.plans[1].spans}
    assert c.cut_columns == (20553 - 15000,)


def test_crop_keeps_every_pixel_where_it_was(frame):
    """Every pixel of the window comes from the same sub-swath, debursted line and column, burst and
    isData as in the uncropped grid (valid samples outside the window do not matter inside it)."""
    rng = np.random.default_rng(1)
    for c0, c1 in ((15000, 30000), (45000, 70000), (20000, 20900)):
        c = frame.crop_columns(c0, c1)
        lines = rng.integers(0, c.lines, 20000)
        cols = rng.integers(0, c.samples, 20000)
        shift = round((c.first_line_time - frame.first_line_time) / np.timedelta64(1, "ns") * 1e-9
                      / frame.line_interval_s)
        a, b = frame.locate(lines + shift, cols + c0), c.locate(lines, cols)
        names_a = np.array([frame.placements[k].swath if k >= 0 else "" for k in a.swath])
        names_b = np.array([c.placements[k].swath if k >= 0 else "" for k in b.swath])
        np.testing.assert_array_equal(names_a, names_b)
        np.testing.assert_allclose(b.line, a.line, atol=1e-9)
        np.testing.assert_allclose(b.col, a.col, atol=1e-9)
        np.testing.assert_array_equal(b.valid, a.valid)
        np.testing.assert_array_equal(b.span[b.valid], a.span[a.valid])
        assert a.valid.mean() > 0.5


def test_crop_to_one_sub_swath_drops_the_lines_before_it(frame):
    c = frame.crop_columns(45000, 70000)  # clipped to the grid's 61694 columns
    (p3,) = c.placements
    assert p3.swath == "IW3" and c.samples == 61694 - 45000
    assert (p3.first_col, p3.stop_col) == (0, 60070 - 45000)
    assert p3.col_offset == pytest.approx(39000 + 6 / 7 - 45000, abs=1e-9)
    off = frame.placements[2].line_offset  # 926.852: IW3's debursted line 0
    assert math.ceil(off) == 927
    assert c.first_line_time == frame.first_line_time + np.timedelta64(int(round(927 * frame.line_interval_s * 1e9)),
                                                                       "ns")
    assert p3.line_offset == pytest.approx(off - 927, abs=1e-9)
    assert c.lines == frame.lines - 927  # IW3 reaches the last line of the frame


@pytest.mark.parametrize("window", [(0, 536), (61000, 61694), (70000, 80000)])
def test_crop_without_any_sub_swath_refused(frame, window):
    with pytest.raises(DinsarError, match="no sub-swath of IW1\\+IW2\\+IW3 supplies a column") as e:
        frame.crop_columns(*window)
    assert "\n" not in str(e.value)


# --- the simulated pair ------------------------------------------------------------------------------------


def _safes(pair):
    return next((pair / "master").glob("*.SAFE")), next((pair / "slave").glob("*.SAFE"))


def _box(scene, lines, cols, dem):
    """The lon/lat box of the ground points of merged lines × columns on the DEM (at its mean height over a
    first box, then over that box), and the DEM's lowest and highest height over it."""
    p = scene.swaths[0].product
    g = scene.grid
    ll, cc = np.meshgrid(lines, cols, indexing="ij")
    seconds = float(p.orbit.seconds(g.first_line_time)) + ll * g.line_interval_s
    plines = (seconds - p.radar_grid.first_line_s) / g.line_interval_s
    h = 1000.0
    for _ in range(3):
        lon, lat, _ = p.rdr2geo(plines.ravel(), cc.ravel() - scene.grid.placements[0].col_offset, h)
        box = float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())
        heights = _dem_heights(dem, box)
        h = sum(heights) / 2
    return box, heights


def _dem_heights(dem, box, pad=0.002):
    """The DEM's (EPSG:4979: ellipsoidal) lowest and highest height over the box: the site's terrain."""
    with rasterio.open(dem) as src:
        assert src.crs.to_epsg() == 4979
        w = from_bounds(box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad, src.transform)
        h = src.read(1, window=w.round_offsets().round_lengths())
    return float(h.min()), float(h.max())


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    """The pair, and a box over the middle fifth of the merged columns around IW1's first burst cut (two
    bursts of IW1: an overlap for ESD), its terrain heights from the DEM."""
    pair = tmp_path_factory.mktemp("iw_crop_pair")
    write_iw_pair(pair, IwPairConfig(samples=512, seed=3))
    m, _ = _safes(pair)
    full = iw.open_iw(m, orbit=pair / "orbits")
    cut = full.grid.plans[0].cuts[0].line
    n = full.grid.samples
    return (pair, *_box(full, np.linspace(cut - 60, cut + 60, 7), np.linspace(0.4 * n, 0.6 * n, 7), pair / "dem.tif"))


def _tops_box(box) -> dict:
    return dict(zip(("lonmin", "latmin", "lonmax", "latmax"), box, strict=True))


def test_box_window_on_the_simulated_pair(sim):
    pair, box, heights = sim
    m, _ = _safes(pair)
    ref = iw.open_iw(m, orbit=pair / "orbits", box=box, crop=False)
    cropped = iw.open_iw(m, orbit=pair / "orbits", box=box, heights=heights)
    g, c = ref.grid, cropped.grid
    assert [p.swath for p in c.placements] == ["IW1", "IW2"]
    # the same bursts: IW1's two around its cut (IW2's bursts start 408 lines later: one of them)
    assert [[b.burst_id for b in s.bursts] for s in cropped.swaths] == [[b.burst_id for b in s.bursts]
                                                                        for s in ref.swaths]
    assert [len(s.bursts) for s in cropped.swaths] == [2, 1]
    c0 = (c.near_range_time_s - g.near_range_time_s) * g.range_sampling_rate_hz
    assert abs(c0 - round(c0)) < 1e-6
    c0 = round(c0)
    assert c0 > 0.1 * g.samples and c0 + c.samples < 0.9 * g.samples, (c0, c.samples)  # cropped on both sides
    assert abs(c.slant_range_time(0) - g.slant_range_time(c0)) < 1e-12
    assert abs(c.slant_range_time(c.samples - 1) - g.slant_range_time(c0 + c.samples - 1)) < 1e-12
    assert (c.lines, c.first_line_time) == (g.lines, g.first_line_time)
    # every point of the box's outline at the site's lowest and highest terrain, geo2rdr on IW1 alone (its
    # column 0 is the uncropped grid's), inside the cropped columns, with the margin on each side
    lon, lat = iw._outline(box)
    p = ref.swaths[0].product
    cols = np.concatenate([p.geo2rdr(lon, lat, np.full(lon.shape, h))[1] for h in heights]) - c0
    assert cols.min() >= iw.RANGE_MARGIN_SAMPLES - 1 and cols.max() <= c.samples - iw.RANGE_MARGIN_SAMPLES
    # and without a DEM (the annotation's bracket) never a narrower window
    wide = iw.open_iw(m, orbit=pair / "orbits", box=box).grid
    assert wide.near_range_time_s <= c.near_range_time_s and wide.slant_range_time(wide.samples - 1) >= \
        c.slant_range_time(c.samples - 1)


@pytest.fixture(scope="module")
def merged(sim, tmp_path_factory):
    """Both dates merged with the box, cropped (the DEM's heights as the bracket) and at full width (the
    range crop off), the master's DEM projection on each grid, the slave coregistered on each (ESD off and
    on), and the interferogram of the geometric coregistration."""
    pair, box, heights = sim
    m, s = _safes(pair)
    orbits = pair / "orbits"
    out = tmp_path_factory.mktemp("iw_crop_merged")
    opts = dataclasses.replace(defaults().tops, box=_tops_box(box))
    mp = pytest.MonkeyPatch()
    try:
        for tag, patch in (("crop", ("height_bracket", lambda subs: heights)),
                           ("full", ("box_columns", lambda *a, **k: None))):
            mp.setattr(iw, *patch)
            d = out / tag
            d.mkdir()
            tops.merge(m, d / "m.merged.json", d / f"{m.stem}.tif", orbits=orbits, opts=opts, threads=2)
            tops.merge(s, d / "s.merged.json", orbits=orbits, opts=opts, threads=2)
            geometry.dem_projection(d / "m.merged.json", pair / "dem.tif", d / "proj.tif", d / "height.tif",
                                    d / "xyz.tif", orbits=orbits, threads=2)
            for esd in ("off", "pair"):
                tops.coregister(m, s, d / "m.merged.json", d / "height.tif", d / f"coreg_{esd}.tif", d / f"{esd}.json",
                                orbits=orbits, opts=dataclasses.replace(opts, esd=esd), threads=2)
            # the StripMap chain from here on sees only the merged grid: one look, so that columns align
            interferometry.interferogram(d / "m.merged.json", d / "s.merged.json", d / "coreg_off.tif",
                                         d / "height.tif", d / "ifg.tif", looks=(1, 1), orbits=orbits, threads=2)
            mp.undo()
    finally:
        mp.undo()
    return out


def _read(path):
    with rasterio.open(path) as src:
        return src.read(1)


def _c0(out) -> int:
    a, b = (json.loads((out / t / "m.merged.json").read_text()) for t in ("crop", "full"))
    c0 = (a["near_range_time_s"] - b["near_range_time_s"]) * a["range_sampling_rate_hz"]
    assert abs(c0 - round(c0)) < 1e-6
    return round(c0)


def test_merged_sidecar_and_slc_are_the_full_width_ones_columns(merged):
    crop, full = (json.loads((merged / t / "m.merged.json").read_text()) for t in ("crop", "full"))
    c0 = _c0(merged)
    n = crop["shape"][1]
    assert crop["shape"][0] == full["shape"][0] and 0 < c0 and c0 + n < full["shape"][1]
    for a, b in zip(crop["placements"], full["placements"], strict=True):
        assert a["swath"] == b["swath"] and a["bursts"] == b["bursts"] and a["cuts"] == b["cuts"]
        assert a["col_offset"] == pytest.approx(b["col_offset"] - c0, abs=1e-9)
        assert a["columns"] == [min(max(v - c0, 0), n) for v in b["columns"]]
    slc_crop = _read(merged / "crop" / open_merged(merged / "crop" / "m.merged.json").meta["slc"])
    slc_full = _read(merged / "full" / open_merged(merged / "full" / "m.merged.json").meta["slc"])
    ref = slc_full[:, c0:c0 + n]
    assert np.count_nonzero(ref) > 0.6 * ref.size  # IW2 has one burst of the two lines IW1 has
    # bit for bit: a merged pixel's source column (column - col_offset) is the same real number on both
    # grids and col_offset - c0 (435 3/7 - 181) is exact in float64, so the same double is interpolated;
    # where that subtraction rounds (a result in a higher binade) it would differ by one ulp, ~1e-12 px
    np.testing.assert_array_equal(slc_crop, ref)


def test_slave_on_the_masters_cropped_grid(merged):
    """The coregistered slave: on the cropped master grid, the full-width one's columns (geometry only:
    ESD off), and ESD finds the injected along-track error from the overlap pixels inside the window."""
    c0 = _c0(merged)
    crop = open_merged(merged / "crop" / "m.merged.json")
    coreg = _read(merged / "crop" / "coreg_off.tif")
    assert coreg.shape == crop.shape
    ref = _read(merged / "full" / "coreg_off.tif")[:, c0:c0 + crop.shape[1]]
    both = (coreg != 0) & (ref != 0)
    assert both.mean() > 0.6 and np.array_equal(coreg != 0, ref != 0)
    # not bit for bit: each grid's heights come from its own DEM projection, which differ by up to 2 mm
    # (float32 sums over other pixel sets); that moves a slave position by ~1e-6 px: seen 2e-7 of the mean
    # amplitude at the 99.9 % quantile, 4e-4 at most (the steepest speckle)
    err = np.abs(coreg[both] - ref[both]) / np.abs(ref[both]).mean()
    assert np.quantile(err, 0.999) < 1e-5 and err.max() < 3e-3, np.quantile(err, [0.5, 0.999, 1])
    heights = [_read(merged / t / "height.tif") for t in ("crop", "full")]
    assert np.nanmax(np.abs(heights[0] - heights[1][:, c0:c0 + crop.shape[1]])) < 0.01
    esd_crop, esd_full = (json.loads((merged / t / "pair.json").read_text()) for t in ("crop", "full"))
    assert abs(esd_crop["shift_lines"] - INJECTED) < 1e-3
    assert 0.2 * esd_full["pixels"] < esd_crop["pixels"] < 0.8 * esd_full["pixels"]  # the window's part only
    assert esd_crop["matched_bursts"] == esd_full["matched_bursts"]


def test_box_over_one_sub_swath_drops_the_other(sim, monkeypatch):
    """A box just past the IW1 | IW2 cut, at IW1's burst cut: IW1's bursts meet it (their footprints run to
    IW1's last sample, past the cut) but none of the columns IW1 supplies is within the margin of it.

    The simulated sub-swaths overlap by 77 samples (15 % of 512): IW1's valid samples run 16 past the cut,
    its footprint 52; real seams share ~860 valid columns, ~430 past the cut (test_deburst's frame). A
    margin of 8 samples gives the simulation those proportions: with 64 no box could meet IW1's footprint
    and lie a margin past the cut."""
    monkeypatch.setattr(iw, "RANGE_MARGIN_SAMPLES", 8)
    pair, _, _ = sim
    m, s = _safes(pair)
    full = iw.open_iw(m, orbit=pair / "orbits")
    cut = full.grid.plans[0].cuts[0].line
    n = full.grid.samples
    box, heights = _box(full, np.linspace(cut - 10, cut + 10, 3), np.linspace(0.54 * n, 0.54 * n + 10, 3),
                        pair / "dem.tif")
    ref = iw.open_iw(m, orbit=pair / "orbits", box=box, crop=False)
    assert ref.swath_names == "IW1+IW2"  # IW1's bursts meet the box (footprints at the annotated heights)
    scene = iw.open_iw(m, orbit=pair / "orbits", box=box, heights=heights)
    assert scene.swath_names == "IW2" and [p.swath for p in scene.grid.placements] == ["IW2"]
    g, (p2,) = scene.grid, scene.grid.placements
    # IW2's first line is the grid's, to the whole line (it starts 408.0002 lines after IW1)
    off = ref.grid.placements[1].line_offset
    assert -1 < p2.line_offset <= 0 and p2.line_offset == pytest.approx(off - math.ceil(off), abs=1e-9)
    t0 = ref.grid.first_line_time + np.timedelta64(int(round(math.ceil(off) * g.line_interval_s * 1e9)), "ns")
    assert g.first_line_time == t0
    lon, lat = iw._outline(box)
    p = scene.swaths[0].product
    cols = np.concatenate([p.geo2rdr(lon, lat, np.full(lon.shape, h))[1] for h in heights]) + p2.col_offset
    assert cols.min() >= 0 and cols.max() < g.samples
    plans, grid, matched = scene.pair_plans(iw.open_iw(s, orbit=pair / "orbits", box=box, crop=False))
    assert list(matched) == ["IW2"] and len(plans) == 1 and grid.placements == scene.grid.placements


def test_box_outside_every_sub_swath_refused(sim):
    pair, box, _ = sim
    m, _ = _safes(pair)
    east = (box[0] + 0.3, box[1], box[2] + 0.3, box[3])  # ~30 km beyond the 2 km-wide sub-swaths
    with pytest.raises(ProductError, match="over the site box") as e:
        iw.open_iw(m, orbit=pair / "orbits", box=east)
    assert "\n" not in str(e.value)


def test_interferogram_on_the_cropped_grid(merged):
    """The flattened phase of the cropped pair (its flat earth from the cropped sidecar's near range) is the
    full-width pair's at the same columns, and isData is the same."""
    c0 = _c0(merged)
    with rasterio.open(merged / "crop" / "ifg.tif") as a, rasterio.open(merged / "full" / "ifg.tif") as b:
        x, y = a.read(), b.read()[:, :, c0:c0 + a.width]
    np.testing.assert_array_equal(x[3], y[3])
    ok = x[3] > 0
    assert ok.mean() > 0.5
    dphi = np.abs(np.angle(np.exp(1j * (x[1][ok] - y[1][ok]))))
    # not bit for bit: the slave offsets come from a table whose nodes sit at other columns on the other
    # grid (within 1e-6 px of geo2rdr: ~5e-4 rad of flat earth), and the heights differ by up to 2 mm; seen
    # 5e-5 rad median, 1.6e-4 at the 99.9 % quantile, 2.6e-3 at a near-zero sample. A cropped near range
    # off by a sample would put the slave a sample off its master: speckle against speckle, random phase
    assert np.quantile(dphi, 0.999) < 1e-3 and dphi.max() < 0.02, np.quantile(dphi, [0.5, 0.999, 1])
