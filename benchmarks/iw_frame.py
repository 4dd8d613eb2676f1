"""IW TOPS performance benchmark (issue 18): a real-format IW pair at real sizes through `dinsar run --cores 2`.

    python benchmarks/iw_frame.py generate --case aoi   --out /tmp/iw/aoi_input     # 2 sub-swaths x 3 bursts
    python benchmarks/iw_frame.py generate --case frame --out /tmp/iw/frame_input   # 3 sub-swaths x 9 bursts
    python benchmarks/iw_frame.py run --case aoi --input /tmp/iw/aoi_input --work /tmp/iw/aoi_run --timeout 1800
    python benchmarks/iw_frame.py run --case frame --input /tmp/iw/frame_input --work /tmp/iw/frame_run \
        --timeout 3600 --until geocode          # the LOS chain first; then again without --until for the rest
    python benchmarks/iw_frame.py rerun --work /tmp/iw/aoi_run       # each rule alone under /usr/bin/time -v
    python benchmarks/iw_frame.py profile --work /tmp/iw/aoi_run     # cProfile of
                                                # tops_merge and tops_coregister on the AOI run's inputs
    python benchmarks/iw_frame.py report --work /tmp/iw/aoi_run /tmp/iw/frame_run [--append]

benchmarks/RESULTS.md (2026-12-02) ran these with PYTHONPATH=<an export of the committed tree>/src.
The input (benchmarks/iw_frame_input.py) is the simulator's metadata path (annotations, manifest, EOF orbits,
volcano DEM) with band-limited random speckle instead of its scatterer synthesis, ~21 000 samples and ~1500
lines per burst: fast and streamed burst by burst. `run` measures what a user runs: `dinsar run CONFIG --cores 2`
on a local-products config; per rule, Snakemake's own benchmark files (benchmarks/<site>/<rule>/*.tsv: wall s,
max_rss MB, cpu_time s, mean_load %), and the job start/finish times of its log, from which the critical
paths "SAFE -> 4-band ML interferogram" and "SAFE -> geocoded LOS" are summed (input generation excluded). The
machine's load average is sampled every 15 s during a run (others share it: contention shows as wall >> CPU).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV_BIN = Path(sys.executable).parent
SHARED_ORBIT = (ROOT.parent / "shared" / "data" / "s1_iw_slc_azores" /
                "S1A_OPER_AUX_RESORB_OPOD_20220918T093241_V20220918T053155_20220918T084925.EOF")
CASES = {
    # the AOI case (the Réunion box: a few bursts of one or two sub-swaths): 2 sub-swaths x 3 bursts, full width
    "aoi": dict(samples=21000, bursts=3, swaths=2),
    # a full IW frame: 3 sub-swaths x 9 bursts, full width
    "frame": dict(samples=21000, bursts=9, swaths=3),
    # a quick check of the harness
    "small": dict(samples=2048, bursts=3, swaths=3),
}
LOOKS = [2, 8]  # azimuth, range: ~30 m square looks on IW (config/sites/reunion_iw.yaml)
# the chain's steps from the SAFE pair, in dependency order: ifg needs the master's tops_grid, then
# (dem_projection -> tops_coregister) and tops_merge, then interferogram; LOS adds unwrap and geocode
IFG_RULES = ("unpack", "tops_grid", "dem_projection", "tops_merge", "tops_coregister", "interferogram")
LOS_RULES = IFG_RULES + ("unwrap", "geocode")


def _loadavg() -> tuple[float, float, float]:
    return tuple(float(v) for v in Path("/proc/loadavg").read_text().split()[:3])


def generate(args) -> None:
    sys.path.insert(0, str(HERE))
    import logging

    from iw_frame_input import write_iw_noise_pair

    if SHARED_ORBIT.is_file():  # the simulator places this real orbit, as the tests and benchmarks do
        os.environ.setdefault("DINSAR_ORBIT_FILE", str(SHARED_ORBIT))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    before = _loadavg()
    t0 = time.perf_counter()
    info = write_iw_noise_pair(args.out, threads=args.threads, **CASES[args.case])
    wall = time.perf_counter() - t0
    info["generate"] = {"case": args.case, "wall_s": round(wall, 1), "load_before": before, "load_after": _loadavg()}
    (Path(args.out) / "frame.json").write_text(json.dumps(info, indent=1))
    print(json.dumps({k: info[k] for k in ("master", "slave", "scene_size", "seconds", "generate")}, indent=1))


def _config(case: str, inp: Path, work: Path, box: list[float] | None = None) -> Path:
    import yaml

    master = next((inp / "master").glob("*.SAFE"))
    slave = next((inp / "slave").glob("*.SAFE"))
    cfg = {"site": f"iw_{case}", "polarisation": "VV", "products": {"master": str(master), "slave": str(slave)},
           "dem": str(inp / "dem.tif"), "orbits": str(inp / "orbits"), "multilook": {"looks": LOOKS},
           "quicklook": {"looks": LOOKS}}
    if box:  # the site: its bursts and (range crop) its columns only
        cfg["tops"] = {"box": dict(zip(("lonmin", "latmin", "lonmax", "latmax"), box, strict=True))}
    path = work / f"iw_{case}.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


class LoadSampler(threading.Thread):
    def __init__(self, every: float = 15.0):
        super().__init__(daemon=True)
        self.every, self.samples, self._halt = every, [], threading.Event()

    def run(self):
        while not self._halt.is_set():
            self.samples.append((time.time(), *_loadavg()))
            self._halt.wait(self.every)

    def stop(self):
        self._halt.set()
        self.join()
        self.samples.append((time.time(), *_loadavg()))


def run(args) -> None:
    inp, work = Path(args.input).resolve(), Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    cfg = _config(args.case, inp, work, args.box)
    cmd = [str(VENV_BIN / "dinsar"), "run", cfg.name, "--cores", "2"]
    if args.until:
        cmd += ["--until", args.until]
    if args.set_threads:
        cmd += ["--set-threads", *args.set_threads]
    stage = len(list(work.glob("stage*.json"))) + 1
    logs_before = set((work / ".snakemake" / "log").glob("*.snakemake.log"))
    uptime_before = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    sampler = LoadSampler()
    sampler.start()
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    with open(work / f"stage{stage}.log", "w") as log:
        proc = subprocess.Popen(["/usr/bin/time", "-v", *cmd], cwd=work, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            rc = proc.wait(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)  # the run we started, its whole process group
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            rc = "timeout"
    wall = time.perf_counter() - t0
    sampler.stop()
    uptime_after = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    text = (work / f"stage{stage}.log").read_text()
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    loads = [s[1] for s in sampler.samples]
    summary = {"stage": stage, "case": args.case, "command": " ".join(["dinsar", *cmd[1:]]), "cwd": str(work),
               "until": args.until, "timeout_s": args.timeout, "rc": rc, "started_utc": started.isoformat(),
               "wall_s": round(wall, 1), "max_rss_any_process_mb": round(int(m.group(1)) / 1024, 1) if m else None,
               "uptime_before": uptime_before, "uptime_after": uptime_after,
               "load1": {"min": min(loads), "mean": round(sum(loads) / len(loads), 2), "max": max(loads),
                         "samples": len(loads)}}
    summary["snakemake_logs"] = sorted(p.name for p in set((work / ".snakemake" / "log").glob("*.snakemake.log"))
                                       - logs_before)
    # the benchmark files this stage wrote (`rerun` overwrites them later: kept here)
    summary["tsv"] = _tsvs(work, cfg.stem, since=started.timestamp())
    (work / f"stage{stage}.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps({k: v for k, v in summary.items() if k != "tsv"}, indent=1))


def rerun(args) -> None:
    """Each rule again, alone: `dinsar run CONFIG --cores 2 --forcerun RULE --until RULE` under /usr/bin/time -v
    (exact CPU time and peak RSS of the largest process, Snakemake's own start included: the benchmark files
    sample every 30 s past the first 15 s, so their CPU time stops at the last sample and a short RSS peak can
    fall between two)."""
    work = Path(args.work).resolve()
    cfg = next(work.glob("iw_*.yaml"))
    site = cfg.stem
    results = json.loads((work / "rerun.json").read_text()) if (work / "rerun.json").is_file() else {}
    for rule in args.rules:
        cmd = [str(VENV_BIN / "dinsar"), "run", cfg.name, "--cores", "2", "--forcerun", rule, "--until", rule]
        before = _loadavg()
        t0 = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-v", *cmd], cwd=work, capture_output=True, text=True,
                              timeout=args.timeout)
        wall = time.perf_counter() - t0
        err = proc.stderr

        def field(label, text=err):
            m = re.search(rf"{label}: ([0-9.]+)", text)
            return float(m.group(1)) if m else float("nan")

        rows = _tsvs(work, site).get(rule, [])
        results[rule] = {"command": " ".join(["dinsar", *cmd[1:]]), "rc": proc.returncode, "wall_s": round(wall, 1),
                         "cpu_s": round(field("User time \\(seconds\\)") + field("System time \\(seconds\\)"), 1),
                         "max_rss_mb": round(field("Maximum resident set size \\(kbytes\\)") / 1024, 1),
                         "load_before": before, "load_after": _loadavg(), "tsv": rows}
        print(rule, json.dumps({k: v for k, v in results[rule].items() if k != "tsv"}), flush=True)
        (work / "rerun.json").write_text(json.dumps(results, indent=1))


# ---------------------------------------------------------------------------------------------- collect

_STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$")


def _jobs_from_logs(work: Path, names) -> dict:
    """{jobid@log: {rule, start, end}} from Snakemake's logs `names` (1 s resolution)."""
    jobs = {}
    for logf in sorted(work / ".snakemake" / "log" / n for n in names):
        stamp = None
        lines = logf.read_text().splitlines()
        for i, line in enumerate(lines):
            m = _STAMP.match(line.strip())
            if m:
                stamp = dt.datetime.strptime(re.sub(" +", " ", m.group(1)), "%a %b %d %H:%M:%S %Y")
                continue
            m = re.match(r"^(?:local)?rule (\w+):$", line)
            if m and stamp is not None:
                for nxt in lines[i + 1:i + 40]:
                    j = re.match(r"^\s+jobid: (\d+)$", nxt)
                    if j:
                        jobs.setdefault(f"{j.group(1)}@{logf.name}", {})
                        jobs[f"{j.group(1)}@{logf.name}"].update(rule=m.group(1), start=stamp)
                        break
            m = re.match(r"^Finished job(?:id:)? (\d+)", line)
            if m and stamp is not None:
                jobs.setdefault(f"{m.group(1)}@{logf.name}", {})["end"] = stamp
    return jobs


def _tsvs(work: Path, site: str, since: float | None = None) -> dict:
    """{rule: [{wildcards, wall_s, cpu_s, max_rss_mb, mean_load}]} from Snakemake's benchmark files (written
    after `since`, a POSIX time, if given)."""
    out = {}
    for tsv in sorted((work / "benchmarks" / site).glob("*/*.tsv")):
        if since is not None and tsv.stat().st_mtime < since:
            continue
        head, *rows = [r.split("\t") for r in tsv.read_text().splitlines() if r.strip()]
        for row in rows[-1:]:
            rec = dict(zip(head, row, strict=False))
            out.setdefault(tsv.parent.name, []).append({
                "wildcards": tsv.stem, "wall_s": float(rec["s"]), "cpu_s": float(rec.get("cpu_time", "nan")),
                "max_rss_mb": float(rec["max_rss"]), "mean_load": float(rec.get("mean_load", "nan"))})
    return out


def _master_name(work: Path) -> str:
    import yaml

    cfg = yaml.safe_load(next(work.glob("iw_*.yaml")).read_text())
    return Path(cfg["products"]["master"]).name.removesuffix(".SAFE")


def _pick(rows, master, role):
    """The row of the master's job (role 'master') or the longest (a pair's rules have one)."""
    if not rows:
        return None
    if role == "master":
        mine = [r for r in rows if r["wildcards"].startswith(master)]
        return mine[0] if mine else None
    return max(rows, key=lambda r: r["wall_s"])


def collect(work: Path) -> dict:
    import yaml

    cfg = yaml.safe_load(next(work.glob("iw_*.yaml")).read_text())
    site = cfg["site"]
    stages = [json.loads(p.read_text()) for p in sorted(work.glob("stage*.json"))]
    tsv = {}
    for st in stages:  # each stage's own benchmark files (a later stage's for the rules it ran)
        tsv.update(st.get("tsv") or {})
    if not tsv:
        tsv = _tsvs(work, site)
    master = _master_name(work)
    g = {r: _pick(tsv.get(r, []), master, "master" if r in ("unpack", "tops_grid", "dem_projection", "tops_merge")
                  else "pair") for r in LOS_RULES}

    def w(r):
        return g[r]["wall_s"] if g.get(r) else None

    def c(r):
        return g[r]["cpu_s"] if g.get(r) else None

    def path_sum(f):
        parts = [f("unpack"), f("tops_grid"), f("interferogram")]
        branch = [f("dem_projection"), f("tops_coregister")]
        if None in parts or None in branch or f("tops_merge") is None:
            return None
        return sum(parts) + max(sum(branch), f("tops_merge"))

    ifg_wall, ifg_cpu = path_sum(w), path_sum(c)
    los_wall = ifg_wall + w("unwrap") + w("geocode") if ifg_wall is not None and w("unwrap") and w("geocode") else None
    los_cpu = ifg_cpu + c("unwrap") + c("geocode") if ifg_cpu is not None and c("unwrap") and c("geocode") else None
    # elapsed in the run itself: from the first job's start to the interferogram's / geocode's end
    jobs = [j for j in _jobs_from_logs(work, [n for st in stages for n in st.get("snakemake_logs", [])]).values()
            if "start" in j]
    first = min((j["start"] for j in jobs), default=None)

    def end_of(rule):
        ends = [j["end"] for j in jobs if j["rule"] == rule and "end" in j]
        return (max(ends) - first).total_seconds() if ends and first else None

    with open(next((Path(cfg["products"]["master"]).parent.parent).glob("frame.json"))) as f:
        frame = json.load(f)
    merged = next((work / "results" / site / "merged").glob(f"{master}.merged.json"), None)
    shape = json.loads(merged.read_text())["shape"] if merged else None
    esd = next((work / "results" / site / "pairs").glob("*/esd.json"), None)
    rr = work / "rerun.json"
    return {"site": site, "work": str(work), "tsv": tsv, "rerun": json.loads(rr.read_text()) if rr.is_file() else {},
            "chain": g, "frame": frame, "merged_shape": shape,
            "esd": json.loads(esd.read_text()) if esd else None, "stages": stages,
            "ifg_critical_wall_s": ifg_wall, "ifg_critical_cpu_s": ifg_cpu, "los_critical_wall_s": los_wall,
            "los_critical_cpu_s": los_cpu, "elapsed_to_ifg_s": end_of("interferogram"),
            "elapsed_to_geocode_s": end_of("geocode"),
            "jobs": sorted(({"rule": j["rule"], "start": j["start"].isoformat(),
                             "end": j["end"].isoformat() if "end" in j else None} for j in jobs),
                           key=lambda j: j["start"])}


def _coherence(work: Path, site: str):
    import numpy as np
    import rasterio

    ifg = next((work / "results" / site / "pairs").glob("*/interferogram_ml.tif"), None)
    if ifg is None:
        return None
    with rasterio.open(ifg) as src:
        coh, ok = src.read(3), src.read(4)
        shape, enl = src.shape, src.tags().get("ML_ENL")
    m = ok > 0
    return {"ml_shape": list(shape), "enl": float(enl) if enl else None, "data_fraction": float(m.mean()),
            "coherence_mean": float(coh[m].mean()), "coherence_median": float(np.median(coh[m]))}


def report(args) -> None:
    blocks = []
    for wd in args.work:
        work = Path(wd).resolve()
        r = collect(work)
        r["coherence"] = _coherence(work, r["site"])
        (work / "collected.json").write_text(json.dumps(r, indent=1, default=str))
        blocks.append(_markdown(r))
    text = "\n".join(blocks)
    print(text)
    if args.append:
        with open(HERE / "RESULTS.md", "a") as f:
            f.write("\n" + text)


def _fmt(v, nd=1):
    return "" if v is None else f"{v:.{nd}f}"


def _markdown(r: dict) -> str:
    fr = r["frame"]
    sw = fr["swaths"]
    nb = sw[0]["bursts"]
    title = (f"## IW TOPS {'frame' if len(sw) == 3 and nb == 9 else 'AOI'} {len(sw)}×{nb} bursts × "
             f"{sw[0]['samples']} samples through `dinsar run --cores 2` — "
             f"{dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}")
    out = [title, f"Machine: {platform.machine()}, {os.cpu_count()} cores, CPython {platform.python_version()}. "
           f"Input: `{fr['master']}` / `{fr['slave']}` ({'+'.join(s['name'] for s in sw)}, "
           f"{sw[0]['lines_per_burst']}/{sw[-1]['lines_per_burst']} lines per burst), merged grid "
           f"{r['merged_shape'][0]} × {r['merged_shape'][1]}" if r["merged_shape"] else "", ""]
    for s in r["stages"]:
        out.append(f"- stage {s['stage']}: `cd {s['cwd']} && {s['command']}` (timeout {s['timeout_s']} s): rc "
                   f"{s['rc']}, {s['wall_s']} s; load average 1-min min/mean/max {s['load1']['min']}/"
                   f"{s['load1']['mean']}/{s['load1']['max']} ({s['load1']['samples']} samples); before: "
                   f"`{s['uptime_before']}`, after: `{s['uptime_after']}`"
                   + (f". {s['note']}" if s.get("note") else ""))
    out += ["", "| rule | job | wall (s) | CPU (s) | peak RSS (MB) | CPU use (% of one core) | alone: wall / CPU (s), "
            "peak RSS (MB) |", "|---|---|---|---|---|---|---|"]
    order = ["unpack", "tops_grid", "dem_projection", "tops_merge", "tops_coregister", "interferogram", "unwrap",
             "geocode", "simulate_amplitude", "quicklook", "pair_info"]
    rules = sorted(r["tsv"], key=lambda k: order.index(k) if k in order else 99)
    for rule in rules:
        for row in r["tsv"][rule]:
            job = "master" if row["wildcards"].startswith(_short(fr["master"])) else (
                "slave" if row["wildcards"].startswith(_short(fr["slave"])) else "pair")
            alone = r["rerun"].get(rule) if job in ("master", "pair") else None
            alone = (f"{alone['wall_s']:.1f} / {alone['cpu_s']:.1f}, {alone['max_rss_mb']:.0f}"
                     + (" (both jobs)" if rule == "tops_grid" else "")) if alone else ""
            out.append(f"| {rule} | {job} | {row['wall_s']:.1f} | {row['cpu_s']:.1f} | {row['max_rss_mb']:.0f} | "
                       f"{row['mean_load']:.0f} | {alone} |")
    out.append(f"| **SAFE → 4-band ML interferogram** (critical path: unpack + tops_grid + max(dem_projection + "
               f"tops_coregister, tops_merge) + interferogram) | | **{_fmt(r['ifg_critical_wall_s'])}** | "
               f"{_fmt(r['ifg_critical_cpu_s'])} | | | {_alone(r, IFG_RULES)} |")
    out.append(f"| **SAFE → geocoded LOS** (+ unwrap + geocode) | | **{_fmt(r['los_critical_wall_s'])}** | "
               f"{_fmt(r['los_critical_cpu_s'])} | | | {_alone(r, LOS_RULES)} |")
    out.append(f"| elapsed in the run from its first job to the interferogram's end / geocode's end | | "
               f"{_fmt(r['elapsed_to_ifg_s'], 0)} / {_fmt(r['elapsed_to_geocode_s'], 0)} | | | | |")
    peak = max((row["max_rss_mb"] for rows in r["tsv"].values() for row in rows), default=None)
    out.append(f"| peak RSS of any job | | | | {_fmt(peak, 0)} | | |")
    if r.get("esd"):
        out.append(f"\nESD: {r['esd']['shift_lines']:+.5f} ± {r['esd']['std_lines']:.5f} lines (injected "
                   f"{fr['injected_azimuth_error_lines']}).")
    if r.get("coherence"):
        c = r["coherence"]
        out.append(f"Interferogram ({LOOKS[0]}×{LOOKS[1]} looks, ENL {c['enl']:.2f}): {c['ml_shape'][0]} × "
                   f"{c['ml_shape'][1]}, data {100 * c['data_fraction']:.1f} %, coherence mean "
                   f"{c['coherence_mean']:.3f} (median {c['coherence_median']:.3f}; the input's {fr['coherence']}).")
    return "\n".join(out) + "\n"


def _alone(r: dict, rules) -> str:
    """The critical path's sum of the rules run alone (each with Snakemake's ~4 s start; unpack from the run)."""
    a = r["rerun"]
    if not all(k in a for k in rules if k != "unpack"):
        return ""
    w = {k: a[k]["wall_s"] for k in rules if k != "unpack"}
    unpack = r["chain"]["unpack"]["wall_s"] if r["chain"].get("unpack") else 0.0
    total = (unpack + w["tops_grid"] + max(w["dem_projection"] + w["tops_coregister"], w["tops_merge"])
             + w["interferogram"])
    if "geocode" in rules:
        total += w["unwrap"] + w["geocode"]
    return f"{total:.1f}"


def _short(name: str) -> str:
    return name.removesuffix(".SAFE")


# ---------------------------------------------------------------------------------------------- profile

def profile(args) -> None:
    """cProfile of tops.merge (the master's merged SLC) and tops.coregister on a finished run's inputs (its
    unpacked products, merged sidecar and height), outputs to a scratch folder removed afterwards. cProfile
    sees the main thread: numba's parallel kernels count in the function that calls them, the background
    writes thread only where the main thread waits for it."""
    import cProfile
    import io
    import pstats
    import shutil
    import tempfile

    import yaml

    from dinsar.settings import defaults
    from dinsar.steps import tops

    work = Path(args.work).resolve()
    cfg = yaml.safe_load(next(work.glob("iw_*.yaml")).read_text())
    site = cfg["site"]
    res = work / "results" / site
    master = _master_name(work)
    products = res / "products"
    m_safe = products / f"{master}.SAFE"
    s_safe = next(p for p in products.glob("*.SAFE") if p.name != m_safe.name)
    merged_json = res / "merged" / f"{master}.merged.json"
    height = res / "geometry" / master / "height.tif"
    opts = defaults().tops
    scratch = Path(tempfile.mkdtemp(prefix="iw_profile.", dir=work))
    texts = {}
    try:
        calls = {
            "tops_merge": lambda: tops.merge(m_safe, scratch / "m.merged.json", scratch / "m.tif", "VV", cfg["orbits"],
                                             opts, threads=2),
            "tops_coregister": lambda: tops.coregister(m_safe, s_safe, merged_json, height, scratch / "coreg.tif",
                                                       scratch / "esd.json", "VV", cfg["orbits"], opts, threads=2),
        }
        for name, call in calls.items():
            load = _loadavg()
            prof = cProfile.Profile()
            t0 = time.perf_counter()
            prof.enable()
            call()
            prof.disable()
            wall = time.perf_counter() - t0
            buf = io.StringIO()
            st = pstats.Stats(prof, stream=buf)
            st.sort_stats("tottime").print_stats(args.top)
            st.sort_stats("cumulative").print_stats(args.top)
            texts[name] = f"# {name}: {wall:.1f} s wall under cProfile, load {load} -> {_loadavg()}\n" + buf.getvalue()
            (work / f"profile_{name}.txt").write_text(texts[name])
            print(texts[name][:6000])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--case", choices=CASES, required=True)
    g.add_argument("--out", required=True)
    g.add_argument("--threads", type=int, default=2)
    r = sub.add_parser("run")
    r.add_argument("--case", choices=CASES, required=True)
    r.add_argument("--input", required=True)
    r.add_argument("--work", required=True)
    r.add_argument("--timeout", type=float, default=1800)
    r.add_argument("--until", default=None)
    r.add_argument("--set-threads", nargs="+", default=None, metavar="RULE=N",
                   help="Snakemake's --set-threads (to measure another thread split than the rules')")
    r.add_argument("--box", nargs=4, type=float, metavar=("LONMIN", "LATMIN", "LONMAX", "LATMAX"),
                   help="tops.box: the site box (bursts and merged columns over it only)")
    p = sub.add_parser("profile")
    p.add_argument("--work", required=True)
    p.add_argument("--top", type=int, default=25)
    rr = sub.add_parser("rerun")
    rr.add_argument("--work", required=True)
    rr.add_argument("--rules", nargs="+", default=["tops_grid", "dem_projection", "tops_merge", "tops_coregister",
                                                   "interferogram", "unwrap", "geocode"])
    rr.add_argument("--timeout", type=float, default=1800)
    rp = sub.add_parser("report")
    rp.add_argument("--work", nargs="+", required=True)
    rp.add_argument("--append", action="store_true")
    args = ap.parse_args(argv)
    {"generate": generate, "run": run, "rerun": rerun, "profile": profile, "report": report}[args.cmd](args)


if __name__ == "__main__":
    main()
