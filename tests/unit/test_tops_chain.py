"""IW TOPS through the chain's steps on a simulated two-sub-swath pair: merge, ESD coregistration, interferogram.

The simulator (dinsar.simulate.tops) shares no code with the chain: its slave is late by an along-track
timing error of 0.025 lines that neither its annotation nor its orbit shows, so only ESD can find it, and
its truth is on its own zero-Doppler grid.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import rasterio

from dinsar.errors import DinsarError
from dinsar.settings import defaults
from dinsar.simulate.tops import IwPairConfig, write_iw_pair
from dinsar.steps import geometry, interferometry, tops
from dinsar.steps.truth import _truth_los

INJECTED = 0.025  # lines (IwPairConfig.azimuth_error_lines)


def _safes(pair):
    return next((pair / "master").glob("*.SAFE")), next((pair / "slave").glob("*.SAFE"))


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """The pair simulated, both dates merged, the master's DEM projection, then coregistration and
    interferogram with ESD and without."""
    pair = tmp_path_factory.mktemp("iw_pair")
    write_iw_pair(pair, IwPairConfig(samples=512, seed=3))
    out = tmp_path_factory.mktemp("iw_chain")
    m, s = _safes(pair)
    orbits = pair / "orbits"
    tops.merge(m, out / "m.merged.json", out / f"{m.stem}.tif", orbits=orbits, threads=2)
    tops.merge(s, out / "s.merged.json", orbits=orbits, threads=2)  # a slave: its sidecar only
    geometry.dem_projection(out / "m.merged.json", pair / "dem.tif", out / "proj.tif", out / "height.tif",
                            out / "xyz.tif", orbits=orbits, threads=2, dst_sidecar=out / "radar_grid.json")
    for tag, esd in (("esd", "pair"), ("noesd", "off")):
        opts = dataclasses.replace(defaults().tops, esd=esd)
        tops.coregister(m, s, out / "m.merged.json", out / "height.tif", out / f"coreg_{tag}.tif",
                        out / f"{tag}.json", orbits=orbits, opts=opts, threads=2)
        interferometry.interferogram(out / "m.merged.json", out / "s.merged.json", out / f"coreg_{tag}.tif",
                                     out / "height.tif", out / f"ifg_{tag}.tif", looks=(3, 3), orbits=orbits,
                                     threads=2)
    return pair, out


def _phase(path):
    with rasterio.open(path) as src:
        _, phase, coh, ok = src.read()
    return np.where(ok > 0, np.exp(1j * phase), 0), coh, ok > 0


def _burst_seam_jumps(ifg, meta, looks=3, gap=2, span=12):
    """The phase jump at each burst cut (rad): the phase of the ML rows (summed over the sub-swath's
    columns, unwrapped along azimuth) fitted by a line on each side of the cut, rows gap .. span away (a
    row straddling the cut mixes both bursts), the two lines' difference at the cut."""
    z, _, _ = _phase(ifg)
    jumps = []
    for p in meta["placements"]:
        c0, c1 = (int(v) // looks for v in p["columns"])
        rows = z[:, c0:c1].sum(axis=1)
        for cut in p["cuts"]:
            at = (cut["line"] + p["line_offset"]) / looks - 0.5  # between ML rows: where the bursts meet
            r = int(round(at))
            idx = np.arange(r - span, r + span)
            phase = np.unwrap(np.angle(rows[idx]))
            before, after = idx < r - gap, idx >= r + gap
            fit_b = np.polyfit(idx[before], phase[before], 1)
            fit_a = np.polyfit(idx[after], phase[after], 1)
            jumps.append(float(np.polyval(fit_a, at) - np.polyval(fit_b, at)))
    return np.array(jumps)


def test_esd_recovers_the_injected_timing_error(chain):
    _, out = chain
    esd = json.loads((out / "esd.json").read_text())
    # the requirement: within 0.0005 lines (0.001 px gives ~3.5° at the seams); the estimate's own
    # standard error must say so too, and every overlap of both sub-swaths is used
    assert abs(esd["shift_lines"] - INJECTED) < 5e-4
    assert esd["std_lines"] < 5e-4
    assert len(esd["overlaps"]) == 4 and not any(o["rejected"] for o in esd["overlaps"])
    assert esd["pixels"] > 10_000
    assert json.loads((out / "noesd.json").read_text())["shift_lines"] == 0.0


def test_seam_jumps_without_and_with_esd(chain):
    _, out = chain
    meta = json.loads((out / "m.merged.json").read_text())
    without = _burst_seam_jumps(out / "ifg_noesd.tif", meta)
    with_esd = _burst_seam_jumps(out / "ifg_esd.tif", meta)
    assert without.size == 4  # two cuts in each of IW1, IW2
    # 0.025 lines at Δf_ovl = k_t·T_cycle (IW1 ≈ 1780·2.758 Hz, IW2 ≈ 1620·2.758 Hz): 2π Δf δ Δt ≈ 1.59 and
    # 1.44 rad expected at the seams
    expected = 2 * np.pi * np.array([1780, 1780, 1620, 1620]) * 2.758 * INJECTED * 2.0555563e-3
    np.testing.assert_allclose(np.abs(without), expected, rtol=0.15)
    assert np.all(np.abs(with_esd) < 0.05), with_esd


def test_sub_swath_seam_is_continuous(chain):
    """IW1 | IW2 at the merge's cut column: no phase step (each pixel from its own sub-swath, fractional
    near-range offset interpolated, not rounded)."""
    _, out = chain
    meta = json.loads((out / "m.merged.json").read_text())
    z, _, ok = _phase(out / "ifg_esd.tif")
    cut = meta["placements"][1]["columns"][0] // 3
    left, right = z[:, cut - 3:cut].sum(1), z[:, cut:cut + 3].sum(1)
    farther, further = z[:, cut - 6:cut - 3].sum(1), z[:, cut + 3:cut + 6].sum(1)
    step = np.angle(np.sum(right * np.conj(left)))
    grad = 0.5 * (np.angle(np.sum(left * np.conj(farther))) + np.angle(np.sum(further * np.conj(right))))
    assert abs(step - grad) < 0.05


def test_wrapped_phase_matches_the_truth(chain):
    """The flattened interferogram against the truth's deformation phase, interpolated from the truth's own
    zero-Doppler grid onto the merged master grid (no shared code), over the coherent pixels."""
    pair, out = chain
    from dinsar.geometry.multilook import MultilookGrid

    grid = MultilookGrid.from_raster(out / "ifg_esd.tif")
    truth = grid.mean(_truth_los(pair / "truth", grid.full_shape, out / "radar_grid.json"))
    wavelength = json.loads((pair / "truth" / "truth.json").read_text())["wavelength_m"]
    z, coh, ok = _phase(out / "ifg_esd.tif")
    use = ok & (coh > 0.5) & np.isfinite(truth)
    assert use.mean() > 0.8
    resid = z[use] * np.exp(1j * 4 * np.pi * truth[use] / wavelength)
    resid *= np.conj(np.mean(resid)) / abs(np.mean(resid))  # the phase reference is free
    rms = float(np.sqrt(np.mean(np.angle(resid) ** 2)))
    # the demo's speckle at 3x3 looks and coherence 0.8-0.9 gives ~0.2 rad (the StripMap pair: 0.17)
    assert rms < 0.3, rms


def test_isdata_zero_outside_bursts(chain):
    """The merged grid's corners that no sub-swath covers (IW2 starts 402 lines after IW1) have no data."""
    _, out = chain
    _, _, ok = _phase(out / "ifg_esd.tif")
    assert 0.7 < ok.mean() < 0.99
    m, _ = _safes(chain[0])
    with rasterio.open(out / f"{m.stem}.tif") as src:
        m = src.read(1)
    assert np.all(m[0, -50:] == 0)  # IW2's far range at the first lines: before IW2's first burst


def test_slave_without_the_first_burst(tmp_path):
    """A slave with one burst fewer at the start: bursts are matched by ID, the master's first burst has no
    partner (no data there) and ESD uses the remaining overlaps."""
    pair = tmp_path / "pair"
    write_iw_pair(pair, IwPairConfig(samples=256, seed=5, slave_skip_first_bursts=1))
    m, s = _safes(pair)
    orbits = pair / "orbits"
    tops.merge(m, tmp_path / "m.merged.json", orbits=orbits)
    geometry.dem_projection(tmp_path / "m.merged.json", pair / "dem.tif", tmp_path / "p.tif", tmp_path / "h.tif",
                            tmp_path / "x.tif", orbits=orbits)
    tops.coregister(m, s, tmp_path / "m.merged.json", tmp_path / "h.tif", tmp_path / "c.tif", tmp_path / "e.json",
                    orbits=orbits)
    esd = json.loads((tmp_path / "e.json").read_text())
    for swath, pairs in esd["matched_bursts"].items():
        assert len(pairs) == 2, swath
        assert [p[3] for p in pairs] == [0, 1] and [p[2] for p in pairs] == [1, 2]  # slave index, master index
    assert len(esd["overlaps"]) == 2
    assert abs(esd["shift_lines"] - INJECTED) < 1e-3
    with rasterio.open(tmp_path / "c.tif") as src:
        c = src.read(1)
    meta = json.loads((tmp_path / "m.merged.json").read_text())
    first_cut = int(meta["placements"][0]["cuts"][0]["line"] + meta["placements"][0]["line_offset"])
    # the master's first burst has no slave burst; the second supplies its own valid lines from its start,
    # half an overlap (~60 lines) before the cut
    assert np.all(c[: first_cut - 80] == 0)
    assert np.count_nonzero(c[first_cut + 20:]) > 0


def test_pair_without_common_burst_is_refused(chain):
    """The master's bursts over one end of the scene, the slave's over the other: no burst in common, one
    line naming both products."""
    from dinsar.sensors import bursts
    from dinsar.sensors.iw import open_iw

    pair, _ = chain
    m, s = _safes(pair)
    refs = bursts.bursts_of(open_iw(m, orbit=pair / "orbits", swaths=("IW2",)).swaths[0].product)

    def box_in(ref, d=0.001):  # a small box at the middle of one burst's footprint
        lon, lat = ref.footprint.mean(axis=0)
        return lon - d, lat - d, lon + d, lat + d

    scene = open_iw(m, orbit=pair / "orbits", box=box_in(refs[0]), swaths=("IW2",))
    other = open_iw(s, orbit=pair / "orbits", box=box_in(refs[-1]), swaths=("IW2",))
    assert [b.burst_id for b in scene.swaths[0].bursts] == [refs[0].burst_id]
    assert [b.burst_id for b in other.swaths[0].bursts] == [refs[-1].burst_id]
    with pytest.raises(DinsarError, match="share no burst") as e:
        scene.pair_plans(other)
    assert "\n" not in str(e.value)
