"""The `dinsar` command: one subcommand per feature that exists.

Errors from bad input print as one line, `dinsar: <file or key>: <what>`, exit 1.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from dinsar import __version__
from dinsar.errors import DinsarError

log = logging.getLogger("dinsar")

PASSTHROUGH = ("run", "stack")  # the subcommands whose unknown options go to Snakemake


def _cmd_run(args: argparse.Namespace, extra: list[str], cwd: Path | None = None) -> int:
    from dinsar import config as dconfig
    from dinsar import runlock
    from dinsar.layout import Layout
    from dinsar.runner import run_snakemake

    cfg = dconfig.load(args.config)  # one clear line before snakemake starts
    flags = {a.split("=")[0] for a in extra}
    if "--no-hooks" in flags:
        raise DinsarError("--no-hooks: the results lock is taken in the workflow's onstart hook; "
                          "run without it")
    root = dconfig.workflow_root()
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(root / "Snakefile"),
           "--configfile", str(Path(args.config).resolve())]
    scheduling = {"--cores", "-c", "--jobs", "-j", "--profile", "--executor", "-e"}
    if not flags & scheduling:
        cmd += ["--profile", str(root / "profiles" / "default")]
    cmd += _absolute_paths(extra) if cwd is not None else extra
    if flags & {"--delete-all-output", "--delete-temp-output"}:
        # Snakemake deletes without running onstart: hold the site's lock here for it
        runlock.acquire(Layout(str(Path(cwd or ".") / cfg["results"]), cfg["site"]).site_dir)
    log.info("site %s: %s", cfg["site"], " ".join(cmd))
    env = dict(os.environ, DINSAR_WORKFLOW=str(root))
    return run_snakemake(cmd, env=env, cwd=cwd)


_PATH_OPTIONS = ("--profile", "--report", "--configfile", "--snakefile", "--directory", "-d")


def _absolute_paths(extra: list[str]) -> list[str]:
    """Snakemake options naming a file, made absolute from here: `dinsar stack` runs Snakemake in its
    output folder, where a relative `--report x.html` or `--profile profiles/pbs` would mean another file.
    A profile given by name (`--profile pbs`) stays a name."""
    out = list(extra)
    for i, a in enumerate(out):
        flag, eq, value = a.partition("=")
        if flag not in _PATH_OPTIONS:
            continue
        j = i if eq else i + 1
        value = value if eq else (out[j] if j < len(out) else "")
        if not value or Path(value).is_absolute():
            continue
        if flag == "--profile" and not Path(value).exists():
            continue
        resolved = str(Path(value).resolve())
        out[j] = f"{flag}={resolved}" if eq else resolved
    return out


def _cmd_stack(args: argparse.Namespace, extra: list[str]) -> int:
    import yaml

    from dinsar.steps.stack import select_stack

    master, slaves = select_stack(args.input, args.d, args.f, args.m)
    out = Path(args.o)
    out.mkdir(parents=True, exist_ok=True)
    cfg: dict = {"site": args.site,
                 "products": {"master": str(master.resolve()), "slaves": [str(s.resolve()) for s in slaves]},
                 "stack": {}}
    if args.pol:
        cfg["polarisation"] = args.pol
    if args.small_baseline:
        cfg["stack"]["small_baseline"] = {"max_days": args.small_baseline[0], "max_perp_m": args.small_baseline[1]}
    if args.dem:
        cfg["dem"] = str(Path(args.dem).resolve())
    if args.orbits:
        cfg["orbits"] = str(Path(args.orbits).resolve())
    config = out / "stack.yaml"
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    print(f"stack of {len(slaves) + 1} dates on master {master.name}: {config}")
    args.config = str(config)
    return _cmd_run(args, extra, cwd=out)


def _cmd_quicklook(args: argparse.Namespace, extra: list[str]) -> int:
    from dinsar import steps

    src = Path(args.input)
    stem = src.name.removesuffix(".zip").removesuffix(".SAFE").removesuffix(".tiff").removesuffix(".h5")
    out = Path(args.output) if args.output else src.with_name(f"{stem}_ml.tif")
    png = None if args.no_png else out.with_suffix(".png")
    steps.quicklook(src, out, png, looks=tuple(args.ml) if args.ml else None, polarisation=args.pol,
                    png_max_size=args.png_max_size, threads=args.threads, swath=args.swath,
                    dst_json=out.with_suffix(".json"))
    print(out)
    if png:
        print(png)
    return 0


def _cmd_unpack(args: argparse.Namespace, extra: list[str]) -> int:
    from dinsar import steps

    src = Path(args.product)
    name = src.name.removesuffix(".zip").removesuffix(".SAFE")
    dst = Path(args.out) / f"{name}.SAFE"
    print(steps.unpack(src, dst, keep=[p.upper() for p in args.keep]))
    return 0


def _cmd_config(args: argparse.Namespace, extra: list[str]) -> int:
    import yaml

    from dinsar import config as dconfig

    if args.template + args.readme + bool(args.file) != 1:
        raise DinsarError("config: give one of --template, --readme or a CONFIG file to check")
    if args.site and not args.template:
        raise DinsarError("--site: only with --template")
    if args.readme:
        from dinsar.config_readme import readme

        print(readme(), end="")
        return 0
    if args.file:
        print(yaml.safe_dump(dconfig.load(args.file), sort_keys=False, default_flow_style=None), end="")
        return 0
    from dinsar.config_template import template

    text = template(args.site or "my_site")
    dconfig.validate(yaml.safe_load(text))  # a bad --site is one line here, not a broken file later
    print(text, end="")
    return 0


def _size(text: str) -> tuple[int, int]:
    try:
        lines, cols = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size {text!r} is not LINESxSAMPLES (e.g. 1024x1024)") from None
    if lines < 64 or cols < 64:
        raise argparse.ArgumentTypeError(f"size {text!r}: at least 64x64")
    return lines, cols


def _cmd_simulate(args: argparse.Namespace, extra: list[str]) -> int:
    from dinsar import config as dconfig
    from dinsar import steps

    simulate: dict = {}
    dem = None
    if args.config:
        simulate, dem = dconfig.load_simulate(args.config)
    overrides = {"size": list(args.size) if args.size else None, "seed": args.seed}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if overrides:  # checked apart from the file, whose name would be wrong in the message
        simulate = dconfig.validate_section("simulate", {**simulate, **overrides})
    if args.sensor != "s1":
        if args.mode == "IW":
            raise DinsarError(f"--sensor {args.sensor}: a StripMap or Spotlight pair only (no --mode {args.mode})")
        sensor = "TerraSAR-X" if args.sensor == "tsx" else "COSMO-SkyMed"
        if dem:
            raise DinsarError(f"--sensor {args.sensor}: the {sensor} simulator makes its own DEM; drop `dem:` from "
                              "the config")
        if args.sensor == "tsx":
            from dinsar.steps.preprocess import simulate_terrasar_pair

            spot = args.mode == "SPOT"
            summary = simulate_terrasar_pair(args.out, simulate, threads=args.threads, mode="SL" if spot else "SM")
            what = (f"TerraSAR-X SpotLight (SL) SSC pair (X band, 0.9 m x 1.1 m pixels, azimuth sweep "
                    f"{summary['azimuth_sweep_hz_s']:.0f} Hz/s, orbit in the XML)" if spot else
                    "TerraSAR-X StripMap SSC pair (X band, 1.9 m x 1.4 m pixels, orbit in the XML)")
        else:
            from dinsar.steps.preprocess import simulate_cosmo_pair

            spot = args.mode == "SPOT"
            summary = simulate_cosmo_pair(args.out, simulate, generation=1 if args.sensor == "csk" else 2,
                                          threads=args.threads, mode="SPOTLIGHT" if spot else "HIMAGE")
            what = (f"COSMO-SkyMed Spotlight pair (X band, ~1 m pixels, azimuth sweep "
                    f"{summary['azimuth_sweep_hz_s']:.0f} Hz/s, orbit in the files)" if spot else
                    "COSMO-SkyMed StripMap pair (X band, ~3 m pixels, orbit in the files)")
        return _print_simulated(args.out, summary, what)
    if args.mode == "SPOT":
        raise DinsarError("--mode SPOT: a Spotlight pair is COSMO-SkyMed's or TerraSAR-X's (--sensor csk, csg or tsx)")
    if args.mode == "IW":
        if dem:
            raise DinsarError("--mode IW: the IW simulator makes its own DEM; drop `dem:` from the config")
        from dinsar.steps.preprocess import simulate_iw_pair

        summary = simulate_iw_pair(args.out, simulate, threads=args.threads)
        print(f"{args.out}/master/{summary['master']}\n{args.out}/slave/{summary['slave']}")
        print(f"IW TOPS pair (two sub-swaths, three bursts each, real IW1/IW3 timing), truth on one zero-Doppler "
              f"grid in {args.out}/truth")
        return 0
    summary = steps.simulate_pair(args.out, simulate, dem=dem, threads=args.threads)
    return _print_simulated(args.out, summary)


def _print_simulated(out: str, summary: dict, what: str = "") -> int:
    """The products `dinsar simulate` wrote, the master first (the lines a script reads), then its truth."""
    print(f"{out}/master/{summary['master']}")
    if "slaves" in summary:  # a stack
        for name, truth in summary["pairs"].items():
            print(f"{out}/slave/{name} (truth in {out}/{truth})")
        return 0
    print(f"{out}/slave/{summary['slave']}")
    print(f"{what + '; ' if what else ''}LOS displacement {summary['los_min_m'] * 1000:.1f} .. "
          f"{summary['los_max_m'] * 1000:.1f} mm, coherence {summary['expected_coherence']:.3f}, truth in {out}/truth")
    return 0


def _cmd_search(args: argparse.Namespace, extra: list[str]) -> int:
    from dinsar.catalogue import cli

    return cli.run(args, download=False)


def _cmd_download(args: argparse.Namespace, extra: list[str]) -> int:
    from dinsar.catalogue import cli

    return cli.run(args, download=True)


def _timing_rows(p) -> list[tuple[str, str]]:
    """`dinsar info`'s timing, wavelength and orbit rows of a product with its own state vectors (COSMO-SkyMed,
    TerraSAR-X)."""
    g = p.radar_grid
    return [
        ("first line (UTC)", str(p.start_time)),
        ("azimuth time interval (s)", f"{g.line_interval_s:.9e}"),
        ("slant range time (s)", f"{g.near_range_time_s:.9e}"),
        ("range sampling rate (Hz)", f"{g.range_sampling_rate_hz:.6e}"),
        ("radar wavelength (m)", f"{g.wavelength_m:.6f}"),
        ("state vectors", f"{len(p.state_vectors)} ({p.state_vectors.source})"),
    ]


def _info_cosmo(args: argparse.Namespace) -> list[tuple[str, str]]:
    from dinsar.sensors import cosmo
    from dinsar.sensors.cosmo_metadata import LABEL

    if args.swath or args.orbit:
        raise DinsarError(f"{args.product}: --swath and --orbit do not apply to a COSMO-SkyMed product (one "
                          "image per polarisation, the orbit in the file)")
    p = cosmo.open_product(args.product, polarisation=args.pol)
    m, g = p.meta, p.radar_grid
    return [
        ("product", p.name), ("mission", f"{p.mission} ({LABEL[p.generation]})"),
        ("product type", p.product_type),
        ("mode / beam", f"{p.mode} ({p.imaging_mode}) / {p.swath}"
                        + ("" if p.supported_by_chain else "  [not processed by the chain yet]")),
        ("polarisation", p.polarisation), ("look side", p.look_side),
        ("lines x samples", f"{p.shape[0]} x {p.shape[1]}"),
        *_timing_rows(p),
        ("Doppler centroid (Hz, mid)",
         f"{float(p.doppler_centroid(g.near_range_time_s + p.shape[1] / 2 / g.range_sampling_rate_hz)):.3f}"),
        ("samples", f"{m.sample_dtype} I/Q, {m.dataset_path}"),
    ]


def _info_terrasar(args: argparse.Namespace) -> list[tuple[str, str]]:
    from dinsar.sensors import terrasar

    if args.swath or args.orbit:
        raise DinsarError(f"{args.product}: --swath and --orbit do not apply to a TerraSAR-X product (one "
                          "image per polarisation, the orbit in its XML)")
    p = terrasar.open_product(args.product, polarisation=args.pol)
    m, g, a = p.meta, p.radar_grid, p.annotation
    mid = g.near_range_time_s + p.shape[1] / 2 / g.range_sampling_rate_hz
    return [
        ("product", p.name), ("mission", f"{p.mission} (TerraSAR-X / TanDEM-X), orbit {m.abs_orbit} "
                                         f"{m.orbit_direction.lower()}"),
        ("product type", p.product_type), ("mode / beam", f"{p.mode} ({p.imaging_mode}) / {p.swath}"),
        ("polarisation", f"{p.polarisation} (available: {', '.join(m.polarisations)})"),
        ("look side", p.look_side), ("lines x samples", f"{p.shape[0]} x {p.shape[1]}"),
        *_timing_rows(p),
        ("Doppler centroid (Hz, mid)", f"{float(p.doppler_centroid(mid)):.3f}"),
        ("samples", f"COSAR complex int16, 1 burst, {a.rangeline_bytes} bytes a line, {p.cos_path.name}"),
    ]


def _cmd_info(args: argparse.Namespace, extra: list[str]) -> int:
    from dinsar.sensors import sensor_of, sentinel1

    if sensor_of(args.product) in ("cosmo", "terrasar"):
        rows = _info_cosmo(args) if sensor_of(args.product) == "cosmo" else _info_terrasar(args)
        width = max(len(k) for k, _ in rows)
        for k, v in rows:
            print(f"{k:<{width}}  {v}")
        return 0
    p = sentinel1.open_product(args.product, polarisation=args.pol or "VV", swath=args.swath, orbit=args.orbit)
    a, m = p.annotation, p.manifest
    rows = [
        ("product", p.name), ("mission", a.mission), ("mode / swath", f"{a.mode} / {a.swath}"),
        ("polarisation", f"{a.polarisation} (available: {', '.join(p.polarisations)})"),
        ("pass", a.pass_direction), ("orbit abs / rel", f"{a.absolute_orbit} / {m.relative_orbit}"),
        ("lines x samples", f"{a.number_of_lines} x {a.number_of_samples}"),
        ("first line (UTC)", str(a.first_line_time)),
        ("azimuth time interval (s)", f"{a.azimuth_time_interval_s:.9e}"),
        ("slant range time (s)", f"{a.slant_range_time_s:.9e}"),
        ("range sampling rate (Hz)", f"{a.range_sampling_rate_hz:.6e}"),
        ("radar frequency (Hz)", f"{a.radar_frequency_hz:.6e}"),
        ("state vectors", f"{len(p.state_vectors)} ({p.state_vectors.source})"),
        ("geolocation grid points", str(len(a.geolocation_grid))),
        ("Doppler estimates / FM rates", f"{len(a.dc_estimates)} / {len(a.fm_rates)}"),
        ("bursts", str(len(a.bursts))),
    ]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dinsar", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"dinsar {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run", help="run the workflow on a site config (extra args go to snakemake)",
        usage="dinsar run [-h] [-v] CONFIG [snakemake options ...] [-- snakemake options, as they are]",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Validate CONFIG, then run the workflow shipped with dinsar on it, in the current directory\n"
                    "(results/, logs/). Every option other than -h and -v/--verbose goes to Snakemake\n"
                    "(`snakemake --help` lists them); without --cores/--jobs/--profile/--executor the\n"
                    "`default` profile runs it on all local cores. `dinsar config --template` prints a config.",
        epilog="examples (any Snakemake option may follow CONFIG):\n"
               "  dinsar run site.yaml -n                        dry run: the jobs that would run\n"
               "  dinsar run site.yaml --cores 8                 8 local cores\n"
               "  dinsar run site.yaml --until geocode           stop once the geocoding step is done\n"
               "  dinsar run site.yaml --report report.zip       the report of a finished run (figures)\n"
               "  dinsar run site.yaml --profile profiles/slurm  a Slurm cluster (--profile pbs: PBS Pro)\n"
               "  dinsar run site.yaml --unlock                  after a hard kill of Snakemake\n"
               "  dinsar run site.yaml -- --verbose              after --, everything goes to Snakemake as is\n"
               "\n"
               "--profile default|pbs|slurm (or profiles/NAME) names a profile shipped with dinsar, unless\n"
               "Snakemake finds one of that name (./NAME, ~/.config/snakemake/NAME). -v/--verbose, before\n"
               "or after CONFIG, are dinsar's (Snakemake's -v is --version): for Snakemake's own --verbose\n"
               "(its debugging output), write it after --.")
    run.add_argument("config", metavar="CONFIG", help="site config YAML (e.g. config/sites/reunion_sm.yaml)")
    run.add_argument("-v", "--verbose", dest="verbose", action="store_true", default=argparse.SUPPRESS,
                     help="log dinsar's progress (the Snakemake command line) to stderr, as `dinsar -v run`")
    run.set_defaults(func=_cmd_run, passthrough=True)

    stack = sub.add_parser("stack", help="coregister every product of a site on one master (SAR_MultiSlc.py); "
                                         "extra args go to snakemake")
    stack.add_argument("-i", dest="input", nargs="+", required=True,
                       help="folder(s) of SLC products of one sensor: Sentinel-1 SAFE dirs or zips, COSMO-SkyMed .h5 "
                            "files, TerraSAR-X product folders")
    stack.add_argument("-d", help="first date YYYY-MM-DD (default: the first found)")
    stack.add_argument("-f", help="last date YYYY-MM-DD (default: the last found)")
    stack.add_argument("-m", help="master date YYYY-MM-DD (default: the first date)")
    stack.add_argument("-o", required=True, help="output folder (stack.yaml, results/, logs/)")
    stack.add_argument("--small-baseline", nargs=2, type=float, metavar=("DAYS", "METRES"),
                       help="also the slave-slave pairs within both limits (temporal, perpendicular)")
    stack.add_argument("--dem", help="DEM GeoTIFF (any CRS); without it, quicklooks and baselines only")
    stack.add_argument("--orbits", help="folder of EOF orbit files")
    stack.add_argument("--pol", default=None, help="polarisation (default: the config schema's, VV)")
    stack.add_argument("--site", default="stack", help="site name (results/<site>/)")
    stack.add_argument("-v", "--verbose", dest="verbose", action="store_true", default=argparse.SUPPRESS,
                       help="log dinsar's progress to stderr (Snakemake's own --verbose: after --)")
    stack.set_defaults(func=_cmd_stack, passthrough=True)

    from dinsar.catalogue.cli import add_arguments

    search = sub.add_parser("search", help="search a catalogue (peps_download.py options)")
    add_arguments(search, download=False)
    search.set_defaults(func=_cmd_search)
    download = sub.add_parser("download", help="search and download (peps_download.py options)")
    add_arguments(download, download=True)
    download.set_defaults(func=_cmd_download)

    sim = sub.add_parser("simulate", help="a simulated S1 StripMap pair (or stack: simulate.stack; --mode IW; "
                                          "--sensor csk|csg: COSMO-SkyMed, tsx: TerraSAR-X) with known truth")
    sim.add_argument("--out", required=True, help="output folder (master/, slave/, orbits/, dem.tif, truth/)")
    sim.add_argument("--size", type=_size, help="LINESxSAMPLES (default 1024x1024)")
    sim.add_argument("--seed", type=int, help="random seed (default 1)")
    sim.add_argument("--config", help="YAML with the `simulate:` keys of a site config (optionally `dem:`)")
    sim.add_argument("--mode", choices=("SM", "IW", "SPOT"), default="SM",
                     help="SM: a StripMap pair (default); IW: a Sentinel-1 IW TOPS pair, two sub-swaths (IW1, IW2), "
                          "three bursts each; SPOT: a Spotlight pair (--sensor csk|csg|tsx; ~1 m pixels, the azimuth "
                          "Doppler sweep of a steered beam)")
    sim.add_argument("--sensor", choices=("s1", "csk", "csg", "tsx"), default="s1",
                     help="s1: Sentinel-1 SAFE products (default); csk / csg: a COSMO-SkyMed first / second "
                          "generation StripMap (or --mode SPOT: Spotlight) pair (HDF5, X band, ~3 m / ~1 m "
                          "pixels, the orbit in the files); tsx: a TerraSAR-X StripMap (or SpotLight) SSC pair "
                          "(level1Product XML + COSAR folders)")
    sim.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="cores to use (default: all)")
    sim.set_defaults(func=_cmd_simulate)

    ql = sub.add_parser("quicklook", help="multilooked amplitude view of an SLC (QuickMlView.py)")
    ql.add_argument("-in", dest="input", required=True,
                    help="SLC TIFF, SAFE dir/zip, COSMO-SkyMed .h5 or TerraSAR-X product folder")
    ql.add_argument("-out", dest="output", help="output GeoTIFF (default: beside the input, *_ml.tif)")
    ql.add_argument("-ml", nargs=2, type=int, default=None, metavar=("AZ", "RG"),
                    help="looks (default: the config's quicklook.looks default, 3 3)")
    ql.add_argument("--pol", default=None, help="polarisation of a SAFE input (default: the config's, VV) or of an "
                                                "HDF5 one (default: its only image)")
    ql.add_argument("--swath", default=None, help="IW1..IW3 (EW1..EW5) for a TOPS SAFE product")
    ql.add_argument("--png-max-size", type=int, default=None,
                    help="the PNG's longest side in pixels at most (default: the config's, 2048)")
    ql.add_argument("--no-png", action="store_true", help="GeoTIFF only")
    ql.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="cores to use (default: all)")
    ql.set_defaults(func=_cmd_quicklook)

    up = sub.add_parser("unpack", help="unzip a SAFE product safely, pruning polarisations")
    up.add_argument("product", help="SAFE zip or directory")
    up.add_argument("--out", default=".", help="destination folder (default: .)")
    up.add_argument("--keep", nargs="+", default=["VV"], help="polarisations to keep (default VV)")
    up.set_defaults(func=_cmd_unpack)

    info = sub.add_parser("info", help="what the reader sees in a SAFE product, a COSMO-SkyMed HDF5 file or a "
                                       "TerraSAR-X product folder")
    info.add_argument("product", help="SAFE zip or directory, COSMO-SkyMed .h5 (CSK, CSG), or TerraSAR-X / "
                                      "TanDEM-X SSC product folder")
    info.add_argument("--pol", default=None, help="polarisation (default VV; HDF5: the file's only image)")
    info.add_argument("--swath", default=None, help="IW1..IW3 for IW products")
    info.add_argument("--orbit", default=None, help="EOF orbit file")
    info.set_defaults(func=_cmd_info)

    conf = sub.add_parser(
        "config", help="print a commented config template (--template), or check a config",
        description="--template: a site config with every key of the schema, its default and its description\n"
                    "as comments; as printed it processes a simulated pair (edit `simulate:` into `products:`\n"
                    "for your own). --readme: config/README.md, the keys as tables. CONFIG: check it, and print\n"
                    "it with the defaults filled in.",
        epilog="example: dinsar config --template --site etna > etna.yaml && dinsar run etna.yaml -n",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    conf.add_argument("file", nargs="?", metavar="CONFIG", help="a site config to check")
    conf.add_argument("--template", action="store_true", help="print the commented template")
    conf.add_argument("--site", default=None, help="the template's site name (default my_site)")
    conf.add_argument("--readme", action="store_true",
                      help="print config/README.md: every key, what it accepts, its default and its description")
    conf.set_defaults(func=_cmd_config)
    return parser


def _verbatim(argv: list[str]) -> tuple[list[str], list[str]]:
    """`dinsar run|stack ... -- ARGS`: (what dinsar parses, ARGS, which go to Snakemake as they are)."""
    command = next((a for a in argv if not a.startswith("-")), None)
    if command in PASSTHROUGH and "--" in argv:
        cut = argv.index("--")
        return argv[:cut], argv[cut + 1:]
    return argv, []


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv, verbatim = _verbatim(sys.argv[1:] if argv is None else list(argv))
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "passthrough", False):
        parser.error(f"unrecognised arguments: {' '.join(extra)}")
    if "-v" in extra:  # dinsar's, wherever it stands: Snakemake's -v is --version, which runs nothing
        args.verbose = True
        extra = [a for a in extra if a != "-v"]
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        # --profile NAME: a profile shipped with the workflow, unless Snakemake's own search finds NAME
        for i, arg in enumerate(extra):
            flag, eq, name = arg.partition("=")
            if flag != "--profile" or not (eq or i + 1 < len(extra)):
                continue
            name = name if eq else extra[i + 1]
            if Path(name).parent not in (Path("."), Path("profiles")) or Path(name).exists():
                continue
            from platformdirs import site_config_dir, user_config_dir

            from dinsar.config import workflow_root

            shipped = workflow_root() / "profiles" / Path(name).name
            searched = (Path(d) / name for d in (user_config_dir("snakemake", "snakemake"),
                                                  site_config_dir("snakemake", "snakemake")))
            if (shipped / "config.yaml").is_file() and not any(p.exists() for p in searched):
                extra[i if eq else i + 1] = f"--profile={shipped}" if eq else str(shipped)
        return args.func(args, extra + verbatim)
    except DinsarError as e:
        print(f"dinsar: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
