"""`dinsar search` and `dinsar download`: peps_download.py's options on today's catalogues."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from dinsar.catalogue import http, providers
from dinsar.catalogue.records import Product, Query, check_date
from dinsar.errors import ConfigError


def _date(text: str) -> str:
    # at parse time, so that an impossible date stops before any request (a catalogue answers it
    # with a 400 or a 5xx, and the 5xx is retried for seconds)
    try:
        return check_date(text, "date")
    except ConfigError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds >= 0")
    return value


def add_arguments(p: argparse.ArgumentParser, download: bool) -> None:
    p.add_argument("--provider", default="cdse", choices=sorted(providers.PROVIDERS), help="catalogue (default cdse)")
    p.add_argument("--url", help="base URL of the catalogue (else DINSAR_<PROVIDER>_URL, else the public one)")
    p.add_argument("-c", "--collection", default="S1", help="collection: S1 (S2, S3 searchable where offered)")
    p.add_argument("-p", "--product_type", default="SLC", help="SLC, GRD or OCN")
    p.add_argument("-m", "--sensor_mode", default="SM", help="SM, IW, EW or WV")
    p.add_argument("-d", "--start_date", type=_date, help="first date, YYYY-MM-DD")
    p.add_argument("-f", "--end_date", type=_date, help="last date, YYYY-MM-DD")
    p.add_argument("--lat", type=float, help="point latitude")
    p.add_argument("--lon", type=float, help="point longitude")
    p.add_argument("--latmin", type=float, help="box south")
    p.add_argument("--latmax", type=float, help="box north")
    p.add_argument("--lonmin", type=float, help="box west")
    p.add_argument("--lonmax", type=float, help="box east")
    p.add_argument("-l", "--location", help="place name (providers with free-text search only: peps)")
    p.add_argument("-o", "--orbit", type=int, help="relative orbit number")
    p.add_argument("--pol", help="polarisation (VV, VH, VV+VH ...)")
    p.add_argument("--direction", choices=["ascending", "descending"], help="orbit direction")
    p.add_argument("--max", type=int, default=500, help="at most this many products")
    p.add_argument("--json", help="save the search results (normalised records) to this file")
    p.add_argument("-a", "--auth", help="file with 'user password' (peps_download's -a); else env or ~/.netrc")
    p.add_argument("--max_retry_after_s", type=_seconds, default=http.MAX_RETRY_AFTER_S,
                   help="stop when a server asks to wait longer than this before a retry "
                        f"(Retry-After; default {http.MAX_RETRY_AFTER_S:g} s)")
    if download:
        p.add_argument("-w", "--write_dir", default=".", help="where the zips go (default .)")
        p.add_argument("-n", "--no_download", action="store_true",
                       help="print what would be downloaded, with a curl command each (no secrets)")
        p.add_argument("--parallel", type=int, default=2, help="simultaneous downloads (default 2)")
        p.add_argument("--staging_wait_s", type=_seconds, default=providers.STAGING_WAIT_S,
                       help="longest wait for a tape product to be staged, in all "
                            f"(default {providers.STAGING_WAIT_S:g} s)")


def query_from(args) -> Query:
    box = (args.lonmin, args.latmin, args.lonmax, args.latmax)
    if any(v is not None for v in box) and not all(v is not None for v in box):
        raise ConfigError("--lonmin/--latmin/--lonmax/--latmax: give all four box edges")
    if all(v is not None for v in box) and (box[0] >= box[2] or box[1] >= box[3]):
        raise ConfigError(f"box {box}: min must be below max")
    if (args.lat is None) != (args.lon is None):
        raise ConfigError("--lat/--lon: give both")
    if args.start_date and args.end_date and args.end_date < args.start_date:
        raise ConfigError(f"-f/--end_date {args.end_date} is before -d/--start_date {args.start_date}")
    return Query(collection=args.collection, product_type=args.product_type, sensor_mode=args.sensor_mode,
                 start_date=args.start_date, end_date=args.end_date,
                 box=box if all(v is not None for v in box) else None,
                 point=(args.lon, args.lat) if args.lat is not None else None, location=args.location,
                 orbit=args.orbit, direction=args.direction, polarisation=args.pol, max_results=args.max)


def table(products: list[Product]) -> str:
    rows = [("id", "date", "mode", "swath", "orbit", "size", "storage", "name")]
    for p in products:
        size = f"{p.size / 1e9:.2f} GB" if p.size else "?"
        rows.append((p.id[:36], (p.start or "")[:19], p.mode or "?", p.swath or "?", str(p.relative_orbit or "?"),
                     size, p.storage, p.name))
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]) - 1)]
    return "\n".join("  ".join(r[k].ljust(widths[k]) for k in range(len(widths))) + "  " + r[-1] for r in rows)


def run(args, download: bool) -> int:
    session = http.session(max_retry_after_s=args.max_retry_after_s)
    provider = providers.make(args.provider, session, args.url, args.auth)
    products = provider.search(query_from(args))
    if args.json:
        Path(args.json).write_text(json.dumps([p.to_json() for p in products], indent=1))
    if not download:
        print(table(products))
        print(f"{len(products)} products")
        return 0
    if args.no_download:
        for p in products:
            curl = provider.curl(p)  # first: it refuses a name that would be a path elsewhere
            print(f"{p.name} {p.storage}")
            print(f"    {curl}")
        return 0
    from dinsar.catalogue.download import download_all

    for path in download_all(provider, products, args.write_dir, parallel=args.parallel,
                             staging_wait_s=args.staging_wait_s):
        print(path)
    return 0
