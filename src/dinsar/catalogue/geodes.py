"""CNES GEODES: STAC items, size, online flag and MD5 read from the asset, an API key."""

from __future__ import annotations

import logging
import os
import re
import shlex

from dinsar.catalogue import credentials
from dinsar.catalogue.provider import CatalogueError, Provider
from dinsar.catalogue.records import Product, Query, strip_suffix

log = logging.getLogger(__name__)


class Geodes(Provider):
    """CNES GEODES STAC items (paged by the `next` link); online flag, size and MD5 in asset text."""

    name = "geodes"
    default_url = "https://geodes-portal.cnes.fr"
    collections = {"S1": "PEPS_S1_L1", "S2": "PEPS_S2_L1C"}

    @staticmethod
    def parse(feature: dict) -> Product:
        p = feature["properties"]
        data = [a for a in feature.get("assets", {}).values() if "data" in a.get("roles", [])]
        asset = data[0] if data else {}
        text = asset.get("description", "")

        def field(pattern):
            m = re.search(pattern, text)
            return m.group(1) if m else None

        size, online, md5 = field(r"File size: (\d+)"), field(r"Is online: (\w+)"), field(r"Checksum MD5: (\w+)")
        name = strip_suffix(asset.get("title") or p.get("identifier") or feature["id"])
        return Product(
            provider="geodes", id=feature["id"], name=name, start=p.get("start_datetime") or p.get("datetime"),
            stop=p.get("end_datetime"), collection=p.get("dataset"), product_type=p.get("product:type"),
            mode=p.get("sar:instrument_mode"), relative_orbit=p.get("sat:relative_orbit"),
            absolute_orbit=p.get("sat:absolute_orbit"), direction=p.get("sat:orbit_state"),
            size=int(size) if size else None, online=(online or "true").lower() == "true",
            checksums={"MD5": md5.lower()} if md5 else {}, url=asset.get("href"), footprint=feature.get("geometry"),
        )

    def search(self, q: Query) -> list[Product]:
        coll = self.collections.get(q.collection, q.collection)
        url = f"{self.base_url}/api/stac/collections/{coll}/items"
        params = {"limit": min(q.max_results, 500), "page": 1}
        if q.bbox():
            params["bbox"] = ",".join(str(v) for v in q.bbox())
        if q.start_date or q.end_date:
            params["datetime"] = f"{q.start_date or '..'}T00:00:00Z/{q.end_date or '..'}T23:59:59Z"
        if q.location:
            raise CatalogueError("geodes: free-text place names are not searchable; give a box or a point")
        out: list[Product] = []
        while url and len(out) < q.max_results:
            data = self._search_json(url, params=params, headers=self._headers(), sent=True)
            out += [self.parse(f) for f in data.get("features", [])]
            nxt = [lk["href"] for lk in data.get("links", []) if lk.get("rel") == "next"]
            url, params = (nxt[0] if nxt and data.get("features") else None), None
        # item filters the STAC endpoint does not apply server-side
        keep = [p for p in out if (not q.product_type or p.product_type in (None, q.product_type))
                and (not q.sensor_mode or p.mode in (None, q.sensor_mode))
                and (not q.orbit or p.relative_orbit in (None, q.orbit))]
        return keep[: q.max_results]

    def _headers(self) -> dict:
        key = os.environ.get("DINSAR_GEODES_API_KEY")
        return {"X-API-Key": key} if key else {}

    def auth_error(self, what: str, sent: bool = True) -> credentials.AuthError:
        # GEODES takes an API key, not the user/password the other catalogues look up
        state = "set" if os.environ.get("DINSAR_GEODES_API_KEY") else "not set"
        return credentials.AuthError(f"geodes: {what} refused (401) by {self.base_url}; dinsar sends the API key of "
                                     f"DINSAR_GEODES_API_KEY, which is {state}")

    def request(self, product: Product):
        return product.url, self._headers(), None

    def curl(self, product: Product) -> str:
        return (f"curl -L --fail -C - -H \"X-API-Key: $DINSAR_GEODES_API_KEY\" -o {product.filename} "
                f"{shlex.quote(product.url or '')}")
