"""Sentinel-1 orbit files for a product: precise (AUX_POEORB), else restituted (AUX_RESORB), downloaded
once into a cache shared by all sites and runs, from one of two sources:

- the public `s1-orbits` bucket on AWS (ASF's copy of the Copernicus orbit files, as `sentineleof` and
  `s1-orbits` use it): no account; keys `AUX_POEORB/<name>.EOF`, listed in creation order;
- the Copernicus Data Space catalogue (OData, the same service as the products): needs an account
  to download.

With CDSE credentials CDSE is asked first, else the bucket; the other is the fallback. A precise
orbit from either source wins over a restituted one. The product's mission and sensing times come
from its name, so the orbit can be fetched before the product itself is downloaded.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import requests

from dinsar.catalogue.http import TIMEOUT
from dinsar.catalogue.providers import CatalogueError, Cdse, _get_json
from dinsar.errors import DinsarError, ProductError
from dinsar.io.eof import describe, read_eof, select_orbit, stamp

log = logging.getLogger(__name__)

KINDS = ("AUX_POEORB", "AUX_RESORB")
MARGIN = np.timedelta64(60, "s")  # state vectors needed on each side for the 8-point interpolation
S1_ORBITS_URL = "https://s1-orbits.s3.amazonaws.com"
# an orbit file is made after the end of its validity, so one covering a product was created after
# its start: the listing starts a day before it and stops once creation passes POEORB's ~3 weeks
LISTING_LOOKBACK = np.timedelta64(1, "D")
LISTING_LOOKAHEAD = np.timedelta64(30, "D")
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


def _covers(name: str, mission: str, start, stop) -> bool:
    o = describe(name)
    return bool(o) and o.mission == mission and o.validity_start <= start - MARGIN and stop + MARGIN <= o.validity_stop


class OrbitBucket:
    """The public s1-orbits bucket (no account): an S3 ListBucket by key prefix, files by plain GET."""

    name = "s1-orbits"

    def __init__(self, session, base_url: str | None = None, max_pages: int = 5):
        self.session = session
        self.base_url = (base_url or os.environ.get("DINSAR_ORBIT_BUCKET_URL") or S1_ORBITS_URL).rstrip("/")
        self.max_pages = max_pages

    def _get(self, url: str, what: str, **params):
        try:
            r = self.session.get(url, params=params or None, timeout=TIMEOUT)
        except requests.RequestException as e:
            raise CatalogueError(f"{self.name}: {what} failed ({type(e).__name__}, {url})") from None
        if r.status_code >= 400:
            raise CatalogueError(f"{self.name}: {what} answered HTTP {r.status_code} ({url})")
        return r

    def keys(self, kind: str, mission: str, start, stop) -> list[str]:
        """The keys of `kind` files created from a day before `start` to 30 days after `stop`."""
        prefix = f"{kind}/{mission}_OPER_{kind}_OPOD_"
        marker = prefix + str((start - LISTING_LOOKBACK).astype("M8[s]")).replace("-", "").replace(":", "")
        out: list[str] = []
        for _ in range(self.max_pages):
            r = self._get(f"{self.base_url}/", "listing", prefix=prefix, marker=marker)
            try:
                root = ET.fromstring(r.content)
            except ET.ParseError:
                raise CatalogueError(f"{self.name}: the listing of {self.base_url} is not S3 XML") from None
            tag = {el.tag.rsplit("}", 1)[-1]: el for el in root}  # the S3 namespace, whatever its version
            page = [el.text or "" for c in root if c.tag.endswith("Contents") for el in c if el.tag.endswith("Key")]
            out += page
            last = describe(Path(page[-1]).name) if page else None
            truncated = (tag.get("IsTruncated") is not None and tag["IsTruncated"].text == "true")
            if not truncated or last is None or last.created > stop + LISTING_LOOKAHEAD:
                break
            marker = page[-1]
        return out

    def find(self, kind: str, mission: str, start, stop) -> str | None:
        """The URL of the newest `kind` file covering [start, stop] ± MARGIN, or None."""
        usable = [k for k in self.keys(kind, mission, start, stop) if _covers(Path(k).name, mission, start, stop)]
        if not usable:
            return None
        return f"{self.base_url}/{max(usable, key=lambda k: describe(Path(k).name).created)}"

    def get(self, url: str, folder: Path) -> Path:
        name = Path(url).name.removesuffix(".EOF")
        r = self._get(url, "download")
        got = folder / "downloads" / f"{name}.EOF"
        got.parent.mkdir(parents=True, exist_ok=True)
        got.write_bytes(r.content)
        try:
            return _extract(got, folder, name)
        finally:
            got.unlink(missing_ok=True)  # an error page served as the file is not kept either


class _CdseOrbits:
    """CDSE's OData catalogue: search by name and validity, download with the account's token."""

    def __init__(self, provider: Cdse):
        self.provider, self.name = provider, provider.name

    def find(self, kind: str, mission: str, start, stop):
        p = self.provider
        flt = (f"Collection/Name eq 'SENTINEL-1' and startswith(Name,'{mission}_OPER_{kind}_') and "
               f"ContentDate/Start lt {_iso(start - MARGIN)} and ContentDate/End gt {_iso(stop + MARGIN)}")
        data = _get_json(p.session, f"{p.base_url}/odata/v1/Products", p.name,
                         params={"$filter": flt, "$orderby": "ContentDate/Start desc", "$top": 20})
        found = [replace(r, name=r.name.removesuffix(".EOF")) for r in
                 (p._with_url(Cdse.parse(v)) for v in data.get("value", []))]
        usable = [r for r in found if _covers(f"{r.name}.EOF", mission, start, stop)]
        return max(usable, key=lambda r: describe(f"{r.name}.EOF").created) if usable else None

    def get(self, product, folder: Path) -> Path:
        from dinsar.catalogue.download import download

        # CDSE may serve an orbit file unzipped: _extract tells an orbit from an error page
        got = download(self.provider, product, folder / "downloads", progress=False, expect_zip=False)
        return _extract(got, folder, product.name)


def _has_credentials(provider: Cdse) -> bool:
    try:
        return bool(provider.credentials())
    except DinsarError:  # an unreadable auth file: CDSE says so itself when its turn comes
        return False


def fetch_orbit(product_name: str, cache: str | os.PathLike | None = None, provider: Cdse | None = None,
                bucket: OrbitBucket | None = None) -> Path:
    """The orbit file covering `product_name` (±60 s): from the cache, else downloaded into it."""
    from dinsar.catalogue import http

    mission, start, stop = sensing(product_name)
    folder = cache_root(cache) / "orbits"
    folder.mkdir(parents=True, exist_ok=True)
    hit = _from_cache(folder, mission, start, stop)
    if hit is not None and describe(hit).kind == "POEORB":
        log.info("%s: cached orbit %s", product_name, hit.name)
        return hit
    provider = provider or Cdse(http.session())
    sources = [bucket or OrbitBucket(http.session()), _CdseOrbits(provider)]
    if _has_credentials(provider):
        sources.reverse()
    failed: dict[str, str] = {}
    for kind in KINDS:
        if hit is not None and kind == "AUX_RESORB":  # a cached restituted orbit is as good as a new one
            return hit
        for source in sources:
            if source.name in failed:
                continue
            try:
                found = source.find(kind, mission, start, stop)
                if found is None:
                    continue
                path = source.get(found, folder)
            except DinsarError as e:  # this source is down or refuses: the other may serve
                failed[source.name] = str(e)
                log.warning("%s: %s orbit not available from %s (%s)", product_name, kind, source.name, e)
                continue
            log.info("%s: orbit %s from %s downloaded into %s", product_name, path.name, source.name, folder)
            return path
    if hit is not None:
        return hit
    errors = "".join(f"; {e}" for e in failed.values())
    raise CatalogueError(f"no {mission} orbit file (precise or restituted) covers {product_name} ({start} .. {stop}) "
                         f"on {' or '.join(s.name for s in sources)}{errors}")


def orbit_for(product_name: str, dst: str | os.PathLike, cache=None, provider: Cdse | None = None,
              bucket: OrbitBucket | None = None) -> Path:
    """The product's orbit file copied to `dst` (a site's orbits/ folder), fetched through the cache."""
    from dinsar.io import atomic

    src = fetch_orbit(product_name, cache, provider, bucket)
    dst = Path(dst)
    if dst.suffix != ".EOF":
        dst = dst / src.name
    with atomic.outputs(dst) as (tmp,):
        shutil.copyfile(src, tmp)
    return dst
