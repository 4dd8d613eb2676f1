"""The merged IW master does not depend on where the EOF's state vectors fall in time.

Regression: each sub-swath keeps the EOF vectors within its own first line − 60 s .. last line + 60 s and
counts its seconds from its first kept vector. With a vector between IW1's and IW2's first line − 60 s
the two sub-swaths' epochs differ by one vector interval (10 s), and a merge that subtracted one
sub-swath's seconds from another's left IW2 silently blank. Here the simulated pair's orbit is re-timed
so that a vector sits exactly there; the merged master must equal the one made with vectors that do not.
"""

from __future__ import annotations

import numpy as np
import rasterio

from dinsar.io.eof import read_eof
from dinsar.sensors.iw import open_iw
from dinsar.simulate.eof_writer import write_eof
from dinsar.simulate.tops import IwPairConfig, write_iw_pair
from dinsar.steps import tops

STEP_S = 10.0
ARC_S = 150.0
MARGIN_S = 60.0  # sentinel1.ORBIT_MARGIN_S, restated: the window the regression needs a vector inside


def _local(sv, around):
    """The vectors within ±ARC_S of a time: a fit over a few minutes of orbit stays sub-millimetre."""
    keep = np.abs((sv.time - around) / np.timedelta64(1, "s")) <= ARC_S
    return sv.time[keep], sv.position[keep]


def _retimed_eof(src_eof, out_dir, first_vector, around):
    """The simulated orbit resampled at first_vector + k·10 s: a degree-8 fit in time of its positions
    near the scene, velocities its derivative."""
    time, position = _local(read_eof(src_eof), around)
    t0 = time[0]
    sec = (time - t0) / np.timedelta64(1, "s")
    n = int((sec[-1] - (first_vector - t0) / np.timedelta64(1, "s")) // STEP_S)
    times = first_vector + (np.arange(n) * STEP_S * 1e9).astype("timedelta64[ns]")
    at = (times - t0) / np.timedelta64(1, "s")
    scale = sec[-1]
    fits = [np.polynomial.Polynomial.fit(sec / scale, position[:, k], 8) for k in range(3)]
    pos = np.stack([f(at / scale) for f in fits], axis=1)
    vel = np.stack([f.deriv()(at / scale) / scale for f in fits], axis=1)
    assert np.abs(np.stack([f(sec / scale) for f in fits], axis=1) - position).max() < 1e-3
    return write_eof(out_dir, src_eof.name[:3], times, pos, vel, np.datetime64("2016-09-20T00:00:00"))


def test_merge_does_not_depend_on_the_orbit_vectors_timing(tmp_path):
    pair = tmp_path / "pair"
    write_iw_pair(pair, IwPairConfig(samples=256, seed=5))
    master = next((pair / "master").glob("*.SAFE"))
    scene = open_iw(master, "VV")
    first = {s.product.swath: s.product.annotation.first_line_time for s in scene.swaths}
    assert set(first) == {"IW1", "IW2"} and first["IW2"] > first["IW1"]
    # a vector after IW1's window start and before IW2's: IW1 keeps it first, IW2 starts one later
    between = first["IW2"] - np.timedelta64(int(MARGIN_S * 1e9), "ns") - np.timedelta64(int(
        (first["IW2"] - first["IW1"]) / np.timedelta64(1, "ns") / 2), "ns")
    day = str(first["IW1"])[:10].replace("-", "")
    src = next(f for f in (pair / "orbits").glob("*.EOF") if f"_V{day}" in f.name)
    t_first = _local(read_eof(src), first["IW1"])[0][0]
    start = between - np.timedelta64(int(STEP_S * 1e9), "ns") * int((between - t_first) / np.timedelta64(10, "s"))
    straddling, aligned = tmp_path / "straddling", tmp_path / "aligned"
    straddling.mkdir()
    aligned.mkdir()
    _retimed_eof(src, straddling, start, first["IW1"])
    # the control: one vector 3 s before IW1's window, so both sub-swaths keep the same first vector
    _retimed_eof(src, aligned, first["IW1"] - np.timedelta64(63, "s")
                 - np.timedelta64(10, "s") * int((first["IW1"] - np.timedelta64(63, "s") - t_first)
                                                 / np.timedelta64(10, "s")), first["IW1"])
    # the setup does what it says: the sub-swaths' orbits count seconds from epochs 10 s apart
    t = first["IW1"]
    epochs = [float(s.product.orbit.seconds(t)) for s in open_iw(master, "VV", orbit=straddling).swaths]
    assert abs(abs(epochs[0] - epochs[1]) - STEP_S) < 1e-6
    epochs = [float(s.product.orbit.seconds(t)) for s in open_iw(master, "VV", orbit=aligned).swaths]
    assert abs(epochs[0] - epochs[1]) < 1e-6
    out = {}
    for tag, orbits in (("straddling", straddling), ("aligned", aligned)):
        tops.merge(master, tmp_path / f"{tag}.merged.json", tmp_path / f"{tag}.tif", orbits=orbits)
        with rasterio.open(tmp_path / f"{tag}.tif") as f:
            out[tag] = f.read(1)
    a, b = out["aligned"], out["straddling"]
    grid = scene.grid
    for p in grid.placements:
        cols = slice(p.first_col, p.stop_col)
        assert np.count_nonzero(b[:, cols]) > 0.8 * b[:, cols].size, f"{p.swath} blank in the merged master"
    # same data, orbits within a millimetre: the merge samples the same positions (1e-5 of the amplitude
    # allows float32 rounding of the windowed sinc at fractional positions)
    assert np.abs(a - b).max() <= 1e-5 * np.abs(a).max()
