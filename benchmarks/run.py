"""Benchmarks of the chain: per-step wall time, CPU time and peak RSS, and side-by-side baselines.

    python benchmarks/run.py --size 2048x2048            # the demo-size pair (cached in benchmarks/cache/)
    python benchmarks/run.py --size 25000x40000 --steps ifg   # full size (hours with today's simulator)
    python benchmarks/run.py --size 2048x2048 --steps rules   # unpack, quicklook, ... (after a `--steps all`)

Each step runs in its own process under /usr/bin/time -v (peak RSS of that step alone).
Results are appended to benchmarks/RESULTS.md with the machine and date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable
# the simulated pair places the shared test data's real orbit when it sits beside the checkout (as
# the recorded results did); the library no longer looks for it. The step processes inherit it.
SHARED_ORBIT = (HERE.parent.parent / "shared" / "data" / "s1_iw_slc_azores" /
                "S1A_OPER_AUX_RESORB_OPOD_20220918T093241_V20220918T053155_20220918T084925.EOF")
if SHARED_ORBIT.is_file():
    os.environ.setdefault("DINSAR_ORBIT_FILE", str(SHARED_ORBIT))

STEP_CODE = {
    "simulate": "from dinsar.simulate.pair import PairConfig, write_pair; "
                "write_pair(OUT, PairConfig(size=SIZE, seed=1))",
    "dem_projection": "from dinsar import steps; steps.dem_projection(M, OUT/'dem.tif', G/'dem_projection.tif', "
                      "G/'height.tif', G/'xyz.tif', threads=T)",
    "deformation_grid": "from dinsar.steps import interferometry as I; "
                        "I.deformation_grid(M, S, G/'xyz.tif', G/'grid.tif', G/'grid.json', threads=T)",
    "coregister": "from dinsar.steps import interferometry as I; "
                  "I.coregister(M, S, G/'height.tif', G/'grid.json', G/'slave_coreg.tif', threads=T)",
    "interferogram": "from dinsar.steps import interferometry as I; "
                     "I.interferogram(M, S, G/'slave_coreg.tif', G/'height.tif', G/'interferogram_ml.tif', (3, 3), "
                     "threads=T)",
    "unwrap": "from dinsar.steps import unwrap as I; "
              "I.filter_unwrap(G/'interferogram_ml.tif', G/'filtered.tif', G/'unwrapped.tif', threads=T)",
    "geocode": "from dinsar.steps import geocode as I; "
               "I.geocode(M, OUT/'dem.tif', G/'unwrapped.tif', G/'interferogram_ml.tif', G/'los.tif', "
               "G/'los_enu.tif', G/'coherence_geo.tif', threads=T)",
    # the other rules of a pair's workflow (`--steps rules`; compare_truth reads a `--steps all` run's outputs)
    "unpack": "from dinsar import steps; import shutil; shutil.rmtree(G/'unpacked.SAFE', ignore_errors=True); "
              "steps.unpack(M, G/'unpacked.SAFE')",
    "quicklook": "from dinsar import steps; steps.quicklook(M, G/'quicklook.tif', G/'quicklook.png', looks=(3, 3), "
                 "threads=T)",
    "simulate_amplitude": "from dinsar import steps; steps.simulate_amplitude(M, OUT/'dem.tif', G/'amplitude.tif', "
                          "G/'shadow.tif', G/'layover.tif', G/'amplitude.png', threads=T)",
    "doppler0": "from dinsar import steps; steps.doppler0(M, G/'doppler0.json', threads=T)",
    "compare_truth": "from dinsar.steps import truth as I; I.compare_truth(G/'unwrapped.tif', "
                     "G/'interferogram_ml.tif', OUT/'truth', G/'truth_comparison.json')",
}
CHAINS = {"ifg": ["dem_projection", "deformation_grid", "coregister", "interferogram"],
          "all": ["dem_projection", "deformation_grid", "coregister", "interferogram", "unwrap", "geocode"],
          "rules": ["unpack", "quicklook", "simulate_amplitude", "doppler0", "compare_truth"]}


def run_step(name: str, out: Path, size, threads: int) -> dict:
    prelude = (f"from pathlib import Path; OUT = Path({str(out)!r}); G = OUT / 'chain'; SIZE = {tuple(size)!r}; "
               f"T = {threads}; M = next((OUT / 'master').glob('*.SAFE'), None); "
               f"S = next((OUT / 'slave').glob('*.SAFE'), None); G.mkdir(parents=True, exist_ok=True); ")
    cmd = ["/usr/bin/time", "-v", PY, "-c", prelude + STEP_CODE[name]]
    t0 = time.perf_counter()
    run = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if run.returncode != 0:
        raise SystemExit(f"step {name} failed:\n{run.stderr[-2000:]}")

    def field(label):
        m = re.search(rf"{label}: ([0-9.:]+)", run.stderr)
        return m.group(1) if m else "0"

    cpu = float(field("User time \\(seconds\\)")) + float(field("System time \\(seconds\\)"))
    return {"step": name, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "peak_rss_mb": round(int(field("Maximum resident set size \\(kbytes\\)")) / 1024, 1)}


def baselines(size: int = 1024, threads: int = 2) -> list[dict]:
    """The chain's kernels against the obvious alternatives on the same data."""
    import numba
    import numpy as np
    from scipy import ndimage

    from dinsar.kernels.multilook import multilook_complex
    from dinsar.kernels.resample import resample

    numba.set_num_threads(threads)
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((size, size)) + 1j * rng.standard_normal((size, size))).astype(np.complex64)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    y, x = yy + 0.3 + 1e-4 * xx, xx - 0.2 + 1e-4 * yy
    out = []

    def best(f, n=3):
        f()  # compile / warm caches
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            f()
            times.append(time.perf_counter() - t0)
        return min(times)

    ours = best(lambda: resample(a, 0, 0, y, x))
    ref = best(lambda: ndimage.map_coordinates(a.real, [y, x], order=3)
               + 1j * ndimage.map_coordinates(a.imag, [y, x], order=3), n=1)
    out.append({"kernel": f"resample {size}² (12-tap sinc, two-pass blocks) vs map_coordinates order 3 "
                          "(real+imag)", "ours_s": ours, "baseline_s": ref})
    exact = best(lambda: resample(a, 0, 0, y, x, exact=True))
    out.append({"kernel": f"resample {size}² exact 2-D sum vs map_coordinates order 3", "ours_s": exact,
                "baseline_s": ref})
    numba.set_num_threads(1)
    one = best(lambda: resample(a, 0, 0, y, x))
    numba.set_num_threads(threads)
    out.append({"kernel": f"resample thread scaling 1 -> {threads}", "ours_s": ours, "baseline_s": one})
    ours = best(lambda: multilook_complex(a, 3, 3))
    h, w = size // 3 * 3, size // 3 * 3
    ref = best(lambda: a[:h, :w].reshape(h // 3, 3, w // 3, 3).mean(axis=(1, 3)))
    out.append({"kernel": f"complex multilook 3×3 {size}² vs numpy reshape-mean", "ours_s": ours, "baseline_s": ref})
    s = np.roll(a, 1, axis=1)
    ifg = best(lambda: multilook_complex(a * np.conj(s), 3, 3))
    ref = best(lambda: (a * np.conj(s))[:h, :w].reshape(h // 3, 3, w // 3, 3).mean(axis=(1, 3)))
    out.append({"kernel": f"interferogram + multilook {size}² vs numpy", "ours_s": ifg, "baseline_s": ref})
    return out


def sarsen_baseline(threads: int = 2) -> dict | None:
    """DEM projection of the Rome DEM on the IW1 orbit: ours vs sarsen's backward geocoding."""
    try:
        import xarray as xr
        from sarsen import geocoding
        from sarsen import orbit as sarsen_orbit
    except ImportError:
        return None
    import numba

    from dinsar.geometry import dem as dem_mod
    from dinsar.geometry.projection import dem_to_radar
    from dinsar.sensors.sentinel1 import open_product

    data = HERE.parent.parent / "shared" / "data"
    if not data.is_dir():
        return None
    numba.set_num_threads(threads)
    dem_mod.use_geoid_dir(data / "geoid")
    product = open_product(next((data / "s1_iw_rome").glob("*.SAFE")), "VV")
    dem = dem_mod.load_for_scene(data / "s1_iw_rome" / "Rome-30m-DEM.tif", (12.46, 41.96, 12.54, 42.04),
                                 margin_deg=0.0)
    dem_to_radar(dem, product.orbit, product.radar_grid)
    t0 = time.perf_counter()
    _, _, xyz = dem_to_radar(dem, product.orbit, product.radar_grid)
    ours = time.perf_counter() - t0
    sv = product.state_vectors
    pos = xr.DataArray(sv.position, dims=("azimuth_time", "axis"), coords={"azimuth_time": sv.time, "axis": [0, 1, 2]})
    interp = sarsen_orbit.OrbitPolyfitInterpolator.from_position(pos, deg=9)
    ecef = xr.DataArray(xyz.transpose(2, 0, 1), dims=("axis", "y", "x"), coords={"axis": [0, 1, 2]})
    t0 = time.perf_counter()
    geocoding.backward_geocode(ecef, interp, zero_doppler_distance=1e-6, maxiter=30)
    ref = time.perf_counter() - t0
    return {"kernel": f"DEM projection {dem.height.size} samples (Rome) vs sarsen backward_geocode",
            "ours_s": ours, "baseline_s": ref}


def truth_check(out: Path, min_coherence: float = 0.5, block: int = 256) -> dict:
    """The 4-band ML interferogram's phase against the simulated truth, streamed by blocks: the
    wrapped residual (minus its circular mean) rms over isData pixels with coherence >= min_coherence,
    beside the phase noise expected at their coherence (Cramér-Rao, (1 - γ²) / (2 L γ²), L the
    looks times the simulated bandwidths: oversampled samples are correlated). The looks are the
    interferogram's (its multilook grid tags)."""
    import numpy as np
    import rasterio
    from rasterio.windows import Window

    import dinsar.io.raster  # noqa: F401  (silences rasterio's warning on radar-geometry rasters)
    from dinsar.geometry.multilook import MultilookGrid

    naz, nrg = MultilookGrid.from_raster(out / "chain" / "interferogram_ml.tif").looks
    truth_json = json.loads((out / "truth" / "truth.json").read_text())
    wavelength = truth_json["wavelength_m"]
    looks_eff = naz * nrg * truth_json["bandwidth"]["azimuth"] * truth_json["bandwidth"]["range"]
    def residuals():
        """Per block: the phase minus the truth's (rad, not yet wrapped) and the coherence, where compared."""
        with rasterio.open(out / "chain" / "interferogram_ml.tif") as ifg, \
                rasterio.open(out / "truth" / "los_displacement.tif") as truth:
            for first in range(0, ny, block):
                n = min(block, ny - first)
                _, phase, coh, ok = ifg.read(window=Window(0, first, nx, n))
                d = truth.read(1, window=Window(0, first * naz, nx * nrg, n * naz)).astype(np.float64)
                d = d.reshape(n, naz, nx, nrg).mean(axis=(1, 3))
                use = (ok > 0.5) & (coh >= min_coherence) & np.isfinite(d)
                yield phase[use] + 4 * np.pi * d[use] / wavelength, coh[use].astype(np.float64)

    with rasterio.open(out / "chain" / "interferogram_ml.tif") as ifg:
        ny, nx = ifg.height, ifg.width
    sums = {"z": 0j, "n": 0, "coh": 0.0, "crb": 0.0}
    for resid, coh in residuals():
        sums["z"] += np.exp(1j * resid).sum()
        sums["n"] += resid.size
        sums["coh"] += float(coh.sum())
        g = np.clip(coh, 1e-3, 0.999)
        sums["crb"] += float(np.sum((1 - g * g) / (2 * looks_eff * g * g)))
    offset = np.angle(sums["z"])
    # second pass (memory stays one block): the rms about the circular mean
    sq = sum(float(np.sum(np.angle(np.exp(1j * (resid - offset))) ** 2)) for resid, _ in residuals())
    n = max(sums["n"], 1)
    return {"pixels": sums["n"], "fraction": sums["n"] / (ny * nx), "mean_coherence": sums["coh"] / n,
            "residual_rms_rad": (sq / n) ** 0.5, "expected_noise_rad": (sums["crb"] / n) ** 0.5,
            "offset_rad": float(offset)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="2048x2048")
    p.add_argument("--steps", choices=sorted(CHAINS), default="all")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--cache", default=str(HERE / "cache"))
    p.add_argument("--results", default=str(HERE / "RESULTS.md"))
    p.add_argument("--no-baselines", action="store_true")
    args = p.parse_args(argv)
    size = tuple(int(v) for v in args.size.lower().split("x"))
    out = Path(args.cache) / f"pair_{size[0]}x{size[1]}"
    rows = []
    if not (out / "truth" / "truth.json").is_file():
        rows.append(run_step("simulate", out, size, args.threads))
    for name in CHAINS[args.steps]:
        rows.append(run_step(name, out, size, args.threads))
    kernels = [] if args.no_baselines else [b for b in baselines(threads=args.threads) + [sarsen_baseline()] if b]
    total = sum(r["wall_s"] for r in rows if r["step"] != "simulate")
    lines = [f"## {size[0]}×{size[1]} pair, steps `{args.steps}`, {args.threads} threads — "
             f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
             f"{platform.python_version()}. "
             f"Command: `python benchmarks/run.py --size {args.size} --steps {args.steps}`",
             "", "| step | wall (s) | CPU (s) | peak RSS (MB) |", "|---|---|---|---|"]
    lines += [f"| {r['step']} | {r['wall_s']} | {r['cpu_s']} | {r['peak_rss_mb']} |" for r in rows]
    if args.steps == "all":
        ifg = sum(r["wall_s"] for r in rows if r["step"] in CHAINS["ifg"])
        lines.append(f"| SAFE → 4-band ML interferogram ({', '.join(CHAINS['ifg'])}) | {ifg:.1f} | | |")
    lines += [f"| **chain total (without simulation)** | **{total:.1f}** | | |", ""]
    if args.steps == "ifg":
        c = truth_check(out)
        lines += [f"Against the truth: {c['pixels']} ML pixels ({c['fraction']:.1%}) with coherence ≥ 0.5, mean "
                  f"{c['mean_coherence']:.3f}: wrapped phase residual {c['residual_rms_rad']:.3f} rad rms (the "
                  f"3×3-look noise at their coherence {c['expected_noise_rad']:.3f} rad), offset "
                  f"{c['offset_rad']:+.4f} rad.", ""]
    if kernels:
        lines += ["| kernel | ours (s) | baseline (s) | ratio |", "|---|---|---|---|"]
        for k in kernels:
            ratio = k["baseline_s"] / k["ours_s"]
            lines.append(f"| {k['kernel']} | {k['ours_s']:.4f} | {k['baseline_s']:.4f} | {ratio:.1f}× |")
        lines.append("")
    results = Path(args.results)
    header = "" if results.exists() else "# Benchmark results\n\nWritten by `benchmarks/run.py`; newest last.\n\n"
    with open(results, "a") as f:
        f.write(header + "\n".join(lines) + "\n")
    print("\n".join(lines))
    print(json.dumps({"chain_total_s": total}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
