"""A StripMap pair SAFE -> geocoded LOS through `dinsar run --cores 2` (issue 19), one row per rule.

    python benchmarks/full_scene.py run --pair /work/bench/pair_40000x25000 --work /work/bench/run_full \
        [--until geocode] [--timeout 3600]
    python benchmarks/full_scene.py report --work /work/bench/run_full [--append]

The pair is one `dinsar simulate` (or benchmarks/run.py --steps simulate) wrote: master/*.SAFE, slave/*.SAFE,
orbits/, dem.tif, truth/ (so the run also compares with the truth). `run` writes a local-products config in
the work folder and runs `dinsar run CONFIG --cores 2` there under /usr/bin/time -v, the load average sampled
every 15 s (others may share the machine); `report` reads Snakemake's benchmark files of each rule
(benchmarks/<site>/<rule>/*.tsv: wall s, cpu_time s, max_rss MB; its sampler runs every 0.5 s for 15 s, then
every 30 s, so CPU and peak RSS of long jobs are the last sample's) and the job times of its log, and gives
the run's elapsed time from its first job to geocode's end: `SAFE -> geocoded LOS`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from iw_frame import HERE, VENV_BIN, LoadSampler, _jobs_from_logs, _tsvs

SITE = "full"
# rules of the SAFE -> LOS chain of a StripMap pair, in dependency order
LOS_RULES = ("unpack", "dem_projection", "doppler0", "deformation_grid", "coregister", "interferogram", "unwrap",
             "geocode")


def _config(pair: Path, work: Path) -> Path:
    import yaml

    cfg = {"site": SITE, "products": {"master": str(next((pair / "master").glob("*.SAFE"))),
                                      "slave": str(next((pair / "slave").glob("*.SAFE")))},
           "dem": str(pair / "dem.tif"), "orbits": str(pair / "orbits")}
    path = work / f"{SITE}.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def run(args) -> None:
    pair, work = Path(args.pair).resolve(), Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    cfg = _config(pair, work)
    cmd = [str(VENV_BIN / "dinsar"), "run", cfg.name, "--cores", "2"] + (["--until", args.until] if args.until else [])
    logs_before = set((work / ".snakemake" / "log").glob("*.snakemake.log"))
    sampler = LoadSampler()
    sampler.start()
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    with open(work / "run.log", "w") as log:
        proc = subprocess.run(["/usr/bin/time", "-v", *cmd], cwd=work, stdout=log, stderr=subprocess.STDOUT,
                              timeout=args.timeout)
    wall = time.perf_counter() - t0
    sampler.stop()
    loads = [s[1] for s in sampler.samples]
    summary = {"command": " ".join(["dinsar", *cmd[1:]]), "cwd": str(work), "rc": proc.returncode,
               "started_utc": started.isoformat(), "wall_s": round(wall, 1),
               "load1": {"min": min(loads), "mean": round(sum(loads) / len(loads), 2), "max": max(loads)},
               "snakemake_logs": sorted(p.name for p in set((work / ".snakemake" / "log").glob("*.snakemake.log"))
                                        - logs_before)}
    # a later stage (`run` again in the same work folder: the rules after --until) adds its own record
    stages = json.loads((work / "run.json").read_text()) if (work / "run.json").is_file() else []
    stages = (stages if isinstance(stages, list) else [stages]) + [summary]
    (work / "run.json").write_text(json.dumps(stages, indent=1))
    print(json.dumps(summary, indent=1))


def report(args) -> None:
    work = Path(args.work).resolve()
    stages = json.loads((work / "run.json").read_text())
    stages = stages if isinstance(stages, list) else [stages]
    summary = stages[0]
    tsv = _tsvs(work, SITE)
    # SAFE -> LOS from the first stage's log (the chain to geocode); every job's end from all stages'
    jobs = [j for j in _jobs_from_logs(work, summary["snakemake_logs"]).values() if "start" in j and "end" in j]
    first = min(j["start"] for j in jobs)
    geocoded = max(j["end"] for j in jobs if j["rule"] == "geocode")
    every = [j for s in stages for j in _jobs_from_logs(work, s["snakemake_logs"]).values() if "end" in j]
    last = max(j["end"] for j in every)
    cmp = next((work / "results" / SITE / "pairs").glob("*/truth_comparison.json"), None)
    from dinsar.geometry.multilook import MultilookGrid

    grid = MultilookGrid.from_raster(next((work / "results" / SITE / "pairs").glob("*/interferogram_ml.tif")))
    shape, (lines, samples) = grid.shape, grid.full_shape
    out = [f"## {lines}×{samples} pair, SAFE → geocoded LOS through `dinsar run --cores 2`, 2 threads — "
           f"{dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
           f"Machine: {platform.machine()}, {os.cpu_count()} cores, CPython {platform.python_version()}. Command: "
           f"`cd {summary['cwd']} && {summary['command']}` (config: the pair's products, `dem:`, `orbits:`, every "
           f"other key its default: 3×3 looks, multiscale unwrapping). Multilooked grid: {shape[0]} × {shape[1]}.",
           *(f"- stage {k}: `{s['command']}`: rc {s['rc']}, {s['wall_s']} s; load average 1-min min/mean/max "
             f"{s['load1']['min']}/{s['load1']['mean']}/{s['load1']['max']}" for k, s in enumerate(stages, 1)), "",
           "| rule | job | wall (s) | CPU (s) | peak RSS (MB) |", "|---|---|---|---|---|"]
    order = list(LOS_RULES) + ["compare_truth", "simulate_amplitude", "quicklook", "pair_info", "mintpy"]
    for rule in sorted(tsv, key=lambda k: order.index(k) if k in order else 99):
        for row in tsv[rule]:
            out.append(f"| {rule} | {row['wildcards'][:40]} | {row['wall_s']:.1f} | {row['cpu_s']:.1f} | "
                       f"{row['max_rss_mb']:.0f} |")
    peak = max(row["max_rss_mb"] for rows in tsv.values() for row in rows)
    out.append(f"| **SAFE → geocoded LOS** (elapsed in the run, first job's start to geocode's end) | | "
               f"**{(geocoded - first).total_seconds():.0f}** | | |")
    out.append(f"| every job of every stage (first start to last end, Snakemake's starts between stages included) | | "
               f"{(last - first).total_seconds():.0f} | | {peak:.0f} |")
    if cmp:
        c = json.loads(cmp.read_text())
        out.append(f"\nAgainst the truth (compare_truth): LOS RMSE {c['los_rmse_mm']:.2f} mm (max "
                   f"{c['los_max_abs_mm']:.2f} mm) over {100 * c['fraction']:.1f} % of the multilooked grid, "
                   f"wrapped-phase residual {c['wrapped_phase_residual_rms_rad']:.3f} rad.")
    text = "\n".join(out) + "\n"
    print(text)
    if args.append:
        with open(HERE / "RESULTS.md", "a") as f:
            f.write("\n" + text)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--pair", required=True)
    r.add_argument("--work", required=True)
    r.add_argument("--until", default=None)
    r.add_argument("--timeout", type=float, default=3600)
    rp = sub.add_parser("report")
    rp.add_argument("--work", required=True)
    rp.add_argument("--append", action="store_true")
    args = p.parse_args(argv)
    {"run": run, "report": report}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
