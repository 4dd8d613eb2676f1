"""MultiSLC (SAR_MultiSlc.py): a simulated stack of 4 dates through `dinsar stack`: every slave
coregistered on the master, the 3 master-slave and 3 slave-slave interferograms, baselines,
each pair's LOS displacement checked against the simulator's truth."""

import json
import subprocess
import sys

import numpy as np
import pytest
import rasterio
import yaml

from dinsar.steps.truth import compare_truth
from dinsar.workflow_inputs import IFG_OUTPUTS, PAIR_OUTPUTS
from tests.conftest import pair_folder

pytestmark = pytest.mark.workflow

STACK = [{"days": 12, "baseline_m": 100.0}, {"days": 24, "baseline_m": -60.0}, {"days": 36, "baseline_m": 30.0}]


def _dinsar(*args, cwd):
    run = subprocess.run([sys.executable, "-m", "dinsar.cli", *args], cwd=cwd, capture_output=True, text=True,
                         timeout=1200)
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    return run


def test_stack_of_four_dates(tmp_path):
    (tmp_path / "sim.yaml").write_text(yaml.safe_dump({"simulate": {"size": [320, 320], "stack": STACK}}))
    _dinsar("simulate", "--out", "sim", "--config", "sim.yaml", cwd=tmp_path)
    sim = tmp_path / "sim"
    truth = json.loads((sim / "truth" / "truth.json").read_text())
    assert len(truth["slaves"]) == 3
    run = _dinsar("stack", "-i", "sim/master", "sim/slave", "-d", "2016-08-01", "-f", "2016-12-31", "-m",
                  "2016-08-18", "-o", "out", "--dem", "sim/dem.tif", "--orbits", "sim/orbits",
                  "--small-baseline", "36", "200", "--cores", "2", cwd=tmp_path)
    assert "stack of 4 dates" in run.stdout
    site = tmp_path / "out" / "results" / "stack"
    master = truth["master"].removesuffix(".SAFE")
    slaves = [s.removesuffix(".SAFE") for s in truth["slaves"]]

    # baselines against the simulator's configuration (B⊥ at the scene centre, days)
    baselines = json.loads((site / "stack" / "baselines.json").read_text())
    got = {p["name"]: p for p in baselines["products"]}
    for name, cfg in zip(slaves, STACK, strict=True):
        assert got[name]["b_perp_m"] == pytest.approx(cfg["baseline_m"], abs=0.05)
        assert got[name]["days"] == pytest.approx(cfg["days"], abs=1e-6)
    assert (site / "stack" / "baselines.png").stat().st_size > 10_000
    sb_pairs = [tuple(p) for p in baselines["small_baseline_pairs"]]
    assert sb_pairs == [(slaves[0], slaves[1]), (slaves[0], slaves[2]), (slaves[1], slaves[2])]

    pairs = {pair_folder(master, s): (master, s) for s in slaves} | {pair_folder(a, b): (a, b) for a, b in sb_pairs}
    assert sorted(p.name for p in (site / "pairs").iterdir()) == sorted(pairs)
    coherence = {}
    for name, (ref, sec) in pairs.items():
        pair = site / "pairs" / name
        for out in PAIR_OUTPUTS if ref == master else IFG_OUTPUTS:
            assert (pair / out).is_file(), (name, out)
        info = json.loads((pair / "pair.json").read_text())
        assert (info["master"], info["slave"]) == (ref, sec)
        result = compare_truth(pair / "unwrapped.tif", pair / "interferogram_ml.tif", sim / "truth" / sec,
                               tmp_path / f"{name}.json",
                               reference_truth_dir=None if ref == master else sim / "truth" / ref)
        # the truth spans 45-195 mm of LOS motion; speckle and noise leave ~0.3 mm (demo: 0.21 mm)
        span = np.diff(result["truth_los_range_mm"])[0]
        assert span > 15, (name, result)
        assert result["los_rmse_mm"] < 0.6, (name, result)
        assert result["fraction"] > 0.85, (name, result)
        with rasterio.open(pair / "interferogram_ml.tif") as src:
            coh, ok = src.read(3), src.read(4) > 0
        coherence[name] = float(np.mean(coh[ok]))
    # slave-slave pairs share only gamma² of their reflectivity (the simulator's stack model)
    m_pairs = [coherence[n] for n, (r, _) in pairs.items() if r == master]
    s_pairs = [coherence[n] for n, (r, _) in pairs.items() if r != master]
    assert max(s_pairs) < min(m_pairs)
    # every slave resampled once (on the master grid), shared by its slave-slave pairs
    assert len(list((site / "pairs").glob("*/slave_coreg.tif"))) == 3
