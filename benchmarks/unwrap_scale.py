"""Unwrapping methods at scale: time, peak RSS and unwrapping errors against an exact truth.

    python benchmarks/unwrap_scale.py --case demo --methods multiscale,snaphu,multiscale:2,multiscale:4
    python benchmarks/unwrap_scale.py --case full --methods multiscale,snaphu_tiles,snaphu
    python benchmarks/unwrap_scale.py --rate-scan    # multiscale's errors against looks × fringe rate

Cases (inputs cached in benchmarks/cache/unwrap/<case>/):
- demo: the 2048² simulated demo pair (config/config.yaml's), through the chain to interferogram_ml.tif;
  the truth is truth/los_displacement.tif as phase, -4π d / λ, averaged over the multilook grid;
- demo_hard: the same pair with a 10× stronger Mogi source (~25 fringes), coherence 0.6 and a
  decorrelated disc;
- mid, full: synthetic 4-band interferograms (benchmarks/unwrap_synthetic.py) of 3333 × 2083 and
  13333 × 8333 pixels (the 40000 × 25000 StripMap pair's multilooked grid), exact analytic truth.

Each method is the unwrap step (`dinsar.steps.unwrap.filter_unwrap`: filter included) in its own process
under /usr/bin/time -v with 2 threads; a method `multiscale:N` forces N coarse looks, `snaphu_one_tile` is
`snaphu` without its tiles (the step tiles images over 2048 pixels a side, then re-optimises as one tile). The unwrapped
phase is compared by blocks with the truth, both relative to the reference pixel (its 5×5 mean): a
pixel is an error where they differ by a multiple of 2π (|round(Δ / 2π)| ≥ 1); fractions of the valid
(unwrapped) pixels, of those in a connected component, and of those within 4 pixels of the method's
tile or block seams (SNAPHU's tiles for snaphu / snaphu_tiles, the step's 512-line blocks for
multiscale) beside the same bands halfway between the seams (a control: noise and decorrelated areas
are not spread evenly). Results are appended to benchmarks/RESULTS.md.
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
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
PY = sys.executable
SHARED_ORBIT = (HERE.parent.parent / "shared" / "data" / "s1_iw_slc_azores" /
                "S1A_OPER_AUX_RESORB_OPOD_20220918T093241_V20220918T053155_20220918T084925.EOF")
if SHARED_ORBIT.is_file():
    os.environ.setdefault("DINSAR_ORBIT_FILE", str(SHARED_ORBIT))
SYNTHETIC = {"mid": (3333, 2083), "full": (13333, 8333), "small": (1600, 999)}
SEAM_HALF_WIDTH = 4


def prepare(case: str, cache: Path) -> Path:
    """The case's folder with interferogram_ml.tif (made once)."""
    out = cache / case
    ifg = out / "interferogram_ml.tif"
    if ifg.is_file():
        return out
    out.mkdir(parents=True, exist_ok=True)
    if case in SYNTHETIC:
        from unwrap_synthetic import Scene, write_interferogram

        part = out / "interferogram_ml.part.tif"
        write_interferogram(part, Scene(SYNTHETIC[case]))
        part.rename(ifg)
        return out
    from dinsar import steps
    from dinsar.simulate.pair import PairConfig, write_pair
    from dinsar.steps import interferometry as chain

    cfg = PairConfig(size=(2048, 2048), seed=1)
    if case == "demo_hard":
        mogi = dict(cfg.mogi, dvolume_m3=2.0e7)
        cfg = PairConfig(size=(2048, 2048), seed=1, coherence=0.6, mogi=mogi,
                         decorrelation={"lon": mogi["lon"] - 0.004, "lat": mogi["lat"] + 0.004, "radius_m": 600.0,
                                        "coherence": 0.2})
    write_pair(out, cfg)
    m, s = next((out / "master").glob("*.SAFE")), next((out / "slave").glob("*.SAFE"))
    g = out / "chain"
    steps.dem_projection(m, out / "dem.tif", g / "dem_projection.tif", g / "height.tif", g / "xyz.tif", threads=2)
    chain.deformation_grid(m, s, g / "xyz.tif", g / "grid.tif", g / "grid.json", threads=2)
    chain.coregister(m, s, g / "height.tif", g / "grid.json", g / "slave_coreg.tif", threads=2)
    chain.interferogram(m, s, g / "slave_coreg.tif", g / "height.tif", g / "ifg.tif", (3, 3), threads=2)
    (g / "ifg.tif").rename(ifg)
    return out


def truth_blocks(case: str, folder: Path):
    """f(first, n) -> the truth's unwrapped phase (rad, float64) of lines first .. first + n - 1."""
    if case in SYNTHETIC:
        from unwrap_synthetic import Scene

        return Scene(SYNTHETIC[case]).truth
    import rasterio
    from rasterio.windows import Window

    from dinsar.geometry.multilook import MultilookGrid

    grid = MultilookGrid.from_raster(folder / "interferogram_ml.tif")
    wavelength = json.loads((folder / "truth" / "truth.json").read_text())["wavelength_m"]
    naz, nrg = grid.looks
    nx = grid.shape[1]

    def f(first, n):
        with rasterio.open(folder / "truth" / "los_displacement.tif") as src:
            d = src.read(1, window=Window(0, first * naz, nx * nrg, n * naz)).astype(np.float64)
        return -4 * np.pi / wavelength * np.nanmean(d.reshape(n, naz, nx, nrg), axis=(1, 3))

    return f


def seams(method: str, shape: tuple[int, int]) -> tuple[list[int], list[int]]:
    """Lines and columns of the method's tile or block boundaries."""
    from dinsar.steps.unwrap import BLOCK_LINES, SNAPHU_TILE

    ny, nx = shape
    if method.startswith("multiscale"):
        return list(range(BLOCK_LINES, ny, BLOCK_LINES)), []
    if method.startswith("snaphu") and method != "snaphu_one_tile":
        nty, ntx = -(-ny // SNAPHU_TILE), -(-nx // SNAPHU_TILE)
        return [round(i * ny / nty) for i in range(1, nty)], [round(j * nx / ntx) for j in range(1, ntx)]
    return [], []


def evaluate(unwrapped_tif: Path, truth, method: str, block: int = 512) -> dict:
    import rasterio
    from rasterio.windows import Window

    with rasterio.open(unwrapped_tif) as src:
        ny, nx = src.height, src.width
        r0, c0 = int(src.tags()["REFERENCE_LINE"]), int(src.tags()["REFERENCE_COL"])
        a0 = max(0, r0 - 2)
        t_ref = float(np.nanmean(truth(a0, min(ny, r0 + 3) - a0)[:, max(0, c0 - 2):c0 + 3]))
        seam_lines, seam_cols = seams(method, (ny, nx))

        def midway(at):  # control bands: halfway between the seams
            return [a - (at[0] if i == 0 else a - at[i - 1]) // 2 for i, a in enumerate(at)]

        bands = {"seam": (seam_lines, seam_cols), "mid": (midway(seam_lines), midway(seam_cols))}
        n = {"valid": 0, "bad": 0, "cc": 0, "bad_cc": 0, "seam": 0, "bad_seam": 0, "mid": 0, "bad_mid": 0}
        for first in range(0, ny, block):
            m = min(block, ny - first)
            unw, cc = src.read(window=Window(0, first, nx, m))
            ok = np.isfinite(unw)
            k = np.rint((unw - (truth(first, m) - t_ref)) / (2 * np.pi))
            bad = ok & (k != 0)
            n["valid"] += int(ok.sum())
            n["bad"] += int(bad.sum())
            n["cc"] += int((ok & (cc > 0)).sum())
            n["bad_cc"] += int((bad & (cc > 0)).sum())
            for key, (at_lines, at_cols) in bands.items():
                rows = np.zeros(m, bool)
                for r in at_lines:
                    rows |= np.abs(np.arange(first, first + m) - r + 0.5) < SEAM_HALF_WIDTH
                cols = np.zeros(nx, bool)
                for c in at_cols:
                    cols[max(0, c - SEAM_HALF_WIDTH):c + SEAM_HALF_WIDTH] = True
                band = rows[:, None] | cols[None, :]
                n[key] += int((ok & band).sum())
                n[f"bad_{key}"] += int((bad & band).sum())
    return {**n, "error_fraction": n["bad"] / max(n["valid"], 1),
            "error_fraction_cc": n["bad_cc"] / max(n["cc"], 1),
            "error_fraction_seams": (n["bad_seam"] / n["seam"]) if n["seam"] else None,
            "error_fraction_midway": (n["bad_mid"] / n["mid"]) if n["mid"] else None,
            "reference": [r0, c0]}


def run_method(folder: Path, method: str, max_rss_gb: float, timeout_s: float) -> dict:
    """The unwrap step with `method` in its own process: wall, CPU, peak RSS (the process and SNAPHU)."""
    name, _, looks = method.partition(":")
    out = folder / "runs" / method.replace(":", "_")
    out.mkdir(parents=True, exist_ok=True)
    one_tile = name == "snaphu_one_tile"  # SNAPHU as one tile whatever the size (the step tiles above 2048²)
    name = "snaphu" if one_tile else name
    code = (
        "import dataclasses, logging, sys; from pathlib import Path; "
        "logging.basicConfig(level=logging.INFO, stream=sys.stdout, format='%(relativeCreated)8.0f ms %(message)s'); "
        "from dinsar.settings import defaults; from dinsar.steps import unwrap as step; "
        "from dinsar.steps.unwrap import filter_unwrap; "
        + ("step.SNAPHU_TILE = 10 ** 9; " if one_tile else "") +
        f"u = dataclasses.replace(defaults().unwrap, method={name!r}, coarse_looks={int(looks) if looks else None}); "
        f"filter_unwrap(Path({str(folder / 'interferogram_ml.tif')!r}), Path({str(out / 'filtered.tif')!r}), "
        f"Path({str(out / 'unwrapped.tif')!r}), unwrapping=u, threads=2)"
    )
    cmd = ["/usr/bin/time", "-v", PY, "-c", code]
    with open(folder / "interferogram_ml.tif", "rb") as f:  # in the page cache, as just after the chain wrote it
        while f.read(1 << 24):
            pass
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed, tree_peak = [], [0]

    def watch():  # the whole process tree's RSS: stop a run before it takes the machine's memory
        import psutil

        try:
            root = psutil.Process(proc.pid)
            while proc.poll() is None:
                rss = 0
                for p in [root, *root.children(recursive=True)]:
                    try:
                        rss += p.memory_info().rss
                    except psutil.Error:
                        pass
                tree_peak[0] = max(tree_peak[0], rss)
                if rss > max_rss_gb * 2**30 or time.perf_counter() - t0 > timeout_s:
                    killed.append(f"RSS {rss / 2**30:.1f} GiB" if rss > max_rss_gb * 2**30 else f"{timeout_s:.0f} s")
                    for p in root.children(recursive=True) + [root]:
                        p.kill()
                    return
                time.sleep(0.2)
        except psutil.Error:
            return

    threading.Thread(target=watch, daemon=True).start()
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    (out / "log.txt").write_text(stdout + stderr)
    if proc.returncode != 0:
        return {"method": method, "failed": killed[0] if killed else stderr.strip().splitlines()[-1][:200],
                "wall_s": round(wall, 1)}

    def field(label):
        m = re.search(rf"{label}: ([0-9.:]+)", stderr)
        return m.group(1) if m else "0"

    cpu = float(field("User time \\(seconds\\)")) + float(field("System time \\(seconds\\)"))
    factor = re.search(r"\((\d+)x\d+ looks\): SNAPHU", stdout)
    solver = re.search(r"(?:coarse SNAPHU|snaphu|snaphu_tiles|whirlwind): ([0-9.]+) s", stdout)
    return {"method": method, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
            "peak_rss_mb": round(int(field("Maximum resident set size \\(kbytes\\)")) / 1024),
            "tree_rss_mb": round(tree_peak[0] / 2**20), "load": round(load, 1),
            "solver_s": float(solver.group(1)) if solver else None,
            "coarse_looks": int(factor.group(1)) if factor else None, "unwrapped": out / "unwrapped.tif"}


def rate_scan(shape=(1600, 999), gains=(1.0, 2.0, 3.0, 4.0), factors=(2, 3, 4, 5, 6, 8)) -> list[str]:
    """multiscale's limit: cycle errors against the coarse looks × the measured fringe rate (p99.5, rad per
    coarse pixel), on the synthetic scene with its phase times `gain`, in memory (filter, coarse sums,
    SNAPHU, fine cycles; the step's own functions)."""
    from unwrap_synthetic import Scene

    from dinsar.interferometry import goldstein_blocks
    from dinsar.interferometry import unwrap_multiscale as ms
    from dinsar.interferometry.unwrap import unwrap

    lines = ["| phase gain | fringe rate p99.5 (rad/px) | " + " | ".join(f"{f} looks" for f in factors) + " |",
             "|" + "---|" * (2 + len(factors))]
    for gain in gains:
        scene = Scene(shape, seed=2, gain=gain)
        amp, phase, coh, ok = scene.block(0, shape[0])
        valid = (ok > 0) & (coh >= 0.2)
        z = np.where(ok > 0, amp * np.exp(1j * phase), 0).astype(np.complex64)
        rate = ms.FringeRate()
        rate.add(np.where(valid, z, 0))
        p995 = rate.percentile()
        filtered = goldstein_blocks.goldstein(z)
        truth = scene.truth(0, shape[0])
        cells = []
        for f in factors:
            coarse = ms.Coarse(filtered.shape, f)
            coarse.add(0, filtered, coh, valid)
            zc, gc, vc = coarse.inputs()
            cunw, ccc = unwrap(zc, gc, vc, scene.looks * f * f, tile=None)
            unw, _ = ms.fine_cycles(np.angle(filtered), valid, 0, f, np.nan_to_num(cunw), ccc, vc)
            e = unw - truth
            k = np.rint((e - np.median(e[valid])) / (2 * np.pi))
            cells.append(f"{100 * np.mean(k[valid] != 0):.4f} % ({f * p995:.1f} rad)")
        lines.append(f"| {gain:g} | {p995:.3f} | " + " | ".join(cells) + " |")
    return lines


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--case", choices=["demo", "demo_hard", "small", "mid", "full"], default="demo")
    p.add_argument("--methods", default="multiscale,snaphu")
    p.add_argument("--cache", default=str(HERE / "cache" / "unwrap"))
    p.add_argument("--results", default=str(HERE / "RESULTS.md"))
    p.add_argument("--max-rss-gb", type=float, default=16.0, help="stop a run whose processes take more")
    p.add_argument("--timeout-s", type=float, default=3600.0)
    p.add_argument("--no-append", action="store_true")
    p.add_argument("--rate-scan", action="store_true", help="multiscale's errors against looks × fringe rate")
    args = p.parse_args(argv)
    if args.rate_scan:
        lines = [f"## Multiscale: cycle errors against coarse looks × fringe rate (1600 × 999 synthetic) — "
                 f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
                 "Command: `python benchmarks/unwrap_scale.py --rate-scan`. Cells: errors (looks × p99.5 rate).",
                 "", *rate_scan(), ""]
        print("\n".join(lines))
        if not args.no_append:
            with open(args.results, "a") as f:
                f.write("\n".join(lines) + "\n")
        return 0
    folder = prepare(args.case, Path(args.cache))
    truth = truth_blocks(args.case, folder)
    import rasterio

    with rasterio.open(folder / "interferogram_ml.tif") as src:
        shape = (src.height, src.width)
    rows = []
    for method in args.methods.split(","):
        r = run_method(folder, method, args.max_rss_gb, args.timeout_s)
        if "failed" not in r:
            r.update(evaluate(r.pop("unwrapped"), truth, method))
        print(json.dumps(r), flush=True)
        rows.append(r)

    def pct(v):
        return "—" if v is None else f"{100 * v:.4f} %"

    lines = [f"## Unwrapping at scale: `{args.case}`, {shape[0]} × {shape[1]} multilooked pixels, 2 threads — "
             f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
             f"{platform.python_version()}. Command: `python benchmarks/unwrap_scale.py --case {args.case} "
             f"--methods {args.methods}`", "",
             "Peak RSS: the largest process (/usr/bin/time); processes together: the step and SNAPHU at once "
             "(sampled every 0.2 s). Load: the machine's 1-minute load average as the run started (other "
             "users' jobs slow a run down).", "",
             "| method | coarse looks | wall (s) | of which solver (s) | CPU (s) | peak RSS (MB) | processes "
             "together (MB) | load | valid px | in components | errors (2π) | errors in components | errors along "
             "seams (±4 px) | errors midway between seams |", "|" + "---|" * 14]
    for r in rows:
        if "failed" in r:
            lines.append(f"| {r['method']} | | stopped at {r['wall_s']} | | | | | | | | {r['failed']} | | | |")
            continue
        solver = "" if r["solver_s"] is None else r["solver_s"]
        lines.append(f"| {r['method']} | {r['coarse_looks'] or '—'} | {r['wall_s']} | {solver} | "
                     f"{r['cpu_s']} | {r['peak_rss_mb']} | {r['tree_rss_mb']} | {r['load']} | {r['valid']} | "
                     f"{100 * r['cc'] / max(r['valid'], 1):.2f} % | {pct(r['error_fraction'])} | "
                     f"{pct(r['error_fraction_cc'])} | {pct(r['error_fraction_seams'])} | "
                     f"{pct(r['error_fraction_midway'])} |")
    lines.append("")
    print("\n".join(lines))
    if not args.no_append:
        with open(args.results, "a") as f:
            f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
