"""Catalogue steps of a site: search (and choose the pair), download one product (paths in, paths out)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from dinsar.catalogue import http, providers
from dinsar.catalogue.records import Product, Query, check_date, safe_name
from dinsar.errors import ConfigError
from dinsar.io import atomic

log = logging.getLogger(__name__)


def query_from_config(search: dict) -> Query:
    box = search.get("box")
    point = search.get("point")
    for key in ("start_date", "end_date"):  # the schema checks the shape only: 2016-13-45 passes it
        if search.get(key) is not None:
            check_date(search[key], f"search.{key}")
    return Query(
        collection=search.get("collection", "S1"), product_type=search.get("product_type", "SLC"),
        sensor_mode=search.get("sensor_mode"), start_date=search.get("start_date"), end_date=search.get("end_date"),
        box=(box["lonmin"], box["latmin"], box["lonmax"], box["latmax"]) if box else None,
        point=(point["lon"], point["lat"]) if point else None, location=search.get("location"),
        orbit=search.get("orbit"), direction=search.get("orbit_direction"),
    )


def _choose(products: list[Product], day: str, swath: str | None, key: str) -> Product:
    found = [p for p in products if (p.start or "")[:10] == day and (not swath or p.swath == swath)]
    if not found:
        days = sorted({(p.start or "")[:10] for p in products})
        raise ConfigError(f"{key}: no product acquired on {day}{f' in swath {swath}' if swath else ''} among the "
                          f"{len(products)} found (dates: {', '.join(days) or 'none'})")
    return sorted(found, key=lambda p: (not p.online, p.name))[0]


def _one_track(products: list[Product]) -> list[Product]:
    """The products of one relative orbit: the earliest one with two dates (a pair across tracks sees the
    ground from two directions and cannot make an interferogram); all when the records name no orbit."""
    tracks: dict[int, set[str]] = {}
    for p in products:
        if p.relative_orbit is not None:
            tracks.setdefault(p.relative_orbit, set()).add((p.start or "")[:10])
    paired = [t for t, d in tracks.items() if len(d) >= 2]
    if not paired:
        return products
    first = min(paired, key=lambda t: sorted(tracks[t])[1])  # the track whose second date comes first
    return [p for p in products if p.relative_orbit == first]


def _session(search_cfg: dict):
    return http.session(max_retry_after_s=search_cfg.get("max_retry_after_s", http.MAX_RETRY_AFTER_S))


def search(search_cfg: dict, pair_cfg: dict | None, dst: str | Path, stack_cfg: dict | None = None) -> Path:
    """Search the catalogue for the site and choose master and slave by the config's pair dates
    (default: the first two dates found); for a stack (stack_cfg), the master of stack.master's
    date (default: the first) and one slave per other date found. Writes the normalised records
    and the choice as JSON."""
    provider = providers.make(search_cfg.get("provider", "cdse"), _session(search_cfg), search_cfg.get("url"),
                              search_cfg.get("auth"))
    products = provider.search(query_from_config(search_cfg))
    swath = search_cfg.get("swath")
    usable = sorted((p for p in products if not swath or p.swath == swath), key=lambda p: p.start or "")
    days = sorted({(p.start or "")[:10] for p in usable})
    if stack_cfg is not None:
        if len(days) < 2:
            raise ConfigError(f"search: {len(usable)} products on {len(days)} date(s); a stack needs two")
        master = _choose(usable, stack_cfg.get("master") or days[0], swath, "stack.master")
        slaves = [_choose(usable, d, swath, "search") for d in days if d != master.start[:10]]
    elif pair_cfg:
        master = _choose(products, pair_cfg["master"], swath, "pair.master")
        slaves = [_choose(products, pair_cfg["slave"], swath, "pair.slave")]
    else:
        usable = _one_track(usable)
        days = sorted({(p.start or "")[:10] for p in usable})
        if len(days) < 2:
            raise ConfigError(f"search: {len(usable)} products on {len(days)} date(s) of one relative orbit; a pair "
                              "needs two")
        master, *slaves = (_choose(usable, d, swath, "search") for d in days[:2])
    for p in (master, *slaves):  # the chosen names become the workflow's download and product paths
        safe_name(p.name)
    result = {"provider": provider.name, "master": master.name, "slave": slaves[0].name,
              "slaves": [s.name for s in slaves], "products": [p.to_json() for p in products]}
    with atomic.outputs(dst) as (tmp,):
        tmp.write_text(json.dumps(result, indent=1))
    log.info("%s: %d products; master %s, slave(s) %s", provider.name, len(products), master.name,
             ", ".join(s.name for s in slaves))
    return Path(dst)


def download_product(search_json: str | Path, search_cfg: dict, name: str, dst: str | Path) -> Path:
    """Download one product of a search result to `dst` (<name>.zip), resumable and checked."""
    from dinsar.catalogue.download import download

    found = json.loads(Path(search_json).read_text())
    safe_name(name)
    records = [r for r in found["products"] if r["name"] == name]
    if not records:
        raise ConfigError(f"{search_json}: no product named {name}")
    record = {k: v for k, v in records[0].items() if k not in ("swath", "storage")}
    product = Product(**record)
    provider = providers.make(found["provider"], _session(search_cfg), search_cfg.get("url"), search_cfg.get("auth"))
    path = download(provider, product, Path(dst).parent, progress=False,
                    staging_wait_s=search_cfg.get("staging_wait_s", providers.STAGING_WAIT_S))
    if path != Path(dst):
        raise ConfigError(f"{name}: downloaded to {path}, the rule expects {dst}")
    return path
