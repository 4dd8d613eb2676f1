"""Sentinel-1 orbit files for a product: precise (AUX_POEORB), else restituted (AUX_RESORB), found in
the Copernicus Data Space catalogue (OData, the same service as the products), downloaded once into
a cache shared by all sites and runs.

The product's mission and sensing times come from its name, so the orbit can be fetched before the
product itself is downloaded.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from dinsar.catalogue.providers import CatalogueError, Cdse, _get_json
from dinsar.errors import ProductError
from dinsar.io.eof import describe, read_eof, select_orbit, stamp

log = logging.getLogger(__name__)

KINDS = ("AUX_POEORB", "AUX_RESORB")
MARGIN = np.timedelta64(60, "s")  # state vectors needed on each side for the 8-point interpolation
_PRODUCT = re.compile(r"^(S1[A-D])_.{2}_.{4}_.{4}_(\d{8}T\d{6})_(\d{8}T\d{6})_")


def cache_root(cache: str | os.PathLike | None = None) -> Path:
    """The download cache: `cache`, else $DINSAR_CACHE, else ~/.cache/dinsar."""
    return Path(cache or os.environ.get("DINSAR_CACHE") or Path.home() / ".cache" / "dinsar").expanduser()


def sensing(product_name: str) -> tuple[str, np.datetime64, np.datetime64]:
    """(mission, start, stop) from a Sentinel-1 product name."""
    m = _PRODUCT.match(Path(product_name).name)
    if not m:
        raise ProductError(f"{product_name}: not a Sentinel-1 product name (mission and sensing times)")
    return m.group(1), stamp(m.group(2)), stamp(m.group(3))


def _iso(t: np.datetime64) -> str:
    return str(t.astype("M8[ms]")) + "Z"


def _from_cache(folder: Path, mission: str, start, stop) -> Path | None:
    try:
        return select_orbit(sorted(folder.glob("*.EOF")), mission, start - MARGIN, stop + MARGIN)
    except ProductError:
        return None


def _extract(download: Path, folder: Path, name: str) -> Path:
    """The EOF inside a downloaded zip (CDSE serves orbit files zipped), or the file itself."""
    final = folder / f"{name}.EOF"
    tmp = folder / f".{name}.EOF.part"
    if zipfile.is_zipfile(download):
        with zipfile.ZipFile(download) as z:
            members = [m for m in z.namelist() if m.endswith(".EOF") and not m.startswith(("/", ".."))]
            if not members:
                raise CatalogueError(f"{download}: no .EOF file inside the orbit download")
            with z.open(members[0]) as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst)
    else:
        shutil.copyfile(download, tmp)
    try:
        read_eof(tmp)  # a readable orbit, not an error page
    except ProductError as e:
        tmp.unlink(missing_ok=True)
        raise CatalogueError(f"{name}: the downloaded orbit file is not usable ({e})") from None
    os.replace(tmp, final)
    download.unlink(missing_ok=True)
    return final


def fetch_orbit(product_name: str, cache: str | os.PathLike | None = None, provider: Cdse | None = None) -> Path:
    """The orbit file covering `product_name` (±60 s): from the cache, else downloaded into it."""
    from dinsar.catalogue import http
    from dinsar.catalogue.download import download

    mission, start, stop = sensing(product_name)
    folder = cache_root(cache) / "orbits"
    folder.mkdir(parents=True, exist_ok=True)
    hit = _from_cache(folder, mission, start, stop)
    if hit is not None and describe(hit).kind == "POEORB":
        log.info("%s: cached orbit %s", product_name, hit.name)
        return hit
    provider = provider or Cdse(http.session())
    for kind in KINDS:
        if hit is not None and kind == "AUX_RESORB":  # a cached restituted orbit is as good as a new one
            return hit
        flt = (f"Collection/Name eq 'SENTINEL-1' and startswith(Name,'{mission}_OPER_{kind}_') and "
               f"ContentDate/Start lt {_iso(start - MARGIN)} and ContentDate/End gt {_iso(stop + MARGIN)}")
        data = _get_json(provider.session, f"{provider.base_url}/odata/v1/Products", provider.name,
                         params={"$filter": flt, "$orderby": "ContentDate/Start desc", "$top": 20})
        found = [provider._with_url(Cdse.parse(v)) for v in data.get("value", [])]
        found = [replace(p, name=p.name.removesuffix(".EOF")) for p in found]
        usable = [p for p in found if (o := describe(f"{p.name}.EOF")) and o.mission == mission
                  and o.validity_start <= start - MARGIN and stop + MARGIN <= o.validity_stop]
        if not usable:
            continue
        best = max(usable, key=lambda p: describe(f"{p.name}.EOF").created)
        # CDSE may serve an orbit file unzipped: _extract tells an orbit from an error page
        got = download(provider, best, folder / "downloads", progress=False, expect_zip=False)
        path = _extract(got, folder, best.name)
        log.info("%s: orbit %s downloaded into %s", product_name, path.name, folder)
        return path
    if hit is not None:
        return hit
    raise CatalogueError(f"cdse: no {mission} orbit file (precise or restituted) covers {product_name} "
                         f"({start} .. {stop})")


def orbit_for(product_name: str, dst: str | os.PathLike, cache=None, provider: Cdse | None = None) -> Path:
    """The product's orbit file copied to `dst` (a site's orbits/ folder), fetched through the cache."""
    from dinsar.io import atomic

    src = fetch_orbit(product_name, cache, provider)
    dst = Path(dst)
    if dst.suffix != ".EOF":
        dst = dst / src.name
    with atomic.outputs(dst) as (tmp,):
        shutil.copyfile(src, tmp)
    return dst
