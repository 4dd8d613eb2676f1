"""The legacy PEPS resto catalogue (CNES): search, and tape products staged and polled before download."""

from __future__ import annotations

import logging
import time

import requests

from dinsar.catalogue.http import TIMEOUT
from dinsar.catalogue.provider import STAGING_WAIT_S, CatalogueError, Provider
from dinsar.catalogue.records import Product, Query, strip_suffix

log = logging.getLogger(__name__)


class Peps(Provider):
    """Legacy PEPS resto API (peps_download.py's URL shape); products on tape are staged first."""

    name = "peps"
    default_url = "https://peps.cnes.fr"

    def _params(self, q: Query, page: int) -> dict:
        p = {"maxRecords": min(q.max_results, 500), "page": page, "productType": q.product_type}
        if q.start_date:
            p["startDate"] = q.start_date
        if q.end_date:
            p["completionDate"] = q.end_date
        if q.sensor_mode:
            p["sensorMode"] = q.sensor_mode
        if q.box:
            p["box"] = ",".join(str(v) for v in q.box)
        elif q.point:
            p["lon"], p["lat"] = q.point
        if q.location:
            p["q"] = q.location
        if q.orbit:
            p["relativeOrbitNumber"] = q.orbit
        if q.direction:
            p["orbitDirection"] = q.direction
        if q.polarisation:
            p["polarisation"] = q.polarisation
        return p

    @staticmethod
    def parse(feature: dict) -> Product:
        p = feature["properties"]
        dl = p.get("services", {}).get("download", {})
        checksum = dl.get("checksum") or p.get("resourceChecksum")
        return Product(
            provider="peps", id=feature["id"], name=strip_suffix(p["title"]), start=p.get("startDate"),
            stop=p.get("completionDate"), collection=p.get("collection"), product_type=p.get("productType"),
            mode=p.get("sensorMode"), relative_orbit=p.get("relativeOrbitNumber"),
            absolute_orbit=p.get("orbitNumber"), direction=(p.get("orbitDirection") or "").lower() or None,
            polarisation=p.get("polarisation"), size=dl.get("size") or p.get("resourceSize"),
            online=p.get("storage", {}).get("mode", "disk") != "tape",
            checksums={"MD5": checksum.lower()} if checksum else {}, url=dl.get("url"),
            footprint=feature.get("geometry"),
        )

    def search(self, q: Query) -> list[Product]:
        url = f"{self.base_url}/resto/api/collections/{q.collection}/search.json"
        out: list[Product] = []
        page, params = 1, self._params(q, 1)
        while url and len(out) < q.max_results:
            data = self._search_json(url, params=params)
            out += [self.parse(f) for f in data.get("features", [])]
            nxt = [lk["href"] for lk in data.get("properties", {}).get("links", []) if lk.get("rel") == "next"]
            if not data.get("features") or not nxt:
                break
            page += 1
            url, params = nxt[0], None
        return out[: q.max_results]

    def ensure_online(self, product: Product, poll_s: float = 60.0, max_polls: int | None = None,
                      staging_wait_s: float = STAGING_WAIT_S) -> Product:
        """Tape products: ask for the download once (PEPS stages it), then poll its storage mode every
        `poll_s` for at most `staging_wait_s` in all (and `max_polls` polls, when given)."""
        if product.online:
            return product
        url, headers, auth = self.request(product)
        try:
            r = self.session.get(url, headers=headers, auth=auth, timeout=TIMEOUT, stream=True)
            r.close()
        except requests.RequestException as e:
            raise CatalogueError(f"peps: staging request for {product.name} failed ({type(e).__name__})") from None
        if r.status_code == 401:
            raise self.auth_error(f"staging of {product.name}")
        search = f"{self.base_url}/resto/api/collections/{product.collection or 'S1'}/search.json"
        # staging takes minutes to hours: say what is awaited, since nothing else shows for that long
        log.warning("peps: %s is on tape; staging asked for, checking every %g s for up to %g s "
                    "(staging_wait_s)", product.name, poll_s, staging_wait_s)
        t0 = time.monotonic()
        polls = 0
        while True:
            data = self._search_json(search, params={"identifier": product.name})
            polls += 1
            found = [self.parse(f) for f in data.get("features", []) if f["id"] == product.id]
            waited = time.monotonic() - t0
            if found and found[0].online:
                log.info("%s is on disk after %d polls (%.0f s)", product.name, polls, waited)
                return found[0]
            if waited + poll_s > staging_wait_s or (max_polls is not None and polls >= max_polls):
                break
            log.info("%s still on tape after %.0f s", product.name, waited)
            time.sleep(poll_s)
        raise CatalogueError(f"peps: {product.name} still on tape after {waited:.0f} s ({polls} "
                             f"poll{'s' * (polls != 1)}, staging_wait_s {staging_wait_s:g} s); PEPS goes on staging "
                             "it: download it again later")
